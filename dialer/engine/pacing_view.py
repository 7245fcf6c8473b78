"""The engine seen by the pacer: a :class:`~dialer.core.pacing_statistics.PacingSnapshot`
built from the engine's live state, and the pacer function the engine calls every second."""

from __future__ import annotations

from datetime import datetime, timedelta

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState
from dialer.core.pacing import PacingDecision, decide, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.pacing_settings import PacingConfig
from dialer.core.pacing_statistics import AgentSnapshot, PacingSnapshot
from dialer.core.windows import CallingWindows, window_end
from dialer.engine.assignments import Assignment, CampaignPacer
from dialer.engine.engine import DialingEngine, Pacer


def snapshot(
    engine: DialingEngine,
    now: datetime,
    closes_at: datetime,
    focus: Assignment | None = None,
) -> PacingSnapshot:
    """What the pacer of campaign ``focus`` sees: its own agents and calls (with one
    campaign or ``focus`` ``None``, all of them; with several, also the other campaigns'
    calls that would take one of its agents, :meth:`Assignments.overflow_into`), the lines
    of the whole engine and the day's figures of the campaign (:meth:`Activities.figures`)."""
    seats = engine.seats.seats()
    calls = engine.calls.all()
    if focus is not None and focus.campaign_id is not None:
        assignments = engine.campaign_assignments
        mine = [c for c in calls if assignments.of_call(c) is focus]
        calls = mine + assignments.overflow_into(focus, seats, calls)
        seats = assignments.seats_of(focus, seats)
    agents = tuple(
        AgentSnapshot(seat.state, seat.seconds_in_state(now))
        for seat in seats
        if seat.state is not AgentState.LOGGED_OUT
    )
    dialing = tuple(
        max(0.0, (now - call.dialed_at).total_seconds())
        for call in calls
        if call.state in (CallState.DIALING, CallState.RINGING)
    )
    waiting = sum(1 for call in calls if call.state is CallState.ANSWERED and call.agent is None)
    seen = engine.activities.figures(focus.campaign_id if focus else None, now).figures
    return PacingSnapshot(
        now=now,
        closes_at=closes_at,
        agents=agents,
        dialing=dialing,
        answered_waiting=waiting,
        live_answers_today=seen.live_answers_today,
        abandons_today=seen.abandons_today,
        recent_dials=seen.recent_dials,
        recent_live_answers=seen.recent_live_answers,
        talk=seen.talk,
        wrap_up=seen.wrap_up,
        time_to_answer=seen.time_to_answer,
        lines_available=engine.lines_free(),
        ring_timeout=timedelta(
            seconds=focus.ring_timeout_s if focus is not None else engine.ring_timeout_s
        ),
    )


def window_pacer(config: PacingConfig, windows: CallingWindows) -> Pacer:
    """The campaign's pacer: nothing outside a calling window, else :func:`decide` on the
    snapshot of the campaign it is told it paces."""

    def pace(engine: DialingEngine, now: datetime, focus: Assignment | None) -> PacingDecision:
        closes_at = window_end(windows, now)
        if closes_at is None:
            return decision(0, fact(Clause.WINDOW_CLOSED), fact(Clause.DIAL, 0), closed=True)
        return decide(snapshot(engine, now, closes_at, focus), config)

    return CampaignPacer(pace)
