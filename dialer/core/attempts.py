"""The vocabulary of one dial attempt: its call states, its ledger states, its kind, the
agent's disposition and the person's result it gives.

The call state machine, followed by the engine for a call in progress::

    PLANNED ──dial──▶ DIALING ──ringing──▶ RINGING ──answered──▶ ANSWERED ──joined──▶ JOINED
       │                 │                    │                     │                   │
       │cancel           │hangup              │hangup           abandon│  │hangup      │hangup
       ▼                 ▼                    ▼                     ▼  ▼            ▼
    CANCELLED          ENDED                ENDED          ABANDONED  ENDED        ENDED

``DIALING`` may go straight to ``ANSWERED`` (Asterisk does not always report ringing).
A state only moves forward: the ledger enforces the same order on its own states
(:class:`AttemptState`, :data:`ATTEMPT_STATE_RANK`); :data:`CALL_STATE_OF` says which call
state each ledger state is (a restarted engine follows a call again from it).

When an agent ends a call's wrap-up, their :class:`Disposition` gives the person's
:class:`CycleResult` (:func:`person_result`), or none: the planner then decides.
"""

from __future__ import annotations

from enum import StrEnum

from dialer.errors import ConflictError

# --- the call, as the engine follows it ----------------------------------------------


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


# --- the attempt, as the ledger writes it down ---------------------------------------


class AttemptKind(StrEnum):
    """Who placed an attempt."""

    AUTOMATIC = "automatic"  # placed by the dialer
    CALLBACK = "callback"  # an agent-scheduled callback, dialled by an agent in preview
    #: launched by an agent reserved for it who saw the person first (preview campaigns,
    #: the call-back after an abandon, any dial within the abandon quiet period)
    PREVIEW = "preview"
    #: a call to the person's relative (their « contact proche »), the person not reached:
    #: by an agent reserved for it, with the relative questionnaire (:mod:`.relatives`)
    RELATIVE = "relative"
    #: the person called the campaign's number and was routed to a free agent (never
    #: dialled: the attempt id is the incoming channel's Uniqueid)
    INBOUND = "inbound"


#: attempts placed only once an agent is reserved for them: the agent sees the person first,
#: the call is bridged to that agent, so it can never be abandoned
RESERVED_KINDS = frozenset({AttemptKind.CALLBACK, AttemptKind.PREVIEW, AttemptKind.RELATIVE})


class AttemptState(StrEnum):
    """planned → dialing → ringing → answered → bridged → ended, or → failed/ended from any
    state before. States only move forward (see :data:`ATTEMPT_STATE_RANK`)."""

    PLANNED = "planned"
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    BRIDGED = "bridged"
    ENDED = "ended"
    FAILED = "failed"  # closed without ever reaching Asterisk


#: a state may only move to a state of strictly higher rank; ended and failed are final
ATTEMPT_STATE_RANK: dict[AttemptState, int] = {
    AttemptState.PLANNED: 0,
    AttemptState.DIALING: 1,
    AttemptState.RINGING: 2,
    AttemptState.ANSWERED: 3,
    AttemptState.BRIDGED: 4,
    AttemptState.ENDED: 5,
    AttemptState.FAILED: 5,
}

#: the one mapping between the two machines: the call state each ledger state is. An
#: abandoned call is ENDED in the ledger (its outcome says abandoned); a FAILED attempt
#: never reached Asterisk and ended there.
CALL_STATE_OF: dict[AttemptState, CallState] = {
    AttemptState.PLANNED: CallState.PLANNED,
    AttemptState.DIALING: CallState.DIALING,
    AttemptState.RINGING: CallState.RINGING,
    AttemptState.ANSWERED: CallState.ANSWERED,
    AttemptState.BRIDGED: CallState.JOINED,
    AttemptState.ENDED: CallState.ENDED,
    AttemptState.FAILED: CallState.ENDED,
}

#: states of an attempt that Asterisk may still be handling
IN_FLIGHT_STATES: tuple[AttemptState, ...] = (
    AttemptState.DIALING,
    AttemptState.RINGING,
    AttemptState.ANSWERED,
    AttemptState.BRIDGED,
)


# --- what the call decided -------------------------------------------------------------


class Disposition(StrEnum):
    """How an agent closes a call sheet."""

    COMPLETE = "complete"  # questionnaire complet: a contact utile
    INTERRUPTED = "interrupted"
    REFUSED = "refused"
    CALLBACK = "callback"
    ABSENT = "absent"
    WRONG_NUMBER = "wrong_number"
    HOSPITALISED = "hospitalised"
    MOVED = "moved"
    DECEASED = "deceased"
    #: « ne plus appeler »: the person (or a relative for them) asks never to be called
    #: again; unlike REFUSED (today's questionnaire) it holds across cycles and campaigns
    OPPOSED = "opposed"


class CycleResult(StrEnum):
    """How a person's cycle ended. All but NEVER_REACHED, WITHDRAWN and TAKEN_OVER are
    agents' dispositions too."""

    REACHED = "reached"  # questionnaire complete
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"  # no number of the register reaches the person
    HOSPITALISED = "hospitalised"
    MOVED = "moved"
    DECEASED = "deceased"
    NEVER_REACHED = "never_reached"  # attempts exhausted, or the deadline passed
    #: not reached, but their relative gave news of them (not a useful contact)
    REACHED_VIA_RELATIVE = "via_relative"
    AWAY = "away"  # away from home for a while (their relative said so)
    #: asked never to be called again (:mod:`dialer.core.holds`); also given to people an
    #: opposition took out of a running cycle's queue
    OPPOSED = "opposed"
    #: a veille-sociale household (or one enrolled in an emergency campaign through the
    #: veille-sociale list only) whose consent was withdrawn while it waited: not called
    #: again, and no field visit (:func:`dialer.core.cycle_closure.result_at_close`)
    WITHDRAWN = "withdrawn"
    #: a veille-sociale household its coordinator took over: the volunteers no longer
    #: call it, the coordinator follows it up themselves
    TAKEN_OVER = "taken_over"


_RESULT_OF_DISPOSITION: dict[Disposition, CycleResult | None] = {
    Disposition.COMPLETE: CycleResult.REACHED,
    Disposition.REFUSED: CycleResult.REFUSED,
    Disposition.WRONG_NUMBER: CycleResult.WRONG_NUMBER,
    Disposition.HOSPITALISED: CycleResult.HOSPITALISED,
    Disposition.MOVED: CycleResult.MOVED,
    Disposition.DECEASED: CycleResult.DECEASED,
    Disposition.OPPOSED: CycleResult.OPPOSED,
    Disposition.INTERRUPTED: None,
    Disposition.CALLBACK: None,
    Disposition.ABSENT: None,
}


def person_result(disposition: Disposition) -> CycleResult | None:
    """The person's result an agent's disposition gives; None when it decides nothing (an
    interrupted call, a callback, the person absent): the planner then plans what's next."""
    return _RESULT_OF_DISPOSITION[disposition]
