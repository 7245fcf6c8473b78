"""Campaigns and their cycles."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.pacing_settings import PacingMode
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Campaign, Cycle


class CampaignRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def create(
        self,
        *,
        name: str,
        kind: CampaignKind,
        questionnaire_id: str,
        questionnaire_version: str,
        caller_id: str,
        pacing_mode: PacingMode,
        calling_windows: dict[str, Any],
        retry_policy: dict[str, Any],
        now: datetime,
        answering_machine_detection: bool = False,
    ) -> Campaign:
        """A new campaign, in ``draft``. Raises :class:`ConflictError` if the name is taken."""
        campaign = Campaign(
            name=name,
            kind=kind,
            questionnaire_id=questionnaire_id,
            questionnaire_version=questionnaire_version,
            caller_id=caller_id,
            pacing_mode=pacing_mode,
            calling_windows=calling_windows,
            retry_policy=retry_policy,
            answering_machine_detection=answering_machine_detection,
            state=CampaignState.DRAFT,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            if await session.scalar(select(Campaign.id).where(Campaign.name == name)):
                raise ConflictError(f"campaign {name!r} already exists")
            session.add(campaign)
        return campaign

    async def get(self, campaign_id: int) -> Campaign:
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFoundError(f"campaign {campaign_id}: no such campaign")
        return campaign

    async def by_name(self, name: str) -> Campaign:
        async with transaction(self._sessions) as session:
            campaign = await session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is None:
            raise NotFoundError(f"campaign {name!r}: no such campaign")
        return campaign

    async def list_all(self) -> list[Campaign]:
        async with transaction(self._sessions) as session:
            return list(await session.scalars(select(Campaign).order_by(Campaign.id)))

    async def set_state(
        self, campaign_id: int, state: CampaignState, *, expected: Collection[CampaignState]
    ) -> Campaign:
        """Move a campaign to ``state`` if it is in one of ``expected`` (compare-and-set;
        which moves are allowed is the caller's rule). Raises :class:`ConflictError`."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id, with_for_update=True)
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            if campaign.state not in expected:
                raise ConflictError(
                    f"campaign {campaign.name!r} is {campaign.state.value}: "
                    f"cannot make it {state.value}"
                )
            campaign.state = state
        return campaign

    async def set_pacing(
        self,
        campaign_id: int,
        *,
        mode: PacingMode,
        max_abandon_rate: float,
        max_lines_per_agent: float | None = None,
    ) -> Campaign:
        """Store the campaign's pacing mode, abandon cap and (unless ``None``: kept) lines per
        agent cap (validated by the caller)."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id, with_for_update=True)
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            campaign.pacing_mode = mode
            campaign.max_abandon_rate = max_abandon_rate
            if max_lines_per_agent is not None:
                campaign.max_lines_per_agent = max_lines_per_agent
        return campaign


class CycleRepository:
    """Cycles of a campaign, numbered 1, 2, ... Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def open(self, campaign_id: int, *, started_at: datetime, deadline: datetime) -> Cycle:
        """Start the campaign's next cycle. Raises :class:`ConflictError` while one is open."""
        async with transaction(self._sessions) as session:
            if await session.get(Campaign, campaign_id) is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            still_open = await session.scalar(
                select(Cycle.number)
                .where(Cycle.campaign_id == campaign_id)
                .where(Cycle.closed_at.is_(None))
            )
            if still_open is not None:
                raise ConflictError(
                    f"campaign {campaign_id}: cycle {still_open} is still open; close it first"
                )
            last = await session.scalar(
                select(func.max(Cycle.number)).where(Cycle.campaign_id == campaign_id)
            )
            cycle = Cycle(
                campaign_id=campaign_id,
                number=(last or 0) + 1,
                started_at=started_at,
                deadline=deadline,
            )
            session.add(cycle)
        return cycle

    async def get(self, cycle_id: int) -> Cycle:
        async with transaction(self._sessions) as session:
            cycle = await session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFoundError(f"cycle {cycle_id}: no such cycle")
        return cycle

    async def current(self, campaign_id: int) -> Cycle | None:
        """The campaign's open cycle, if any."""
        async with transaction(self._sessions) as session:
            return await session.scalar(
                select(Cycle)
                .where(Cycle.campaign_id == campaign_id)
                .where(Cycle.closed_at.is_(None))
            )

    async def list_for(self, campaign_id: int) -> list[Cycle]:
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(Cycle).where(Cycle.campaign_id == campaign_id).order_by(Cycle.number)
                )
            )

    async def close(self, cycle_id: int, *, at: datetime) -> Cycle:
        """Close a cycle. Raises :class:`ConflictError` when it is already closed."""
        async with transaction(self._sessions) as session:
            cycle = await session.get(Cycle, cycle_id, with_for_update=True)
            if cycle is None:
                raise NotFoundError(f"cycle {cycle_id}: no such cycle")
            if cycle.closed_at is not None:
                raise ConflictError(f"cycle {cycle_id}: already closed at {cycle.closed_at}")
            cycle.closed_at = at
        return cycle
