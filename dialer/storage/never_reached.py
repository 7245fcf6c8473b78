"""The never-reached lists of closed cycles: what to put on one (read from the cycle's
results and attempts), publishing it (list, entries and outbox messages in one
transaction, once per cycle), and reading them back for the teams' pages and the outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.never_reached import FIELD_VISIT_RESULTS, sent_to_field_teams
from dialer.core.outcomes import CallOutcome
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.alert_rows import AlertDelivery, DeliveryReason, DeliveryState
from dialer.storage.alerts import NewDelivery
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Campaign, Cycle, CycleResultRow, Person
from dialer.storage.never_reached_rows import NeverReachedEntry, NeverReachedList
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.storage.team_rows import Team

#: how long a closed cycle's list waits for the calls in progress at the close
SETTLE_LIMIT = timedelta(minutes=30)


@dataclass(frozen=True)
class TraceStep:
    """One attempt of the cycle: when it was placed, the number, its outcome (None: none
    recorded)."""

    at: datetime
    number: str
    outcome: CallOutcome | None

    def document(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "number": self.number,
            "outcome": self.outcome.value if self.outcome else None,
        }


@dataclass(frozen=True)
class Candidate:
    """A person of a closed cycle the phone did not reach."""

    person_id: int
    district: str | None
    result: CycleResult
    #: the reason recorded with the result, and its note (see ``listed_reason``)
    reason: NeverReachedReason | None
    note: str
    trace: tuple[TraceStep, ...]


@dataclass(frozen=True)
class NewEntry:
    person_id: int
    team_id: int | None
    result: CycleResult
    reason: NeverReachedReason | None
    trace: tuple[TraceStep, ...]


@dataclass(frozen=True)
class CycleOfList:
    """The cycle a list belongs to, and its campaign's name."""

    id: int
    number: int
    campaign_id: int
    campaign_name: str
    started_at: datetime
    deadline: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class ListLine:
    entry: NeverReachedEntry
    person: Person


@dataclass(frozen=True)
class TeamList:
    """A list as one team sees it: its cycle and the team's people on it, by name."""

    list: NeverReachedList
    cycle: CycleOfList
    lines: tuple[ListLine, ...]


@dataclass(frozen=True)
class ListDeliveryJob:
    """An outbox row of a never-reached list, due now, with what its message needs."""

    delivery: AlertDelivery
    team_list: TeamList
    team: Team | None


def trace_steps(entry: NeverReachedEntry) -> tuple[TraceStep, ...]:
    """The stored trace of an entry, read back."""
    return tuple(
        TraceStep(
            at=datetime.fromisoformat(step["at"]),
            number=str(step["number"]),
            outcome=CallOutcome(step["outcome"]) if step.get("outcome") else None,
        )
        for step in entry.trace
    )


class NeverReachedRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def unpublished_cycles(
        self, now: datetime, *, settle_limit: timedelta = SETTLE_LIMIT, limit: int = 20
    ) -> list[int]:
        """Closed cycles whose list is not published yet and is complete, oldest close
        first. Calls in progress at the close (a person in a call, or waiting for the
        agent's disposition) decide their person's result when they end: the list waits
        for them, ``settle_limit`` at most after the close."""
        published = select(NeverReachedList.cycle_id)
        unsettled = select(CycleMember.cycle_id).where(
            CycleMember.status.in_((MemberStatus.IN_CALL, MemberStatus.WRAP_UP))
        )
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(Cycle.id)
                    .where(Cycle.closed_at.is_not(None))
                    .where(Cycle.id.not_in(published))
                    .where(Cycle.id.not_in(unsettled) | (Cycle.closed_at <= now - settle_limit))
                    .order_by(Cycle.closed_at, Cycle.id)
                    .limit(limit)
                )
            )

    async def candidates(self, cycle_id: int, now: datetime) -> list[Candidate]:
        """The cycle's people the phone did not reach and the field teams are to visit
        (:func:`~dialer.core.never_reached.sent_to_field_teams`: nobody of a veille-sociale
        cycle, nobody whose consent basis is gone at ``now``), with every attempt placed."""
        async with transaction(self._sessions) as session:
            kind = await session.scalar(
                select(Campaign.kind)
                .join(Cycle, Cycle.campaign_id == Campaign.id)
                .where(Cycle.id == cycle_id)
            )
            if not sent_to_field_teams(kind, consent_gone=False):
                return []
            found = (
                await session.execute(
                    select(
                        CycleResultRow,
                        Person.district,
                        unconsented_in_cycle(cycle_id, CycleResultRow.person_id, now),
                    )
                    .join(Person, Person.id == CycleResultRow.person_id)
                    .where(CycleResultRow.cycle_id == cycle_id)
                    .where(CycleResultRow.result.in_(FIELD_VISIT_RESULTS))
                    .order_by(CycleResultRow.person_id)
                )
            ).all()
            rows = [
                (result, district)
                for result, district, gone in found
                if sent_to_field_teams(kind, consent_gone=bool(gone))
            ]
            attempts = await session.scalars(
                select(Attempt)
                .where(Attempt.cycle_id == cycle_id)
                .where(Attempt.placed_at.is_not(None))
                .where(Attempt.person_id.in_([row[0].person_id for row in rows]))
                .order_by(Attempt.placed_at, Attempt.id)
            )
            traces: dict[int, list[TraceStep]] = defaultdict(list)
            for attempt in attempts:
                placed = attempt.placed_at or attempt.planned_for
                traces[attempt.person_id].append(TraceStep(placed, attempt.number, attempt.outcome))
        return [
            Candidate(
                person_id=result.person_id,
                district=district,
                result=result.result,
                reason=result.never_reached_reason,
                note=result.note,
                trace=tuple(traces[result.person_id]),
            )
            for result, district in rows
        ]

    async def publish(
        self,
        cycle_id: int,
        entries: Sequence[NewEntry],
        deliveries: Sequence[tuple[int, NewDelivery]],
        *,
        now: datetime,
    ) -> NeverReachedList | None:
        """Write the cycle's list, its entries and one outbox row per ``(team id,
        delivery)``, in one transaction. None when the list was already published."""
        try:
            async with transaction(self._sessions) as session:
                if await session.scalar(
                    select(NeverReachedList.id).where(NeverReachedList.cycle_id == cycle_id)
                ):
                    return None
                published = NeverReachedList(
                    cycle_id=cycle_id,
                    published_at=now,
                    people=len({entry.person_id for entry in entries}),
                )
                session.add(published)
                await session.flush()
                session.add_all(
                    NeverReachedEntry(
                        list_id=published.id,
                        person_id=entry.person_id,
                        team_id=entry.team_id,
                        result=entry.result,
                        reason=entry.reason,
                        attempts=len(entry.trace),
                        trace=[step.document() for step in entry.trace],
                    )
                    for entry in entries
                )
                session.add_all(
                    AlertDelivery(
                        alert_id=None,
                        never_reached_list_id=published.id,
                        team_id=team_id,
                        channel=delivery.channel,
                        target=delivery.target,
                        reason=DeliveryReason.NEVER_REACHED,
                        escalation_level=0,
                        state=DeliveryState.PENDING,
                        tries=0,
                        next_try_at=now,
                        last_error="",
                        created_at=now,
                    )
                    for team_id, delivery in deliveries
                )
        except ConflictError:  # another controller published it meanwhile
            return None
        return published

    async def team_lists(self, team_id: int | None, *, limit: int = 10) -> list[TeamList]:
        """The latest lists with people for team ``team_id`` (None: people no team covers),
        newest first, each with the team's people by name."""
        where = (
            NeverReachedEntry.team_id.is_(None)
            if team_id is None
            else NeverReachedEntry.team_id == team_id
        )
        async with transaction(self._sessions) as session:
            list_ids = list(
                await session.scalars(
                    select(NeverReachedEntry.list_id)
                    .where(where)
                    .distinct()
                    .order_by(NeverReachedEntry.list_id.desc())
                    .limit(limit)
                )
            )
            return [await _team_list(session, list_id, where) for list_id in list_ids]

    async def team_list(self, list_id: int, team_id: int | None) -> TeamList:
        """One list as team ``team_id`` sees it. :class:`NotFoundError` when the team has
        nobody on it (another team's list is not shown)."""
        where = (
            NeverReachedEntry.team_id.is_(None)
            if team_id is None
            else NeverReachedEntry.team_id == team_id
        )
        async with transaction(self._sessions) as session:
            if await session.get(NeverReachedList, list_id) is not None:
                found = await _team_list(session, list_id, where)
                if found.lines:
                    return found
        raise NotFoundError(f"liste de personnes jamais jointes {list_id} inconnue")

    async def due(self, now: datetime, *, limit: int = 20) -> list[ListDeliveryJob]:
        """Pending list deliveries whose next try is due, oldest first."""
        async with transaction(self._sessions) as session:
            rows = (
                await session.execute(
                    select(AlertDelivery, Team)
                    .outerjoin(Team, Team.id == AlertDelivery.team_id)
                    .where(AlertDelivery.never_reached_list_id.is_not(None))
                    .where(AlertDelivery.state == DeliveryState.PENDING)
                    .where(AlertDelivery.next_try_at <= now)
                    .order_by(AlertDelivery.next_try_at, AlertDelivery.id)
                    .limit(limit)
                )
            ).all()
            jobs = []
            for delivery, team in rows:
                list_id = delivery.never_reached_list_id or 0
                where = (
                    NeverReachedEntry.team_id.is_(None)
                    if delivery.team_id is None
                    else NeverReachedEntry.team_id == delivery.team_id
                )
                team_list = await _team_list(session, list_id, where)
                jobs.append(ListDeliveryJob(delivery, team_list, team))
        return jobs


async def _team_list(session: Any, list_id: int, where: Any) -> TeamList:
    published = await session.get(NeverReachedList, list_id)
    cycle, campaign = (
        await session.execute(
            select(Cycle, Campaign)
            .join(Campaign, Campaign.id == Cycle.campaign_id)
            .where(Cycle.id == published.cycle_id)
        )
    ).one()
    rows = (
        await session.execute(
            select(NeverReachedEntry, Person)
            .join(Person, Person.id == NeverReachedEntry.person_id)
            .where(NeverReachedEntry.list_id == list_id)
            .where(where)
            .order_by(Person.last_name, Person.first_name, Person.id)
            .options(selectinload(Person.phones))
        )
    ).all()
    return TeamList(
        list=published,
        cycle=CycleOfList(
            id=cycle.id,
            number=cycle.number,
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            started_at=cycle.started_at,
            deadline=cycle.deadline,
            closed_at=cycle.closed_at,
        ),
        lines=tuple(ListLine(entry, person) for entry, person in rows),
    )
