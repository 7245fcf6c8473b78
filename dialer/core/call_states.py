"""The call state machine: one dial attempt from the ledger's point of view.

::

    PLANNED ──dial──▶ DIALING ──ringing──▶ RINGING ──answered──▶ ANSWERED ──joined──▶ JOINED
       │                 │                    │                     │                   │
       │cancel           │hangup              │hangup           abandon│  │hangup      │hangup
       ▼                 ▼                    ▼                     ▼  ▼            ▼
    CANCELLED          ENDED                ENDED          ABANDONED  ENDED        ENDED

``DIALING`` may go straight to ``ANSWERED`` (Asterisk does not always report ringing).
A state only moves forward: the ledger enforces the same order.
"""

from __future__ import annotations

from enum import StrEnum

from dialer.errors import ConflictError


class CallState(StrEnum):
    PLANNED = "planned"
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    JOINED = "joined"
    ENDED = "ended"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"


class CallEvent(StrEnum):
    DIAL = "dial"  # Originate sent (the attempt was stored before)
    RINGING = "ringing"  # the callee's phone rings
    ANSWERED = "answered"  # a person (or machine) answered
    JOINED = "joined"  # bridged with an agent
    ABANDON = "abandon"  # no agent joined in time: information message played
    HANGUP = "hangup"  # the channel is gone
    CANCEL = "cancel"  # never dialled (campaign stopped, window closed)


TERMINAL = frozenset({CallState.ENDED, CallState.ABANDONED, CallState.CANCELLED})

TRANSITIONS: dict[tuple[CallState, CallEvent], CallState] = {
    (CallState.PLANNED, CallEvent.DIAL): CallState.DIALING,
    (CallState.PLANNED, CallEvent.CANCEL): CallState.CANCELLED,
    (CallState.DIALING, CallEvent.RINGING): CallState.RINGING,
    (CallState.DIALING, CallEvent.ANSWERED): CallState.ANSWERED,
    (CallState.DIALING, CallEvent.HANGUP): CallState.ENDED,
    (CallState.RINGING, CallEvent.ANSWERED): CallState.ANSWERED,
    (CallState.RINGING, CallEvent.HANGUP): CallState.ENDED,
    (CallState.ANSWERED, CallEvent.JOINED): CallState.JOINED,
    (CallState.ANSWERED, CallEvent.ABANDON): CallState.ABANDONED,
    # the person hung up inside the join window, before any agent was joined: nobody
    # dropped the call, so it is no abandon (the outcome says "hung up")
    (CallState.ANSWERED, CallEvent.HANGUP): CallState.ENDED,
    (CallState.JOINED, CallEvent.HANGUP): CallState.ENDED,
}

#: events that may arrive again once their effect is done (AMI repeats itself): ignored
IDEMPOTENT: dict[CallState, frozenset[CallEvent]] = {
    CallState.RINGING: frozenset({CallEvent.RINGING}),
    CallState.ENDED: frozenset({CallEvent.HANGUP}),
    CallState.ABANDONED: frozenset({CallEvent.HANGUP, CallEvent.ABANDON}),
    CallState.JOINED: frozenset({CallEvent.JOINED}),
}


def next_call_state(state: CallState, event: CallEvent) -> CallState:
    """The state after ``event``; raises :class:`ConflictError` for an impossible event."""
    if event in IDEMPOTENT.get(state, frozenset()):
        return state
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise ConflictError(f"call in state {state} cannot take event {event}") from None
