"""The cycle schedule: who is in a cycle and when each person is due next.

Starting a campaign snapshots the register into the cycle (one :class:`CycleMember` per
person). The dial queue takes due members in one transaction that also writes the attempt
into the ledger, so a restart finds every person exactly where they were: waiting, in a
call, waiting for the agent's disposition, or done with their result.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    UniqueConstraint,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.attempts import AttemptKind, AttemptState, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.outcomes import CallOutcome
from dialer.core.selection import stored_selection
from dialer.errors import ConflictError
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import held_at
from dialer.storage.models import (
    Attempt,
    Base,
    Campaign,
    Cycle,
    CycleResultRow,
    Person,
    PhoneNumber,
    UtcDateTime,
    stored_enum,
)
from dialer.storage.selection import selected_where, through_consent


class MemberStatus(StrEnum):
    WAITING = "waiting"  # due at next_due_at
    IN_CALL = "in_call"  # an attempt is in flight
    WRAP_UP = "wrap_up"  # answered: waiting for the agent's disposition
    DONE = "done"  # the person's cycle is over (result recorded)


class CycleMember(Base):
    """One person in one cycle."""

    __tablename__ = "cycle_members"
    __table_args__ = (
        UniqueConstraint("cycle_id", "person_id"),
        Index("ix_cycle_members_due", "cycle_id", "status", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    status: Mapped[MemberStatus] = mapped_column(stored_enum(MemberStatus))
    next_due_at: Mapped[datetime | None]
    next_number: Mapped[str | None] = mapped_column(String(20))
    next_kind: Mapped[AttemptKind] = mapped_column(stored_enum(AttemptKind))
    attempt_id: Mapped[str | None] = mapped_column(String(36))  # the attempt in flight
    #: the agent the next call belongs to (their callback), offered to them first
    next_agent: Mapped[str | None] = mapped_column(String(100))
    #: enrolled in an emergency campaign only through the veille-sociale list, that is on
    #: its consent to emergency campaigns: a withdrawal stops their calls in this cycle
    #: (:func:`dialer.storage.consent_rows.unconsented_in_cycle`; migration 0030)
    by_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"CycleMember(cycle_id={self.cycle_id}, person_id={self.person_id})"


class CycleSchedule:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def take_due(
        self, cycle_id: int, count: int, *, now: datetime, planned_ids: Sequence[str]
    ) -> list[Attempt]:
        """Up to ``count`` due members, each with its attempt written in the ledger as
        planned (ids from ``planned_ids``), in one transaction."""
        async with transaction(self._sessions) as session:
            members = list(
                await session.scalars(
                    select(CycleMember)
                    .where(CycleMember.cycle_id == cycle_id)
                    .where(CycleMember.status == MemberStatus.WAITING)
                    .where(CycleMember.next_due_at <= now)
                    # a reserved call is claimed by an agent first (reserved_calls.py)
                    .where(CycleMember.next_kind == AttemptKind.AUTOMATIC)
                    # nobody a hold keeps out of calls (opposed, deceased, …)
                    .where(~held_at(CycleMember.person_id, now))
                    # a veille-sociale household only with a valid consent
                    .where(~unconsented_in_cycle(cycle_id, CycleMember.person_id, now))
                    .order_by(CycleMember.next_due_at, CycleMember.id)
                    .limit(min(count, len(planned_ids)))
                    .with_for_update(skip_locked=True)
                )
            )
            attempts = []
            for member, attempt_id in zip(members, planned_ids, strict=False):
                attempt = Attempt(
                    id=attempt_id,
                    cycle_id=cycle_id,
                    person_id=member.person_id,
                    number=member.next_number or "",
                    kind=member.next_kind,
                    state=AttemptState.PLANNED,
                    planned_for=member.next_due_at or now,
                )
                session.add(attempt)
                member.status = MemberStatus.IN_CALL
                member.attempt_id = attempt_id
                attempts.append(attempt)
        return attempts

    async def give_back(
        self, cycle_id: int, *, now: datetime, attempt_ids: Sequence[str] | None = None
    ) -> list[str]:
        """Withdraw planned attempts that were never dialled (``attempt_ids``, or every
        planned attempt of the cycle) and put their people back in the queue, due as
        before. A controller that dies, or a tick that stops, between :meth:`take_due` and
        the dial leaves such attempts; each is closed ``failed`` with no ``placed_at`` (no
        dial: it counts in no figure and no attempt cap). One transaction; only an attempt
        still planned moves, so each person comes back exactly once, and an attempt being
        dialled meanwhile is left alone. Returns the withdrawn attempts' ids."""
        withdraw = (
            update(Attempt)
            .where(Attempt.cycle_id == cycle_id)
            .where(Attempt.state == AttemptState.PLANNED)
            .values(state=AttemptState.FAILED, ended_at=now)
            .returning(Attempt.id)
            .execution_options(synchronize_session=False)
        )
        if attempt_ids is not None:
            withdraw = withdraw.where(Attempt.id.in_(list(attempt_ids)))
        async with transaction(self._sessions) as session:
            withdrawn = list(await session.scalars(withdraw))
            if withdrawn:
                await session.execute(
                    update(CycleMember)
                    .where(CycleMember.attempt_id.in_(withdrawn))
                    .where(CycleMember.status == MemberStatus.IN_CALL)
                    .values(status=MemberStatus.WAITING, attempt_id=None)
                    .execution_options(synchronize_session=False)
                )
        return withdrawn

    async def unsettled(self, cycle_id: int) -> list[tuple[str, CallOutcome]]:
        """Attempts the ledger closed whose person is still in call: a controller died
        between the close's commit and the settling's (two transactions). Their ids and
        outcomes, oldest first, for the queue to settle."""
        statement = (
            select(Attempt.id, Attempt.outcome)
            .join(CycleMember, CycleMember.attempt_id == Attempt.id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.status == MemberStatus.IN_CALL)
            .where(Attempt.state.in_([AttemptState.ENDED, AttemptState.FAILED]))
            .order_by(Attempt.ended_at, Attempt.id)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.execute(statement)).all()
        return [(attempt_id, outcome or CallOutcome.FAILED) for attempt_id, outcome in rows]

    async def undisposed(self, cycle_id: int) -> list[tuple[str, CycleResult | None, bool]]:
        """People left in wrap-up whose wrap-up nobody will end: the ledger recorded it
        (a controller died before the queue's commit), or no agent is known to do it (the
        join's write was lost). Each attempt's id, the result recorded, and whether the
        ledger still has to record the wrap-up's end."""
        statement = (
            select(Attempt.id, Attempt.disposition, Attempt.wrap_up_done_at)
            .join(CycleMember, CycleMember.attempt_id == Attempt.id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.status == MemberStatus.WRAP_UP)
            .where(Attempt.state == AttemptState.ENDED)
            .where(or_(Attempt.wrap_up_done_at.is_not(None), Attempt.agent.is_(None)))
            .order_by(Attempt.ended_at, Attempt.id)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.execute(statement)).all()
        return [(attempt_id, result, done is None) for attempt_id, result, done in rows]

    async def member_of_attempt(self, attempt_id: str) -> CycleMember | None:
        async with transaction(self._sessions) as session:
            return await session.scalar(
                select(CycleMember).where(CycleMember.attempt_id == attempt_id)
            )

    async def set_status(
        self,
        member_id: int,
        status: MemberStatus,
        *,
        next_due_at: datetime | None = None,
        next_number: str | None = None,
        next_kind: AttemptKind = AttemptKind.AUTOMATIC,
        next_agent: str | None = None,
        keep_attempt: bool = False,
    ) -> None:
        values: dict[str, object] = {
            "status": status,
            "next_due_at": next_due_at,
            "next_number": next_number,
            "next_kind": next_kind,
            "next_agent": next_agent,
        }
        if not keep_attempt:
            values["attempt_id"] = None
        async with transaction(self._sessions) as session:
            await session.execute(
                update(CycleMember).where(CycleMember.id == member_id).values(values)
            )

    async def counts(self, cycle_id: int) -> dict[MemberStatus, int]:
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(CycleMember.status, func.count())
                .where(CycleMember.cycle_id == cycle_id)
                .group_by(CycleMember.status)
            )
            found = {MemberStatus(status): int(n) for status, n in rows.all()}
        return {status: found.get(status, 0) for status in MemberStatus}

    async def due_count(self, cycle_id: int, now: datetime) -> int:
        async with transaction(self._sessions) as session:
            value = await session.scalar(
                select(func.count())
                .select_from(CycleMember)
                .where(CycleMember.cycle_id == cycle_id)
                .where(CycleMember.status == MemberStatus.WAITING)
                .where(CycleMember.next_due_at <= now)
                .where(~held_at(CycleMember.person_id, now))
                .where(~unconsented_in_cycle(cycle_id, CycleMember.person_id, now))
            )
        return int(value or 0)


