"""The stored side of turning to a person's relative (issue #22): who may get their
relative's call, the person's objection, a better number a relative gave, and the
escalation funnel's counts (never reached → relative called → visit requested → done)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.never_reached import FIELD_VISIT_RESULTS
from dialer.core.phones import PhoneKind
from dialer.errors import NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Cycle, CycleResultRow, Person, PhoneNumber
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.storage.visit_rows import VisitRequest

#: the results of people the phone did not reach, whatever their relative said
UNREACHED_RESULTS = frozenset(
    {*FIELD_VISIT_RESULTS, CycleResult.REACHED_VIA_RELATIVE, CycleResult.AWAY}
)


async def waiting_near_deadline(
    sessions: SessionFactory, cycle_id: int, *, limit: int = 500
) -> list[tuple[int, int]]:
    """``(member id, person id)`` of the cycle's people waiting for an automatic call who
    have a relative's number and no objection."""
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(CycleMember.id, CycleMember.person_id)
            .join(Person, Person.id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.status == MemberStatus.WAITING)
            .where(CycleMember.next_kind == AttemptKind.AUTOMATIC)
            .where(Person.contact_phone.is_not(None))
            .where(Person.relative_objected.is_(False))
            .order_by(CycleMember.id)
            .limit(limit)
        )
        return [(int(member), int(person)) for member, person in rows.all()]


async def turn_to_relative(
    sessions: SessionFactory, member_id: int, *, due: datetime, number: str
) -> bool:
    """The member's next call goes to their relative, if they still wait for an automatic
    one (not claimed meanwhile)."""
    async with transaction(sessions) as session:
        moved = await session.scalar(
            update(CycleMember)
            .where(CycleMember.id == member_id)
            .where(CycleMember.status == MemberStatus.WAITING)
            .where(CycleMember.next_kind == AttemptKind.AUTOMATIC)
            .values(next_due_at=due, next_number=number, next_kind=AttemptKind.RELATIVE)
            .returning(CycleMember.id)
            .execution_options(synchronize_session=False)
        )
    return moved is not None


async def set_relative_objected(sessions: SessionFactory, person_id: int, objected: bool) -> None:
    """Record (or lift) the objection to the person's relative being called."""
    async with transaction(sessions) as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"personne {person_id} inconnue")
        person.relative_objected = objected


async def add_preferred_number(sessions: SessionFactory, person_id: int, e164: str) -> bool:
    """Put ``e164`` first among the person's numbers (a relative gave it); False when the
    person already had it (it is then left where it was)."""
    async with transaction(sessions) as session:
        numbers = list(
            await session.scalars(
                select(PhoneNumber)
                .where(PhoneNumber.person_id == person_id)
                .order_by(PhoneNumber.position.desc())
            )
        )
        if any(phone.e164 == e164 for phone in numbers):
            return False
        for phone in numbers:  # highest first: the unique (person, position) holds
            phone.position += 1
            await session.flush()
        session.add(PhoneNumber(person_id=person_id, position=0, e164=e164, kind=PhoneKind.OTHER))
    return True


async def escalation_counts(
    sessions: SessionFactory, campaign_ids: Collection[int]
) -> dict[str, int]:
    """The escalation funnel of the campaigns' cycles: people (per cycle) the phone did not
    reach, whose relative was called, with a visit requested, and visited."""
    async with transaction(sessions) as session:
        cycles = select(Cycle.id).where(Cycle.campaign_id.in_(list(campaign_ids)))
        return await _escalation(session, cycles)


async def cycle_escalation(session: AsyncSession, cycle_id: int) -> dict[str, int]:
    """:func:`escalation_counts` of one cycle, within ``session`` (the dashboard's)."""
    return await _escalation(session, select(Cycle.id).where(Cycle.id == cycle_id))


async def _escalation(session: AsyncSession, cycles: Any) -> dict[str, int]:
    relative_called = await _count(
        session,
        select(Attempt.cycle_id, Attempt.person_id)
        .where(Attempt.cycle_id.in_(cycles))
        .where(Attempt.kind == AttemptKind.RELATIVE)
        .where(Attempt.placed_at.is_not(None))
        .distinct(),
    )
    never_reached = await _count(
        session,
        select(CycleResultRow.cycle_id, CycleResultRow.person_id)
        .where(CycleResultRow.cycle_id.in_(cycles))
        .where(CycleResultRow.result.in_(sorted(UNREACHED_RESULTS)))
        .distinct(),
    )
    visits = (
        select(VisitRequest.cycle_id, VisitRequest.person_id)
        .where(VisitRequest.cycle_id.in_(cycles))
        .distinct()
    )
    requested = await _count(session, visits)
    done = await _count(session, visits.where(VisitRequest.outcome.is_not(None)))
    return {
        "never_reached": never_reached,
        "relative_called": relative_called,
        "visit_requested": requested,
        "visit_done": done,
    }


async def _count(session: AsyncSession, statement: Any) -> int:
    value = await session.scalar(select(func.count()).select_from(statement.subquery()))
    return int(value or 0)
