"""The dialing engine: one per service, alive even when no campaign runs.

A campaign is *assigned* to the engine (its dial queue, pacer, caller id and AMD setting,
see :meth:`DialingEngine.assign`) and later *unassigned*; meanwhile agents' seats and
phone legs stay as they are. With no campaign assigned the engine dials nothing
(:class:`IdleQueue`, :func:`idle_pacer`). Calls placed for a campaign settle into that
campaign's queue even after another one is assigned.

Every second the pacer looks at a snapshot of live statistics and says how many calls to
place; the engine takes that many planned attempts from the dial queue (already written in
the ledger), marks each dialing (exactly once) and originates it on the node with the most
free channels. Telephony events move each call through the call state machine and each
agent through the seat board: an answered person is joined to the agent ready the longest,
without ringing the agent's phone (the agent's leg waits in the dialplan). If nobody can be
joined in time, the dialplan itself plays the information message (see extensions.conf).

On every (re)connection of a node, and at start-up, the engine reconciles the ledger's
in-flight attempts with the channels alive in Asterisk and Asterisk's recorded ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from dialer.clock import utcnow
from dialer.core.agent_states import AgentState
from dialer.core.attempts import CALL_STATE_OF, AttemptState, CallEvent, CallState, CycleResult
from dialer.core.handling_time import CallTiming
from dialer.core.labels import EXPIRED_PAUSE_REASON, pacing_text
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.reconciliation import Close, Resume, final_outcome, reconcile
from dialer.core.seats import SeatBoard
from dialer.core.windows import PARIS
from dialer.core.wrap_up import WRAP_UP_LIMIT, forgotten_wrap_ups
from dialer.engine.activity import Activity
from dialer.engine.live_calls import LiveCall, LiveCalls
from dialer.engine.offers import ReservedCallDesk
from dialer.engine.ports import (
    AttemptLog,
    DialQueue,
    InFlightAttempt,
    NoScreens,
    PlannedDial,
    ScreenNotifier,
)
from dialer.errors import DialerError, TelephonyError
from dialer.telephony.port import (
    AGENT_LEG_PREFIX,
    AgentLegEnded,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallJoined,
    CallMachine,
    CallRinging,
    DialRequest,
    NodeConnected,
    NodeDisconnected,
    OriginateResult,
    TelephonyEvent,
    TelephonyPort,
)
from dialer.telephony.translate import agent_leg_id, agent_of_leg

log = logging.getLogger(__name__)

#: how many (answer → join) latencies the engine keeps for its statistics
LATENCY_SAMPLES = 10_000


Pacer = Callable[["DialingEngine", datetime], PacingDecision]


class WrapUp(StrEnum):
    """What became of the agent's wrap-up when they gave the call's disposition."""

    DONE = "done"  #: it has ended: the agent is ready again
    AFTER_CALL = "after_call"  #: still on call: it ends when the call does
    NONE = "none"  #: the call is no longer the agent's: nothing to end


#: the engine's plan while no campaign is assigned
NO_CAMPAIGN = "aucune campagne en cours → dial 0"


def idle_pacer(_engine: DialingEngine, _now: datetime) -> PacingDecision:
    """The pacer of an engine with no campaign: never dials."""
    return decision(0, fact(Clause.NO_CAMPAIGN))


class IdleQueue:
    """The dial queue of an engine with no campaign: nobody to call."""

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        return []

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        return None

    async def disposed(self, attempt_id: str, result: CycleResult | None, at: datetime) -> None:
        return None

    async def give_back(self, attempt_ids: Sequence[str], at: datetime) -> None:
        return None

    def waiting(self) -> int:
        return 0

    async def claim(
        self, agent: str, now: datetime, *, passed: Sequence[int] = ()
    ) -> PlannedDial | None:
        return None

    async def pass_person(self, attempt_id: str, reason: str, now: datetime) -> None:
        return None

    async def reserved_due(self, now: datetime) -> int:
        return 0


class DialingEngine:
    def __init__(
        self,
        *,
        nodes: Sequence[TelephonyPort],
        ledger: AttemptLog,
        queue: DialQueue | None = None,
        pacer: Pacer = idle_pacer,
        ring_timeout_s: int = 30,
        caller_id: str = "",
        answering_machine_detection: bool = False,
        screens: ScreenNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        tick_s: float = 1.0,
        zone: tzinfo = PARIS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wrap_up_limit: timedelta = WRAP_UP_LIMIT,
        offer_countdown: timedelta | None = None,
    ) -> None:
        if ring_timeout_s < 15:
            raise DialerError(f"ring_timeout_s={ring_timeout_s}: never under 15 s")
        self.nodes = {node.name: node for node in nodes}
        self.ledger = ledger
        self.queue: DialQueue = queue if queue is not None else IdleQueue()
        self.pacer = pacer
        self.ring_timeout_s = ring_timeout_s
        self.caller_id = caller_id
        self.amd = answering_machine_detection
        self.screens = screens or NoScreens()
        self.clock = clock
        self.tick_s = tick_s
        #: how the pacing loop waits between ticks (a test's clock passes its own)
        self._sleep = sleep
        self.wrap_up_limit = wrap_up_limit
        self.seats = SeatBoard()
        #: people offered to an agent reserved for them, not dialled yet
        self.offers = ReservedCallDesk(self, offer_countdown)
        self.calls = LiveCalls()
        self.finished: list[CallTiming] = []
        self.activity = Activity(zone)
        self.join_latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.last_plan = decision(0, fact(Clause.NOT_STARTED))
        self.dialing_enabled = True
        self._connected: set[str] = set()
        self._leg_serial = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._counters = {
            "dialled": 0,
            "answered": 0,
            "joined": 0,
            "abandoned": 0,
            "machines": 0,
            "reconciled_resumed": 0,
            "reconciled_closed": 0,
            "dial_refused": 0,
            "legs_adopted": 0,
            "wrap_ups_expired": 0,
            "offered": 0,
            "offers_called": 0,
            "offers_passed": 0,
            "automatic_held_for_reserved": 0,
        }
        self._agent_endpoints: dict[str, str] = {}
        self._pending_wraps: dict[str, LiveCall] = {}
        #: attempt -> the person's result from the disposition its agent gave while on call
        self._given_on_call: dict[str, CycleResult | None] = {}
        #: agent -> the call whose sheet they left unfinished (known at reconciliation)
        self._unfinished_wraps: dict[str, InFlightAttempt] = {}
        self._answering: set[asyncio.Task[None]] = set()
        #: per call, the last task handling its events while its answer is handled
        self._answering_of: dict[str, asyncio.Task[None]] = {}
        self._writes: dict[str, asyncio.Task[None]] = {}
        #: the queue each call in progress was taken from (it settles there)
        self._queue_of: dict[str, DialQueue] = {}
        self._tick_lock = asyncio.Lock()
        self.assignments = 0

    # ---- the campaign assigned ----------------------------------------------------------
    def assign(
        self,
        queue: DialQueue,
        pacer: Pacer,
        *,
        caller_id: str,
        answering_machine_detection: bool,
        dialing_enabled: bool = True,
    ) -> None:
        """Dial for a campaign from now on (the calls in progress go on unchanged)."""
        self.queue = queue
        self.pacer = pacer
        self.caller_id = caller_id
        self.amd = answering_machine_detection
        self.dialing_enabled = dialing_enabled
        self.assignments += 1

    def unassign(self) -> None:
        """Dial nothing any more; calls in progress end normally, in their campaign."""
        self.queue = IdleQueue()
        self.pacer = idle_pacer
        self.caller_id = ""
        self.amd = False
        self.last_plan = decision(0, fact(Clause.NO_CAMPAIGN))

    @property
    def assigned(self) -> bool:
        return not isinstance(self.queue, IdleQueue)

    def _queue_for(self, attempt_id: str, *, forget: bool) -> DialQueue:
        if forget:
            return self._queue_of.pop(attempt_id, self.queue)
        return self._queue_of.get(attempt_id, self.queue)

    # ---- running ------------------------------------------------------------------------
    async def start(self) -> None:
        for node in self.nodes.values():
            self._tasks.append(asyncio.create_task(self._listen(node), name=f"events-{node.name}"))
        self._tasks.append(asyncio.create_task(self._pace(), name="pacer"))
        self._tasks.append(asyncio.create_task(self._watch_wrap_ups(), name="wrap-ups"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _pace(self) -> None:
        while True:
            try:
                await self.tick()
            except DialerError as exc:
                log.warning("pacing tick failed: %s", exc)
            await self._sleep(self.tick_s)

    async def _listen(self, node: TelephonyPort) -> None:
        """Events in order, except answers: each answered person is joined in a task of
        its own, so fifty people answering at once do not queue behind each other. The
        events of a call whose answer is still being handled wait for it, in order: after a
        stalled loop the answer and the abandon arrive together, and the abandon must not
        be applied (dropped) before the answer."""
        while True:
            event = await node.next_event()
            attempt_id = getattr(event, "attempt_id", None)
            before = self._answering_of.get(attempt_id) if attempt_id else None
            if attempt_id is not None and (isinstance(event, CallAnswered) or before):
                task = asyncio.create_task(self._handle_after(before, event, node))
                self._answering.add(task)
                self._answering_of[attempt_id] = task
                task.add_done_callback(self._answering.discard)
                task.add_done_callback(functools.partial(self._answered_done, attempt_id))
            else:
                await self._handle_logged(event, node)

    async def _handle_after(
        self, before: asyncio.Task[None] | None, event: TelephonyEvent, node: TelephonyPort
    ) -> None:
        if before is not None:
            with contextlib.suppress(Exception):
                await before
        await self._handle_logged(event, node)

    def _answered_done(self, attempt_id: str, done: asyncio.Task[None]) -> None:
        if self._answering_of.get(attempt_id) is done:
            del self._answering_of[attempt_id]

    async def _handle_logged(self, event: TelephonyEvent, node: TelephonyPort) -> None:
        try:
            await self._dispatch(event, node)
        except DialerError as exc:
            log.warning("node %s: handling %s failed: %s", node.name, type(event).__name__, exc)

    def _write(self, attempt_id: str, write: Callable[[], Awaitable[None]]) -> None:
        """Record in the ledger off the event path, in order per attempt: each write waits
        for the attempt's previous one. (Waiting for the database on every ringing, answer
        and join queued fifty simultaneous answers behind each other's commits.)"""
        previous = self._writes.get(attempt_id)

        async def chained() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    await previous
            try:
                await write()
            except DialerError as exc:
                log.warning("ledger write for %s failed: %s", attempt_id, exc)

        task = asyncio.create_task(chained())
        self._writes[attempt_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._writes.get(attempt_id) is done:
                del self._writes[attempt_id]

        task.add_done_callback(forget)

    async def flush(self) -> None:
        """Wait until every ledger write scheduled so far is done."""
        while self._writes:
            await asyncio.gather(*list(self._writes.values()), return_exceptions=True)

    # ---- pacing and dialling ------------------------------------------------------------
    async def tick(self) -> PacingDecision:
        """Ask the pacer and place what it says (one tick at a time: a tick asked for by a
        campaign start never overlaps the pacing loop's)."""
        async with self._tick_lock:
            return await self._tick()

    async def _tick(self) -> PacingDecision:
        now = self.clock()
        if not self.dialing_enabled:
            self.last_plan = decision(0, fact(Clause.DIALING_PAUSED))
            return self.last_plan
        await self.offers.tend(now)
        plan = await self.offers.plan(now)
        self.last_plan = plan
        if plan.dials <= 0 or self.node_with_room() is None:
            return plan  # nowhere to dial: take nobody
        queue = self.queue
        taken = await queue.take(plan.dials, now)
        dialling: set[str] = set()
        try:
            for dial in taken:
                if dial.person_id in self.calls.persons():
                    continue  # never two calls to one person (the queue should not offer it)
                node = self.node_with_room()
                if node is None:
                    break
                if not await self.ledger.mark_dialing(dial.attempt_id, at=now, node=node.name):
                    continue  # already dialled by someone else: never place it twice
                dialling.add(dial.attempt_id)
                await self.originate(dial, node, queue, now)
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

    # ---- offers: an agent reserved before the dial (see offers.py) ----------------------
    def offer_of(self, agent: str) -> str | None:
        """The attempt offered to ``agent`` and not dialled yet, if any."""
        return self.offers.attempt_of(agent)

    async def call_offer(self, agent: str) -> str:
        """« Appeler »: dial the person offered to ``agent``, bridged to them on answer."""
        return await self.offers.call(agent)

    async def pass_offer(self, agent: str, reason: str) -> None:
        """« Passer » (``reason``): the person goes back, due again later, for anyone."""
        await self.offers.pass_person(agent, reason)

    def count(self, counter: str, n: int = 1) -> None:
        """Add ``n`` to one of the :meth:`statistics` counters."""
        self._counters[counter] += n

    async def originate(
        self,
        dial: PlannedDial,
        node: TelephonyPort,
        queue: DialQueue,
        now: datetime,
        *,
        agent: str | None = None,
    ) -> None:
        """Originate an attempt already marked dialing (a refusal closes it as failed).
        ``agent``: the agent reserved for it before the dial (it is bridged to them)."""
        call = LiveCall(
            dial.attempt_id, dial.person_id, dial.cycle_id, dial.number, node.name, now, agent=agent
        )
        self.calls.add(call)
        self._queue_of[dial.attempt_id] = queue
        try:
            await node.place_call(
                DialRequest(
                    attempt_id=dial.attempt_id,
                    number=dial.number,
                    caller_id=self.caller_id,
                    ring_timeout_s=self.ring_timeout_s,
                    answering_machine_detection=self.amd,
                )
            )
        except TelephonyError as exc:
            self._counters["dial_refused"] += 1
            self.calls.pop(dial.attempt_id)
            if agent is not None:
                self.seats.release(agent, now)
            await self._close(call, CallOutcome.FAILED, now, None, None, failed=True)
            log.warning("dial %s refused: %s", dial.attempt_id, exc)
            return
        self._counters["dialled"] += 1

    def node_with_room(self) -> TelephonyPort | None:
        best: TelephonyPort | None = None
        best_room = 0
        for name, node in self.nodes.items():
            if name not in self._connected:
                continue
            room = node.channel_limit - self.calls.on_node(name) - self._legs_on(name)
            if room > best_room:
                best, best_room = node, room
        return best

    def _legs_on(self, _node: str) -> int:
        # agents' legs hold one channel each; they live on the first node
        return sum(1 for seat in self.seats.seats() if seat.leg_id is not None)

    def lines_free(self) -> int:
        return sum(
            max(0, node.channel_limit - self.calls.on_node(name) - self._legs_on(name))
            for name, node in self.nodes.items()
            if name in self._connected
        )

    # ---- agents -------------------------------------------------------------------------
    async def log_in(self, agent: str, endpoint: str) -> None:
        """Connect the agent's phone once (it auto-answers); the seat starts paused."""
        node = next((self.nodes[n] for n in self.nodes if n in self._connected), None)
        if node is None:
            raise TelephonyError("no telephony node connected: cannot connect the agent's phone")
        self._leg_serial += 1
        leg = agent_leg_id(agent, self._leg_serial)
        await node.connect_agent(agent, endpoint, leg)
        self._agent_endpoints[agent] = endpoint
        self.seats.log_in(agent, endpoint, leg, self.clock())
        await self._resume_wrap_up(agent, self.clock())

    def go_ready(self, agent: str) -> None:
        self.seats.go_ready(agent, self.clock())

    def pause(self, agent: str, reason: str) -> None:
        self.seats.pause(agent, reason, self.clock())

    async def log_out(self, agent: str) -> None:
        if self.offers.attempt_of(agent) is not None:
            await self.pass_offer(agent, "déconnexion")
        seat = self.seats.get(agent)
        self.seats.log_out(agent, self.clock())
        if seat.leg_id is not None:
            for name in self._connected:
                with contextlib.suppress(TelephonyError):
                    await self.nodes[name].hang_up(seat.leg_id)

    async def remove_agent(self, agent: str) -> AgentState:
        """Take the agent out at once, whatever their state (their account was deactivated):
        no call is offered to them again and their phone line is hung up. A call being
        joined or in progress goes on as when an agent's phone dies (the person's call ends
        with the agent's leg; its sheet is left unfinished); a wrap-up is closed without a
        disposition. Returns the state they were in."""
        seat = self.seats.seats_by_agent().get(agent)
        if seat is None or seat.state is AgentState.LOGGED_OUT:
            return AgentState.LOGGED_OUT
        was = seat.state
        if was is AgentState.WRAP_UP:
            await self.finish_wrap_up(agent, None)
        leg_id = self.seats.get(agent).leg_id
        self.seats.phone_lost(agent, self.clock())
        self._agent_endpoints.pop(agent, None)
        if leg_id is not None:
            for name in self._connected:
                with contextlib.suppress(TelephonyError):
                    await self.nodes[name].hang_up(leg_id)
        await self.screens.phone_lost(agent)
        return was

    async def give_disposition(
        self, agent: str, attempt_id: str, result: CycleResult | None
    ) -> WrapUp:
        """The agent submitted the disposition of ``attempt_id``, which gave the person
        ``result`` (None: it gave none): in wrap-up, the wrap-up ends now; still on call, the
        engine keeps it and ends the wrap-up itself when the call ends (and tells the
        screens, see :meth:`ScreenNotifier.wrapped_up`)."""
        seat = self.seats.seats_by_agent().get(agent)
        if seat is None or seat.attempt_id != attempt_id:
            return WrapUp.NONE
        if seat.state is AgentState.WRAP_UP:
            await self.finish_wrap_up(agent, result)
            return WrapUp.DONE
        if seat.state is AgentState.ON_CALL:
            self._given_on_call[attempt_id] = result
            return WrapUp.AFTER_CALL
        return WrapUp.NONE

    async def finish_wrap_up(self, agent: str, result: CycleResult | None = None) -> None:
        """The agent submitted the call's disposition, which gave the person ``result`` (None:
        it gave none): the wrap-up ends, the agent is ready again, and the campaign plans
        what comes next."""
        attempt_id = self._end_wrap_up(agent, result)
        pending = self._writes.get(attempt_id) if attempt_id is not None else None
        if pending is not None:
            await pending

    def _end_wrap_up(self, agent: str, result: CycleResult | None) -> str | None:
        """End the agent's wrap-up and schedule its ledger write; returns the attempt whose
        write to wait for, if any."""
        now = self.clock()
        seat = self.seats.get(agent)
        attempt_id = seat.attempt_id
        self.seats.wrap_up_done(agent, now)
        if attempt_id is not None:
            self._given_on_call.pop(attempt_id, None)
        call = self._pending_wraps.pop(attempt_id, None) if attempt_id else None
        if call is None or attempt_id is None:
            return None
        if call.ended_at is not None:
            self.activity.wrap_up.append((now - call.ended_at).total_seconds())
        self._record_timing(call, wrap_up_done_at=now)

        queue = self._queue_for(attempt_id, forget=True)

        async def wrapped_up() -> None:  # after the attempt's close, never before
            await self.ledger.wrap_up_done(attempt_id, at=now, result=result)
            await queue.disposed(attempt_id, result, now)

        self._write(attempt_id, wrapped_up)
        return attempt_id

    async def _watch_wrap_ups(self) -> None:
        period = min(5.0, max(0.05, self.wrap_up_limit.total_seconds() / 4))
        while True:
            await self._sleep(period)
            try:
                await self.close_forgotten_wrap_ups()
            except DialerError as exc:
                log.warning("closing forgotten wrap-ups failed: %s", exc)

    async def close_forgotten_wrap_ups(self) -> list[str]:
        """Close the wrap-ups nobody finished within :attr:`wrap_up_limit`, with the
        disposition given during the call if there was one, else none (the sheet's saved
        answers stay); the agent, if still there, is paused. Returns the attempts closed
        (counted in ``wrap_ups_expired``)."""
        now = self.clock()
        started = {a: c.ended_at or c.dialed_at for a, c in self._pending_wraps.items()}
        for attempt in self._unfinished_wraps.values():
            started[attempt.attempt_id] = attempt.ended_at or now
        closed = forgotten_wrap_ups(started, now, self.wrap_up_limit)
        for attempt_id in closed:
            seat = self.seats.by_attempt(attempt_id)
            if seat is not None and seat.state is AgentState.WRAP_UP:
                self.seats.pause(seat.agent, EXPIRED_PAUSE_REASON, now)
                await self.screens.wrapped_up(seat.agent, attempt_id)  # the screen moves on
            self._pending_wraps.pop(attempt_id, None)
            for agent, unfinished in list(self._unfinished_wraps.items()):
                if unfinished.attempt_id == attempt_id:
                    del self._unfinished_wraps[agent]
            self._dispose(attempt_id, self._given_on_call.pop(attempt_id, None), now)
            self._counters["wrap_ups_expired"] += 1
            log.warning(
                "wrap-up of %s not finished in time: closed without a disposition", attempt_id
            )
        return closed

    def _dispose(
        self,
        attempt_id: str,
        result: CycleResult | None,
        now: datetime,
        queue: DialQueue | None = None,
    ) -> None:
        """Close ``attempt_id``'s wrap-up in the ledger and ``queue`` (by default the one
        it was taken from) with ``result``, with no seat involved: its agent is gone, nobody
        was joined, or the sheet was submitted before a restart."""
        if queue is None:
            queue = self._queue_for(attempt_id, forget=True)

        async def disposed() -> None:
            await self.ledger.wrap_up_done(attempt_id, at=now, result=result)
            await queue.disposed(attempt_id, result, now)

        self._write(attempt_id, disposed)

    async def hang_up_call(self, agent: str) -> None:
        """The agent ends the call from the screen."""
        seat = self.seats.get(agent)
        if seat.attempt_id is None:
            return
        call = self.calls.get(seat.attempt_id)
        if call is not None:
            await self.nodes[call.node].hang_up(call.attempt_id)

    # ---- events -------------------------------------------------------------------------
    async def handle(self, event: TelephonyEvent, node: TelephonyPort) -> None:
        """Handle one event and wait for its ledger writes (the event loop itself does not
        wait: see :meth:`_write`)."""
        await self._dispatch(event, node)
        await self.flush()

    async def _dispatch(self, event: TelephonyEvent, node: TelephonyPort) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            await handler(event, node)

    @property
    def _handlers(self) -> dict[type, Callable[[Any, TelephonyPort], Awaitable[None]]]:
        return {
            NodeConnected: self._node_connected,
            NodeDisconnected: self._node_disconnected,
            OriginateResult: self._originate_result,
            CallRinging: self._ringing,
            CallAnswered: self._answered,
            CallMachine: self._machine,
            CallJoined: self._joined,
            CallAbandoned: self._abandoned,
            CallEnded: self._ended,
            AgentLegEnded: self._agent_leg_ended,
        }

    async def _node_connected(self, _event: NodeConnected, node: TelephonyPort) -> None:
        self._connected.add(node.name)
        await self.reconcile(node)

    async def _node_disconnected(self, _event: NodeDisconnected, node: TelephonyPort) -> None:
        self._connected.discard(node.name)

    async def _originate_result(self, event: OriginateResult, _node: TelephonyPort) -> None:
        call = self.calls.get(event.attempt_id)
        if call is not None:
            call.originate_reason = event.reason

    async def _ringing(self, event: CallRinging, _node: TelephonyPort) -> None:
        call = self.calls.get(event.attempt_id)
        if call is not None and call.state is CallState.DIALING:
            call.take(CallEvent.RINGING)
            call.ringing_at = event.at
            attempt, at = event.attempt_id, event.at
            self._write(attempt, lambda: self.ledger.mark_ringing(attempt, at=at))

    async def _machine(self, event: CallMachine, _node: TelephonyPort) -> None:
        call = self.calls.get(event.attempt_id)
        if call is not None:
            call.machine = True

    async def _abandoned(self, event: CallAbandoned, _node: TelephonyPort) -> None:
        call = self.calls.get(event.attempt_id)
        if call is not None and call.state is CallState.ANSWERED:
            call.take(CallEvent.ABANDON)

    async def _agent_leg_ended(self, event: AgentLegEnded, _node: TelephonyPort) -> None:
        seat = self.seats.by_leg(event.leg_id)
        if seat is not None and seat.state is not AgentState.LOGGED_OUT:
            # out of the pool at once: nobody is joined to a leg that is gone
            self.seats.phone_lost(seat.agent, self.clock())
            await self.screens.phone_lost(seat.agent)

    async def _answered(self, event: CallAnswered, node: TelephonyPort) -> None:
        """The hot path: reserve the agent ready the longest and bridge, before anything
        else (the person hears silence until then; the dialplan gives up at the window)."""
        attempt_id, at = event.attempt_id, event.at
        call = self.calls.get(attempt_id)
        if call is None or call.state not in (CallState.DIALING, CallState.RINGING):
            return
        call.take(CallEvent.ANSWERED)
        call.answered_at = at
        self._counters["answered"] += 1
        self.activity.time_to_answer.append((at - call.dialed_at).total_seconds())
        if call.agent is not None:  # reserved before the dial: bridged to that agent only
            seat = self.seats.seats_by_agent().get(call.agent)
            if seat is None or seat.attempt_id != attempt_id:
                seat = None
        else:
            seat = self.seats.reserve_for(attempt_id, self.clock())
        if seat is not None and seat.leg_id is not None:
            call.agent = seat.agent
            await self.screens.reserved(seat.agent, attempt_id)  # prepares, returns at once
            if not await node.join(attempt_id, seat.agent, seat.leg_id):
                call.agent = None
                current = self.seats.get(seat.agent)
                if current.state is AgentState.RESERVED and current.attempt_id == attempt_id:
                    self.seats.release(seat.agent, self.clock())
        if self.calls.get(attempt_id) is call and call.joined_at is None:
            self._write(attempt_id, lambda: self.ledger.mark_answered(attempt_id, at=at))

    async def _joined(self, event: CallJoined, _node: TelephonyPort) -> None:
        attempt_id, at = event.attempt_id, event.at
        call = self.calls.get(attempt_id)
        if call is None or call.agent is None or call.state is not CallState.ANSWERED:
            return
        call.take(CallEvent.JOINED)
        call.joined_at = at
        self._counters["joined"] += 1
        if call.answered_at is not None:
            self.join_latencies_ms.append((at - call.answered_at).total_seconds() * 1000)
        self.seats.joined(call.agent, self.clock())
        agent, answered_at = call.agent, call.answered_at or at
        self._write(
            attempt_id,
            lambda: self.ledger.mark_bridged(
                attempt_id, at=at, agent=agent, answered_at=answered_at
            ),
        )
        await self.screens.joined(call.agent, attempt_id)

    async def _ended(self, event: CallEnded, node: TelephonyPort) -> None:
        attempt_id, cause, tech, at = event.attempt_id, event.cause, event.tech_cause, event.at
        call = self.calls.pop(attempt_id)
        if call is None:
            return
        call.ended_at = at
        outcome = call.outcome(cause, tech)
        # Asterisk's own record tells "rang until we gave up" from "480 from the network",
        # and knows a join or an abandon whose event this controller missed
        if outcome is CallOutcome.HUNG_UP or call.answered_at is None:
            with contextlib.suppress(TelephonyError):
                outcome = final_outcome(outcome, await node.recorded_end(attempt_id))
        live = call.answered_at is not None and not call.machine
        self.activity.settled(at, live=live)
        if call.joined_at is not None:
            self.activity.talk.append((at - call.joined_at).total_seconds())
        if outcome is CallOutcome.ABANDONED:
            self._counters["abandoned"] += 1
            self.activity.abandoned(at)
        if outcome is CallOutcome.MACHINE:
            self._counters["machines"] += 1
        wrapping_up, disposal = await self._end_seat(call, outcome, at)
        if disposal is None and self._nobody_wraps_up(attempt_id, outcome):
            # answered, by Asterisk's record, but no agent here will wrap it up (the join's
            # events were lost with the seat): the person must not wait for ever
            disposal = (attempt_id, None)
        queue = self._queue_for(attempt_id, forget=False)  # _close forgets it
        await self._close(call, outcome, at, cause, tech, failed=False)
        if disposal is not None:
            self._dispose(*disposal, at, queue)
        if attempt_id not in self._pending_wraps:
            self._record_timing(call, wrap_up_done_at=None)
        if wrapping_up is not None and attempt_id in self._given_on_call:
            await self._wrap_up_after_call(wrapping_up, attempt_id)
        with contextlib.suppress(TelephonyError):
            await node.forget_recorded_end(attempt_id)

    async def _end_seat(
        self, call: LiveCall, outcome: CallOutcome, at: datetime
    ) -> tuple[str | None, tuple[str, CycleResult | None] | None]:
        """The call's agent after its end: into wrap-up (returned first), released, or gone
        (then a wrap-up to close is returned second, see :meth:`_agent_gone`)."""
        seat = self.seats.by_attempt(call.attempt_id)
        if seat is None:
            return None, None
        if seat.state is AgentState.RESERVED and outcome is CallOutcome.ANSWERED:
            seat = self.seats.joined(seat.agent, self.clock())  # joined: its event was lost
        if seat.state is AgentState.ON_CALL:
            self.seats.call_ended(seat.agent, self.clock())
            self._pending_wraps[call.attempt_id] = call
            await self.screens.ended(seat.agent, call.attempt_id)
            return seat.agent, None
        if seat.state is AgentState.RESERVED:
            self.seats.release(seat.agent, self.clock())
        elif seat.state is AgentState.LOGGED_OUT and outcome is CallOutcome.ANSWERED:
            return None, self._agent_gone(seat.agent, call, at)
        return None, None

    def _nobody_wraps_up(self, attempt_id: str, outcome: CallOutcome) -> bool:
        return (
            outcome is CallOutcome.ANSWERED
            and attempt_id not in self._pending_wraps
            and all(u.attempt_id != attempt_id for u in self._unfinished_wraps.values())
        )

    def _agent_gone(
        self, agent: str, call: LiveCall, at: datetime
    ) -> tuple[str, CycleResult | None] | None:
        """The agent's phone died during the call. If they had submitted the sheet, its
        result closes the wrap-up (returned, to be written after the close); else the sheet
        waits for the agent to connect again."""
        if call.attempt_id in self._given_on_call:
            return call.attempt_id, self._given_on_call.pop(call.attempt_id)
        self._unfinished_wraps[agent] = InFlightAttempt(
            call.attempt_id,
            call.person_id,
            call.cycle_id,
            call.number,
            call.node,
            agent,
            state=AttemptState.ENDED,
            placed_at=call.dialed_at,
            answered_at=call.answered_at,
            bridged_at=call.joined_at,
            ended_at=at,
        )
        return None

    async def _wrap_up_after_call(self, agent: str, attempt_id: str) -> None:
        """The disposition was given during the call: end the wrap-up now that the call has
        ended (its ledger write follows the close's, off the event path)."""
        result = self._given_on_call.pop(attempt_id)
        seat = self.seats.seats_by_agent().get(agent)
        if seat is None or seat.state is not AgentState.WRAP_UP or seat.attempt_id != attempt_id:
            return
        self._end_wrap_up(agent, result)
        await self.screens.wrapped_up(agent, attempt_id)

    async def _close(
        self,
        call: LiveCall,
        outcome: CallOutcome,
        at: datetime,
        cause: int | None,
        tech: int | None,
        *,
        failed: bool,
    ) -> None:
        queue = self._queue_for(call.attempt_id, forget=call.attempt_id not in self._pending_wraps)

        async def close() -> None:
            await self.ledger.close(
                call.attempt_id, outcome, at=at, cause=cause, sip_status=tech, failed=failed
            )
            await queue.settled(call.attempt_id, outcome, at)

        self._write(call.attempt_id, close)

    def _record_timing(self, call: LiveCall, *, wrap_up_done_at: datetime | None) -> None:
        self.finished.append(
            CallTiming(
                attempt_id=call.attempt_id,
                campaign_id=0,
                cycle_id=call.cycle_id,
                agent=call.agent,
                dialed_at=call.dialed_at,
                answered_at=call.answered_at,
                joined_at=call.joined_at,
                hung_up_at=call.ended_at or call.dialed_at,
                wrap_up_done_at=wrap_up_done_at,
            )
        )

    # ---- reconciliation -----------------------------------------------------------------
    async def reconcile(self, node: TelephonyPort) -> None:
        """Match the ledger's in-flight attempts on ``node`` with what Asterisk knows."""
        await self.flush()  # the ledger must be up to date before comparing it with Asterisk
        in_flight = await self.ledger.in_flight(node.name)
        live = await node.live_channels()
        unknown = [a for a in in_flight if a.attempt_id not in live]
        recorded = {}
        for attempt in unknown:
            record = await node.recorded_end(attempt.attempt_id)
            if record is not None:
                recorded[attempt.attempt_id] = record
        by_id = {a.attempt_id: a for a in in_flight}
        now = self.clock()
        for step in reconcile([a.attempt_id for a in in_flight], live, recorded):
            attempt = by_id[step.attempt_id]
            match step:
                case Resume():
                    self._counters["reconciled_resumed"] += 1
                    if self.calls.get(attempt.attempt_id) is None:
                        self._resume(attempt, node.name, now)
                case Close(outcome=outcome, cause=cause, sip_status=sip, recorded=known):
                    self._counters["reconciled_closed"] += 1
                    call = self.calls.pop(attempt.attempt_id) or LiveCall(
                        attempt.attempt_id,
                        attempt.person_id,
                        attempt.cycle_id,
                        attempt.number,
                        node.name,
                        now,
                    )
                    end = recorded[attempt.attempt_id].ended_at if known else None
                    call.ended_at = end or now
                    await self._end_seat_found_ended(call, outcome, now)
                    await self._close(call, outcome, end or now, cause, sip, failed=not known)
                    if call.agent is not None and attempt.attempt_id in self._given_on_call:
                        await self._wrap_up_after_call(call.agent, attempt.attempt_id)
                    await node.forget_recorded_end(attempt.attempt_id)
        self._adopt_legs({c for c in live if c.startswith(AGENT_LEG_PREFIX)}, now)
        await self._resume_wrap_ups(now)
        for seat in self.seats.seats():
            leg = seat.leg_id
            if (
                leg is not None
                and leg.startswith(AGENT_LEG_PREFIX)
                and leg not in live
                and seat.state is not AgentState.LOGGED_OUT
            ):
                self.seats.phone_lost(seat.agent, now)
                await self.screens.phone_lost(seat.agent)

    async def _end_seat_found_ended(
        self, call: LiveCall, outcome: CallOutcome, now: datetime
    ) -> None:
        """A call found ended at reconciliation: its agent, if any, is released or wraps it
        up (joined if its answer was, the join's event lost)."""
        seat = self.seats.by_attempt(call.attempt_id)
        if seat is not None and seat.state is AgentState.RESERVED:
            if outcome is CallOutcome.ANSWERED:  # joined, the event was lost
                self.seats.joined(seat.agent, now)
            else:
                self.seats.release(seat.agent, now)
        seat = self.seats.by_attempt(call.attempt_id)
        if seat is not None and seat.state is AgentState.ON_CALL:
            self.seats.call_ended(seat.agent, now)  # the agent wraps it up
            call.agent = seat.agent
            self._pending_wraps[call.attempt_id] = call
            await self.screens.ended(seat.agent, call.attempt_id)

    def _resume(self, attempt: InFlightAttempt, node: str, now: datetime) -> None:
        """Follow again a call that outlived its controller, in the state the ledger knew."""
        state = CALL_STATE_OF[attempt.state]
        call = LiveCall(
            attempt.attempt_id,
            attempt.person_id,
            attempt.cycle_id,
            attempt.number,
            node,
            attempt.placed_at or now,
            state=state,
            agent=attempt.agent,
        )
        if state in (CallState.ANSWERED, CallState.JOINED):
            call.answered_at = attempt.answered_at or now
        if state is CallState.JOINED:
            call.joined_at = attempt.bridged_at or now
        self.calls.add(call)

    async def _resume_wrap_ups(self, now: datetime) -> None:
        """Calls that ended with no disposition (the controller restarted during the
        wrap-up, or was away when the call ended): each agent connected again is back on
        that call's sheet, so the answers already given are kept and the sheet can be
        finished; an agent who connects later gets it at log-in."""
        waiting = [
            attempt
            for attempt in await self.ledger.awaiting_wrap_up()
            if attempt.agent is not None and attempt.attempt_id not in self._pending_wraps
        ]
        for attempt in waiting:
            if attempt.sheet_submitted:  # the sheet was given before the restart: close it
                self._dispose(attempt.attempt_id, attempt.result, now)
        self._unfinished_wraps = {
            attempt.agent: replace(attempt, ended_at=attempt.ended_at or now)
            for attempt in reversed(waiting)
            if attempt.agent is not None and not attempt.sheet_submitted
        }
        for agent in list(self._unfinished_wraps):
            await self._resume_wrap_up(agent, now)

    async def _resume_wrap_up(self, agent: str, now: datetime) -> None:
        seat = self.seats.seats_by_agent().get(agent)
        if seat is None or seat.state not in (AgentState.READY, AgentState.PAUSED):
            return
        attempt = self._unfinished_wraps.pop(agent, None)
        if attempt is None or attempt.attempt_id in self._pending_wraps:
            return
        self.seats.resume_wrap_up(agent, attempt.attempt_id, now)
        call = LiveCall(
            attempt.attempt_id,
            attempt.person_id,
            attempt.cycle_id,
            attempt.number,
            attempt.node or "",
            attempt.placed_at or now,
            state=CallState.ENDED,
            agent=agent,
        )
        call.answered_at, call.joined_at, call.ended_at = (
            attempt.answered_at,
            attempt.bridged_at,
            now,
        )
        self._pending_wraps[attempt.attempt_id] = call
        await self.screens.ended(agent, attempt.attempt_id)

    def _adopt_legs(self, legs: set[str], now: datetime) -> None:
        """Agents' phone legs still connected from a previous controller become seats again:
        on call if the ledger says their call goes on, else ready."""
        known = {seat.leg_id for seat in self.seats.seats()}
        for leg in sorted(legs - known):
            agent = agent_of_leg(leg)
            current = self.seats.seats_by_agent().get(agent)
            if current is not None and current.state is not AgentState.LOGGED_OUT:
                continue
            self.seats.log_in(agent, agent, leg, now)
            self.seats.go_ready(agent, now)
            call = next(
                (c for c in self.calls.all() if c.agent == agent and c.joined_at is not None),
                None,
            )
            if call is not None:
                self.seats.reserve_agent(agent, call.attempt_id, now)
                self.seats.joined(agent, now)
            self._counters["legs_adopted"] += 1

    # ---- statistics ---------------------------------------------------------------------
    def statistics(self) -> dict[str, object]:
        counts = self.seats.counts()
        latencies = sorted(self.join_latencies_ms)
        return {
            "agents": {state.value: n for state, n in counts.items()},
            "calls_dialing": self.calls.count(CallState.DIALING),
            "calls_ringing": self.calls.count(CallState.RINGING),
            "calls_waiting_agent": self.calls.count(CallState.ANSWERED),
            "calls_connected": self.calls.count(CallState.JOINED),
            "lines_free": self.lines_free(),
            "last_plan": self.last_plan.reason,
            "pacing": pacing_text(self.last_plan),
            "campaign_assigned": self.assigned,
            "dialing_enabled": self.dialing_enabled,
            "assignments": self.assignments,
            "join_latency_ms_p50": _pct(latencies, 0.5),
            "join_latency_ms_p99": _pct(latencies, 0.99),
            "nodes": [node.statistics() for node in self.nodes.values()],
            **self._counters,
        }


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(fraction * len(values)))], 2)
