"""An agent's choices on their call coming in (:mod:`dialer.engine.inbound`): on a shared
line, who of the register is on the phone; for a number on no register, the person of the
register the agent found (the call then becomes that person's, with its sheet and its
wrap-up, as if the number had been theirs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dialer.core.inbound_match import AttachRefusal, Engagement, LineUse
from dialer.core.labels import ATTACH_REFUSAL_LABELS
from dialer.engine import inbound_lines
from dialer.engine.inbound_desk import InboundDesk, desk_of
from dialer.engine.live_calls import LiveCall
from dialer.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

_NOT_YOURS = "appel inconnu, ou qui n'est pas votre appel en cours"


@dataclass(frozen=True)
class InboundCaller:
    """An agent's call coming in, as the screen's choices need it."""

    attempt_id: str
    number: str
    cycle_id: int
    #: None: a number on no register, no person attached yet
    person_id: int | None


def agents_call(engine: DialingEngine, agent: str, attempt_id: str) -> LiveCall:
    """``agent``'s call coming in ``attempt_id``, in progress."""
    live = engine.calls.get(attempt_id)
    if live is None or live.agent != agent:
        raise NotFoundError(_NOT_YOURS)
    if not live.inbound:
        raise ConflictError(ATTACH_REFUSAL_LABELS[AttachRefusal.NOT_INBOUND])
    return live


def caller_of(engine: DialingEngine, agent: str, attempt_id: str) -> InboundCaller:
    live = agents_call(engine, agent, attempt_id)
    return InboundCaller(attempt_id, live.number, live.cycle_id, live.person_id)


def _desk(engine: DialingEngine, live: LiveCall) -> InboundDesk:
    queue = engine.writes.queue_for(live.attempt_id, forget=False, cycle_id=live.cycle_id)
    desk = desk_of(queue)
    if desk is None:
        raise ConflictError(ATTACH_REFUSAL_LABELS[AttachRefusal.NOT_INBOUND])
    return desk


async def attach(engine: DialingEngine, agent: str, attempt_id: str, person_id: int) -> None:
    """The call becomes ``person_id``'s: on a shared line, one holder of the number; for a
    number on no register, any person of the campaign's cycle. Refused (in French) when
    the person is on the line with us in another call, does not hold the number (shared
    line), or the sheet is validated already; the others are untouched."""
    live = agents_call(engine, agent, attempt_id)
    if live.person_id == person_id:
        return
    desk = _desk(engine, live)
    engaged = {p: e for p, e in engine.inbound.engaged().items() if e.attempt_id != attempt_id}
    if live.person_id is not None:
        await desk.reattach(attempt_id, person_id, engaged=engaged)
        live.person_id = person_id
        await _withdrawn(engine, engaged.get(person_id))
        return
    dial = await desk.attach_found(
        attempt_id,
        live.number,
        person_id,
        agent=agent,
        node=live.node,
        answered_at=live.answered_at or live.dialed_at,
        bridged_at=live.joined_at,
        engaged=engaged,
    )
    # from now on the call is that person's, as if taken for them: recorded, with a sheet
    live.person_id, live.cycle_id, live.number = person_id, dial.cycle_id, dial.number
    engine.writes.recorded(attempt_id)
    engine.wrap_ups.given_on_call.pop(attempt_id, None)
    await _withdrawn(engine, engaged.get(person_id))


async def _withdrawn(engine: DialingEngine, engagement: Engagement | None) -> None:
    """The chosen person's outbound call being dialled, or their offer to another agent,
    was withdrawn in the ledger for this call: hung up, or the offer taken back."""
    if engagement is not None and engagement.use is LineUse.DIALLING:
        await inbound_lines.withdraw(engine, engagement.attempt_id, engine.clock())
