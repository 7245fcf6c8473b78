"""The rows a report is computed from (plain, immutable copies of one campaign's slice of
the database: all its cycles, or one) and :class:`ReportRowsRepository`, which loads them in
one read transaction. Nothing is computed here: :mod:`dialer.reports.figures` reads them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Subquery, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.outcomes import CallOutcome
from dialer.errors import NotFoundError
from dialer.storage.alert_rows import Alert
from dialer.storage.billing_periods import BillingPeriod, PeriodTotals, totals_of
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Campaign, Cycle, CycleResultRow, Person, PhoneNumber
from dialer.storage.schedule import CycleMember
from dialer.storage.seat_sessions import SeatSession
from dialer.storage.team_rows import Team
from dialer.storage.turns import AnyRow, read_in_turns


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    kind: str
    questionnaire_id: str
    questionnaire_version: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class CycleRow:
    id: int
    number: int
    started_at: datetime
    deadline: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class PersonRow:
    id: int
    external_id: str
    last_name: str
    first_name: str
    address: str | None
    postcode: str | None
    city: str | None
    district: str | None
    phones: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def full_address(self) -> str:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.address, place) if part)


@dataclass(frozen=True)
class AttemptRow:
    id: str
    cycle_id: int
    person_id: int
    number: str
    state: str
    outcome: CallOutcome | None
    planned_for: datetime
    placed_at: datetime | None
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime | None
    wrap_up_done_at: datetime | None
    agent: str | None
    disposition: str | None
    #: who placed it (:class:`dialer.core.attempts.AttemptKind`'s value)
    kind: str = "automatic"


@dataclass(frozen=True)
class SheetRow:
    id: int
    attempt_id: str
    cycle_id: int
    person_id: int
    agent: str
    disposition: str | None
    complete: bool
    submitted_at: datetime | None


@dataclass(frozen=True)
class ResultRow:
    cycle_id: int
    person_id: int
    result: CycleResult
    decided_at: datetime
    note: str
    #: a never-reached person's reason, when recorded (migration 0013)
    reason: NeverReachedReason | None = None


@dataclass(frozen=True)
class AlertRow:
    id: int
    cycle_id: int
    person_id: int
    team: str | None
    need: str
    priority: int
    message: str
    risk_level: str | None
    raised_by: str
    raised_at: datetime
    state: str
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class ReportRows:
    """One campaign's rows; ``cycles`` are those of the report (one, or all)."""

    campaign: CampaignRow
    cycles: tuple[CycleRow, ...]
    #: ``(cycle id, person id)`` of everyone on the cycles' register (the schedule's
    #: snapshot, plus anyone with an attempt or a result)
    members: frozenset[tuple[int, int]]
    people: dict[int, PersonRow]
    attempts: tuple[AttemptRow, ...]
    sheets: tuple[SheetRow, ...]
    results: tuple[ResultRow, ...]
    alerts: tuple[AlertRow, ...]
    #: useful contacts of the campaign's earlier cycles (for the billing's volume bands)
    earlier_useful_contacts: int = 0
    #: the billing totals kept of the cycles whose ledger was purged (their attempts and
    #: call sheets are gone from the rows above)
    billing_periods: tuple[PeriodTotals, ...] = ()
    all_cycles: bool = field(default=True)
    #: ``(start, end)`` of the agents' seat sessions overlapping the cycles (an open one
    #: ends when it was last seen; :mod:`dialer.storage.seat_sessions`)
    seat_sessions: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def cycle_numbers(self) -> dict[int, int]:
        return {cycle.id: cycle.number for cycle in self.cycles}


@dataclass(frozen=True)
class CampaignSummary:
    """A line of the report list."""

    campaign: CampaignRow
    cycles: tuple[CycleRow, ...]


def _campaign_row(campaign: Campaign) -> CampaignRow:
    return CampaignRow(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind.value,
        questionnaire_id=campaign.questionnaire_id,
        questionnaire_version=campaign.questionnaire_version,
        state=campaign.state.value,
        created_at=campaign.created_at,
    )


def _cycle_row(cycle: Cycle) -> CycleRow:
    return CycleRow(cycle.id, cycle.number, cycle.started_at, cycle.deadline, cycle.closed_at)


