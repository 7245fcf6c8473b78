"""Which agents serve which campaign, with a priority (the rules:
:mod:`dialer.core.serving`). An agent with no row serves every running campaign. The
table is created by migration ``0024``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ForeignKey, Integer, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.roles import Role
from dialer.errors import InputError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base, Campaign


class AgentCampaign(Base):
    """The agent of ``account_id`` serves ``campaign_id`` with ``priority`` (higher wins)."""

    __tablename__ = "agent_campaigns"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    priority: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Serving:
    """One stored agent ↔ campaign assignment."""

    agent: str
    campaign_id: int
    campaign_name: str
    priority: int


class AgentCampaignRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def all(self) -> list[Serving]:
        """Every assignment, by agent then priority (highest first)."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(Account.username, Campaign.id, Campaign.name, AgentCampaign.priority)
                .join(Account, Account.id == AgentCampaign.account_id)
                .join(Campaign, Campaign.id == AgentCampaign.campaign_id)
                .order_by(Account.username, AgentCampaign.priority.desc(), Campaign.id)
            )
            return [Serving(*row) for row in rows]

    async def serve(self, agent: str, campaign_id: int, priority: int) -> Serving:
        """``agent`` (an agent's account) serves ``campaign_id`` with ``priority`` (set
        again: the priority changes)."""
        async with transaction(self._sessions) as session:
            account = await session.scalar(select(Account).where(Account.username == agent))
            if account is None:
                raise NotFoundError(f"champ « agent » : compte {agent!r} inconnu")
            if account.role is not Role.AGENT:
                raise InputError(f"champ « agent » : {agent!r} n'est pas un compte d'agent")
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFoundError(f"champ « campaign » : campagne {campaign_id} inconnue")
            row = await session.get(AgentCampaign, (account.id, campaign_id))
            if row is None:
                session.add(
                    AgentCampaign(account_id=account.id, campaign_id=campaign_id, priority=priority)
                )
            else:
                row.priority = priority
            return Serving(agent, campaign_id, campaign.name, priority)

    async def stop_serving(self, agent: str, campaign_id: int) -> bool:
        """``agent`` no longer serves ``campaign_id``; False when they did not."""
        async with transaction(self._sessions) as session:
            account_id = await session.scalar(select(Account.id).where(Account.username == agent))
            if account_id is None:
                raise NotFoundError(f"champ « agent » : compte {agent!r} inconnu")
            result = await session.execute(
                delete(AgentCampaign).where(
                    AgentCampaign.account_id == account_id,
                    AgentCampaign.campaign_id == campaign_id,
                )
            )
        return bool(getattr(result, "rowcount", 0))
