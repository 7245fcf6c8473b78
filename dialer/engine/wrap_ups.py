"""Wrap-ups: after a joined call ends its agent wraps it up (the call sheet), and the
disposition they give ends the wrap-up and tells the campaign what comes next for the
person. Given while still on call, the engine keeps it and ends the wrap-up itself when the
call ends. A sheet left unfinished (the agent's phone died, the controller restarted) waits
for its agent to connect again; a wrap-up nobody finishes in time is closed without a
disposition."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptState, CallState, CycleResult
from dialer.core.labels import EXPIRED_PAUSE_REASON
from dialer.core.outcomes import CallOutcome
from dialer.core.wrap_up import forgotten_wrap_ups
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import InFlightAttempt

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)


class WrapUp(StrEnum):
    """What became of the agent's wrap-up when they gave the call's disposition."""

    DONE = "done"  #: it has ended: the agent is ready again
    AFTER_CALL = "after_call"  #: still on call: it ends when the call does
    NONE = "none"  #: the call is no longer the agent's: nothing to end


class WrapUps:
    def __init__(self, engine: DialingEngine) -> None:
        self.engine = engine
        #: attempt -> its ended call, while its agent wraps it up
        self.pending: dict[str, LiveCall] = {}
        #: attempt -> the person's result from the disposition its agent gave while on call
        self.given_on_call: dict[str, CycleResult | None] = {}
        #: agent -> the call whose sheet they left unfinished (known at reconciliation)
        self.unfinished: dict[str, InFlightAttempt] = {}

    # ---- the call ended -----------------------------------------------------------------
    async def call_ended(
        self, call: LiveCall, outcome: CallOutcome, at: datetime
    ) -> tuple[str | None, tuple[str, CycleResult | None] | None]:
        """The call's agent after its end: into wrap-up (returned first), released, or gone
        (then a wrap-up to close is returned second, see :meth:`_agent_gone`)."""
        engine = self.engine
        seat = engine.seats.by_attempt(call.attempt_id)
        if seat is None:
            disposal = self._agent_not_adopted(call, outcome, at)
            if call.agent is not None and call.agent in self.unfinished:
                await self.resume(call.agent, engine.clock())  # connected again meanwhile
            return None, disposal
        if seat.state is AgentState.RESERVED and outcome is CallOutcome.ANSWERED:
            seat = engine.seats.joined(seat.agent, engine.clock())  # joined: its event was lost
        if seat.state is AgentState.ON_CALL:
            engine.seats.call_ended(seat.agent, engine.clock())
            self.pending[call.attempt_id] = call
            await engine.screens.ended(seat.agent, call.attempt_id)
            return seat.agent, None
        if seat.state is AgentState.RESERVED:
            engine.seats.release(seat.agent, engine.clock())
        elif seat.state is AgentState.LOGGED_OUT and outcome is CallOutcome.ANSWERED:
            return None, self._agent_gone(seat.agent, call, at)
        return None, None

    def _agent_not_adopted(
        self, call: LiveCall, outcome: CallOutcome, at: datetime
    ) -> tuple[str, CycleResult | None] | None:
        """A call followed again after a restart whose agent's leg was already dead (no
        seat was adopted for it, e.g. a person released from a transfer's hold): the
        agent joined it, so its sheet waits for them as a lost phone's does."""
        agent = call.agent
        if (
            agent is None
            or call.joined_at is None
            or outcome is not CallOutcome.ANSWERED
            or agent in self.unfinished
        ):
            return None
        return self._agent_gone(agent, call, at)

    def phone_lost(self, agent: str, now: datetime) -> None:
        """The agent's phone died during a wrap-up (their softphone, or Asterisk
        restarting): the sheet waits for them to connect again."""
        seat = self.engine.seats.seats_by_agent().get(agent)
        if seat is None or seat.state is not AgentState.WRAP_UP or seat.attempt_id is None:
            return
        call = self.pending.pop(seat.attempt_id, None)
        if call is not None:
            self._agent_gone(agent, call, call.ended_at or now)

    def nobody_wraps_up(self, attempt_id: str, outcome: CallOutcome) -> bool:
        return (
            outcome is CallOutcome.ANSWERED
            and attempt_id not in self.pending
            and all(u.attempt_id != attempt_id for u in self.unfinished.values())
        )

    def _agent_gone(
        self, agent: str, call: LiveCall, at: datetime
    ) -> tuple[str, CycleResult | None] | None:
        """The agent's phone died during the call. If they had submitted the sheet, its
        result closes the wrap-up (returned, to be written after the close); else the sheet
        waits for the agent to connect again."""
        if call.attempt_id in self.given_on_call:
            return call.attempt_id, self.given_on_call.pop(call.attempt_id)
        if call.person_id is None:  # a number on no register: no sheet of anyone waits
            return None
        self.unfinished[agent] = InFlightAttempt(
            call.attempt_id,
            call.person_id,
            call.cycle_id,
            call.number,
            call.node,
            agent,
            state=AttemptState.ENDED,
            placed_at=call.dialed_at,
            answered_at=call.answered_at,
            bridged_at=call.joined_at,
            ended_at=at,
        )
        return None

    async def after_call(self, agent: str, attempt_id: str) -> None:
        """The disposition was given during the call: end the wrap-up now that the call has
        ended (its ledger write follows the close's, off the event path)."""
        result = self.given_on_call.pop(attempt_id)
        seat = self.engine.seats.seats_by_agent().get(agent)
        if seat is None or seat.state is not AgentState.WRAP_UP or seat.attempt_id != attempt_id:
            return
        self.end(agent, result)
        await self.engine.screens.wrapped_up(agent, attempt_id)

    # ---- the disposition ----------------------------------------------------------------
    async def give_disposition(
        self, agent: str, attempt_id: str, result: CycleResult | None
    ) -> WrapUp:
        """See :meth:`DialingEngine.give_disposition`."""
        seat = self.engine.seats.seats_by_agent().get(agent)
        if seat is None or seat.attempt_id != attempt_id:
            return WrapUp.NONE
        if seat.state is AgentState.WRAP_UP:
            await self.finish(agent, result)
            return WrapUp.DONE
        if seat.state is AgentState.ON_CALL:
            self.given_on_call[attempt_id] = result
            return WrapUp.AFTER_CALL
        return WrapUp.NONE

    async def finish(self, agent: str, result: CycleResult | None = None) -> None:
        """See :meth:`DialingEngine.finish_wrap_up`."""
        attempt_id = self.end(agent, result)
        pending = self.engine.writes.pending(attempt_id) if attempt_id is not None else None
        if pending is not None:
            await pending

    def end(self, agent: str, result: CycleResult | None) -> str | None:
        """End the agent's wrap-up and schedule its ledger write; returns the attempt whose
        write to wait for, if any."""
        engine = self.engine
        now = engine.clock()
        seat = engine.seats.get(agent)
        attempt_id = seat.attempt_id
        engine.seats.wrap_up_done(agent, now)
        if attempt_id is not None:
            self.given_on_call.pop(attempt_id, None)
        call = self.pending.pop(attempt_id, None) if attempt_id else None
        if call is None or attempt_id is None:
            return None
        if call.ended_at is not None:
            for activity in engine.activity_of(call):
                activity.wrap_up.append((now - call.ended_at).total_seconds())
        engine.finished.append(call.timing(wrap_up_done_at=now))
        # after the attempt's close, never before
        engine.writes.dispose(attempt_id, result, now, cycle_id=call.cycle_id)
        return attempt_id

    async def close_forgotten(self) -> list[str]:
        """See :meth:`DialingEngine.close_forgotten_wrap_ups`."""
        engine = self.engine
        now = engine.clock()
        started = {a: c.ended_at or c.dialed_at for a, c in self.pending.items()}
        for attempt in self.unfinished.values():
            started[attempt.attempt_id] = attempt.ended_at or now
        closed = forgotten_wrap_ups(started, now, engine.wrap_up_limit)
        for attempt_id in closed:
            seat = engine.seats.by_attempt(attempt_id)
            if seat is not None and seat.state is AgentState.WRAP_UP:
                engine.seats.pause(seat.agent, EXPIRED_PAUSE_REASON, now)
                await engine.screens.wrapped_up(seat.agent, attempt_id)  # the screen moves on
            call = self.pending.pop(attempt_id, None)
            cycle_id = call.cycle_id if call is not None else None
            for agent, unfinished in list(self.unfinished.items()):
                if unfinished.attempt_id == attempt_id:
                    cycle_id = unfinished.cycle_id
                    del self.unfinished[agent]
            given = self.given_on_call.pop(attempt_id, None)
            engine.writes.dispose(attempt_id, given, now, cycle_id=cycle_id)
            engine.count("wrap_ups_expired")
            log.warning(
                "wrap-up of %s not finished in time: closed without a disposition", attempt_id
            )
        return closed

    # ---- a sheet left unfinished --------------------------------------------------------
    async def resume(self, agent: str, now: datetime) -> None:
        """``agent``, ready or paused, is back on the sheet they left unfinished, if any."""
        engine = self.engine
        seat = engine.seats.seats_by_agent().get(agent)
        if seat is None or seat.state not in (AgentState.READY, AgentState.PAUSED):
            return
        attempt = self.unfinished.pop(agent, None)
        if attempt is None or attempt.attempt_id in self.pending:
            return
        engine.seats.resume_wrap_up(agent, attempt.attempt_id, now)
        call = LiveCall(
            attempt.attempt_id,
            attempt.person_id,
            attempt.cycle_id,
            attempt.number,
            attempt.node or "",
            attempt.placed_at or now,
            state=CallState.ENDED,
            agent=agent,
        )
        call.answered_at, call.joined_at, call.ended_at = (
            attempt.answered_at,
            attempt.bridged_at,
            now,
        )
        self.pending[attempt.attempt_id] = call
        await engine.screens.ended(agent, attempt.attempt_id)
