"""In-memory stand-ins for the engine's ports (fast tier only; the real-Asterisk tier uses
the real node, and the storage tier the real ledger)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dialer.core.outcomes import CallOutcome
from dialer.core.reconciliation import RecordedEnd
from dialer.engine.ports import InFlightAttempt, PlannedDial
from dialer.errors import TelephonyError
from dialer.telephony.port import DialRequest, TelephonyEvent


class FakeNode:
    """A telephony port that records what the engine asks and lets the test speak for
    Asterisk by pushing events."""

    def __init__(self, name: str = "node-1", channel_limit: int = 100) -> None:
        self.name = name
        self.channel_limit = channel_limit
        self.placed: list[DialRequest] = []
        self.joins: list[tuple[str, str]] = []
        self.hangups: list[str] = []
        self.agents: list[tuple[str, str, str]] = []
        self.live: set[str] = set()
        self.recorded: dict[str, RecordedEnd] = {}
        self.refuse_join = False
        self.refuse_dial = False
        self.events: asyncio.Queue[TelephonyEvent] = asyncio.Queue()

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

    async def connect_agent(self, agent: str, endpoint: str, leg_id: str) -> None:
        self.agents.append((agent, endpoint, leg_id))
        self.live.add(leg_id)

    async def live_channels(self) -> set[str]:
        return set(self.live)

    async def recorded_end(self, attempt_id: str) -> RecordedEnd | None:
        return self.recorded.get(attempt_id)

    async def forget_recorded_end(self, attempt_id: str) -> None:
        self.recorded.pop(attempt_id, None)

    async def next_event(self) -> TelephonyEvent:
        return await self.events.get()

    def statistics(self) -> dict[str, int | float | str | bool]:
        return {"node": self.name, "placed": len(self.placed)}


@dataclass
class LedgerEntry:
    attempt_id: str
    person_id: int
    cycle_id: int
    number: str
    state: str = "planned"
    node: str | None = None
    agent: str | None = None
    outcome: CallOutcome | None = None
    disposition: str | None = None
    history: list[str] = field(default_factory=list)


class MemoryLedger:
    """Forward-only like the real one: a backwards move raises."""

    ORDER = ("planned", "dialing", "ringing", "answered", "bridged", "ended")

    def __init__(self) -> None:
        self.entries: dict[str, LedgerEntry] = {}

    def plan(self, attempt_id: str, person_id: int, number: str, cycle_id: int = 1) -> None:
        self.entries[attempt_id] = LedgerEntry(attempt_id, person_id, cycle_id, number)

    def _move(self, attempt_id: str, state: str) -> None:
        entry = self.entries[attempt_id]
        if self.ORDER.index(state) <= self.ORDER.index(entry.state):
            raise AssertionError(f"{attempt_id}: {entry.state} -> {state} is not forward")
        entry.state = state
        entry.history.append(state)

    async def mark_dialing(self, attempt_id: str, *, at: datetime, node: str | None) -> bool:
        if self.entries[attempt_id].state != "planned":
            return False
        self._move(attempt_id, "dialing")
        self.entries[attempt_id].node = node
        return True

    async def mark_ringing(self, attempt_id: str, *, at: datetime) -> None:
        self._move(attempt_id, "ringing")

    async def mark_answered(self, attempt_id: str, *, at: datetime) -> None:
        self._move(attempt_id, "answered")

    async def mark_bridged(
        self, attempt_id: str, *, at: datetime, agent: str, answered_at: datetime
    ) -> None:
        self._move(attempt_id, "bridged")
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
    ) -> None:
        self._move(attempt_id, "ended")
        self.entries[attempt_id].outcome = outcome

    async def wrap_up_done(self, attempt_id: str, *, at: datetime, disposition: str | None) -> None:
        self.entries[attempt_id].history.append("wrapped")
        self.entries[attempt_id].disposition = disposition

    async def awaiting_wrap_up(self) -> list[InFlightAttempt]:
        return [
            InFlightAttempt(
                e.attempt_id, e.person_id, e.cycle_id, e.number, e.node, e.agent, state=e.state
            )
            for e in self.entries.values()
            if e.state == "ended"
            and e.outcome is CallOutcome.ANSWERED
            and e.agent is not None
            and "wrapped" not in e.history
        ]

    async def in_flight(self, node: str) -> list[InFlightAttempt]:
        return [
            InFlightAttempt(
                e.attempt_id, e.person_id, e.cycle_id, e.number, e.node, e.agent, state=e.state
            )
            for e in self.entries.values()
            if e.state in ("dialing", "ringing", "answered", "bridged") and e.node in (node, None)
        ]


class MemoryQueue:
    def __init__(self, ledger: MemoryLedger, dials: list[PlannedDial]) -> None:
        self.ledger = ledger
        self.pending = list(dials)
        self.settled_outcomes: dict[str, CallOutcome] = {}
        self.dispositions: dict[str, str | None] = {}
        self.taken: dict[str, PlannedDial] = {}
        self.given_back: list[str] = []
        for dial in dials:
            ledger.plan(dial.attempt_id, dial.person_id, dial.number, dial.cycle_id)

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        taken, self.pending = self.pending[:count], self.pending[count:]
        self.taken.update({dial.attempt_id: dial for dial in taken})
        return taken

    async def give_back(self, attempt_ids: Sequence[str], at: datetime) -> None:
        back = [
            self.taken.pop(attempt_id)
            for attempt_id in attempt_ids
            if attempt_id in self.taken and self.ledger.entries[attempt_id].state == "planned"
        ]
        self.given_back.extend(dial.attempt_id for dial in back)
        self.pending = back + self.pending

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        self.settled_outcomes[attempt_id] = outcome

    async def disposed(self, attempt_id: str, disposition: str | None, at: datetime) -> None:
        self.dispositions[attempt_id] = disposition

    def waiting(self) -> int:
        return len(self.pending)
