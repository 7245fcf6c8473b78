"""Whom a call coming in is attached to, when the people holding the calling number may be
in a call with us already: a person is never in two calls at once.

- A holder whose outbound call is *being placed or ringing* (not answered yet) may take the
  call coming in: that outbound call is hung up and withdrawn (it spends none of the
  person's attempts: they reached us themselves), and the call coming in takes its place.
- A holder whose outbound call is *answered* (or bridged to an agent) is on the line with
  us already: the call coming in is never attached to them (on a shared line, another
  holder may take it; with nobody left it reaches an agent as an unknown number, whose form
  lets the agent note who called).
- Among the holders free to take it: one waiting to be called first, then one being dialled,
  then the number's first holder (the order given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dialer.core.attempts import CallState


class LineUse(StrEnum):
    """What a holder of the calling number is doing with us right now."""

    FREE = "free"  # no call of ours in progress
    DIALLING = "dialling"  # an outbound call placed, not answered: it may be hung up
    ON_CALL = "on_call"  # answered, or with an agent: never a second call


#: the call states of an outbound call that may still be hung up for the call coming in
_DIALLING = frozenset({CallState.PLANNED, CallState.DIALING, CallState.RINGING})
#: the call states in which the person is on the line with us
_ON_CALL = frozenset({CallState.ANSWERED, CallState.JOINED})


def line_use(state: CallState | None) -> LineUse:
    """What a person whose outbound call is in ``state`` (None: no call) is doing."""
    if state in _DIALLING:
        return LineUse.DIALLING
    if state in _ON_CALL:
        return LineUse.ON_CALL
    return LineUse.FREE


@dataclass(frozen=True)
class Engagement:
    """A person's outbound call in progress, as the engine follows it."""

    use: LineUse
    attempt_id: str


@dataclass(frozen=True)
class Holder:
    """One person of the register holding the calling number."""

    person_id: int
    #: waiting to be called in the cycle (not in a call nor done)
    waiting: bool
    use: LineUse = LineUse.FREE
    #: their outbound call in progress (with ``use`` DIALLING or ON_CALL)
    attempt_id: str | None = None


@dataclass(frozen=True)
class InboundMatch:
    """The holder the call coming in is attached to, and the outbound call to hang up
    and withdraw first (None: none)."""

    person_id: int
    withdraw: str | None


def match_caller(holders: Sequence[Holder]) -> InboundMatch | None:
    """The holder who takes the call coming in (``holders`` in the number's order), or
    None when every one is on the line with us already."""
    free = [h for h in holders if h.use is not LineUse.ON_CALL]
    if not free:
        return None

    def order(holder: Holder) -> int:
        if holder.waiting and holder.use is LineUse.FREE:
            return 0
        return 1 if holder.use is LineUse.DIALLING else 2

    chosen = min(free, key=order)  # min keeps the first of equals: the number's order
    withdraw = chosen.attempt_id if chosen.use is LineUse.DIALLING else None
    return InboundMatch(chosen.person_id, withdraw)


def holder(person_id: int, *, waiting: bool, engagement: Engagement | None) -> Holder:
    """The holder ``person_id``, doing what ``engagement`` says (None: nothing)."""
    if engagement is None:
        return Holder(person_id, waiting)
    return Holder(person_id, waiting, engagement.use, engagement.attempt_id)


def attachable(use: LineUse) -> bool:
    """Whether a call coming in may be attached to a person doing ``use`` (an agent's
    choice on a shared line too)."""
    return use is not LineUse.ON_CALL


class AttachRefusal(StrEnum):
    """Why an agent may not attach their call coming in to the person they chose."""

    NOT_INBOUND = "not_inbound"  # not a call coming in, or no longer in progress
    ON_CALL = "on_call"  # that person is on the line with us in another call
    NOT_ON_LINE = "not_on_line"  # (shared line) that person does not hold the number
    DISPOSED = "disposed"  # the call's sheet is validated: its contact is counted already
    #: a hold (opposition, death, move), a consent withdrawn, or off the register
    OUT_OF_CALLS = "out_of_calls"


def attach_refusal(
    *, inbound: bool, use: LineUse, holds_number: bool | None, disposed: bool
) -> AttachRefusal | None:
    """Why the call may not be attached to the person chosen (``holds_number``: None when
    any person of the register may be chosen, the caller's number being on nobody's)."""
    if not inbound:
        return AttachRefusal.NOT_INBOUND
    if disposed:
        return AttachRefusal.DISPOSED
    if holds_number is False:
        return AttachRefusal.NOT_ON_LINE
    if not attachable(use):
        return AttachRefusal.ON_CALL
    return None
