"""The agents' phone lines: logging in connects the agent's phone once (it auto-answers and
its leg waits in the dialplan, the seat starts paused); logging out, or being taken out
when the account is deactivated, hangs that leg up. (Ready and paused are the seat
board's, :class:`dialer.core.seats.SeatBoard`; wrap-ups are :mod:`dialer.engine.wrap_ups`.)"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.operator_messages import say
from dialer.errors import TelephonyError
from dialer.telephony.translate import agent_leg_id

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)


def log_agent_state(agent: str, before: AgentState, after: AgentState) -> None:
    """An agent's log-in, log-out, ready or pause, at INFO (the engine's calls are not)."""
    log.info(say("agent.state", agent=agent, before=before.value, after=after.value))


class AgentLines:
    def __init__(self, engine: DialingEngine) -> None:
        self.engine = engine
        self._leg_serial = 0

    async def log_in(self, agent: str, endpoint: str) -> None:
        """See :meth:`DialingEngine.log_in`."""
        engine = self.engine
        node = next((engine.nodes[n] for n in engine.nodes if n in engine.connected), None)
        if node is None:
            raise TelephonyError("no telephony node connected: cannot connect the agent's phone")
        self._leg_serial += 1
        leg = agent_leg_id(agent, self._leg_serial)
        await node.connect_agent(agent, endpoint, leg)
        engine.seats.log_in(agent, endpoint, leg, engine.clock())
        log_agent_state(agent, AgentState.LOGGED_OUT, AgentState.PAUSED)
        await engine.wrap_ups.resume(agent, engine.clock())

    async def log_out(self, agent: str) -> None:
        engine = self.engine
        if engine.offers.attempt_of(agent) is not None:
            await engine.pass_offer(agent, "déconnexion")
        seat = engine.seats.get(agent)
        engine.seats.log_out(agent, engine.clock())
        log_agent_state(agent, seat.state, AgentState.LOGGED_OUT)
        if seat.leg_id is not None:
            for name in engine.connected:
                with contextlib.suppress(TelephonyError):
                    await engine.nodes[name].hang_up(seat.leg_id)

    async def remove(self, agent: str) -> AgentState:
        """See :meth:`DialingEngine.remove_agent`."""
        engine = self.engine
        seat = engine.seats.seats_by_agent().get(agent)
        if seat is None or seat.state is AgentState.LOGGED_OUT:
            return AgentState.LOGGED_OUT
        was = seat.state
        if was is AgentState.WRAP_UP:
            await engine.finish_wrap_up(agent, None)
        leg_id = engine.seats.get(agent).leg_id
        engine.seats.phone_lost(agent, engine.clock())
        log_agent_state(agent, was, AgentState.LOGGED_OUT)
        if leg_id is not None:
            for name in engine.connected:
                with contextlib.suppress(TelephonyError):
                    await engine.nodes[name].hang_up(leg_id)
        await engine.screens.phone_lost(agent)
        return was

    async def hang_up_call(self, agent: str) -> None:
        """The agent ends the call from the screen."""
        engine = self.engine
        seat = engine.seats.get(agent)
        if seat.attempt_id is None:
            return
        call = engine.calls.get(seat.attempt_id)
        if call is not None:
            await engine.nodes[call.node].hang_up(call.attempt_id)
