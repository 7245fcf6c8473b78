"""The engine seen by its readers (the dashboard, ``/metrics``, the steering pages): its
counters and the snapshot :meth:`DialingEngine.statistics` returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialer.core.attempts import CallState
from dialer.core.labels import pacing_text

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
        "pacing": pacing_text(engine.last_plan),
        "campaign_assigned": engine.assigned,
        "dialing_enabled": engine.dialing_enabled,
        "assignments": engine.assignments,
        "join_latency_ms_p50": _pct(latencies, 0.5),
        "join_latency_ms_p99": _pct(latencies, 0.99),
        "nodes": [node.statistics() for node in engine.nodes.values()],
        **engine.attempt_log.write_statistics(),
        **engine.counters,
        **engine.inbound.statistics(),
    }


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(fraction * len(values)))], 2)
