"""The engine seen by its readers (the dashboard, ``/metrics``, the steering pages): its
counters and the snapshot :meth:`DialingEngine.statistics` returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState
from dialer.core.campaign_pacing import GROUPS, CampaignFigures
from dialer.core.labels import campaign_figures_text, pacing_text

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine


#: how many (answer → join) latencies the engine keeps for its statistics
LATENCY_SAMPLES = 10_000

#: the engine's counters, all from zero at start-up
COUNTERS = (
    "dialled",
    "answered",
    "joined",
    "abandoned",
    "machines",
    "reconciled_resumed",
    "reconciled_closed",
    "reconciled_settled",
    "ends_deferred",
    "dial_refused",
    "legs_adopted",
    "reconciled_off_hold",
    "wrap_ups_expired",
    "offered",
    "offers_called",
    "offers_passed",
    "automatic_held_for_reserved",
)


def statistics_of(engine: DialingEngine) -> dict[str, object]:
    counts = engine.seats.counts()
    latencies = sorted(engine.join_latencies_ms)
    return {
        "agents": {state.value: n for state, n in counts.items()},
        "calls_dialing": engine.calls.count(CallState.DIALING),
        "calls_ringing": engine.calls.count(CallState.RINGING),
        "calls_waiting_agent": engine.calls.count(CallState.ANSWERED),
        "calls_connected": engine.calls.count(CallState.JOINED),
        "lines_free": engine.lines_free(),
        "last_plan": engine.last_plan.reason,
        "pacing": pacing_of_each(engine),
        "campaign_assigned": engine.assigned,
        "dialing_enabled": engine.dialing_enabled,
        "assignments": engine.assignments,
        "campaigns": campaigns_statistics(engine),
        "join_latency_ms_p50": _pct(latencies, 0.5),
        "join_latency_ms_p99": _pct(latencies, 0.99),
        "nodes": [node.statistics() for node in engine.nodes.values()],
        **engine.attempt_log.write_statistics(),
        **engine.counters,
        **engine.inbound.statistics(),
    }


def pacing_of_each(engine: DialingEngine) -> str:
    """The pacing decision in French (with several campaigns: each one's, by number)."""
    assignments = list(engine.campaign_assignments)
    if len(assignments) <= 1:
        return pacing_text(engine.last_plan)
    now = engine.clock()
    return " ; ".join(
        f"campagne n° {a.campaign_id} : {pacing_text(a.last_plan)} — "
        + campaign_figures_text(engine.activities.figures(a.campaign_id, now))
        for a in assignments
    )


def campaigns_statistics(engine: DialingEngine) -> dict[str, dict[str, object]]:
    """Per campaign assigned (by id; ``"-"`` for one assigned without its id): whether it
    dials, its last pacing decision, its agents and its calls in progress."""
    assignments = engine.campaign_assignments
    seats = engine.seats.seats()
    now = engine.clock()
    by_campaign: dict[str, dict[str, object]] = {}
    for assignment in assignments:
        calls = [c for c in engine.calls.all() if assignments.of_call(c) is assignment]
        own = assignments.seats_of(assignment, seats)
        by_campaign["-" if assignment.campaign_id is None else str(assignment.campaign_id)] = {
            "dialing_enabled": assignment.dialing_enabled,
            "last_plan": assignment.last_plan.reason,
            "pacing": pacing_text(assignment.last_plan),
            "agents_ready": sum(1 for s in own if s.state is AgentState.READY),
            "agents_logged_in": sum(1 for s in own if s.state is not AgentState.LOGGED_OUT),
            "calls": len(calls),
            "calls_connected": sum(1 for c in calls if c.state is CallState.JOINED),
            "pacing_figures": _figures(engine.activities.figures(assignment.campaign_id, now)),
        }
    return by_campaign


def _figures(seen: CampaignFigures) -> dict[str, object]:
    """The figures a campaign is paced on, and which are its own (the others: the
    engine's, the campaign having too few calls yet)."""
    figures = seen.figures
    return {
        "answer_rate": _rounded(figures.answer_rate),
        "abandon_rate": _rounded(figures.abandon_rate),
        "talk_s": _rounded(figures.talk.mean if figures.talk else None),
        "wrap_up_s": _rounded(figures.wrap_up.mean if figures.wrap_up else None),
        "own": [group for group in GROUPS if group in seen.own],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(fraction * len(values)))], 2)
