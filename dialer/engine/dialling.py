"""Pacing and dialling: each tick the pacer says how many calls to place (after the offers
of reserved calls, see :mod:`dialer.engine.offers`); the dialler takes that many planned
attempts from the dial queue, marks each dialing (exactly once) and originates it on the
node with the most free channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.engine.assignments import Assignment
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import DialQueue, PlannedDial
from dialer.errors import DialerError, NotConnectedError, TelephonyError
from dialer.telephony.port import DialRequest, TelephonyPort

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)


class Dialler:
    def __init__(self, engine: DialingEngine) -> None:
        self.engine = engine
        self._tick_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """No tick runs while held (a tick in progress finishes first). Reconciliation
        holds it: it compares the attempt log with Asterisk's channels, and a call being
        placed is in the first before it is in the second (its Originate queued, its
        channel not created yet): it would be closed as a call nobody knows about while it
        rings."""
        async with self._tick_lock:
            yield

    async def tick(self) -> PacingDecision:
        """Ask the pacer and place what it says (one tick at a time: a tick asked for by a
        campaign start never overlaps the pacing loop's)."""
        async with self._tick_lock:
            return await self._tick()

    async def _tick(self) -> PacingDecision:
        """Each campaign assigned in turn, paced against its own agents (see
        :mod:`dialer.engine.assignments`); the plan of all of them together."""
        engine = self.engine
        await engine.offers.withdraw_unassigned(engine.clock())
        plans: list[PacingDecision] = []
        for assignment in engine.assignments_to_tick():
            plans.append(await self._tick_for(assignment))
        if len(plans) == 1:
            return plans[0]
        return engine.campaign_assignments.combined_plan(plans)

    async def _tick_for(self, assignment: Assignment) -> PacingDecision:
        engine = self.engine
        now = engine.clock()
        if waiting := engine.inbound.holding(assignment.campaign_id, every=False):
            assignment.last_plan = decision(0, fact(Clause.INBOUND_WAITING, waiting))
            return assignment.last_plan
        if not assignment.dialing_enabled:
            assignment.last_plan = decision(0, fact(Clause.DIALING_PAUSED))
            return assignment.last_plan
        if not engine.attempt_log.writable():  # no call the ledger could not record
            assignment.last_plan = decision(0, fact(Clause.LEDGER_DOWN))
            return assignment.last_plan
        if silent := self._nodes_without_information_message():
            assignment.last_plan = decision(0, fact(Clause.NO_INFORMATION_MESSAGE, text=silent))
            return assignment.last_plan
        await engine.offers.tend(now, assignment.queue)
        plan = await engine.offers.plan(now, assignment)
        assignment.last_plan = plan
        if plan.dials <= 0 or self.node_with_room() is None:
            return plan  # nowhere to dial: take nobody
        queue = assignment.queue
        taken = await queue.take(plan.dials, now)
        dialling: set[str] = set()
        try:
            for dial in taken:
                if dial.person_id in engine.busy_persons():
                    # never two calls to one person, whichever campaign has them (the
                    # queue should not offer it; two campaigns may, in the same tick)
                    continue
                node = self.node_with_room()
                if node is None:
                    break
                if not await engine.attempt_log.mark_dialing(
                    dial.attempt_id, at=now, node=node.name
                ):
                    continue  # already dialled by someone else: never place it twice
                dialling.add(dial.attempt_id)
                await self.originate(dial, node, queue, now, assignment=assignment)
        finally:
            # taken but not dialled (the loop stopped early, a write failed): the people
            # go back to the queue now, not at the next restart (only attempts still
            # planned move, so an attempt dialled by someone else is left alone)
            unplaced = [d.attempt_id for d in taken if d.attempt_id not in dialling]
            if unplaced:
                try:
                    await queue.give_back(unplaced, now)
                except DialerError as exc:
                    log.warning("giving back %d undialled attempts failed: %s", len(unplaced), exc)
        return plan

    async def originate(
        self,
        dial: PlannedDial,
        node: TelephonyPort,
        queue: DialQueue,
        now: datetime,
        *,
        agent: str | None = None,
        assignment: Assignment | None = None,
    ) -> None:
        """Originate an attempt already marked dialing (a refusal closes it as failed) with
        the settings of ``assignment``, the campaign it was taken for (``None``: the
        campaign whose queue ``queue`` is). ``agent``: the agent reserved for it before the
        dial (it is bridged to them)."""
        engine = self.engine
        if assignment is None:
            assignment = engine.assignment_of_queue(queue)
        call = LiveCall(
            dial.attempt_id,
            dial.person_id,
            dial.cycle_id,
            dial.number,
            node.name,
            now,
            agent=agent,
            campaign_id=assignment.campaign_id,
        )
        engine.calls.add(call)
        engine.writes.taken_from(dial.attempt_id, queue)
        try:
            await node.place_call(
                DialRequest(
                    attempt_id=dial.attempt_id,
                    number=dial.number,
                    caller_id=assignment.caller_id,
                    ring_timeout_s=assignment.ring_timeout_s,
                    answering_machine_detection=assignment.amd,
                )
            )
        except TelephonyError as exc:
            engine.count("dial_refused")
            engine.calls.pop(dial.attempt_id)
            if agent is not None:
                engine.seats.release(agent, now)
            engine.writes.close(
                call,
                CallOutcome.FAILED,
                now,
                None,
                None,
                failed=True,
                forget_queue=dial.attempt_id not in engine.wrap_ups.pending,
                # the AMI session was gone already: nothing was sent, it is no dial
                unplaced=isinstance(exc, NotConnectedError),
            )
            log.warning("dial %s refused: %s", dial.attempt_id, exc)
            return
        engine.count("dialled")

    def _nodes_without_information_message(self) -> str:
        """The connected nodes' names when none of them has the information message
        (Asterisk said so), else ""."""
        connected = [n for name, n in self.engine.nodes.items() if name in self.engine.connected]
        if connected and all(node.prompts_present is False for node in connected):
            return ", ".join(node.name for node in connected)
        return ""

    def node_with_room(self) -> TelephonyPort | None:
        best: TelephonyPort | None = None
        best_room = 0
        for name, node in self.engine.nodes.items():
            if name not in self.engine.connected or node.prompts_present is False:
                continue
            room = node.channel_limit - self.engine.calls.on_node(name) - self._legs_on(name)
            if room > best_room:
                best, best_room = node, room
        return best

    def _legs_on(self, _node: str) -> int:
        # agents' legs hold one channel each; they live on the first node
        return sum(1 for seat in self.engine.seats.seats() if seat.leg_id is not None)

    def lines_free(self) -> int:
        engine = self.engine
        return sum(
            max(0, node.channel_limit - engine.calls.on_node(name) - self._legs_on(name))
            for name, node in engine.nodes.items()
            if name in engine.connected
        )
