"""The agents' phone lines: logging in connects the agent's phone once (it auto-answers and
its leg waits in the dialplan, the seat starts paused); logging out, or being taken out
when the account is deactivated, hangs that leg up. (Ready and paused are the seat
board's, :class:`dialer.core.seats.SeatBoard`; wrap-ups are :mod:`dialer.engine.wrap_ups`.)"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.labels import OWN_LINE_CALL_LABELS, OWN_LINE_CALLING, OWN_LINE_TOO_MANY
from dialer.core.operator_messages import say
from dialer.core.own_line import OwnLineCall, may_call_again
from dialer.errors import ConflictError, TelephonyError
from dialer.telephony.port import TelephonyPort
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
        #: agents whose own phone the dialer is calling now, and its recent calls to it
        self._calling: set[str] = set()
        self._own_calls: dict[str, list[datetime]] = {}

    def _node(self) -> TelephonyPort:
        engine = self.engine
        node = next((engine.nodes[n] for n in engine.nodes if n in engine.connected), None)
        if node is None:
            raise TelephonyError("no telephony node connected: cannot connect the agent's phone")
        return node

    async def log_in(self, agent: str, endpoint: str) -> None:
        """See :meth:`DialingEngine.log_in`."""
        node = self._node()
        self._leg_serial += 1
        leg = agent_leg_id(agent, self._leg_serial)
        await node.connect_agent(agent, endpoint, leg)
        await self._logged_in(agent, endpoint, leg)

    async def call_own_phone(self, agent: str, number: str) -> None:
        """See :meth:`DialingEngine.call_own_phone`."""
        engine = self.engine
        now = engine.clock()
        seat = engine.seats.seats_by_agent().get(agent)
        if seat is not None and seat.state is not AgentState.LOGGED_OUT:
            return  # their line is up already
        if agent in self._calling:
            raise ConflictError(OWN_LINE_CALLING)
        recent = self._own_calls.setdefault(agent, [])
        if not may_call_again(recent, now):
            raise ConflictError(OWN_LINE_TOO_MANY)
        node = self._node()
        recent.append(now)
        del recent[: max(0, len(recent) - 20)]
        self._calling.add(agent)
        try:
            self._leg_serial += 1
            leg = agent_leg_id(agent, self._leg_serial)
            ended = await node.call_agent_phone(
                agent, number, leg, caller_id=self._caller_id_for(agent)
            )
            if ended is OwnLineCall.CONFIRMED and leg not in await node.live_channels():
                ended = OwnLineCall.NOT_CONFIRMED  # hung up as 1 was pressed: no line
            if ended is not OwnLineCall.CONFIRMED:
                log.info(say("agent.own_line", agent=agent, outcome=ended.value))
                raise ConflictError(OWN_LINE_CALL_LABELS[ended])
            await self._logged_in(agent, f"tel:{number}", leg)
        finally:
            self._calling.discard(agent)

    def _caller_id_for(self, agent: str) -> str:
        """The number the agent's phone shows: their campaign's caller id (the one they
        serve first, :meth:`Assignments.of_agent`), else the service's."""
        engine = self.engine
        campaign = engine.campaign_assignments.of_agent(agent)
        if campaign is not None and campaign.caller_id:
            return campaign.caller_id
        return engine.caller_id

    async def _logged_in(self, agent: str, endpoint: str, leg: str) -> None:
        engine = self.engine
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
