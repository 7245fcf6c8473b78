"""Agent seats: who is logged in, in which state since when, and who takes the next call.

Pure bookkeeping on top of the agent state machine: every change takes ``now``. The engine
owns one :class:`SeatBoard` and feeds it telephony events and agents' actions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dialer.core.agent_states import AgentEvent, AgentState, next_agent_state
from dialer.errors import ConflictError, NotFoundError


@dataclass(frozen=True)
class Seat:
    agent: str
    endpoint: str  # the agent's PJSIP endpoint
    state: AgentState
    since: datetime
    leg_id: str | None = None  # the agent's phone leg while connected
    attempt_id: str | None = None  # the call reserved for, or joined with, this agent
    pause_reason: str | None = None
    #: when the agent logged in (the seat-hours' start; kept through the state changes)
    logged_in_at: datetime | None = None

    def seconds_in_state(self, now: datetime) -> float:
        return max(0.0, (now - self.since).total_seconds())


class SeatBoard:
    def __init__(self) -> None:
        self._seats: dict[str, Seat] = {}

    def seats(self) -> list[Seat]:
        return list(self._seats.values())

    def get(self, agent: str) -> Seat:
        try:
            return self._seats[agent]
        except KeyError:
            raise NotFoundError(f"agent {agent!r} has no seat") from None

    def by_leg(self, leg_id: str) -> Seat | None:
        return next((s for s in self._seats.values() if s.leg_id == leg_id), None)

    def by_attempt(self, attempt_id: str) -> Seat | None:
        return next((s for s in self._seats.values() if s.attempt_id == attempt_id), None)

    def _apply(self, agent: str, event: AgentEvent, now: datetime, **changes: str | None) -> Seat:
        seat = self.get(agent)
        state = next_agent_state(seat.state, event)
        updated = replace(seat, state=state, since=now, **changes)  # type: ignore[arg-type]
        self._seats[agent] = updated
        return updated

    def log_in(self, agent: str, endpoint: str, leg_id: str, now: datetime) -> Seat:
        """The agent's phone leg is connected: the seat exists, paused until ready."""
        current = self._seats.get(agent)
        if current is not None and current.state is not AgentState.LOGGED_OUT:
            raise ConflictError(f"agent {agent!r} is already logged in ({current.state})")
        self._seats[agent] = Seat(agent, endpoint, AgentState.LOGGED_OUT, now, logged_in_at=now)
        return self._apply(agent, AgentEvent.LOG_IN, now, leg_id=leg_id, pause_reason="connexion")

    def go_ready(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.GO_READY, now, pause_reason=None)

    def pause(self, agent: str, reason: str, now: datetime) -> Seat:
        if not reason.strip():
            raise ConflictError("a pause needs a reason")
        return self._apply(agent, AgentEvent.PAUSE, now, pause_reason=reason, attempt_id=None)

    def seats_by_agent(self) -> dict[str, Seat]:
        return dict(self._seats)

    def reserve_agent(self, agent: str, attempt_id: str, now: datetime) -> Seat:
        """Reserve this ready agent for ``attempt_id`` (a call resumed after a restart)."""
        return self._apply(agent, AgentEvent.RESERVE, now, attempt_id=attempt_id)

    def release(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.RELEASE, now, attempt_id=None)

    def joined(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.JOIN, now)

    def call_ended(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.CALL_ENDED, now)

    def wrap_up_done(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.WRAP_UP_DONE, now, attempt_id=None)

    def resume_wrap_up(self, agent: str, attempt_id: str, now: datetime) -> Seat:
        """Back in wrap-up on ``attempt_id``, whose call ended while the controller was
        away or before it restarted (the sheet is still to be finished)."""
        return self._apply(agent, AgentEvent.RESUME_WRAP_UP, now, attempt_id=attempt_id)

    def log_out(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.LOG_OUT, now, leg_id=None, attempt_id=None)

    def phone_lost(self, agent: str, now: datetime) -> Seat:
        return self._apply(agent, AgentEvent.PHONE_LOST, now, leg_id=None)

    def counts(self) -> dict[AgentState, int]:
        counts = dict.fromkeys(AgentState, 0)
        for seat in self._seats.values():
            counts[seat.state] += 1
        return counts