async def _register_into(
    session: AsyncSession,
    cycle_id: int,
    due: datetime,
    *,
    left: tuple[int, Collection[CycleResult]] | None = None,
    districts: Collection[str] = (),
) -> Insert:
    """``INSERT … SELECT`` into ``cycle_id`` of its campaign's selection
    (:mod:`dialer.core.selection`; none: the whole register) at the cycle's start: every
    person selected, on the register, at their preferred number, due at ``due``. ``left``:
    (campaign, results): without the people who ended an earlier cycle of the campaign
    with one of them. ``districts``: only the people of these districts too (none: no
    narrowing). Nobody a hold keeps out of calls at ``due`` (:mod:`dialer.core.holds`) is
    enrolled, nor, in a veille-sociale cycle, anyone without a valid consent
    (:mod:`dialer.core.consent`)."""
    found = (
        await session.execute(
            select(Cycle.started_at, Campaign.selection, Campaign.kind)
            .join(Campaign, Campaign.id == Cycle.campaign_id)
            .where(Cycle.id == cycle_id)
        )
    ).one()
    started_at, stored, kind = found
    selection = stored_selection(stored)
    first = (
        select(PhoneNumber.person_id, func.min(PhoneNumber.position).label("position"))
        .group_by(PhoneNumber.person_id)
        .subquery()
    )
    rows = (
        select(
            literal(cycle_id),
            Person.id,
            literal(MemberStatus.WAITING.value),
            literal(due, UtcDateTime()),
            PhoneNumber.e164,
            literal(AttemptKind.AUTOMATIC.value),
        )
        .join(first, first.c.person_id == Person.id)
        .join(
            PhoneNumber,
            (PhoneNumber.person_id == Person.id) & (PhoneNumber.position == first.c.position),
        )
        .where(~unconsented_in_cycle(cycle_id, Person.id, due))  # veille sociale: consent
    )
    emergency = kind is not CampaignKind.VEILLE_SOCIALE
    rows = await selected_where(
        session, rows, selection, day=started_at.date(), now=due, emergency=emergency
    )
    rows = rows.add_columns(await through_consent(session, selection, emergency=emergency))
    if districts:
        rows = rows.where(Person.district.in_(list(districts)))
    if left is not None:
        campaign_id, results = left
        rows = rows.where(
            ~select(CycleResultRow.id)
            .join(Cycle, Cycle.id == CycleResultRow.cycle_id)
            .where(Cycle.campaign_id == campaign_id)
            .where(CycleResultRow.person_id == Person.id)
            .where(CycleResultRow.result.in_(list(results)))
            .exists()
        )
    columns = ["cycle_id", "person_id", "status", "next_due_at", "next_number", "next_kind"]
    columns.append("by_consent")
    return insert(CycleMember).from_select(columns, rows)


