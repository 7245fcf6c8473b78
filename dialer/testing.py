"""Test doubles for code built on the dialer: a clock a test moves by hand, and in-memory
stand-ins for the engine's ports.

The project's fast tier drives the engine with these; the real-Asterisk tier uses the real
node, and the storage tier the real ledger. Production code never imports this module (an
import contract in ``.importlinter`` says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialer.core.attempts import ATTEMPT_STATE_RANK, IN_FLIGHT_STATES, AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.own_line import OwnLineCall
from dialer.core.reconciliation import RecordedEnd
from dialer.engine.ports import InFlightAttempt, PlannedDial
from dialer.errors import TelephonyError
from dialer.telephony.port import DialRequest, TelephonyEvent


class Clock:
    """Time that moves only when the test moves it.

    Call it for the time now (wherever the code takes a ``clock``), and pass :meth:`sleep`
    wherever it takes a ``sleep``: a sleeper wakes when :meth:`advance` moves the time to
    its deadline, so a loop that sleeps between turns runs one turn per advance and no test
    waits for real time to pass.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []
        self._watchers: list[asyncio.Future[None]] = []  # wait_for_sleepers() calls

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move the time on (``advance(5)``, ``advance(minutes=3)``) and wake the sleepers
        whose deadline it reached; they run at the event loop's next turn."""
        self.now += timedelta(seconds=seconds, **delta)
        due = [waiter for at, waiter in self._sleepers if at <= self.now]
        self._sleepers = [(at, w) for at, w in self._sleepers if at > self.now and not w.done()]
        for waiter in due:
            if not waiter.done():
                waiter.set_result(None)
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Return once the clock has been advanced by ``seconds`` (``asyncio.sleep``'s
        shape); ``sleep(0)`` only lets the other tasks run."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + timedelta(seconds=seconds), waiter))
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            if not watcher.done():
                watcher.set_result(None)
        await waiter

    @property
    def sleeping(self) -> int:
        """How many tasks are asleep on this clock now."""
        return sum(1 for _, waiter in self._sleepers if not waiter.done())

    async def wait_for_sleepers(self, count: int = 1, *, timeout_s: float = 5.0) -> None:
        """Let the other tasks run until ``count`` of them sleep on this clock (a loop has
        finished its turn). Only their own work is waited for, never the clock's time;
        ``timeout_s`` bounds it (a loop that never sleeps fails the test)."""
        async with asyncio.timeout(timeout_s):
            while self.sleeping < count:
                asleep = asyncio.get_running_loop().create_future()
                self._watchers.append(asleep)
                await asleep


class FakeNode:
    """A telephony port that records what the engine asks and lets the test speak for
    Asterisk by pushing events."""

    def __init__(self, name: str = "node-1", channel_limit: int = 100) -> None:
        self.name = name
        self.channel_limit = channel_limit
        self.placed: list[DialRequest] = []
        self.joins: list[tuple[str, str]] = []
        #: calls moved to another dialplan context: (channel, context)
        self.sent: list[tuple[str, str]] = []
        #: the positions told to waiting callers (channel, prompt word), in order
        self.positions: list[tuple[str, str]] = []
        self.hangups: list[str] = []
        self.agents: list[tuple[str, str, str]] = []
        #: the caller id each agent's own phone was called with, in order
        self.own_line_caller_ids: list[tuple[str, str]] = []
        self.live: set[str] = set()
        self.recorded: dict[str, RecordedEnd] = {}
        self.refuse_join = False
        self.refuse_dial = False
        #: how a call to an agent's own phone ends, and an event it waits for first
        self.own_line_answer = OwnLineCall.CONFIRMED
        self.own_line_gate: asyncio.Event | None = None
        #: whether the node's AMI session is up, as its statistics report it
        self.connected = True
        #: whether Asterisk has the information message (see TelephonyPort)
        self.prompts_present: bool | None = True
        self.events: asyncio.Queue[TelephonyEvent] = asyncio.Queue()
        #: people on hold in a transfer: their call → the transfer's id
        self.held: dict[str, str] = {}

    async def place_call(self, request: DialRequest) -> None:
        if self.refuse_dial:
            raise TelephonyError("refused")
        self.placed.append(request)
        self.live.add(request.attempt_id)

    async def join(self, attempt_id: str, agent: str, leg_id: str) -> bool:
        self.joins.append((attempt_id, agent))
        return not self.refuse_join

    async def hang_up(self, channel_id: str) -> None:
        self.hangups.append(channel_id)

    async def send_to(self, channel_id: str, context: str) -> bool:
        self.sent.append((channel_id, context))
        return True

    async def tell_position(self, channel_id: str, word: str) -> bool:
        self.positions.append((channel_id, word))
        return True

    async def connect_agent(self, agent: str, endpoint: str, leg_id: str) -> None:
        self.agents.append((agent, endpoint, leg_id))
        self.live.add(leg_id)

    async def call_agent_phone(
        self, agent: str, number: str, leg_id: str, *, caller_id: str
    ) -> OwnLineCall:
        self.agents.append((agent, f"tel:{number}", leg_id))
        self.own_line_caller_ids.append((agent, caller_id))
        if self.own_line_gate is not None:
            await self.own_line_gate.wait()
        if self.own_line_answer is OwnLineCall.CONFIRMED:
            self.live.add(leg_id)
        return self.own_line_answer

    async def live_channels(self) -> set[str]:
        return set(self.live)

    async def held_for_transfer(self) -> dict[str, str]:
        return dict(self.held)

    async def back_to_agent(self, attempt_id: str, leg_id: str) -> None:
        self.held.pop(attempt_id, None)
        self.sent.append((attempt_id, f"rejoin {leg_id}"))

    async def release_person(self, attempt_id: str) -> None:
        self.held.pop(attempt_id, None)
        self.sent.append((attempt_id, "released"))

    async def recorded_end(self, attempt_id: str) -> RecordedEnd | None:
        return self.recorded.get(attempt_id)

    async def forget_recorded_end(self, attempt_id: str) -> None:
        self.recorded.pop(attempt_id, None)

    async def next_event(self) -> TelephonyEvent:
        return await self.events.get()

    def statistics(self) -> dict[str, int | float | str | bool]:
        return {"node": self.name, "connected": self.connected, "placed": len(self.placed)}


