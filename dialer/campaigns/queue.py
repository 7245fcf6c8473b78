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

from dialer.campaigns.inbound import CycleInboundDesk
from dialer.campaigns.relatives import relative_dial
from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.cycle_closure import LEAVING_RESULTS, close_person_cycle
from dialer.core.cycles import NeverReachedReason, never_reached_reason
from dialer.core.holds import OnBehalfOf
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import (
    AttemptRecord,
    Cycle,
    Dial,
    RetryPolicy,
    ScheduledCallback,
    initial_attempt_time,
    plan_next_attempt,
)
from dialer.core.relatives import calls_relatives
from dialer.core.windows import CallingWindows
from dialer.engine.ports import PlannedDial
from dialer.storage.answers import CallSheetRepository
from dialer.storage.callbacks import CallbackRepository
from dialer.storage.campaigns import CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.holds import PersonHolds
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.storage.people import PersonRepository
from dialer.storage.reserved_calls import ReservedCallClaims
from dialer.storage.results import CycleResultRepository, FoundBy
from dialer.storage.schedule import CycleMember, CycleSchedule, MemberStatus


def planner_history(attempts: Sequence[Attempt]) -> list[AttemptRecord]:
    """The ledger's attempts as the planner counts them: placed, a relative's call apart."""
    return [
        AttemptRecord(
            placed_at=a.placed_at or a.planned_for,
            number=a.number,
            outcome=a.outcome,
            kind=a.kind,
            wrong_number=a.disposition is CycleResult.WRONG_NUMBER,
        )
        for a in attempts
        if a.placed_at is not None and a.kind is not AttemptKind.RELATIVE
    ]


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
        every_call_reserved: bool = False,
        kind: CampaignKind | None = None,
    ) -> None:
        self.cycle_id = cycle_id
        #: the campaign's kind decides whether relatives are called (:func:`calls_relatives`)
        self.calls_relatives = calls_relatives(kind)
        #: a preview campaign: every person is offered to an agent before the dial
        self.every_call_reserved = every_call_reserved
        self.claims = ReservedCallClaims(sessions)
        self.cycle = cycle
        self.windows = windows
        self.policy = policy
        self.schedule = CycleSchedule(sessions)
        self.ledger = AttemptLedger(sessions)
        self.people = PersonRepository(sessions)
        self.callbacks = CallbackRepository(sessions)
        self.results = CycleResultRepository(sessions)
        self.sheets = CallSheetRepository(sessions)
        self.holds = PersonHolds(sessions)
        self.cycles = CycleRepository(sessions)
        #: people calling the campaign's number (:mod:`dialer.engine.inbound`)
        self.inbound = CycleInboundDesk(sessions, cycle_id=cycle_id, windows=windows)
        self._due = 0
        #: planned attempts left by a previous controller are given back at the first take
        self._left_overs_given_back = False

    async def _give_back_left_overs(self, now: datetime) -> None:
        if not self._left_overs_given_back:
            # attempts planned (or offered) by a controller that died before dialling them
            await self.schedule.give_back(self.cycle_id, now=now)
            self._left_overs_given_back = True

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        await self._give_back_left_overs(now)
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

    async def claim(
        self, agent: str, now: datetime, *, passed: Sequence[int] = ()
    ) -> PlannedDial | None:
        """The next person to offer ``agent`` (an agent reserved first), claimed for them."""
        await self._give_back_left_overs(now)
        if now >= self.cycle.deadline:
            return None
        attempt = await self.claims.claim(
            self.cycle_id,
            agent,
            now=now,
            grace=self.policy.callback_grace,
            every_kind=self.every_call_reserved,
            attempt_id=str(uuid.uuid4()),
            passed=passed,
        )
        if attempt is None:
            return None
        return PlannedDial(attempt.id, attempt.person_id, attempt.cycle_id, attempt.number)

    async def pass_person(self, attempt_id: str, reason: str, now: datetime) -> None:
        """The agent passed the person offered: due again after the minimum gap, for any
        agent (the attempt is withdrawn, never dialled)."""
        await self.claims.pass_person(
            attempt_id,
            reason=reason,
            now=now,
            due_again=now + self.policy.min_gap_between_attempts,
        )

    async def reserved_due(self, now: datetime) -> int:
        """Reserved calls due and not claimed yet (in a preview campaign, everyone due)."""
        if self.every_call_reserved:
            return await self.schedule.due_count(self.cycle_id, now)
        return await self.claims.due_count(self.cycle_id, now)

    async def settle_left_overs(self, at: datetime) -> int:
        """Settle the attempts a dead controller closed but did not settle (their people
        are still in call: :meth:`CycleSchedule.unsettled`), and end the wrap-ups nobody
        will end (:meth:`CycleSchedule.undisposed`). Returns how many."""
        left = await self.schedule.unsettled(self.cycle_id)
        for attempt_id, outcome in left:
            await self.settled(attempt_id, outcome, at)
        undisposed = await self.schedule.undisposed(self.cycle_id)
        for attempt_id, result, unrecorded in undisposed:
            if unrecorded:  # no agent known: the wrap-up ends without a disposition
                await self.ledger.wrap_up_done(attempt_id, at=at, result=None)
            await self.disposed(attempt_id, result, at)
        return len(left) + len(undisposed)

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        member = await self.schedule.member_of_attempt(attempt_id)
        if member is None:
            return
        if outcome is CallOutcome.ANSWERED:
            # an agent handled it: wait for the disposition before planning
            await self.schedule.set_status(member.id, MemberStatus.WRAP_UP, keep_attempt=True)
            return
        await self._plan(member, at, disposition=None)
        await self.holds.withdraw_if_held(member.person_id, now=at)

    async def disposed(self, attempt_id: str, result: CycleResult | None, at: datetime) -> None:
        member = await self.schedule.member_of_attempt(attempt_id)
        if member is None:
            return
        await self._plan(member, at, disposition=result)
        # a hold put on them during the call (an opposition) ends their cycles now
        await self.holds.withdraw_if_held(member.person_id, now=at)

    async def _cycle_of(self, member: CycleMember) -> tuple[Cycle, bool]:
        """The member's cycle (this queue's, or an earlier one whose call was still in
        progress when it closed) and whether it is closed: then no attempt is planned in
        it any more, the person's result is recorded there."""
        stored = await self.cycles.get(member.cycle_id)
        return Cycle(
            stored.started_at, stored.deadline, stored.number
        ), stored.closed_at is not None

    async def _plan(
        self, member: CycleMember, now: datetime, *, disposition: CycleResult | None
    ) -> None:
        cycle, closed = await self._cycle_of(member)
        person = await self.people.get(member.person_id)
        numbers = [phone.e164 for phone in person.phones]
        attempts = await self.ledger.for_person(member.person_id)
        history = planner_history(attempts)
        relative = next(
            (a for a in attempts if a.id == member.attempt_id and a.kind is AttemptKind.RELATIVE),
            None,
        )
        if relative is not None:
            if disposition is not None:  # the relative's word closes the person's cycle
                await self._record_relative_word(
                    member,
                    cycle=cycle,
                    history=history,
                    attempts=attempts,
                    result=disposition,
                    now=now,
                )
                return
            untried = [n for n in numbers if not any(a.number == n for a in history)]
            at = initial_attempt_time(
                now=now, cycle=cycle, windows=self.windows, policy=self.policy
            )
            if untried and at is not None and not closed:  # a better number: tried at once
                await self.schedule.set_status(
                    member.id, MemberStatus.WAITING, next_due_at=at, next_number=untried[0]
                )
                return
        pending = [
            c
            for c in await self.callbacks.due(cycle.deadline, cycle_id=member.cycle_id)
            if c.person_id == member.person_id
        ]
        callbacks = [ScheduledCallback(at=c.due_at, number=c.number) for c in pending]
        owner = None
        decision = plan_next_attempt(
            now=max(now, cycle.deadline) if closed else now,
            cycle=cycle,
            numbers=numbers,
            history=history,
            callbacks=callbacks,
            windows=self.windows,
            policy=self.policy,
            disposition=disposition,
        )
        if not closed and disposition is None and self.calls_relatives:
            exhausted = not isinstance(decision, Dial)
            if not isinstance(decision, Dial) or decision.kind is AttemptKind.AUTOMATIC:
                turn = relative_dial(
                    person,
                    attempts,
                    cycle=cycle,
                    attempts_exhausted=exhausted,
                    now=now,
                    windows=self.windows,
                    policy=self.policy,
                )
                if turn is not None:
                    await self.schedule.set_status(
                        member.id,
                        MemberStatus.WAITING,
                        next_due_at=turn.at,
                        next_number=turn.number,
                        next_kind=AttemptKind.RELATIVE,
                    )
                    return
        if isinstance(decision, Dial):
            if decision.callback is not None:
                for callback in pending:
                    if callback.due_at == decision.callback.at:
                        owner = callback.agent
                        await self.callbacks.mark_done(callback.id)
            await self.schedule.set_status(
                member.id,
                MemberStatus.WAITING,
                next_due_at=decision.at,
                next_number=decision.number,
                next_kind=decision.kind,
                next_agent=owner,
            )
            return
        closure = close_person_cycle(
            cycle=cycle,
            history=history,
            disposition=disposition,
            stopped=decision.reason,
            left_on=now.date() if disposition in LEAVING_RESULTS else None,
            reached=disposition is None
            and await self.sheets.reached_in_cycle(member.person_id, member.cycle_id),
        )
        dialled = sum(1 for attempt in history if cycle.contains(attempt.placed_at))
        reason = (
            never_reached_reason(decision.reason, dialled)
            if closure.result is CycleResult.NEVER_REACHED
            else None
        )
        await self.results.record(
            cycle_id=member.cycle_id,
            person_id=member.person_id,
            result=closure.result,
            decided_at=now,
            note=closure.follow_up.reason.value if closure.follow_up else "",
            never_reached_reason=reason,
            attempt_count=dialled,
            found=self._found_by(member, attempts),
        )
        await self.schedule.set_status(member.id, MemberStatus.DONE)

    def _found_by(self, member: CycleMember, attempts: Sequence[Attempt]) -> FoundBy:
        """Who found the person's result, on which call (their hold's history)."""
        call = next((a for a in attempts if a.id == member.attempt_id), None)
        return FoundBy(
            recorded_by=(call.agent if call is not None and call.agent else "service"),
            attempt_id=member.attempt_id,
            on_behalf_of=(
                OnBehalfOf.RELATIVE
                if call is not None and call.kind is AttemptKind.RELATIVE
                else OnBehalfOf.PERSON
            ),
            hospitalised_hold=self.policy.hospitalised_hold,
        )

    async def _record_relative_word(
        self,
        member: CycleMember,
        *,
        cycle: Cycle,
        history: Sequence[AttemptRecord],
        attempts: Sequence[Attempt],
        result: CycleResult,
        now: datetime,
    ) -> None:
        """The person's result from what their relative said: no news leaves them never
        reached (a visit request follows at once), anything else is their result."""
        dialled = sum(1 for attempt in history if cycle.contains(attempt.placed_at))
        await self.results.record(
            cycle_id=member.cycle_id,
            person_id=member.person_id,
            result=result,
            decided_at=now,
            never_reached_reason=(
                NeverReachedReason.RELATIVE_NO_NEWS if result is CycleResult.NEVER_REACHED else None
            ),
            attempt_count=dialled,
            found=self._found_by(member, attempts),
        )
        await self.schedule.set_status(member.id, MemberStatus.DONE)
