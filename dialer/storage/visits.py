"""The field visit requests (issue #22): who needs one (people of a closed, published cycle
the phone did not reach, and at once those whose relative had no news), writing each with
its alert and outbox in one transaction, the team's visit outcome, and the chain for the
reports."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update

from dialer.core.attempts import AttemptKind
from dialer.core.cycles import NeverReachedReason
from dialer.core.holds import OnBehalfOf
from dialer.core.never_reached import FIELD_VISIT_RESULTS
from dialer.core.planning import RetryPolicy
from dialer.core.relatives import VISIT_RESULTS, VisitOutcome, VisitReason
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.alert_rows import (
    Alert,
    AlertDelivery,
    AlertState,
    DeliveryReason,
    DeliveryState,
)
from dialer.storage.alerts import NewDelivery
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.holds import hold_from_result
from dialer.storage.models import Attempt, Cycle, CycleResultRow, Person
from dialer.storage.never_reached_rows import NeverReachedEntry, NeverReachedList
from dialer.storage.visit_rows import VisitRequest

#: a closed cycle's unreached people get visit requests this long after its close at most
#: (a cycle closed long ago, e.g. before this feature, sends nobody)
VISIT_WINDOW = timedelta(days=3)
#: the risk levels of an earlier call sheet that put a person first in the visits
HIGH_RISK_LEVELS = ("élevé", "critique")
#: the questionnaires' question whose « oui » says the person lives alone
LIVING_ALONE_QUESTION = "vit_seul"
#: an alert's key for a visit request
VISIT_KEY_PREFIX = "visite-"


@dataclass(frozen=True)
class VisitCandidate:
    """A person who needs a visit in a cycle, with what orders the visits."""

    cycle_id: int
    person: Person
    reason: VisitReason
    living_alone: bool
    earlier_high_risk: bool


@dataclass(frozen=True)
class NewVisit:
    """One visit request for one team (None: no team covers the person)."""

    team_id: int | None
    priority: int
    message: str
    routed_to_default: bool
    next_escalation_at: datetime | None
    deliveries: tuple[NewDelivery, ...]


@dataclass(frozen=True)
class VisitLine:
    """A visit request as the episode report shows it."""

    request: VisitRequest
    person: Person
    cycle_number: int
    relative_called: bool


class VisitRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def candidates(self, now: datetime, *, limit: int = 100) -> list[VisitCandidate]:
        """People who need a visit request and have none yet: their relative had no news,
        or their cycle closed (within :data:`VISIT_WINDOW`) with its never-reached list
        published and them on it (a veille-sociale cycle's list is empty, and a person
        whose consent basis is gone is on no list)."""
        published = exists().where(
            and_(
                NeverReachedList.cycle_id == CycleResultRow.cycle_id,
                NeverReachedEntry.list_id == NeverReachedList.id,
                NeverReachedEntry.person_id == CycleResultRow.person_id,
            )
        )
        requested = exists().where(
            and_(
                VisitRequest.cycle_id == CycleResultRow.cycle_id,
                VisitRequest.person_id == CycleResultRow.person_id,
            )
        )
        no_news = CycleResultRow.never_reached_reason == NeverReachedReason.RELATIVE_NO_NEWS
        async with transaction(self._sessions) as session:
            rows = (
                await session.execute(
                    select(CycleResultRow, Person)
                    .join(Person, Person.id == CycleResultRow.person_id)
                    .join(Cycle, Cycle.id == CycleResultRow.cycle_id)
                    .where(CycleResultRow.result.in_(sorted(FIELD_VISIT_RESULTS)))
                    .where(~requested)
                    .where(or_(no_news, published & (Cycle.closed_at >= now - VISIT_WINDOW)))
                    .order_by(CycleResultRow.decided_at, CycleResultRow.id)
                    .limit(limit)
                )
            ).all()
            people = [person.id for _, person in rows]
            alone_yes = {
                int(person_id)
                for person_id, value in (
                    await session.execute(
                        select(CallSheet.person_id, Answer.value)
                        .join(Answer, Answer.sheet_id == CallSheet.id)
                        .where(CallSheet.person_id.in_(people))
                        .where(Answer.question_id == LIVING_ALONE_QUESTION)
                    )
                ).all()
                if value is True
            }
            risky = set(
                await session.scalars(
                    select(CallSheet.person_id)
                    .where(CallSheet.person_id.in_(people))
                    .where(CallSheet.risk_level.in_(HIGH_RISK_LEVELS))
                )
            )
        return [
            VisitCandidate(
                cycle_id=result.cycle_id,
                person=person,
                reason=(
                    VisitReason.RELATIVE_NO_NEWS
                    if result.never_reached_reason is NeverReachedReason.RELATIVE_NO_NEWS
                    else VisitReason.CYCLE_END_UNREACHED
                ),
                living_alone=person.id in alone_yes,
                earlier_high_risk=person.id in risky,
            )
            for result, person in rows
        ]

    async def request(
        self, candidate: VisitCandidate, visits: Sequence[NewVisit], *, now: datetime
    ) -> list[VisitRequest]:
        """Write the visit requests of ``candidate`` (one per team), each with its alert
        and outbox rows, in one transaction; none when another controller wrote them."""
        person = candidate.person
        try:
            async with transaction(self._sessions) as session:
                if await session.scalar(
                    select(VisitRequest.id)
                    .where(VisitRequest.cycle_id == candidate.cycle_id)
                    .where(VisitRequest.person_id == person.id)
                    .limit(1)
                ):
                    return []  # requested meanwhile
                written = []
                for visit in visits:
                    alert = Alert(
                        sheet_id=None,
                        key=f"{VISIT_KEY_PREFIX}{candidate.cycle_id}-{person.id}",
                        team_id=visit.team_id,
                        person_id=person.id,
                        need="social",
                        priority=visit.priority,
                        message=visit.message,
                        because=[],
                        risk_level=None,
                        agent_instructions=None,
                        routed_to_default=visit.routed_to_default,
                        raised_by="service",
                        raised_at=now,
                        state=AlertState.OPEN,
                        escalation_level=0,
                        next_escalation_at=visit.next_escalation_at,
                        acknowledgement_note="",
                    )
                    session.add(alert)
                    await session.flush()
                    request = VisitRequest(
                        alert_id=alert.id,
                        person_id=person.id,
                        cycle_id=candidate.cycle_id,
                        team_id=visit.team_id,
                        reason=candidate.reason,
                        requested_at=now,
                        outcome_note="",
                    )
                    session.add(request)
                    session.add_all(
                        AlertDelivery(
                            alert_id=alert.id,
                            channel=delivery.channel,
                            target=delivery.target,
                            reason=DeliveryReason.RAISED,
                            escalation_level=0,
                            state=DeliveryState.PENDING,
                            tries=0,
                            next_try_at=now,
                            last_error="",
                            created_at=now,
                        )
                        for delivery in visit.deliveries
                    )
                    await session.flush()
                    written.append(request)
        except ConflictError:  # another controller requested it meanwhile
            return []
        return written

    async def for_alerts(self, alert_ids: Collection[int]) -> dict[int, VisitRequest]:
        """The visit requests of these alerts, by alert id (other alerts are not visits)."""
        async with transaction(self._sessions) as session:
            found = await session.scalars(
                select(VisitRequest).where(VisitRequest.alert_id.in_(list(alert_ids)))
            )
            return {request.alert_id: request for request in found}

    async def record_outcome(
        self,
        alert_id: int,
        outcome: VisitOutcome,
        *,
        team_id: int | None,
        by: str,
        note: str,
        now: datetime,
    ) -> VisitRequest:
        """The team's visit outcome: the request's alert is acknowledged with it, and a
        person taken to hospital or deceased gets that result in the cycle.
        :class:`NotFoundError` for another team's (or no) visit request,
        :class:`ConflictError` when its outcome is recorded already."""
        async with transaction(self._sessions) as session:
            request = await session.scalar(
                select(VisitRequest).where(VisitRequest.alert_id == alert_id).with_for_update()
            )
            if request is None or request.team_id != team_id:
                raise NotFoundError(f"demande de visite {alert_id} inconnue")
            if request.outcome is not None:
                raise ConflictError(f"issue de la visite déjà enregistrée par {request.outcome_by}")
            request.outcome = outcome
            request.outcome_by = by
            request.outcome_at = now
            request.outcome_note = note
            await session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .where(Alert.state == AlertState.OPEN)
                .values(
                    state=AlertState.ACKNOWLEDGED,
                    acknowledged_by=by,
                    acknowledged_at=now,
                    acknowledgement_note=note,
                    next_escalation_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            if outcome in VISIT_RESULTS:
                await session.execute(
                    update(CycleResultRow)
                    .where(CycleResultRow.cycle_id == request.cycle_id)
                    .where(CycleResultRow.person_id == request.person_id)
                    .values(result=VISIT_RESULTS[outcome], decided_at=now)
                    .execution_options(synchronize_session=False)
                )
                # the register kept true: deceased out of every list, hospitalised for the
                # default hold (core.holds)
                await hold_from_result(
                    session,
                    person_id=request.person_id,
                    result=VISIT_RESULTS[outcome],
                    now=now,
                    hospitalised_hold=RetryPolicy().hospitalised_hold,
                    recorded_by=by,
                    cycle_id=request.cycle_id,
                    attempt_id=None,
                    on_behalf_of=OnBehalfOf.PERSON,
                )
        return request

    async def for_campaigns(self, campaign_ids: Collection[int]) -> list[VisitLine]:
        """The visit requests of the campaigns' cycles, oldest first, with their person,
        cycle number and whether the person's relative was called in that cycle."""
        async with transaction(self._sessions) as session:
            rows = (
                await session.execute(
                    select(VisitRequest, Person, Cycle.number)
                    .join(Person, Person.id == VisitRequest.person_id)
                    .join(Cycle, Cycle.id == VisitRequest.cycle_id)
                    .where(Cycle.campaign_id.in_(list(campaign_ids)))
                    .order_by(VisitRequest.requested_at, VisitRequest.id)
                )
            ).all()
            called: set[tuple[int, int]] = {
                (int(c), int(p))
                for c, p in (
                    await session.execute(
                        select(Attempt.cycle_id, Attempt.person_id)
                        .where(Attempt.kind == AttemptKind.RELATIVE)
                        .where(Attempt.placed_at.is_not(None))
                        .where(Attempt.person_id.in_([row[0].person_id for row in rows]))
                    )
                ).all()
            }
        return [
            VisitLine(request, person, number, (request.cycle_id, person.id) in called)
            for request, person, number in rows
        ]
