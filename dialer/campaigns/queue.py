"""The dial queue of one cycle, backed by the cycle schedule and the ledger.

``take`` hands the engine due people, their attempts already written in the ledger in the
same transaction. When an attempt settles (or, for a call an agent handled, when the agent
gives the disposition), the planner decides the person's next attempt or closes the
person's cycle with its result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from dialer.core.attempts import CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import (
    LEAVING_RESULTS,
    AttemptRecord,
    Cycle,
    Dial,
    RetryPolicy,
    ScheduledCallback,
    close_person_cycle,
    plan_next_attempt,
)
from dialer.core.windows import CallingWindows
from dialer.engine.ports import PlannedDial
from dialer.storage.callbacks import CallbackRepository
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.people import PersonRepository
from dialer.storage.results import CycleResultRepository
from dialer.storage.schedule import CycleMember, CycleSchedule, MemberStatus


class CycleDialQueue:
    """Implements :class:`dialer.engine.ports.DialQueue` for one cycle."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        cycle_id: int,
        cycle: Cycle,
        windows: CallingWindows,
        policy: RetryPolicy,
    ) -> None:
        self.cycle_id = cycle_id
        self.cycle = cycle
        self.windows = windows
        self.policy = policy
        self.schedule = CycleSchedule(sessions)
        self.ledger = AttemptLedger(sessions)
        self.people = PersonRepository(sessions)
        self.callbacks = CallbackRepository(sessions)
        self.results = CycleResultRepository(sessions)
        self._due = 0
        #: planned attempts left by a previous controller are given back at the first take
        self._left_overs_given_back = False

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        if not self._left_overs_given_back:
            # attempts planned by a controller that died before dialling them
            await self.schedule.give_back(self.cycle_id, now=now)
            self._left_overs_given_back = True
        if count <= 0 or now >= self.cycle.deadline:
            return []
        ids = [str(uuid.uuid4()) for _ in range(count)]
        attempts = await self.schedule.take_due(self.cycle_id, count, now=now, planned_ids=ids)
        self._due = await self.schedule.due_count(self.cycle_id, now)
        return [PlannedDial(a.id, a.person_id, a.cycle_id, a.number) for a in attempts]

    async def give_back(self, attempt_ids: Sequence[str], at: datetime) -> None:
        await self.schedule.give_back(self.cycle_id, now=at, attempt_ids=attempt_ids)

    def waiting(self) -> int:
        return self._due

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        member = await self.schedule.member_of_attempt(attempt_id)
        if member is None:
            return
        if outcome is CallOutcome.ANSWERED:
            # an agent handled it: wait for the disposition before planning
            await self.schedule.set_status(member.id, MemberStatus.WRAP_UP, keep_attempt=True)
            return
        await self._plan(member, at, disposition=None)

    async def disposed(self, attempt_id: str, result: CycleResult | None, at: datetime) -> None:
        member = await self.schedule.member_of_attempt(attempt_id)
        if member is None:
            return
        await self._plan(member, at, disposition=result)

    async def _plan(
        self, member: CycleMember, now: datetime, *, disposition: CycleResult | None
    ) -> None:
        person = await self.people.get(member.person_id)
        numbers = [phone.e164 for phone in person.phones]
        attempts = await self.ledger.for_person(member.person_id)
        history = [
            AttemptRecord(
                placed_at=a.placed_at or a.planned_for,
                number=a.number,
                outcome=a.outcome,
                kind=a.kind,
                wrong_number=a.disposition is CycleResult.WRONG_NUMBER,
            )
            for a in attempts
            if a.placed_at is not None
        ]
        pending = [
            c
            for c in await self.callbacks.due(self.cycle.deadline, cycle_id=self.cycle_id)
            if c.person_id == member.person_id
        ]
        callbacks = [ScheduledCallback(at=c.due_at, number=c.number) for c in pending]
        decision = plan_next_attempt(
            now=now,
            cycle=self.cycle,
            numbers=numbers,
            history=history,
            callbacks=callbacks,
            windows=self.windows,
            policy=self.policy,
            disposition=disposition,
        )
        if isinstance(decision, Dial):
            if decision.callback is not None:
                for callback in pending:
                    if callback.due_at == decision.callback.at:
                        await self.callbacks.mark_done(callback.id)
            await self.schedule.set_status(
                member.id,
                MemberStatus.WAITING,
                next_due_at=decision.at,
                next_number=decision.number,
                next_kind=decision.kind,
            )
            return
        closure = close_person_cycle(
            cycle=self.cycle,
            history=history,
            disposition=disposition,
            stopped=decision.reason,
            left_on=now.date() if disposition in LEAVING_RESULTS else None,
        )
        await self.results.record(
            cycle_id=self.cycle_id,
            person_id=member.person_id,
            result=closure.result,
            decided_at=now,
            note=closure.follow_up.reason.value if closure.follow_up else "",
        )
        await self.schedule.set_status(member.id, MemberStatus.DONE)
