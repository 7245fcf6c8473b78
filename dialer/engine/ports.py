"""What the engine needs from the rest of the system, as small interfaces.

The storage-backed implementations live with the campaign service; tests use in-memory
ones. (The telephony port is :mod:`dialer.telephony.port`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dialer.core.attempts import AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome


@dataclass(frozen=True)
class PlannedDial:
    """An attempt already written in the ledger as planned, ready to be dialled."""

    attempt_id: str
    person_id: int
    cycle_id: int
    number: str


@dataclass(frozen=True)
class InFlightAttempt:
    """An attempt the ledger believes Asterisk may still be handling."""

    attempt_id: str
    person_id: int
    cycle_id: int
    number: str
    node: str | None
    agent: str | None
    state: AttemptState = AttemptState.DIALING  # dialing, ringing, answered or bridged
    placed_at: datetime | None = None
    answered_at: datetime | None = None
    bridged_at: datetime | None = None
    ended_at: datetime | None = None
    #: its call sheet was submitted (a wrap-up to close with ``result`` at once)
    sheet_submitted: bool = False
    #: the person's result from the submitted sheet's disposition
    result: CycleResult | None = None
    #: the person called the campaign's number (kind inbound): no dial
    inbound: bool = False


class DialQueue(Protocol):
    """Who to call next. ``take`` returns attempts recorded as planned (ledger first),
    never a person who already has an attempt in flight."""

    async def take(self, count: int, now: datetime) -> list[PlannedDial]: ...

    async def give_back(self, attempt_ids: Sequence[str], at: datetime) -> None:
        """Taken but not dialled (no line free, the node went away during the tick):
        withdraw these planned attempts and put their people back in the queue."""

    async def settled(self, attempt_id: str, outcome: CallOutcome, at: datetime) -> None:
        """An attempt ended: the campaign plans what comes next for the person (for a call
        an agent handled, once the agent's disposition arrives)."""

    async def settle_left_overs(self, at: datetime) -> int:
        """Settle the attempts closed but never settled by a controller that died between
        the two writes (after a restart, once this one's own writes are flushed)."""

    async def disposed(self, attempt_id: str, result: CycleResult | None, at: datetime) -> None:
        """The agent ended the wrap-up of ``attempt_id``; their disposition gave the person
        ``result`` (None: it gave none, see :func:`dialer.core.attempts.person_result`)."""

    def waiting(self) -> int:
        """How many people are due now (for the forecast and the dashboard)."""

    async def claim(
        self, agent: str, now: datetime, *, passed: Sequence[int] = ()
    ) -> PlannedDial | None:
        """The next person to offer ``agent``, their attempt written planned with that agent
        (atomically: never claimed twice), or None. ``passed``: people not to offer them."""

    async def pass_person(self, attempt_id: str, reason: str, now: datetime) -> None:
        """The agent passed the person offered (withdrawn, due again later for anyone)."""

    async def reserved_due(self, now: datetime) -> int:
        """How many people due now wait for an agent reserved first."""


class AttemptLog(Protocol):
    """Where the engine writes each attempt's progress down (the attempt ledger behind it:
    :class:`dialer.campaigns.attempt_log.StoredAttemptLog`)."""

    async def mark_dialing(self, attempt_id: str, *, at: datetime, node: str | None) -> bool: ...

    async def mark_ringing(self, attempt_id: str, *, at: datetime) -> None: ...

    async def mark_answered(self, attempt_id: str, *, at: datetime) -> None: ...

    async def mark_bridged(
        self, attempt_id: str, *, at: datetime, agent: str, answered_at: datetime
    ) -> None:
        """Joined with ``agent`` (sets ``answered_at`` too if its own write has not landed:
        the answer's handler and the join's may race)."""

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
        """End the attempt (``failed``: it never got through to Asterisk; ``unplaced``:
        not even sent, so it is no dial at all)."""

    async def wrap_up_done(
        self, attempt_id: str, *, at: datetime, result: CycleResult | None
    ) -> None: ...

    async def in_flight(self, node: str) -> list[InFlightAttempt]: ...

    def writable(self) -> bool:
        """False while the database refuses the writes: the engine then dials nobody."""

    def write_statistics(self) -> dict[str, float | int | bool]:
        """How the writes keep up (waiting, lag, failed tries), for the dashboard."""

    async def awaiting_wrap_up(self) -> list[InFlightAttempt]:
        """Calls an agent handled that ended with no disposition yet (``agent`` is who
        must finish the sheet), oldest first."""


class ScreenNotifier(Protocol):
    """Pushes to agents' screens (the web service implements it)."""

    async def reserved(self, agent: str, attempt_id: str) -> None:
        """Prepare the screen: a call is being joined to this agent."""

    async def joined(self, agent: str, attempt_id: str) -> None:
        """Pop the screen now."""

    async def ended(self, agent: str, attempt_id: str) -> None: ...

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        """The engine ended the agent's wrap-up itself, when the call ended, with the
        disposition the agent gave during the call."""

    async def phone_lost(self, agent: str) -> None:
        """The agent's phone leg is gone (phone dead, network lost): the seat left the
        pool; the screen says so (the agent reconnects the phone to take calls again)."""

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        """The agent is reserved for ``attempt_id``, not dialled yet: show the person with
        « Appeler » and « Passer » (and the countdown after which it dials by itself)."""

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        """The offer of ``attempt_id`` is gone (passed, or given back): the screen waits."""

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        """A call from ``number``, on no register, is being joined to this agent: no record,
        no questionnaire; the screen says who is calling (the wrap-up ends with the call)."""


class NoScreens:
    """No screens attached (CLI runs, tests)."""

    async def reserved(self, agent: str, attempt_id: str) -> None:
        return None

    async def joined(self, agent: str, attempt_id: str) -> None:
        return None

    async def ended(self, agent: str, attempt_id: str) -> None:
        return None

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        return None

    async def phone_lost(self, agent: str) -> None:
        return None

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        return None

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        return None

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        return None