@dataclass
class LoggedAttempt:
    attempt_id: str
    person_id: int
    cycle_id: int
    number: str
    state: AttemptState = AttemptState.PLANNED
    node: str | None = None
    agent: str | None = None
    outcome: CallOutcome | None = None
    result: CycleResult | None = None
    history: list[str] = field(default_factory=list)
    #: a call coming in (kind inbound)
    inbound: bool = False


class MemoryAttemptLog:
    """Forward-only like the real one (the ledger's order, :data:`ATTEMPT_STATE_RANK`): a
    backwards move raises."""

    def __init__(self) -> None:
        self.entries: dict[str, LoggedAttempt] = {}
        #: attempts whose call sheet was submitted, with the result it gave
        self.sheets_submitted: dict[str, CycleResult | None] = {}
        #: False: the database is away (the real log's writes keep failing)
        self.accepting = True

    def plan(self, attempt_id: str, person_id: int, number: str, cycle_id: int = 1) -> None:
        self.entries[attempt_id] = LoggedAttempt(attempt_id, person_id, cycle_id, number)

    def _move(self, attempt_id: str, state: AttemptState) -> None:
        entry = self.entries[attempt_id]
        if ATTEMPT_STATE_RANK[state] <= ATTEMPT_STATE_RANK[entry.state]:
            raise AssertionError(f"{attempt_id}: {entry.state} -> {state} is not forward")
        entry.state = state
        entry.history.append(state.value)

    async def mark_dialing(self, attempt_id: str, *, at: datetime, node: str | None) -> bool:
        if self.entries[attempt_id].state is not AttemptState.PLANNED:
            return False
        self._move(attempt_id, AttemptState.DIALING)
        self.entries[attempt_id].node = node
        return True

    async def mark_ringing(self, attempt_id: str, *, at: datetime) -> None:
        self._move(attempt_id, AttemptState.RINGING)

    async def mark_answered(self, attempt_id: str, *, at: datetime) -> None:
        self._move(attempt_id, AttemptState.ANSWERED)

    async def mark_bridged(
        self, attempt_id: str, *, at: datetime, agent: str, answered_at: datetime
    ) -> None:
        self._move(attempt_id, AttemptState.BRIDGED)
        self.entries[attempt_id].agent = agent

    async def close(
        self,
        attempt_id: str,
        outcome: CallOutcome,
        *,
        at: datetime,
        cause: int | None,
        sip_status: int | None,
        failed: bool,
        unplaced: bool = False,
    ) -> None:
        self._move(attempt_id, AttemptState.FAILED if failed else AttemptState.ENDED)
        if unplaced:
            self.entries[attempt_id].history.append("unplaced")
        self.entries[attempt_id].outcome = outcome

    async def wrap_up_done(
        self, attempt_id: str, *, at: datetime, result: CycleResult | None
    ) -> None:
        self.entries[attempt_id].history.append("wrapped")
        self.entries[attempt_id].result = result

    async def awaiting_wrap_up(self) -> list[InFlightAttempt]:
        return [
            InFlightAttempt(
                e.attempt_id,
                e.person_id,
                e.cycle_id,
                e.number,
                e.node,
                e.agent,
                state=e.state,
                sheet_submitted=e.attempt_id in self.sheets_submitted,
                result=self.sheets_submitted.get(e.attempt_id),
            )
            for e in self.entries.values()
            if e.state is AttemptState.ENDED
            and e.outcome is CallOutcome.ANSWERED
            and e.agent is not None
            and "wrapped" not in e.history
        ]

    def writable(self) -> bool:
        return self.accepting

    def write_statistics(self) -> dict[str, float | int | bool]:
        return {"ledger_writable": self.accepting}

    async def in_flight(self, node: str) -> list[InFlightAttempt]:
        return [
            InFlightAttempt(
                e.attempt_id,
                e.person_id,
                e.cycle_id,
                e.number,
                e.node,
                e.agent,
                state=e.state,
                inbound=e.inbound,
            )
            for e in self.entries.values()
            if e.state in IN_FLIGHT_STATES and e.node in (node, None)
        ]


