"""Never two calls at once (:mod:`dialer.core.inbound_match`), on the engine's side: who is
in a call with us now, and the outbound call of a person who called in while it was still
being placed or ringing, withdrawn and hung up."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.inbound_match import Engagement, LineUse, line_use
from dialer.engine.inbound_desk import InboundDesk
from dialer.errors import DialerError

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)


def engaged(engine: DialingEngine) -> dict[int, Engagement]:
    """The people in a call with us now (dialled or calling in), and how far it went; a
    person offered to an agent and not dialled yet counts as being dialled (the offer is
    withdrawn if they call in: their call coming in takes its place)."""
    found = {
        offer.dial.person_id: Engagement(LineUse.DIALLING, offer.dial.attempt_id)
        for offer in engine.offers.book.all().values()
    }
    found.update(
        (call.person_id, Engagement(line_use(call.state), call.attempt_id))
        for call in engine.calls.all()
        if call.person_id is not None and line_use(call.state) is not LineUse.FREE
    )
    return found


async def free_line(
    engine: DialingEngine, caller: str, attempt_id: str, desks: Sequence[InboundDesk], now: datetime
) -> None:
    """The caller's outbound call still ringing is withdrawn and hung up now (the caller
    then waits as anyone, the agent counted on that call freed)."""
    for desk in desks:
        try:
            withdrawn = await desk.free_line(caller, engaged=engaged(engine), at=now)
        except DialerError as exc:  # the take withdraws it, once an agent is free
            log.warning("incoming %s: line not freed: %s", attempt_id, exc)
            return
        if withdrawn is not None:
            await withdraw(engine, withdrawn, now)
            return


async def withdraw(engine: DialingEngine, attempt_id: str, now: datetime) -> None:
    """The person being dialled by ``attempt_id`` (or offered to an agent by it) called in
    meanwhile: that call is hung up and forgotten (its attempt was withdrawn in the ledger,
    so its end settles nothing), and an agent reserved for it is freed."""
    call = engine.calls.pop(attempt_id)
    if call is None:  # offered to an agent, not dialled: the offer goes
        await engine.offers.withdrawn_for_inbound(attempt_id, now)
        return
    engine.writes.queue_for(attempt_id, forget=True)
    log.info("outbound call %s withdrawn: its person called in", attempt_id)
    seat = engine.seats.by_attempt(attempt_id)
    if seat is not None and seat.state is AgentState.RESERVED:  # reserved before the dial
        engine.seats.release(seat.agent, now)
        await engine.screens.withdrawn(seat.agent, attempt_id)
    node = engine.nodes.get(call.node)
    if node is None:
        return
    try:
        await node.hang_up(attempt_id)
    except DialerError as exc:  # it rings on; its end finds no call to settle
        log.warning("outbound call %s not hung up: %s", attempt_id, exc)
