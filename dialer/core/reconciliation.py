"""After a reconnect or a restart: what to do with each attempt the ledger believes is in
flight, given the channels Asterisk reports alive and Asterisk's own record of how calls
ended (the dialplan's hangup handler writes one per attempt into AstDB).

A pure decision, so it is tested without Asterisk; the engine carries it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from dialer.core.attempts import CallState
from dialer.core.outcomes import CallOutcome, classify

PROVISIONAL_SIP = frozenset({100, 180, 181, 182, 183})


@dataclass(frozen=True)
class RecordedEnd:
    """How Asterisk recorded an attempt's end (the dialplan's hangup handler, in AstDB)."""

    attempt_id: str
    cause: int | None
    tech_cause: int | None  # the last SIP status Asterisk saw from the callee
    channel_state: str  # Up, Ringing, Down, ...
    dialer_state: str  # joined, abandoned, or "" (never reached the join window)
    ended_at: datetime | None


@dataclass(frozen=True)
class Resume:
    """The channel is alive: keep tracking it."""

    attempt_id: str


@dataclass(frozen=True)
class Close:
    """The channel is gone: close the attempt with what Asterisk recorded."""

    attempt_id: str
    outcome: CallOutcome
    cause: int | None
    sip_status: int | None
    recorded: bool  # False: Asterisk had no record (the end time is the controller's)
    #: no channel, no record, never seen answered: nobody knows how it ended (closed
    #: failed; as no dial when it was never heard of: see the engine's recovery)
    unknown: bool = False


def outcome_of(record: RecordedEnd) -> CallOutcome:
    """The outcome Asterisk's hangup-handler record means."""
    if record.dialer_state == "abandoned":
        return CallOutcome.ABANDONED
    if record.dialer_state == "joined":
        return CallOutcome.ANSWERED
    if record.channel_state == "Up":
        return CallOutcome.HUNG_UP  # answered, gone inside the join window, before a decision
    if record.tech_cause in PROVISIONAL_SIP:
        return CallOutcome.NO_ANSWER  # still ringing when Asterisk gave up
    return classify(originate_reason=None, cause=record.cause, tech_cause=record.tech_cause)


#: outcomes the controller knows for certain from its own events (it saw the join, the
#: machine or the abandon): Asterisk's record cannot tell more
_SEEN_FOR_CERTAIN = frozenset({CallOutcome.ANSWERED, CallOutcome.MACHINE, CallOutcome.ABANDONED})


def final_outcome(
    seen: CallOutcome, record: RecordedEnd | None, *, join_witnessed: bool
) -> CallOutcome:
    """The outcome of a call the controller followed to its end: what its events said,
    unless Asterisk's own record knows better. Events can be lost (an AMI session cut
    between the Redirect and the BridgeEnter); the dialplan's record of the join or the
    abandon cannot.

    The dialplan records "joined" when the Redirect lands, before the bridge forms. When
    the controller's own events witnessed the call's bridge or its absence
    (``join_witnessed``: its session never cut, no unexpected bridge), a recorded join with
    no BridgeEnter did not happen: the person hung up between the Redirect and the bridge,
    and nobody talked to them."""
    if record is None or seen in _SEEN_FOR_CERTAIN:
        return seen
    recorded = outcome_of(record)
    if join_witnessed and seen is CallOutcome.HUNG_UP and recorded is CallOutcome.ANSWERED:
        return seen
    return recorded


def reconcile(
    in_flight: Iterable[str],
    live_channels: set[str],
    recorded: Mapping[str, RecordedEnd],
    seen: Mapping[str, CallOutcome] | None = None,
) -> list[Resume | Close]:
    """``seen``: how the controller itself knows a call ended, for calls it followed past
    the answer (its own memory, else the attempt log) that vanished with no record:
    Asterisk restarted, its channels hung up without running the hangup handler."""
    decisions: list[Resume | Close] = []
    for attempt_id in in_flight:
        if attempt_id in live_channels:
            decisions.append(Resume(attempt_id))
        elif attempt_id in recorded:
            record = recorded[attempt_id]
            decisions.append(
                Close(attempt_id, outcome_of(record), record.cause, record.tech_cause, True)
            )
        elif (outcome := (seen or {}).get(attempt_id)) is not None:
            decisions.append(Close(attempt_id, outcome, None, None, False))
        else:
            # Never reached Asterisk (the Originate was lost with the connection), or it
            # was ringing when Asterisk went away: nobody was called, or we cannot know.
            decisions.append(Close(attempt_id, CallOutcome.FAILED, None, None, False, True))
    return decisions


def never_heard_of(memory: CallState | None, logged: CallState) -> bool:
    """Nothing was ever heard of a call (the controller's memory, if it has one, and the
    attempt log still say dialing): with no channel and no record either, its Originate
    was lost with the session and Asterisk never had it: no dial."""
    return logged is CallState.DIALING and memory in (None, CallState.DIALING)


def seen_outcome(
    logged: CallState, *, answered: bool, joined: bool, machine: bool, abandoned: bool
) -> CallOutcome | None:
    """How a call that vanished ended, from what the controller saw of it (``logged``:
    the attempt log's state; the flags: its memory), or None if it never saw it answered."""
    if machine:
        return CallOutcome.MACHINE
    if abandoned:
        return CallOutcome.ABANDONED
    if joined or logged is CallState.JOINED:
        return CallOutcome.ANSWERED  # somebody talked to the person: the agent wraps up
    if answered or logged is CallState.ANSWERED:
        return CallOutcome.HUNG_UP  # gone inside the join window: nobody talked to them
    return None