class MemoryQueue:
    def __init__(
        self,
        ledger: MemoryAttemptLog,
        dials: list[PlannedDial],
        reserved: Sequence[PlannedDial] = (),
    ) -> None:
        self.ledger = ledger
        self.pending = list(dials)
        self.settled_outcomes: dict[str, CallOutcome] = {}
        self.results: dict[str, CycleResult | None] = {}
        self.taken: dict[str, PlannedDial] = {}
        self.given_back: list[str] = []
        #: people whose next call needs an agent reserved first (see :meth:`claim`)
        self.reserved: list[PlannedDial] = list(reserved)
        self.claimed: dict[str, str] = {}
        self.passed: dict[str, str] = {}
        for dial in [*dials, *reserved]:
            ledger.plan(dial.attempt_id, dial.person_id, dial.number, dial.cycle_id)

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        taken, self.pending = self.pending[:count], self.pending[count:]
        self.taken.update({dial.attempt_id: dial for dial in taken})
        return taken

    async def give_back(self, attempt_ids: Sequence[str], at: datetime) -> None:
        back = [
            self.taken.pop(attempt_id)
            for attempt_id in attempt_ids
            if attempt_id in self.taken
            and self.ledger.entries[attempt_id].state is AttemptState.PLANNED
        ]
        self.given_back.extend(dial.attempt_id for dial in back)
        self.pending = back + self.pending

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        self.settled_outcomes[attempt_id] = outcome

    async def settle_left_overs(self, at: datetime) -> int:
        """Closed in the ledger, never settled here (a controller died in between)."""
        left = [
            e.attempt_id
            for e in self.ledger.entries.values()
            if e.state in (AttemptState.ENDED, AttemptState.FAILED)
            and e.attempt_id in self.taken
            and e.attempt_id not in self.settled_outcomes
        ]
        for attempt_id in left:
            outcome = self.ledger.entries[attempt_id].outcome or CallOutcome.FAILED
            await self.settled(attempt_id, outcome, at)
        return len(left)

    async def disposed(self, attempt_id: str, result: CycleResult | None, at: datetime) -> None:
        self.results[attempt_id] = result

    def waiting(self) -> int:
        return len(self.pending)

    async def claim(
        self, agent: str, now: datetime, *, passed: Sequence[int] = ()
    ) -> PlannedDial | None:
        """The first of :attr:`reserved` not passed by ``agent`` (claimed: taken out)."""
        for dial in self.reserved:
            if dial.person_id not in passed:
                self.reserved.remove(dial)
                self.taken[dial.attempt_id] = dial
                self.claimed[dial.attempt_id] = agent
                return dial
        return None

    async def pass_person(self, attempt_id: str, reason: str, now: datetime) -> None:
        dial = self.taken.pop(attempt_id, None)
        if dial is not None and self.ledger.entries[attempt_id].state is AttemptState.PLANNED:
            self.passed[attempt_id] = reason
            self.reserved.append(dial)

    async def reserved_due(self, now: datetime) -> int:
        return len(self.reserved)
