"""The calls the engine is following right now, moved by the call state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialer.core.attempts import CallEvent, CallState, next_call_state
from dialer.core.handling_time import CallTiming
from dialer.core.outcomes import CallOutcome, classify
from dialer.core.reconciliation import seen_outcome


@dataclass
class LiveCall:
    attempt_id: str
    #: ``None``: a call coming in from a number on no register (no attempt in the ledger)
    person_id: int | None
    cycle_id: int
    number: str
    node: str
    dialed_at: datetime
    state: CallState = CallState.DIALING
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    joined_at: datetime | None = None
    ended_at: datetime | None = None
    agent: str | None = None
    originate_reason: int | None = None
    machine: bool = False
    #: False when this controller's events cannot tell whether the person was bridged:
    #: the node's AMI session was cut while it followed the call, the call was resumed
    #: after a restart, or a bridge came that it did not expect (its join had failed)
    join_witnessed: bool = True
    #: the campaign it was placed for (``None``: the engine's only one, or unknown)
    campaign_id: int | None = None
    #: the person called the campaign's number (no dial: counted in no pacing figure)
    inbound: bool = False

    def take(self, event: CallEvent) -> CallState:
        self.state = next_call_state(self.state, event)
        return self.state

    def outcome(self, cause: int | None, tech_cause: int | None) -> CallOutcome:
        """The outcome once the channel is gone (the engine may refine unanswered calls
        with Asterisk's recorded end)."""
        seen = seen_outcome(
            self.state,
            answered=self.answered_at is not None,
            joined=self.joined_at is not None,
            machine=self.machine,
            abandoned=self.state is CallState.ABANDONED,
        )
        if seen is not None:
            return seen
        return classify(originate_reason=self.originate_reason, cause=cause, tech_cause=tech_cause)

    def timing(self, *, wrap_up_done_at: datetime | None) -> CallTiming:
        """The call's durations, once it has ended (and its wrap-up, if any)."""
        return CallTiming(
            attempt_id=self.attempt_id,
            campaign_id=0,
            cycle_id=self.cycle_id,
            agent=self.agent,
            dialed_at=self.dialed_at,
            answered_at=self.answered_at,
            joined_at=self.joined_at,
            hung_up_at=self.ended_at or self.dialed_at,
            wrap_up_done_at=wrap_up_done_at,
        )


class LiveCalls:
    def __init__(self) -> None:
        self._calls: dict[str, LiveCall] = {}

    def add(self, call: LiveCall) -> None:
        self._calls[call.attempt_id] = call

    def get(self, attempt_id: str) -> LiveCall | None:
        return self._calls.get(attempt_id)

    def pop(self, attempt_id: str) -> LiveCall | None:
        return self._calls.pop(attempt_id, None)

    def all(self) -> list[LiveCall]:
        return list(self._calls.values())

    def persons(self) -> set[int]:
        return {call.person_id for call in self._calls.values() if call.person_id is not None}

    def on_node(self, node: str) -> int:
        return sum(1 for call in self._calls.values() if call.node == node)

    def count(self, *states: CallState) -> int:
        return sum(1 for call in self._calls.values() if call.state in states)
