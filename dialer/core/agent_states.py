"""The agent (seat) state machine.

::

                 log_in                  go_ready               reserve
    LOGGED_OUT ─────────▶ PAUSED ◀──────────────▶ READY ─────────────────▶ RESERVED
        ▲                  ▲   pause                ▲  ◀────release──────     │
        │ log_out          │                        │                         │ join
        │ (not on call)    │ pause                  │ wrap_up_done            ▼
        └──────────────────┴──────── WRAP_UP ◀──────┴──────── call_ended ─ ON_CALL

An agent logs in paused (phone connected, not yet taking calls), goes ready, is reserved
for an answered call, is joined to it (on call), then wraps up (enters the answers) and is
ready again. Pausing carries a reason (break, training, technical problem, ...).
Losing the phone leg (``phone_lost``) from any state logs the agent out.
"""

from __future__ import annotations

from enum import StrEnum

from dialer.errors import ConflictError


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    PAUSED = "paused"
    READY = "ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class AgentEvent(StrEnum):
    LOG_IN = "log_in"
    GO_READY = "go_ready"
    PAUSE = "pause"
    RESERVE = "reserve"
    RELEASE = "release"
    JOIN = "join"
    CALL_ENDED = "call_ended"
    WRAP_UP_DONE = "wrap_up_done"
    LOG_OUT = "log_out"
    PHONE_LOST = "phone_lost"
    #: after a controller restart, back to the sheet of a call that ended before it
    RESUME_WRAP_UP = "resume_wrap_up"


TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (AgentState.LOGGED_OUT, AgentEvent.LOG_IN): AgentState.PAUSED,
    (AgentState.PAUSED, AgentEvent.GO_READY): AgentState.READY,
    (AgentState.READY, AgentEvent.PAUSE): AgentState.PAUSED,
    (AgentState.READY, AgentEvent.RESERVE): AgentState.RESERVED,
    (AgentState.RESERVED, AgentEvent.RELEASE): AgentState.READY,
    (AgentState.RESERVED, AgentEvent.JOIN): AgentState.ON_CALL,
    (AgentState.ON_CALL, AgentEvent.CALL_ENDED): AgentState.WRAP_UP,
    (AgentState.WRAP_UP, AgentEvent.WRAP_UP_DONE): AgentState.READY,
    (AgentState.WRAP_UP, AgentEvent.PAUSE): AgentState.PAUSED,
    (AgentState.PAUSED, AgentEvent.LOG_OUT): AgentState.LOGGED_OUT,
    (AgentState.READY, AgentEvent.LOG_OUT): AgentState.LOGGED_OUT,
    (AgentState.WRAP_UP, AgentEvent.LOG_OUT): AgentState.LOGGED_OUT,
    (AgentState.PAUSED, AgentEvent.RESUME_WRAP_UP): AgentState.WRAP_UP,
    (AgentState.READY, AgentEvent.RESUME_WRAP_UP): AgentState.WRAP_UP,
}


def next_agent_state(state: AgentState, event: AgentEvent) -> AgentState:
    """The state after ``event``; raises :class:`ConflictError` for an impossible event."""
    if event is AgentEvent.PHONE_LOST:
        return AgentState.LOGGED_OUT
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise ConflictError(f"agent in state {state} cannot take event {event}") from None
