"""A graceful stop (SIGTERM): no new dial, the calls in progress and their wrap-ups
finish, then the agents' phone lines are released; all within a bound, after which the
calls still going on are left to Asterisk (the next controller adopts them, as after a
restart) and unfinished sheets come back to their agents at their next log-in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dialer.core.agent_states import AgentState
from dialer.core.operator_messages import say
from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)

#: states in which an agent's line is released at the stop (no call on it)
RELEASED_AT_STOP = (AgentState.READY, AgentState.PAUSED, AgentState.WRAP_UP)


@dataclass(frozen=True)
class Drained:
    calls_left: int  # still going on at the bound, left to Asterisk
    wrap_ups_left: int  # sheets not finished at the bound (back at the next log-in)
    lines_released: int


def _busy(engine: DialingEngine) -> tuple[int, int]:
    seats = engine.seats.seats()
    return (
        len(engine.calls.all()),
        sum(1 for seat in seats if seat.state is AgentState.WRAP_UP),
    )


async def drain(
    engine: DialingEngine,
    *,
    bound_s: float,
    poll_s: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Drained:
    engine.dialing_enabled = False
    await engine.offers.withdraw_all("arrêt du service", engine.clock())
    await engine.inbound.stop(engine.clock())  # callers hear the hours, called back
    waited = 0.0
    calls, wrap_ups = _busy(engine)
    log.info(
        "arrêt : plus aucun appel lancé ; %d appel(s) et %d fiche(s) en cours", calls, wrap_ups
    )
    while (calls or wrap_ups) and waited < bound_s:
        await sleep(poll_s)
        waited += poll_s
        calls, wrap_ups = _busy(engine)
    released = 0
    for seat in engine.seats.seats():
        if seat.state in RELEASED_AT_STOP:
            await engine.log_out(seat.agent)
            released += 1
    log.info(say("stop.done", lines=released, calls=calls, sheets=wrap_ups))
    return Drained(calls, wrap_ups, released)