class ReportRowsRepository:
    """Each method is one read transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def campaigns(self) -> list[CampaignSummary]:
        """Every campaign (newest first) with its cycles."""
        async with transaction(self._sessions) as session:
            campaigns = list(await session.scalars(select(Campaign).order_by(Campaign.id.desc())))
            cycles = list(await session.scalars(select(Cycle).order_by(Cycle.number)))
        by_campaign: dict[int, list[CycleRow]] = defaultdict(list)
        for cycle in cycles:
            by_campaign[cycle.campaign_id].append(_cycle_row(cycle))
        return [
            CampaignSummary(_campaign_row(c), tuple(by_campaign.get(c.id, []))) for c in campaigns
        ]

    async def load(self, campaign_id: int, cycle_number: int | None = None) -> ReportRows:
        """The rows of campaign ``campaign_id``, of its cycle number ``cycle_number`` or of
        all its cycles. :class:`NotFoundError` for an unknown campaign or cycle."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFoundError(f"campagne {campaign_id} inconnue")
            all_cycles = list(
                await session.scalars(
                    select(Cycle).where(Cycle.campaign_id == campaign_id).order_by(Cycle.number)
                )
            )
            if cycle_number is None:
                cycles = all_cycles
            else:
                cycles = [c for c in all_cycles if c.number == cycle_number]
                if not cycles:
                    raise NotFoundError(
                        f"la campagne {campaign_id} n'a pas de cycle {cycle_number}"
                    )
            ids = [c.id for c in cycles]
            earlier = [c.id for c in all_cycles if c.number < min(c.number for c in cycles)]
            return ReportRows(
                campaign=_campaign_row(campaign),
                cycles=tuple(_cycle_row(c) for c in cycles),
                members=await _members(session, ids),
                people=await _people(session, ids),
                attempts=await _attempts(session, ids),
                sheets=await _sheets(session, ids),
                results=await _results(session, ids),
                alerts=await _alerts(session, ids),
                earlier_useful_contacts=await _useful_contacts(session, earlier)
                + sum(p.useful_contacts for p in await _billing_periods(session, earlier)),
                billing_periods=await _billing_periods(session, ids),
                all_cycles=cycle_number is None,
                seat_sessions=await _seat_sessions(session, cycles),
            )


def member_ids(cycle_ids: list[int]) -> Subquery:
    """``(cycle_id, person_id)`` of the schedule, the attempts and the results."""
    return union(
        select(CycleMember.cycle_id, CycleMember.person_id).where(
            CycleMember.cycle_id.in_(cycle_ids)
        ),
        select(Attempt.cycle_id, Attempt.person_id).where(Attempt.cycle_id.in_(cycle_ids)),
        select(CycleResultRow.cycle_id, CycleResultRow.person_id).where(
            CycleResultRow.cycle_id.in_(cycle_ids)
        ),
    ).subquery()


async def _members(session: AsyncSession, cycle_ids: list[int]) -> frozenset[tuple[int, int]]:
    members = member_ids(cycle_ids)
    pairs = await read_in_turns(
        session,
        select(members.c.cycle_id, members.c.person_id),
        lambda row: (int(row[0]), int(row[1])),
    )
    return frozenset(pairs)


async def _people(session: AsyncSession, cycle_ids: list[int]) -> dict[int, PersonRow]:
    members = member_ids(cycle_ids)
    person_ids = select(members.c.person_id).distinct()
    alerted = (
        select(Alert.person_id)
        .join(CallSheet, CallSheet.id == Alert.sheet_id)
        .where(CallSheet.cycle_id.in_(cycle_ids))
    )
    wanted = Person.id.in_(person_ids) | Person.id.in_(alerted)
    phones: dict[int, list[str]] = defaultdict(list)
    numbers = (
        select(PhoneNumber.person_id, PhoneNumber.e164)
        .join(Person, Person.id == PhoneNumber.person_id)
        .where(wanted)
        .order_by(PhoneNumber.person_id, PhoneNumber.position)
    )
    await read_in_turns(session, numbers, lambda row: phones[row[0]].append(row[1]))
    people = select(
        Person.id,
        Person.external_id,
        Person.last_name,
        Person.first_name,
        Person.address,
        Person.postcode,
        Person.city,
        Person.district,
    ).where(wanted)
    rows = await read_in_turns(
        session, people, lambda row: PersonRow(*row, phones=tuple(phones.get(row[0], ())))
    )
    return {person.id: person for person in rows}


async def _attempts(session: AsyncSession, cycle_ids: list[int]) -> tuple[AttemptRow, ...]:
    statement = (
        select(
            Attempt.id,
            Attempt.cycle_id,
            Attempt.person_id,
            Attempt.number,
            Attempt.state,
            Attempt.outcome,
            Attempt.planned_for,
            Attempt.placed_at,
            Attempt.answered_at,
            Attempt.bridged_at,
            Attempt.ended_at,
            Attempt.wrap_up_done_at,
            Attempt.agent,
            Attempt.disposition,
            Attempt.kind,
        )
        .where(Attempt.cycle_id.in_(cycle_ids))
        .order_by(Attempt.planned_for)
    )

    def row_of(a: AnyRow) -> AttemptRow:
        return AttemptRow(
            id=a.id,
            cycle_id=a.cycle_id,
            person_id=a.person_id,
            number=a.number,
            state=a.state.value,
            outcome=a.outcome,
            planned_for=a.planned_for,
            placed_at=a.placed_at,
            answered_at=a.answered_at,
            bridged_at=a.bridged_at,
            ended_at=a.ended_at,
            wrap_up_done_at=a.wrap_up_done_at,
            agent=a.agent,
            disposition=a.disposition,
            kind=a.kind.value,
        )

    return tuple(await read_in_turns(session, statement, row_of))


