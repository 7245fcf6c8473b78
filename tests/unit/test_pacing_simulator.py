"""The pacing bench's simulator: short deterministic days, checked for their invariants."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pytest

from bench.pacing import oracle, simulator
from bench.pacing.model import CalleeModel, PersonStream
from bench.pacing.oracle import OraclePolicy, OracleRiskModel
from bench.pacing.simulator import (
    CorePolicy,
    Policy,
    SimulationResult,
    SimulationSetup,
    simulate,
)
from bench.pacing.vicidial import VicidialAdaptHardLimit
from dialer.core import pacing, pacing_risk
from dialer.core.agent_states import AgentState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing_settings import PacingConfig, PacingMode
from dialer.core.pacing_statistics import DurationStats, PacingSnapshot

SHORT = SimulationSetup(agents=5, model=CalleeModel(live_rate=0.30), hours=0.5, seed=3)


def policy(name: str) -> Policy:
    if name == "vicidial":
        return VicidialAdaptHardLimit()
    return CorePolicy(PacingConfig(mode=PacingMode(name)))


@cache
def short_day(name: str) -> SimulationResult:
    return simulate(SHORT, policy(name))


POLICIES = ["progressive", "predictive", "vicidial"]


def test_the_simulator_drives_the_engines_own_pacing_function() -> None:
    assert vars(simulator)["decide"] is pacing.decide  # imported, not copied
    core = CorePolicy(PacingConfig(mode=PacingMode.PREDICTIVE))
    simulate(SHORT, core)
    assert core.last_reason.startswith("calling window closes at")  # the engine's words


@pytest.mark.parametrize("name", POLICIES)
def test_the_same_seed_gives_the_same_day(name: str) -> None:
    assert simulate(SHORT, policy(name)) == short_day(name)


def test_people_are_the_same_for_every_policy_of_a_seed() -> None:
    first, second = PersonStream(SHORT.model, 3), PersonStream(SHORT.model, 3)
    assert [first.next() for _ in range(50)] == [second.next() for _ in range(50)]
    other = PersonStream(SHORT.model, 4)
    assert [other.next() for _ in range(50)] != [PersonStream(SHORT.model, 3).next()] * 50


@pytest.mark.parametrize("name", POLICIES)
def test_every_dial_and_every_answer_is_accounted_for(name: str) -> None:
    day = short_day(name)
    assert day.dials > 0
    # the window rule: nothing rings or waits when the day ends
    assert day.in_flight_at_end == 0
    assert day.waiting_at_end == 0
    assert day.dials == day.live_answers + day.machines + day.busy + day.no_answers
    # an answered person is joined or dropped (VICIdial may join after 2 s: still abandoned)
    assert day.live_answers == day.joined + day.drops
    assert day.drops <= day.abandons
    assert 0.0 <= day.occupancy <= 1.0
    assert day.busy_seconds <= day.logged_in_seconds == 5 * 1800
    assert day.abandon_rate == pytest.approx(day.abandons / day.live_answers)
    assert day.worst_15min_abandons <= day.abandons
    assert day.peak_running_rate >= (day.abandon_rate if day.abandons else 0.0)
    assert day.connects_per_agent_hour == pytest.approx(day.joined / 2.5)
    assert day.cycle_extrapolated  # 5 agents do not reach 10,500 people in 30 minutes
    assert day.cycle_hours > day.cycle_floor_hours > 0


def test_the_outcome_mix_follows_the_model() -> None:
    stream = PersonStream(CalleeModel(live_rate=0.30), 11)
    people = [stream.next() for _ in range(4000)]
    share = {o: sum(p.outcome is o for p in people) / len(people) for o in CallOutcome}
    assert share[CallOutcome.ANSWERED] == pytest.approx(0.30, abs=0.025)
    assert share[CallOutcome.MACHINE] == pytest.approx(0.15, abs=0.02)
    assert share[CallOutcome.BUSY] == pytest.approx(0.05, abs=0.015)
    assert share[CallOutcome.NO_ANSWER] == pytest.approx(0.50, abs=0.025)
    answered = [p for p in people if p.outcome is CallOutcome.ANSWERED]
    assert all(0 < p.resolve_after < 30 for p in answered)
    assert sum(p.resolve_after for p in answered) / len(answered) == pytest.approx(12, abs=1)
    assert sum(p.talk for p in answered) / len(answered) == pytest.approx(300, rel=0.1)


def test_progressive_abandons_only_from_races() -> None:
    day = short_day("progressive")
    # agents never pause in the model: no race, so no abandon at all
    assert day.abandon_rate < 0.005
    assert day.abandons == 0


def test_predictive_is_progressive_until_enough_answers_are_known() -> None:
    # 30 minutes of 5 agents answer fewer than the 199 people a 1 % cap needs first
    predictive, progressive = short_day("predictive"), short_day("progressive")
    assert predictive.live_answers < 199
    assert (predictive.dials, predictive.joined, predictive.occupancy) == (
        progressive.dials,
        progressive.joined,
        progressive.occupancy,
    )


def test_predictive_keeps_under_the_cap_once_it_dials_ahead() -> None:
    setup = SimulationSetup(agents=50, model=CalleeModel(live_rate=0.55), hours=0.75, seed=5)
    predictive = simulate(setup, policy("predictive"))
    progressive = simulate(setup, policy("progressive"))
    assert predictive.live_answers > 300
    assert predictive.peak_running_rate <= 0.01
    assert predictive.dials > progressive.dials


def test_vicidial_overshoots_at_start() -> None:
    extras = short_day("vicidial").extras
    assert extras["level_15s"] > 1.5
    assert extras["level_30s"] >= 2.0
    assert 1.0 <= extras["level_mean"] <= 3.0


# a world without chance: every dial answers after 12.5 s, every call lasts 20 s + 5 s wrap-up
TALK, WRAP = 20.0, 5.0
CERTAIN = CalleeModel(
    live_rate=1.0,
    machine_rate=0.0,
    busy_rate=0.0,
    ring_mean=12.5,
    ring_cv=0.0,
    talk_mean=TALK,
    talk_cv=0.0,
    wrap_mean=WRAP,
    wrap_cv=0.0,
)
#: the day's budget off (3 % cap): predictive from the 34th live answer
BUDGET_OFF = PacingConfig(
    mode=PacingMode.PREDICTIVE,
    max_abandon_rate=0.03,
    target_share=1.0,
    spare_abandons=1,
    max_line_risk=0.05,
)


def test_the_oracle_sees_the_true_remaining_busy_times(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[PacingSnapshot, OracleRiskModel]] = []

    class Recording(OracleRiskModel):
        def __init__(
            self,
            snapshot: PacingSnapshot,
            config: PacingConfig,
            rate: float,
            talk: DurationStats,
            wrap: DurationStats,
            *,
            busy_left: Sequence[float],
        ) -> None:
            super().__init__(snapshot, config, rate, talk, wrap, busy_left=busy_left)
            seen.append((snapshot, self))

    monkeypatch.setattr(oracle, "OracleRiskModel", Recording)
    engines = pacing_risk.RiskModel
    setup = SimulationSetup(agents=3, model=CERTAIN, hours=0.5, seed=1)
    day = simulate(setup, OraclePolicy(BUDGET_OFF))
    assert pacing_risk.RiskModel is engines  # swapped during each decision only
    assert day.live_answers > 34
    partly = 0
    for snapshot, model in seen:
        # the truth, from the agents' states: the rest of a 20 s call, then a 5 s wrap-up
        truth = sorted(
            (TALK + WRAP if agent.state is AgentState.ON_CALL else WRAP) - agent.seconds_in_state
            for agent in snapshot.agents
            if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP)
        )
        assert model.busy_left == pytest.approx(truth)
        for k, offset in enumerate(model.offsets):
            freed = sum(left <= offset for left in truth)
            assert model.freed[k] == freed
            # the supply is that number for sure, not the engine's estimate
            assert model._supply_at(k) == [0.0] * freed + [1.0]
        partly += 0 < model.freed[0] < len(truth)
    assert len(seen) > 100  # predictive, once 34 people answered
    assert partly > 0  # some agents free by the first check point, not all
