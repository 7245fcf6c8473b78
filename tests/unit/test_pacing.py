"""Pacing decisions: examples for each mode with the explanation line, then properties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.agent_states import AgentState
from dialer.core.pacing import PacingDecision, decide, line_cap, lines_in_use
from dialer.core.pacing_settings import ABANDON_RATE_CEILING, PacingConfig, PacingMode
from dialer.core.pacing_statistics import AgentSnapshot, DurationStats, PacingSnapshot
from dialer.errors import InputError

NOW = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
CLOSES = datetime(2026, 7, 6, 17, 0, tzinfo=UTC)
PROGRESSIVE = PacingConfig(mode=PacingMode.PROGRESSIVE)
PREDICTIVE = PacingConfig(mode=PacingMode.PREDICTIVE)
PREVIEW = PacingConfig(mode=PacingMode.PREVIEW)
R, ON, WRAP, PAUSED, RESERVED = (
    AgentState.READY,
    AgentState.ON_CALL,
    AgentState.WRAP_UP,
    AgentState.PAUSED,
    AgentState.RESERVED,
)


def team(*agents: tuple[AgentState, float]) -> tuple[AgentSnapshot, ...]:
    return tuple(AgentSnapshot(state, seconds) for state, seconds in agents)


def ready(n: int) -> list[tuple[AgentState, float]]:
    return [(R, 3.0)] * n


def snap(agents: Sequence[tuple[AgentState, float]], **fields: Any) -> PacingSnapshot:
    """A mid-morning snapshot with well-known statistics (answer rate 0.31)."""
    values: dict[str, Any] = {
        "now": NOW,
        "closes_at": CLOSES,
        "agents": team(*agents),
        "live_answers_today": 1000,
        "abandons_today": 0,
        "recent_dials": 290,
        "recent_live_answers": 88,
        "talk": DurationStats(300.0, 0.6, 900),
        "wrap_up": DurationStats(45.0, 0.5, 900),
        "time_to_answer": DurationStats(12.0, 0.5, 1000),
        "lines_available": 30,
    }
    values.update(fields)
    return PacingSnapshot(**values)


# ------------------------------------------------------------------ progressive


def test_progressive_dials_one_call_per_free_agent() -> None:
    decision = decide(snap(ready(2), dialing=(4.0,)), PROGRESSIVE)
    assert decision == PacingDecision(1, "2 free agents, 1 ringing, answer rate 0.31 → dial 1")


def test_progressive_keeps_an_agent_for_each_answered_person_waiting() -> None:
    decision = decide(snap(ready(3), answered_waiting=1), PROGRESSIVE)
    assert decision.dials == 2
    assert decision.reason == (
        "3 free agents, 1 answered waiting, 0 ringing, answer rate 0.31 → dial 2"
    )


def test_progressive_never_dials_a_negative_number() -> None:
    decision = decide(snap(ready(1), dialing=(1.0, 2.0, 3.0)), PROGRESSIVE)
    assert decision.dials == 0
    assert decision.reason == "1 free agent, 3 ringing, answer rate 0.31 → dial 0"


def test_progressive_is_limited_by_the_free_lines() -> None:
    decision = decide(snap(ready(5), lines_available=2), PROGRESSIVE)
    assert decision.dials == 2
    assert decision.reason.endswith("→ dial 2 (only 2 free lines)")


def test_busy_and_paused_agents_are_not_free() -> None:
    agents = [(ON, 40.0), (WRAP, 10.0), (PAUSED, 300.0), (RESERVED, 1.0), (R, 0.0)]
    assert decide(snap(agents), PROGRESSIVE).dials == 1


def test_the_answer_rate_starts_from_a_prior() -> None:
    decision = decide(snap(ready(1), recent_dials=0, recent_live_answers=0), PROGRESSIVE)
    assert "answer rate 0.50" in decision.reason


# ------------------------------------------------------------------ preview


def test_preview_offers_people_to_ready_agents_and_never_dials() -> None:
    decision = decide(snap([*ready(3), (ON, 20.0)]), PREVIEW)
    assert decision == PacingDecision(
        0, "preview: 3 free agents, 30 free lines → offer 3 next people, dial 0", offers=3
    )


# ------------------------------------------------------------------ the window's end


@pytest.mark.parametrize("config", [PROGRESSIVE, PREDICTIVE, PREVIEW])
def test_no_dial_when_a_call_could_still_ring_at_the_window_end(config: PacingConfig) -> None:
    # ring timeout 30 s + margin 5 s: the last dial is at 16:59:25
    decision = decide(snap(ready(4), now=CLOSES - timedelta(seconds=34)), config)
    assert decision == PacingDecision(
        0,
        "calling window closes at 17:00:00, within ring timeout 30 s + 5 s → dial 0",
        closed=True,  # nobody is offered to an agent either
    )
    assert decide(snap(ready(4), now=CLOSES - timedelta(seconds=35)), PROGRESSIVE).dials == 4


# ------------------------------------------------------------------ predictive

#: 10 agents late in their calls: 1 ready, 4 near the end of their wrap-up, 5 talking
BUSY_TEAM = [(R, 2.0), (WRAP, 50.0), (WRAP, 55.0), (WRAP, 60.0), (WRAP, 45.0)] + [(ON, 200.0)] * 5


def test_predictive_dials_ahead_of_agents_finishing_their_wrap_up() -> None:
    progressive = decide(snap(BUSY_TEAM), PROGRESSIVE)
    predictive = decide(snap(BUSY_TEAM), PREDICTIVE)
    assert progressive.dials == 1
    assert predictive.dials > 1
    assert predictive.reason.startswith("1 free agent, 0 ringing, answer rate 0.31, ")
    assert "more expected free within 31 s, abandons today 0/1000, next line's abandon risk" in (
        predictive.reason
    )
    assert predictive.reason.endswith(
        f"→ dial {predictive.dials} (1 progressive + {predictive.dials - 1} predictive)"
    )


def test_predictive_dials_more_for_agents_late_in_their_wrap_up() -> None:
    early = [(R, 2.0)] + [(WRAP, 2.0)] * 4 + [(ON, 200.0)] * 5
    late = [(R, 2.0)] + [(WRAP, 60.0)] * 4 + [(ON, 200.0)] * 5
    assert decide(snap(early), PREDICTIVE).dials == 1
    assert decide(snap(late), PREDICTIVE).dials == 2


def test_predictive_counts_old_rings_as_less_likely_to_answer() -> None:
    young = snap(BUSY_TEAM, dialing=(1.0, 1.0, 1.0))
    old = snap(BUSY_TEAM, dialing=(27.0, 27.0, 27.0))
    assert decide(old, PREDICTIVE).dials > decide(young, PREDICTIVE).dials


def test_predictive_does_not_dial_when_nobody_will_be_free() -> None:
    agents = [(ON, 20.0)] * 10  # everyone just started talking
    decision = decide(snap(agents), PREDICTIVE)
    assert decision.dials == 0
    assert "next line's abandon risk" in decision.reason


def test_predictive_is_progressive_at_start_up() -> None:
    decision = decide(snap(BUSY_TEAM, recent_dials=12, recent_live_answers=4), PREDICTIVE)
    assert decision.dials == 1
    assert decision.reason == (
        "1 free agent, 0 ringing, answer rate 0.41, start-up (12 outcomes known, 30 needed): "
        "progressive → dial 1"
    )


def test_predictive_waits_until_two_abandons_at_once_cannot_pass_the_cap() -> None:
    # 1 % of 198 answers + 1 is 1.99: two abandons now would make 2/199 > 1 %
    early = snap(BUSY_TEAM, live_answers_today=198)
    decision = decide(early, PREDICTIVE)
    assert decision.dials == 1
    assert decision.reason == (
        "1 free agent, 0 ringing, answer rate 0.31, abandons today 0/198: 2 more would pass "
        "the 1% cap, progressive → dial 1"
    )
    assert decide(replace(early, live_answers_today=199), PREDICTIVE).dials > 1
    after_one = replace(early, live_answers_today=298, abandons_today=1)
    assert decide(after_one, PREDICTIVE).dials == 1
    assert decide(replace(after_one, live_answers_today=299), PREDICTIVE).dials > 1


def test_predictive_accounts_for_todays_abandons() -> None:
    # 8 abandons in 1000 answers: over the 0.75 % target, and it takes 1 more than the cap
    over_target = decide(snap(BUSY_TEAM, abandons_today=8), PREDICTIVE)
    assert over_target.dials == 1
    assert over_target.reason == (
        "1 free agent, 0 ringing, answer rate 0.31, abandons today 8/1000: projected rate at "
        "the 0.75% target, progressive (abandons only from races) → dial 1"
    )
    at_cap = decide(snap(BUSY_TEAM, abandons_today=10), PREDICTIVE)
    assert at_cap.dials == 1
    assert "2 more would pass the 1% cap" in at_cap.reason


def test_a_lower_cap_dials_no_more() -> None:
    strict = PacingConfig(mode=PacingMode.PREDICTIVE, max_abandon_rate=0.002)
    assert decide(snap(BUSY_TEAM), strict).dials <= decide(snap(BUSY_TEAM), PREDICTIVE).dials


def test_predictive_with_answered_people_waiting_adds_no_line() -> None:
    decision = decide(snap([(R, 1.0), *BUSY_TEAM[1:]], answered_waiting=2), PREDICTIVE)
    assert decision.dials == 0


def test_predictive_is_limited_by_the_free_lines() -> None:
    decision = decide(snap(BUSY_TEAM, lines_available=1), PREDICTIVE)
    assert decision.dials == 1
    assert decide(snap(BUSY_TEAM, lines_available=0), PREDICTIVE).dials == 0


# ------------------------------------------------------------------ lines per agent

#: 10 agents: 1 ready, 9 late in their wrap-up (predictive dials ahead of them)
WRAPPING_TEAM = [(R, 2.0)] + [(WRAP, 80.0)] * 9


def test_the_lines_per_agent_cap_defaults_to_three() -> None:
    assert PacingConfig().max_lines_per_agent == 3.0


def test_predictive_never_passes_the_lines_per_agent_cap() -> None:
    ringing = (27.0,) * 6
    free = decide(snap(WRAPPING_TEAM, dialing=ringing), PREDICTIVE)
    assert free.dials == 7
    capped = decide(
        snap(WRAPPING_TEAM, dialing=ringing),
        replace(PREDICTIVE, max_lines_per_agent=1.0),
    )
    assert capped.dials == 4  # 10 agents x 1.0 lines - 6 ringing
    assert "lines per agent cap 1.0 (6 of 10 lines in use) → dial 4" in capped.reason


def test_the_cap_counts_ringing_waiting_and_connected_calls() -> None:
    agents = [(R, 1.0)] * 2 + [(ON, 10.0)] * 2 + [(RESERVED, 0.5)] + [(WRAP, 5.0)] + [(PAUSED, 1.0)]
    snapshot = snap(agents, dialing=(1.0, 2.0), answered_waiting=1)
    assert lines_in_use(snapshot) == 2 + 1 + 3  # ringing + waiting + reserved/on call
    one = PacingConfig(max_lines_per_agent=1.0)
    assert line_cap(snapshot, one) == 6  # the paused agent does not count
    assert line_cap(snapshot, PacingConfig(max_lines_per_agent=2.5)) == 15  # rounded down


@pytest.mark.parametrize("value", [0.99, 0.0, -1.0, 10.01, 100.0, float("nan"), float("inf")])
def test_the_lines_per_agent_cap_is_checked_by_name(value: float) -> None:
    with pytest.raises(InputError, match="max_lines_per_agent"):
        PacingConfig(max_lines_per_agent=value)


def test_the_lines_per_agent_cap_may_be_one_or_ten() -> None:
    assert PacingConfig(max_lines_per_agent=1.0).max_lines_per_agent == 1.0
    assert PacingConfig(max_lines_per_agent=10.0).max_lines_per_agent == 10.0


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize("rate", [0.0301, 0.05, 1.0, -0.01, float("nan")])
def test_the_abandon_cap_cannot_exceed_three_percent(rate: float) -> None:
    with pytest.raises(InputError, match="max_abandon_rate"):
        PacingConfig(mode=PacingMode.PREDICTIVE, max_abandon_rate=rate)


def test_the_abandon_cap_defaults_to_one_percent_and_may_be_three() -> None:
    assert PacingConfig().max_abandon_rate == 0.01
    assert PacingConfig(max_abandon_rate=ABANDON_RATE_CEILING).max_abandon_rate == 0.03


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_share", 0.0),
        ("max_line_risk", 1.5),
        ("burst_probability", 0.0),
        ("spare_abandons", 0),
        ("checkpoint_step", 0.0),
        ("join_grace", timedelta(seconds=-1)),
    ],
)
def test_other_settings_are_checked_by_name(field: str, value: object) -> None:
    with pytest.raises(InputError, match=field):
        PacingConfig(**{field: value})  # type: ignore[arg-type]


def test_an_impossible_snapshot_is_refused() -> None:
    with pytest.raises(InputError, match="lines_available"):
        snap(ready(1), lines_available=-1)
    with pytest.raises(InputError, match="abandons_today"):
        snap(ready(1), abandons_today=5, live_answers_today=4)
    with pytest.raises(InputError, match="mean"):
        DurationStats(0.0, 0.5)


# ------------------------------------------------------------------ properties

_agent = st.builds(
    AgentSnapshot,
    st.sampled_from([R, ON, WRAP, PAUSED, RESERVED]),
    st.floats(min_value=0.0, max_value=2000.0, allow_nan=False),
)
_stats = st.none() | st.builds(
    DurationStats,
    st.floats(min_value=1.0, max_value=900.0),
    st.floats(min_value=0.0, max_value=2.0),
    st.integers(min_value=0, max_value=5000),
)


@st.composite
def snapshots(draw: st.DrawFn) -> PacingSnapshot:
    live = draw(st.integers(min_value=0, max_value=5000))
    dials = draw(st.integers(min_value=0, max_value=2000))
    timeout = draw(st.integers(min_value=5, max_value=60))
    before_close = draw(st.integers(min_value=0, max_value=600))
    return PacingSnapshot(
        now=CLOSES - timedelta(seconds=before_close),
        closes_at=CLOSES,
        agents=tuple(draw(st.lists(_agent, max_size=60))),
        dialing=tuple(draw(st.lists(st.floats(min_value=0.0, max_value=90.0), max_size=40))),
        answered_waiting=draw(st.integers(min_value=0, max_value=5)),
        live_answers_today=live,
        abandons_today=draw(st.integers(min_value=0, max_value=min(live, 60))),
        recent_dials=dials,
        recent_live_answers=draw(st.integers(min_value=0, max_value=dials)),
        talk=draw(_stats),
        wrap_up=draw(_stats),
        time_to_answer=draw(_stats),
        lines_available=draw(st.integers(min_value=0, max_value=150)),
        ring_timeout=timedelta(seconds=timeout),
    )


def _free(snapshot: PacingSnapshot) -> int:
    return sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)


_config = st.builds(
    PacingConfig,
    mode=st.sampled_from(list(PacingMode)),
    max_abandon_rate=st.floats(min_value=0.0, max_value=ABANDON_RATE_CEILING),
    max_line_risk=st.floats(min_value=0.0, max_value=0.2),
    max_lines_per_agent=st.floats(min_value=1.0, max_value=10.0),
)


@settings(max_examples=300, deadline=None)
@given(snapshots(), _config)
def test_dials_are_never_negative_nor_above_the_free_lines(
    snapshot: PacingSnapshot, config: PacingConfig
) -> None:
    decision = decide(snapshot, config)
    assert 0 <= decision.dials <= snapshot.lines_available
    assert 0 <= decision.offers <= _free(snapshot)
    assert "\n" not in decision.reason
    assert f"dial {decision.dials}" in decision.reason


@settings(max_examples=200, deadline=None)
@given(snapshots())
def test_progressive_never_dials_more_than_free_agents(snapshot: PacingSnapshot) -> None:
    decision = decide(snapshot, PROGRESSIVE)
    ringing = len(snapshot.dialing) + snapshot.answered_waiting
    assert decision.dials <= max(0, _free(snapshot) - ringing) <= _free(snapshot)


@settings(max_examples=200, deadline=None)
@given(snapshots(), _config)
def test_predictive_dials_at_least_what_progressive_would(
    snapshot: PacingSnapshot, config: PacingConfig
) -> None:
    predictive = decide(snapshot, replace(config, mode=PacingMode.PREDICTIVE))
    progressive = decide(snapshot, replace(config, mode=PacingMode.PROGRESSIVE))
    assert predictive.dials >= progressive.dials


@settings(max_examples=200, deadline=None)
@given(snapshots())
def test_progressive_never_needs_the_cap(snapshot: PacingSnapshot) -> None:
    # one call per free agent: ready + connected agents never exceed the active ones, so
    # even one line per agent leaves progressive as it is
    one = replace(PROGRESSIVE, max_lines_per_agent=1.0)
    assert decide(snapshot, one) == decide(snapshot, PROGRESSIVE)


@settings(max_examples=300, deadline=None)
@given(snapshots(), _config)
def test_dials_never_push_the_lines_in_use_above_the_lines_per_agent_cap(
    snapshot: PacingSnapshot, config: PacingConfig
) -> None:
    decision = decide(snapshot, config)
    in_use = lines_in_use(snapshot)
    active = sum(1 for agent in snapshot.agents if agent.state is not AgentState.PAUSED)
    cap = config.max_lines_per_agent * active
    assert decision.dials == 0 or in_use + decision.dials <= cap + 1e-9
    assert f"dial {decision.dials}" in decision.reason


@settings(max_examples=200, deadline=None)
@given(snapshots(), _config)
def test_nothing_is_dialled_when_the_window_closes_within_the_ring_timeout(
    snapshot: PacingSnapshot, config: PacingConfig
) -> None:
    closing = replace(
        snapshot, now=snapshot.closes_at - snapshot.ring_timeout - config.close_margin / 2
    )
    decision = decide(closing, config)
    assert decision.dials == 0
    assert decision.offers == 0


@given(
    st.floats(max_value=1.0, exclude_max=True, allow_nan=False)
    | st.floats(min_value=10.0, exclude_min=True)
)
def test_a_lines_per_agent_cap_out_of_range_is_always_refused(value: float) -> None:
    with pytest.raises(InputError, match="max_lines_per_agent"):
        PacingConfig(mode=PacingMode.PREDICTIVE, max_lines_per_agent=value)


@given(st.floats(min_value=0.03, max_value=1e6, exclude_min=True))
def test_a_cap_above_three_percent_is_always_refused(rate: float) -> None:
    with pytest.raises(InputError, match="max_abandon_rate"):
        PacingConfig(mode=PacingMode.PREDICTIVE, max_abandon_rate=rate)
