"""The bench's lookahead pacer: its futures follow the model, its matching counts right, and
its days keep the simulator's invariants."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bench.pacing.lookahead import LookaheadPolicy
from bench.pacing.model import CalleeModel, PersonStream
from bench.pacing.simulator import DayCounters, SimulationSetup, simulate
from dialer.core.agent_states import AgentState
from dialer.core.pacing_statistics import AgentSnapshot, PacingSnapshot

MODEL = CalleeModel(live_rate=0.30)
#: no chance in the agents' times: a 20 s call, then a 5 s wrap-up
FIXED = CalleeModel(live_rate=0.30, talk_mean=20.0, talk_cv=0.0, wrap_mean=5.0, wrap_cv=0.0)
NOW = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


def snapshot(*agents: tuple[AgentState, float], dialing: tuple[float, ...] = ()) -> PacingSnapshot:
    return PacingSnapshot(
        now=NOW,
        closes_at=NOW + timedelta(hours=2),
        agents=tuple(AgentSnapshot(state, spent) for state, spent in agents),
        dialing=dialing,
        lines_available=30,
    )


def counters(*busy_left: float) -> DayCounters:
    return DayCounters(dials=0, live_answers=0, abandons=0, drops=0, busy_left=busy_left)


def test_agents_free_times_are_drawn_from_their_laws_given_the_time_spent() -> None:
    lookahead = LookaheadPolicy(FIXED, 1000.0, samples=64)
    shot = snapshot((AgentState.ON_CALL, 8.0), (AgentState.WRAP_UP, 2.0), (AgentState.READY, 9))
    times = lookahead._busy_free_times(shot, counters())
    assert times.shape == (64, 2)  # the ready agent is not busy
    # the rest of the call and its wrap-up (12 + 5), the rest of the wrap-up (3), sorted
    assert times[:, 0] == pytest.approx(3.0)
    assert times[:, 1] == pytest.approx(17.0)
    told = LookaheadPolicy(FIXED, 1000.0, samples=8, exact_agents=True)
    exact = told._busy_free_times(shot, counters(40.0, 6.5))
    assert exact[:, 0] == pytest.approx(6.5)
    assert np.isinf(exact[:, 1]).all()  # past the horizon and the join window (32 + 2 s)


def test_calls_ringing_are_answered_as_the_model_says_given_their_age() -> None:
    lookahead = LookaheadPolicy(MODEL, 1000.0, samples=20_000)
    answers = lookahead._ringing_answers((0.0, 10.0, 29.5, 31.0))
    assert answers.shape == (20_000, 3)  # past the ring timeout: resolved, not ringing
    fresh, rung, old = (answers[:, k] for k in range(3))
    # a fresh call: a person answers in 30 % of futures, when the simulator's people do
    stream = PersonStream(MODEL, 5)
    rings = [p.resolve_after for p in (stream.next() for _ in range(20_000)) if p.talk > 0]
    assert np.isfinite(fresh).mean() == pytest.approx(0.30, abs=0.015)
    assert fresh[np.isfinite(fresh)].mean() == pytest.approx(np.mean(rings), abs=0.3)
    assert np.median(fresh[np.isfinite(fresh)]) == pytest.approx(np.median(rings), abs=0.3)
    # after 10 s of ringing, fewer people are still to answer, and later than 10 s after dial
    assert 0.1 < np.isfinite(rung).mean() < 0.25
    assert (rung[np.isfinite(rung)] > 0).all()
    # a call that rang for 29.5 s is almost never answered
    assert np.isfinite(old).mean() < 0.01


def test_answers_take_the_agent_free_longest_or_are_abandoned() -> None:
    lookahead = LookaheadPolicy(FIXED, 1000.0, samples=1)
    inf = math.inf
    # one agent free now, one free at 10 s; answers at 3, 5 and 11 s
    busy = np.array([[10.0]])
    free_at = np.array([[0.0, 10.0]])
    idle, abandons = lookahead._outcome(np.array([[3.0, 5.0, 11.0]]), 1, busy, free_at)
    # 3 s: the free agent (idle 3 s); 5 s: nobody before 6.5 s, abandoned; 11 s: the agent
    # free at 10 s (idle 1 s)
    assert (idle, abandons) == (4.0, 1.0)
    # an agent free within the join window (1.5 s counted) takes a person who answered first
    idle, abandons = lookahead._outcome(np.array([[9.0, inf]]), 0, busy, free_at[:, 1:])
    assert (idle, abandons) == (0.0, 0.0)
    # nobody answers: both agents idle until the horizon (32 s and 22 s)
    idle, abandons = lookahead._outcome(np.array([[inf]]), 1, busy, free_at)
    assert (idle, abandons) == (54.0, 0.0)


def test_it_dials_for_free_agents_and_not_when_none_will_be_free() -> None:
    lookahead = LookaheadPolicy(MODEL, 3000.0, exact_agents=True)
    assert lookahead.dials(snapshot((AgentState.ON_CALL, 10.0)), counters(200.0)) == 0
    one_free = lookahead.dials(snapshot((AgentState.READY, 0.0)), counters())
    assert one_free == 1  # a second line would abandon 9 % of the time: not worth 3000 s
    cheap = LookaheadPolicy(MODEL, 10.0, exact_agents=True)
    assert cheap.dials(snapshot((AgentState.READY, 0.0)), counters()) > 1
    # no line free: no dial, whatever the agents
    full = PacingSnapshot(
        now=NOW, closes_at=NOW + timedelta(hours=2), agents=(AgentSnapshot(AgentState.READY),)
    )
    assert lookahead.dials(full, counters()) == 0
    # like the engine: nothing that could still ring when the calling window closes
    closing = PacingSnapshot(
        now=NOW,
        closes_at=NOW + timedelta(seconds=30),
        agents=(AgentSnapshot(AgentState.READY),),
        lines_available=30,
    )
    assert lookahead.dials(closing, counters()) == 0


@pytest.mark.parametrize("exact_agents", [False, True])
def test_a_day_of_the_lookahead_keeps_the_simulators_invariants(exact_agents: bool) -> None:
    setup = SimulationSetup(agents=5, model=MODEL, hours=0.5, seed=3)
    day = simulate(setup, LookaheadPolicy(MODEL, 3000.0, exact_agents=exact_agents))
    again = simulate(setup, LookaheadPolicy(MODEL, 3000.0, exact_agents=exact_agents))
    assert day == again  # deterministic: its own seed, the people's seed
    assert day.policy == ("lookahead-oracle" if exact_agents else "lookahead")
    assert day.dials == day.live_answers + day.machines + day.busy + day.no_answers
    assert day.live_answers == day.joined + day.drops
    assert day.in_flight_at_end == day.waiting_at_end == 0
    assert 0.0 < day.occupancy <= 1.0
    assert day.abandon_rate < 0.05