async def _members(session: AsyncSession, cycle_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(CycleMember).where(CycleMember.cycle_id == cycle_id)
    )
    return int(count or 0)


async def enrol_register(
    sessions: SessionFactory, cycle_id: int, *, due: datetime, districts: Collection[str] = ()
) -> int:
    """Snapshot the campaign's selection (none: the active register) into ``cycle_id``:
    every person selected (of ``districts`` only, when given), at their preferred number,
    due at ``due``. One ``INSERT … SELECT``: 10,500 people in well under a second."""
    async with transaction(sessions) as session:
        await session.execute(await _register_into(session, cycle_id, due, districts=districts))
        return await _members(session, cycle_id)


async def open_cycle_with_register(
    sessions: SessionFactory,
    campaign_id: int,
    *,
    number: int,
    started_at: datetime,
    deadline: datetime,
    due: datetime,
    left_with: Collection[CycleResult] = (),
    districts: Collection[str] = (),
) -> tuple[Cycle, int]:
    """Open cycle ``number`` of the campaign with its selection as the register stands
    (people added since the last cycle in, removed ones out), everyone due at ``due``: one
    transaction, so a cycle never exists without its people. :class:`ConflictError` when
    cycle ``number`` exists already (unique (campaign, number): another controller opened
    this slot) or another cycle is still open. People whose result in an earlier cycle of
    the campaign is one of ``left_with`` (they left the list) are not enrolled, nor, when
    ``districts`` are given, people of other districts. Returns the cycle and how many
    people it has."""
    async with transaction(sessions) as session:
        still_open = await session.scalar(
            select(Cycle.number)
            .where(Cycle.campaign_id == campaign_id)
            .where(Cycle.closed_at.is_(None))
        )
        if still_open is not None:
            raise ConflictError(f"campaign {campaign_id}: cycle {still_open} is still open")
        cycle = Cycle(
            campaign_id=campaign_id, number=number, started_at=started_at, deadline=deadline
        )
        session.add(cycle)
        await session.flush()  # the unique (campaign, number) refuses a second opening here
        enrol = await _register_into(
            session, cycle.id, due, left=(campaign_id, left_with), districts=districts
        )
        await session.execute(enrol)
        return cycle, await _members(session, cycle.id)


async def register_districts(sessions: SessionFactory) -> set[str]:
    """The districts of the people on the register (not removed)."""
    async with transaction(sessions) as session:
        found = await session.scalars(
            select(Person.district)
            .where(Person.removed_at.is_(None))
            .where(Person.district.is_not(None))
            .distinct()
        )
        return {str(district) for district in found}
