"""The dialing engine: one per service, alive even when no campaign runs.

Campaigns are *assigned* to the engine (each its dial queue, pacer, caller id and AMD
setting, see :meth:`DialingEngine.assign`) and later *unassigned*; meanwhile agents' seats
and phone legs stay as they are. Several campaigns dial side by side, each paced against
the agents serving it (:mod:`~dialer.engine.assignments`). With no campaign assigned the
engine dials nothing (:class:`IdleQueue`, :func:`idle_pacer`). Calls placed for a campaign
settle into that campaign's queue even after another one is assigned.

Every second the pacer looks at a snapshot of live statistics and says how many calls to
place; the engine takes that many planned attempts from the dial queue (already written in
the ledger), marks each dialing (exactly once) and originates it on the node with the most
free channels. Telephony events move each call through the call state machine and each
agent through the seat board: an answered person is joined to the agent ready the longest,
without ringing the agent's phone (the agent's leg waits in the dialplan). If nobody can be
joined in time, the dialplan itself plays the information message (see extensions.conf).

On every (re)connection of a node, and at start-up, the engine reconciles the ledger's
in-flight attempts with the channels alive in Asterisk and Asterisk's recorded ends.

The engine holds the shared state (the nodes, the seat board, the calls in progress, the
campaigns assigned) and hands each kind of work to its own module:

- :mod:`~dialer.engine.assignments`: the campaigns assigned and the agents serving each;
- :mod:`~dialer.engine.dialling`: the pacing tick, originating, free lines;
- :mod:`~dialer.engine.offers`: people offered to an agent reserved before the dial;
- :mod:`~dialer.engine.call_events`: the telephony events of a call's life (the hot path);
- :mod:`~dialer.engine.agents`: the agents' phone lines (log in/out, removal);
- :mod:`~dialer.engine.wrap_ups`: wrap-ups and the agents' dispositions;
- :mod:`~dialer.engine.recovery`: reconciliation with Asterisk after a (re)connection;
- :mod:`~dialer.engine.attempt_writes`: the attempt log's writes, off the event path;
- :mod:`~dialer.engine.statistics_view`: the counters and the statistics snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

from dialer.clock import utcnow
from dialer.core.agent_states import AgentState
from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.handling_time import CallTiming
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.seats import SeatBoard
from dialer.core.serving import Served
from dialer.core.windows import PARIS
from dialer.core.wrap_up import WRAP_UP_LIMIT
from dialer.engine import call_events, inbound_choices, recovery
from dialer.engine.activity import Activities, Activity
from dialer.engine.agents import AgentLines, log_agent_state
from dialer.engine.assignments import Assignment, Assignments
from dialer.engine.attempt_writes import AttemptWrites
from dialer.engine.dialling import Dialler
from dialer.engine.inbound import InboundCalls
from dialer.engine.inbound_choices import InboundCaller
from dialer.engine.inbound_desk import desk_of
from dialer.engine.live_calls import LiveCall, LiveCalls
from dialer.engine.offers import ReservedCallDesk
from dialer.engine.ports import AttemptLog, DialQueue, NoScreens, PlannedDial, ScreenNotifier
from dialer.engine.statistics_view import COUNTERS, LATENCY_SAMPLES, statistics_of
from dialer.engine.wrap_ups import WrapUp, WrapUps
from dialer.errors import DialerError
from dialer.telephony.port import CallAnswered, CallInbound, TelephonyEvent, TelephonyPort

log = logging.getLogger(__name__)


Pacer = Callable[["DialingEngine", datetime], PacingDecision]


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

    async def settle_left_overs(self, at: datetime) -> int:
        return 0

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
        attempt_log: AttemptLog,
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
        inbound_wait: timedelta = timedelta(seconds=30),
        own_volunteer_wait: timedelta = timedelta(seconds=20),
    ) -> None:
        if ring_timeout_s < 15:
            raise DialerError(f"ring_timeout_s={ring_timeout_s}: never under 15 s")
        self.nodes = {node.name: node for node in nodes}
        #: where each attempt's progress is written down (the attempt ledger behind it)
        self.attempt_log = attempt_log
        #: the service's ring timeout; a campaign may set its own (:meth:`assign`)
        self.default_ring_timeout_s = ring_timeout_s
        #: the campaigns it dials for (see assignments.py); none: the idle one below
        self.campaign_assignments = Assignments()
        self._idle = Assignment(
            None, IdleQueue(), idle_pacer, caller_id, answering_machine_detection, ring_timeout_s
        )
        if queue is not None:
            self.campaign_assignments.put(
                Assignment(
                    None, queue, pacer, caller_id, answering_machine_detection, ring_timeout_s
                )
            )
        self.screens = screens or NoScreens()
        self.clock = clock
        self.tick_s = tick_s
        #: how the pacing loop waits between ticks (a test's clock passes its own)
        self._sleep = sleep
        self.wrap_up_limit = wrap_up_limit
        self.seats = SeatBoard()
        self.calls = LiveCalls()
        #: the names of the nodes connected now
        self.connected: set[str] = set()
        self.writes = AttemptWrites(attempt_log, self._queue_of_cycle)
        self.dialler = Dialler(self)
        #: people offered to an agent reserved for them, not dialled yet
        self.offers = ReservedCallDesk(self, offer_countdown)
        self.agent_lines = AgentLines(self)
        self.wrap_ups = WrapUps(self)
        #: the calls whose person is in a transfer followed now (``dialer serve`` gives
        #: the transfers service's): a reconciliation takes the others off hold
        self.transfers_under_way: Callable[[], set[str]] = set
        #: people calling the campaign's number (see inbound.py)
        self.inbound = InboundCalls(self, inbound_wait, own_volunteer_wait)
        self.finished: list[CallTiming] = []
        self.activity = Activity(zone)
        #: the pooled activity above and each campaign's own (its pacing figures)
        self.activities = Activities(self.activity, zone)
        self.join_latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.assignments = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()
        #: per call, the last task handling its events while its answer is handled
        self._answering_of: dict[str, asyncio.Task[None]] = {}

    # ---- the campaigns assigned (see assignments.py) ------------------------------------
    def assign(
        self,
        queue: DialQueue,
        pacer: Pacer,
        *,
        caller_id: str,
        answering_machine_detection: bool,
        dialing_enabled: bool = True,
        ring_timeout_s: int | None = None,
        campaign_id: int | None = None,
        cycle_id: int | None = None,
    ) -> None:
        """Dial for a campaign from now on (the calls in progress go on unchanged);
        ``ring_timeout_s``: the campaign's own, ``None`` for the service's. Without
        ``campaign_id`` it becomes the engine's only campaign, served by every agent; with
        it, it dials beside the other campaigns assigned with theirs (the same id again:
        replaced)."""
        self.campaign_assignments.put(
            Assignment(
                campaign_id,
                queue,
                pacer,
                caller_id,
                answering_machine_detection,
                ring_timeout_s or self.default_ring_timeout_s,
                dialing_enabled,
                cycle_id,
            )
        )
        self.assignments += 1
        self.inbound.campaign_started(campaign_id)

    def unassign(self, campaign_id: int | None = None) -> None:
        """Dial nothing more for ``campaign_id`` (``None``: for any campaign); calls in
        progress end normally, in their campaign; its callers hear the hours from now on
        and are called back at the opening, see :meth:`InboundCalls.campaigns_stopped`)."""
        leaving = [
            a
            for a in self.campaign_assignments
            if campaign_id is None or a.campaign_id == campaign_id
        ]
        self.inbound.campaigns_stopped(
            {a.campaign_id: desk for a in leaving if (desk := desk_of(a.queue)) is not None}
        )
        if campaign_id is None:
            self.campaign_assignments.clear()
        else:
            self.campaign_assignments.remove(campaign_id)
        if not len(self.campaign_assignments):
            self._idle.last_plan = decision(0, fact(Clause.NO_CAMPAIGN))
            self._idle.dialing_enabled = True

    def pause_campaign(self, campaign_id: int) -> None:
        """No new dials for ``campaign_id`` (its calls in progress go on)."""
        assignment = self.campaign_assignments.get(campaign_id)
        if assignment is not None:
            assignment.dialing_enabled = False

    def resume_campaign(self, campaign_id: int) -> None:
        assignment = self.campaign_assignments.get(campaign_id)
        if assignment is not None:
            assignment.dialing_enabled = True

    def plan_of(self, campaign_id: int) -> PacingDecision:
        """``campaign_id``'s last pacing decision (its own agents, its own window)."""
        assignment = self.campaign_assignments.get(campaign_id)
        return assignment.last_plan if assignment is not None else self._idle.last_plan

    @property
    def assigned(self) -> bool:
        return len(self.campaign_assignments) > 0

    def _target(self) -> Assignment:
        """The campaign the single-campaign attributes below speak of: the only one
        assigned, else the idle one (a campaign's own are its :class:`Assignment`'s, passed
        as an argument wherever one campaign's call is handled)."""
        return self.campaign_assignments.sole() or self._idle

    @property
    def queue(self) -> DialQueue:
        return self._target().queue

    @property
    def pacer(self) -> Pacer:
        return self._target().pacer

    @pacer.setter
    def pacer(self, pacer: Pacer) -> None:
        self._target().pacer = pacer

    @property
    def caller_id(self) -> str:
        return self._target().caller_id

    @caller_id.setter
    def caller_id(self, caller_id: str) -> None:
        self._target().caller_id = caller_id

    @property
    def amd(self) -> bool:
        return self._target().amd

    @amd.setter
    def amd(self, amd: bool) -> None:
        self._target().amd = amd

    @property
    def ring_timeout_s(self) -> int:
        return self._target().ring_timeout_s

    @ring_timeout_s.setter
    def ring_timeout_s(self, seconds: int) -> None:
        self._target().ring_timeout_s = seconds

    @property
    def dialing_enabled(self) -> bool:
        """Whether it dials (with several campaigns: whether any of them dials)."""
        if len(self.campaign_assignments) > 1:
            return any(a.dialing_enabled for a in self.campaign_assignments)
        return self._target().dialing_enabled

    @dialing_enabled.setter
    def dialing_enabled(self, enabled: bool) -> None:
        """Every campaign's switch at once (the service's stop turns all off)."""
        self._idle.dialing_enabled = enabled
        for assignment in self.campaign_assignments:
            assignment.dialing_enabled = enabled

    @property
    def last_plan(self) -> PacingDecision:
        """The last pacing decision (with several campaigns: all of theirs together; each
        one's is its :attr:`Assignment.last_plan`)."""
        if len(self.campaign_assignments) > 1:
            return self.campaign_assignments.combined_plan(
                [a.last_plan for a in self.campaign_assignments]
            )
        return self._target().last_plan

    @last_plan.setter
    def last_plan(self, plan: PacingDecision) -> None:
        self._target().last_plan = plan

    def assignments_to_tick(self) -> list[Assignment]:
        """The campaigns a tick paces, in the order they were assigned (none: the idle
        one, which says why nothing is dialled)."""
        return list(self.campaign_assignments) or [self._idle]

    def assignment_of_queue(self, queue: DialQueue) -> Assignment:
        """The campaign whose queue ``queue`` is (else the only one, else the idle one)."""
        found = next((a for a in self.campaign_assignments if a.queue is queue), None)
        return found or self._target()

    def activity_of(self, call: LiveCall) -> tuple[Activity, ...]:
        """Where ``call``'s activity is recorded: the engine's, and its campaign's."""
        assignment = self.campaign_assignments.of_call(call)
        campaign_id = assignment.campaign_id if assignment is not None else call.campaign_id
        return self.activities.recording(campaign_id)

    def busy_persons(self) -> set[int]:
        """The people in a call now, or offered to an agent, whichever the campaign."""
        return self.calls.persons() | self.offers.persons()

    def set_serving(
        self,
        serving: Mapping[str, Served],
        *,
        volunteers: Collection[str] | None = None,
        kinds: Mapping[int, CampaignKind] | None = None,
    ) -> None:
        """Which campaigns each agent serves, with its priority (an agent left out serves
        every campaign), which accounts are volunteers and each campaign's kind (a
        volunteer takes veille-sociale calls only): the next ticks and joins follow it."""
        self.campaign_assignments.set_serving(
            serving, None if volunteers is None else frozenset(volunteers), kinds
        )

    def _queue_of_cycle(self, cycle_id: int | None) -> DialQueue:
        """The queue a call of ``cycle_id`` settles in when it was not taken from one here
        (resumed after a restart): its campaign's, else the only one's."""
        found = self.campaign_assignments.of_cycle(cycle_id) if cycle_id is not None else None
        return (found or self.campaign_assignments.sole() or self._idle).queue

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

    async def _watch_wrap_ups(self) -> None:
        period = min(5.0, max(0.05, self.wrap_up_limit.total_seconds() / 4))
        while True:
            await self._sleep(period)
            try:
                await self.close_forgotten_wrap_ups()
            except DialerError as exc:
                log.warning("closing forgotten wrap-ups failed: %s", exc)

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
            answer = isinstance(event, CallAnswered | CallInbound)
            if attempt_id is not None and (answer or before):
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
            await call_events.dispatch(self, event, node)
        except DialerError as exc:
            log.warning("node %s: handling %s failed: %s", node.name, type(event).__name__, exc)

    async def handle(self, event: TelephonyEvent, node: TelephonyPort) -> None:
        """Handle one event and wait for its ledger writes (the event loop itself does not
        wait: see :mod:`dialer.engine.attempt_writes`)."""
        await call_events.dispatch(self, event, node)
        await self.flush()

    async def flush(self) -> None:
        """Wait until every ledger write scheduled so far is done."""
        await self.writes.flush()

    async def reconcile(self, node: TelephonyPort) -> None:
        """Match the ledger's in-flight attempts on ``node`` with what Asterisk knows,
        with no call being placed meanwhile (see :meth:`Dialler.held`)."""
        async with self.dialler.held():
            await recovery.reconcile_node(self, node)

    # ---- pacing and dialling (see dialling.py) ------------------------------------------
    async def tick(self) -> PacingDecision:
        """Ask the pacer and place what it says (one tick at a time). Incoming calls
        waiting take the free agents first; a campaign dials and offers nothing while a
        caller it could take still waits (:meth:`InboundCalls.holding`)."""
        await self.inbound.serve(self.clock())
        return await self.dialler.tick()

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
        await self.dialler.originate(dial, node, queue, now, agent=agent)

    def node_with_room(self) -> TelephonyPort | None:
        return self.dialler.node_with_room()

    def lines_free(self) -> int:
        return self.dialler.lines_free()

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

    # ---- agents (see agents.py) ---------------------------------------------------------
    async def log_in(self, agent: str, endpoint: str) -> None:
        """Connect the agent's phone once (it auto-answers); the seat starts paused."""
        await self.agent_lines.log_in(agent, endpoint)

    async def call_own_phone(self, agent: str, number: str) -> None:
        """Call the agent's own phone (``number``, E.164) through the trunk; once they press
        1 that call is their leg and the seat starts paused, as with a softphone. Otherwise
        :class:`ConflictError` says why in French; one call at a time per agent, and a few
        per ten minutes (:func:`dialer.core.own_line.may_call_again`)."""
        await self.agent_lines.call_own_phone(agent, number)

    def go_ready(self, agent: str) -> None:
        before = self.seats.get(agent).state
        log_agent_state(agent, before, self.seats.go_ready(agent, self.clock()).state)

    def pause(self, agent: str, reason: str) -> None:
        before = self.seats.get(agent).state
        log_agent_state(agent, before, self.seats.pause(agent, reason, self.clock()).state)

    async def log_out(self, agent: str) -> None:
        await self.agent_lines.log_out(agent)

    async def remove_agent(self, agent: str) -> AgentState:
        """Take the agent out at once, whatever their state (their account was deactivated):
        no call is offered to them again and their phone line is hung up. A call being
        joined or in progress goes on as when an agent's phone dies (the person's call ends
        with the agent's leg; its sheet is left unfinished); a wrap-up is closed without a
        disposition. Returns the state they were in."""
        return await self.agent_lines.remove(agent)

    async def hang_up_call(self, agent: str) -> None:
        """The agent ends the call from the screen."""
        await self.agent_lines.hang_up_call(agent)

    async def attach_inbound(self, agent: str, attempt_id: str, person_id: int) -> None:
        """``agent`` says who their call coming in is about: on a shared line, who is on
        the phone; for a number on no register, the person found on it (see
        :func:`dialer.engine.inbound_choices.attach`)."""
        await inbound_choices.attach(self, agent, attempt_id, person_id)

    def inbound_caller(self, agent: str, attempt_id: str) -> InboundCaller:
        """``agent``'s call coming in ``attempt_id``: its number, its cycle, its person."""
        return inbound_choices.caller_of(self, agent, attempt_id)

    # ---- wrap-ups (see wrap_ups.py) -----------------------------------------------------
    async def give_disposition(
        self, agent: str, attempt_id: str, result: CycleResult | None
    ) -> WrapUp:
        """The agent submitted the disposition of ``attempt_id``, which gave the person
        ``result`` (None: it gave none): in wrap-up, the wrap-up ends now; still on call, the
        engine keeps it and ends the wrap-up itself when the call ends (and tells the
        screens, see :meth:`ScreenNotifier.wrapped_up`)."""
        return await self.wrap_ups.give_disposition(agent, attempt_id, result)

    async def finish_wrap_up(self, agent: str, result: CycleResult | None = None) -> None:
        """The agent submitted the call's disposition, which gave the person ``result`` (None:
        it gave none): the wrap-up ends, the agent is ready again, and the campaign plans
        what comes next."""
        await self.wrap_ups.finish(agent, result)

    async def close_forgotten_wrap_ups(self) -> list[str]:
        """Close the wrap-ups nobody finished within :attr:`wrap_up_limit`, with the
        disposition given during the call if there was one, else none (the sheet's saved
        answers stay); the agent, if still there, is paused. Returns the attempts closed
        (counted in ``wrap_ups_expired``)."""
        return await self.wrap_ups.close_forgotten()

    # ---- statistics (see statistics_view.py) --------------------------------------------
    def count(self, counter: str, n: int = 1) -> None:
        """Add ``n`` to one of the :meth:`statistics` counters."""
        self.counters[counter] += n

    def statistics(self) -> dict[str, object]:
        return statistics_of(self)