async def _sheets(session: AsyncSession, cycle_ids: list[int]) -> tuple[SheetRow, ...]:
    statement = (
        select(
            CallSheet.id,
            CallSheet.attempt_id,
            CallSheet.cycle_id,
            CallSheet.person_id,
            CallSheet.agent,
            CallSheet.disposition,
            CallSheet.complete,
            CallSheet.submitted_at,
        )
        .where(CallSheet.cycle_id.in_(cycle_ids))
        .order_by(CallSheet.id)
    )

    def row_of(s: AnyRow) -> SheetRow:
        return SheetRow(
            id=s.id,
            attempt_id=s.attempt_id,
            cycle_id=s.cycle_id,
            person_id=s.person_id,
            agent=s.agent,
            disposition=s.disposition.value if s.disposition else None,
            complete=s.complete,
            submitted_at=s.submitted_at,
        )

    return tuple(await read_in_turns(session, statement, row_of))


async def _results(session: AsyncSession, cycle_ids: list[int]) -> tuple[ResultRow, ...]:
    statement = (
        select(
            CycleResultRow.cycle_id,
            CycleResultRow.person_id,
            CycleResultRow.result,
            CycleResultRow.decided_at,
            CycleResultRow.note,
            CycleResultRow.never_reached_reason,
        )
        .where(CycleResultRow.cycle_id.in_(cycle_ids))
        .order_by(CycleResultRow.id)
    )
    return tuple(await read_in_turns(session, statement, lambda r: ResultRow(*r)))


async def _alerts(session: AsyncSession, cycle_ids: list[int]) -> tuple[AlertRow, ...]:
    statement = (
        select(
            Alert.id,
            CallSheet.cycle_id,
            Alert.person_id,
            Team.name,
            Alert.need,
            Alert.priority,
            Alert.message,
            Alert.risk_level,
            Alert.raised_by,
            Alert.raised_at,
            Alert.state,
            Alert.escalation_level,
            Alert.acknowledged_at,
            Alert.acknowledged_by,
        )
        .join(CallSheet, CallSheet.id == Alert.sheet_id)
        .outerjoin(Team, Team.id == Alert.team_id)
        .where(CallSheet.cycle_id.in_(cycle_ids))
        .order_by(Alert.raised_at, Alert.id)
    )

    def row_of(a: AnyRow) -> AlertRow:
        values = list(a)
        values[10] = a.state.value
        return AlertRow(*values)

    return tuple(await read_in_turns(session, statement, row_of))


async def _useful_contacts(session: AsyncSession, cycle_ids: list[int]) -> int:
    """Useful contacts (one per person and cycle) of ``cycle_ids``."""
    if not cycle_ids:
        return 0
    pairs = (
        select(CallSheet.cycle_id, CallSheet.person_id)
        .where(CallSheet.cycle_id.in_(cycle_ids))
        .where(CallSheet.complete.is_(True))
        .where(CallSheet.submitted_at.is_not(None))
        .distinct()
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(pairs)) or 0)


async def _billing_periods(session: AsyncSession, cycle_ids: list[int]) -> tuple[PeriodTotals, ...]:
    """The billing totals kept of ``cycle_ids`` whose ledger was purged."""
    if not cycle_ids:
        return ()
    periods = await session.scalars(
        select(BillingPeriod)
        .where(BillingPeriod.cycle_id.in_(cycle_ids))
        .order_by(BillingPeriod.cycle_id)
    )
    return tuple(totals_of(period) for period in periods)


async def _seat_sessions(
    session: AsyncSession, cycles: list[Cycle]
) -> tuple[tuple[datetime, datetime], ...]:
    """The seat sessions overlapping the cycles' span (first start to last close; no end
    while a cycle is open)."""
    if not cycles:
        return ()
    statement = select(SeatSession.started_at, SeatSession.last_seen_at, SeatSession.ended_at)
    start = min(c.started_at for c in cycles)
    statement = statement.where(SeatSession.ended_at.is_(None) | (SeatSession.ended_at > start))
    if all(c.closed_at is not None for c in cycles):
        end = max(c.closed_at for c in cycles if c.closed_at is not None)
        statement = statement.where(SeatSession.started_at < end)
    rows = await session.execute(statement.order_by(SeatSession.started_at))
    return tuple((s, e if e is not None else seen) for s, seen, e in rows.all())
