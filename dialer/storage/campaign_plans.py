"""Campaigns planned by dates (migration 0030; :mod:`dialer.core.campaign_plans`): one row
per planned campaign, its list, its dates, and when the service opened and closed it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.campaign_plans import PlannedDates, check_plan
from dialer.core.campaigns import CampaignState
from dialer.core.selection import Selection, selection_to_json
from dialer.errors import ConflictError, InputError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.list_rows import PersonList
from dialer.storage.models import Base, Campaign


class CampaignPlan(Base):
    __tablename__ = "campaign_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    list_name: Mapped[str] = mapped_column(String(100), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    planned_by: Mapped[str] = mapped_column(String(100))
    planned_at: Mapped[datetime]
    #: when the service opened its campaign (its cycle, over the list) and closed it
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "list": self.list_name,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "planned_by": self.planned_by,
            "planned_at": self.planned_at.isoformat(),
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


class PlanRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def create(
        self,
        columns: Mapping[str, Any],
        *,
        list_name: str,
        starts_on: date,
        ends_on: date,
        by: str,
        now: datetime,
    ) -> tuple[CampaignPlan, Campaign]:
        """The campaign (``columns``: its name, kind and settings from its template; in
        draft, its selection the list) and its plan, in one transaction,
        the list locked so that two plans of one list never overlap: :class:`InputError`
        naming the field for an unknown list, dates in the past, the wrong way round or
        over another plan of the list; :class:`ConflictError` for a name taken."""
        async with transaction(self._sessions) as session:
            found = await session.scalar(
                select(PersonList).where(PersonList.name == list_name).with_for_update()
            )
            if found is None:
                raise InputError(f"champ « list » : liste inconnue « {list_name[:100]} »")
            others = [
                PlannedDates(row.campaign_id, row.starts_on, row.ends_on)
                for row in await session.scalars(
                    select(CampaignPlan)
                    .join(Campaign, Campaign.id == CampaignPlan.campaign_id)
                    .where(CampaignPlan.list_name == list_name)
                    .where(Campaign.state != CampaignState.STOPPED)
                )
            ]
            check_plan(starts_on, ends_on, now=now, others=others)
            name = str(columns["name"])
            if await session.scalar(select(Campaign.id).where(Campaign.name == name)):
                raise ConflictError(f"champ « name » : la campagne « {name} » existe déjà")
            row = Campaign(
                **columns,
                selection=selection_to_json(Selection(lists=(list_name,))),
                state=CampaignState.DRAFT,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            plan = CampaignPlan(
                campaign_id=row.id,
                list_name=list_name,
                starts_on=starts_on,
                ends_on=ends_on,
                planned_by=by,
                planned_at=now,
            )
            session.add(plan)
        return plan, row

    async def list_all(self) -> list[CampaignPlan]:
        """Every plan, the soonest first."""
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(CampaignPlan).order_by(CampaignPlan.starts_on, CampaignPlan.id)
                )
            )

    async def to_run(self) -> list[CampaignPlan]:
        """The plans not closed yet."""
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(CampaignPlan)
                    .where(CampaignPlan.closed_at.is_(None))
                    .order_by(CampaignPlan.id)
                )
            )

    async def mark(
        self, plan_id: int, *, opened_at: datetime | None = None, closed_at: datetime | None = None
    ) -> bool:
        """Record the opening (or the closing), once: False when another controller did."""
        column = CampaignPlan.opened_at if opened_at is not None else CampaignPlan.closed_at
        async with transaction(self._sessions) as session:
            done = await session.execute(
                update(CampaignPlan)
                .where(CampaignPlan.id == plan_id)
                .where(column.is_(None))
                .values({column.key: opened_at or closed_at})
            )
        return bool(getattr(done, "rowcount", 0))
