"""The final result of each person in a cycle, and the follow-up list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.holds import OnBehalfOf
from dialer.core.planning import RetryPolicy
from dialer.errors import ConflictError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.holds import hold_from_result
from dialer.storage.models import CycleResultRow, Person


@dataclass(frozen=True)
class FoundBy:
    """How a final result was found: by whom, on which call, and the campaign's
    hospitalised hold (:mod:`dialer.core.holds`)."""

    recorded_by: str = "service"
    attempt_id: str | None = None
    on_behalf_of: OnBehalfOf = OnBehalfOf.PERSON
    hospitalised_hold: timedelta = RetryPolicy().hospitalised_hold


class CycleResultRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def record(
        self,
        *,
        cycle_id: int,
        person_id: int,
        result: CycleResult,
        decided_at: datetime,
        note: str = "",
        replace: bool = False,
        never_reached_reason: NeverReachedReason | None = None,
        attempt_count: int = 0,
        found: FoundBy | None = None,
    ) -> CycleResultRow:
        """A person's final result in a cycle. Raises :class:`ConflictError` when one is
        already recorded, unless ``replace`` (a supervisor's correction). A result that
        keeps the person out of calls (deceased, moved, hospitalised, opposed) records its
        hold in the same transaction (:func:`~dialer.storage.holds.hold_from_result`),
        ``found`` saying by which call."""
        async with transaction(self._sessions) as session:
            existing = await session.scalar(
                select(CycleResultRow)
                .where(CycleResultRow.cycle_id == cycle_id)
                .where(CycleResultRow.person_id == person_id)
                .with_for_update()
            )
            if existing is not None and not replace:
                raise ConflictError(
                    f"person {person_id} already has result {existing.result.value} "
                    f"in cycle {cycle_id}"
                )
            if existing is None:
                existing = CycleResultRow(cycle_id=cycle_id, person_id=person_id)
                session.add(existing)
            existing.result = result
            existing.decided_at = decided_at
            existing.note = note
            existing.never_reached_reason = never_reached_reason
            existing.attempt_count = attempt_count
            found = found or FoundBy()
            await hold_from_result(
                session,
                person_id=person_id,
                result=result,
                now=decided_at,
                hospitalised_hold=found.hospitalised_hold,
                recorded_by=found.recorded_by,
                cycle_id=cycle_id,
                attempt_id=found.attempt_id,
                on_behalf_of=found.on_behalf_of,
            )
        return existing

    async def get(self, cycle_id: int, person_id: int) -> CycleResultRow | None:
        async with transaction(self._sessions) as session:
            return await session.scalar(
                select(CycleResultRow)
                .where(CycleResultRow.cycle_id == cycle_id)
                .where(CycleResultRow.person_id == person_id)
            )

    async def counts(self, cycle_id: int) -> dict[CycleResult, int]:
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(CycleResultRow.result, func.count())
                .where(CycleResultRow.cycle_id == cycle_id)
                .group_by(CycleResultRow.result)
            )
            return dict(rows.all())

    async def never_reached(self, cycle_id: int) -> list[Person]:
        """The follow-up list: people whose result in the cycle is ``never_reached``, by
        name, with their numbers (people removed from the register since included)."""
        statement = (
            select(Person)
            .join(CycleResultRow, CycleResultRow.person_id == Person.id)
            .where(CycleResultRow.cycle_id == cycle_id)
            .where(CycleResultRow.result == CycleResult.NEVER_REACHED)
            .order_by(Person.last_name, Person.first_name, Person.id)
            .options(selectinload(Person.phones))
        )
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))
