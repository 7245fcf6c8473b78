"""The cycle's forecast: exhaustion time, projected useful-contact share, agents needed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dialer.core.forecast import (
    OCCUPANCY,
    TARGET_FLOOR,
    CycleFigures,
    calling_hours_left,
    contacts_per_agent_hour,
    exhaustion_time,
    forecast,
    projected_share,
)
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.errors import InputError

ALL_DAY = (OpeningInterval(time(0), time(23, 59, 59, 999999)),)
ALWAYS = CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY, public_holidays=frozenset())
#: 09:00-19:00 every day, Paris time, no holidays
OFFICE = CallingWindows(
    week=((OpeningInterval(time(9), time(19)),),) * 7,
    holiday=(OpeningInterval(time(9), time(19)),),
    public_holidays=frozenset(),
)
#: Monday 13 July 2026, 08:00 UTC = 10:00 in Paris
NOW = datetime(2026, 7, 13, 8, 0, tzinfo=UTC)


def figures(**changes: object) -> CycleFigures:
    base = CycleFigures(
        now=NOW,
        deadline=NOW + timedelta(hours=48),
        register=1000,
        open_people=800,
        attempts_done=400,
        attempts_left=3000,
        contacts=150,
        attempts_per_hour=100.0,
        contacts_per_hour=20.0,
        agents=5,
        mean_handling_s=360.0,
        useful_per_handled=0.8,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# ---- exhaustion ----------------------------------------------------------------------------
def test_attempts_run_out_after_their_calling_time_at_the_current_pace() -> None:
    assert exhaustion_time(ALWAYS, NOW, 300, 100.0) == NOW + timedelta(hours=3)


def test_exhaustion_counts_only_open_calling_time() -> None:
    # 10:00 Paris; 9 h open today (→ 19:00), then 2 h on Tuesday from 09:00
    at = exhaustion_time(OFFICE, NOW, 1100, 100.0)
    assert at == datetime(2026, 7, 14, 9, 0, tzinfo=UTC)  # 11:00 in Paris


def test_zero_pace_has_no_exhaustion_time_and_nothing_left_is_exhausted_now() -> None:
    assert exhaustion_time(ALWAYS, NOW, 300, 0.0) is None
    assert exhaustion_time(ALWAYS, NOW, 0, 0.0) == NOW
    result = forecast(figures(attempts_per_hour=0.0), ALWAYS)
    assert result.exhausted_at is None
    assert result.exhausted_before_deadline is None


def test_exhaustion_after_the_deadline_is_reported_as_such() -> None:
    result = forecast(figures(attempts_left=6000, attempts_per_hour=100.0), ALWAYS)
    assert result.exhausted_at is not None
    # ALWAYS leaves out the last microsecond of each day
    assert abs(result.exhausted_at - (NOW + timedelta(hours=60))) < timedelta(milliseconds=1)
    assert result.exhausted_before_deadline is False
    assert forecast(figures(), ALWAYS).exhausted_before_deadline is True


# ---- projected share -----------------------------------------------------------------------
def test_the_projection_adds_the_recent_pace_over_the_calling_time_left() -> None:
    # 10:00 → Wednesday 10:00 Paris, open 09-19: 9 + 10 + 1 = 20 h at 20 contacts/h
    result = forecast(figures(attempts_left=100_000), OFFICE)
    assert result.calling_time_left == timedelta(hours=20)
    assert result.projected_contacts == pytest.approx(150 + 20 * 20)
    assert result.projected_share == pytest.approx(0.55)


def test_the_projection_never_exceeds_the_people_still_open() -> None:
    result = forecast(figures(attempts_left=100_000, open_people=100), ALWAYS)
    assert result.projected_contacts == pytest.approx(250)


def test_the_projection_is_capped_by_what_the_attempts_left_can_give() -> None:
    # the recent yield is 20 contacts / 100 attempts: 500 attempts give at most 100
    result = forecast(figures(attempts_left=500), ALWAYS)
    assert result.projected_contacts == pytest.approx(250)


def test_without_recent_contacts_the_capacity_comes_from_the_dmt() -> None:
    quiet = figures(contacts_per_hour=0.0)
    assert contacts_per_agent_hour(quiet) == pytest.approx(3600 / 360 * 0.8 * OCCUPANCY)
    assert contacts_per_agent_hour(figures(contacts_per_hour=0.0, mean_handling_s=None)) is None
    unknown = forecast(figures(contacts_per_hour=0.0, mean_handling_s=None), ALWAYS)
    assert unknown.projected_share is None
    assert unknown.more_agents_needed is None


def test_nothing_more_is_projected_once_the_deadline_passed() -> None:
    late = figures(now=NOW + timedelta(hours=49))
    assert calling_hours_left(late, ALWAYS) == 0
    assert forecast(late, ALWAYS).projected_contacts == 150


# ---- agents needed -------------------------------------------------------------------------
def test_agents_needed_to_reach_65_percent() -> None:
    # missing 650 - 150 = 500 contacts in 20 h at 4 contacts/h/agent: 6.25 → 7 agents
    result = forecast(figures(attempts_left=100_000), OFFICE)
    assert result.more_agents_needed == 2
    assert result.target_reachable


def test_no_agent_needed_when_the_target_is_met() -> None:
    assert forecast(figures(contacts=700, open_people=100), ALWAYS).more_agents_needed == 0


def test_an_unreachable_target_needs_no_number_of_agents() -> None:
    result = forecast(figures(open_people=200), ALWAYS)  # 150 + 200 < 650
    assert not result.target_reachable
    assert result.more_agents_needed is None


def test_bad_figures_are_refused() -> None:
    with pytest.raises(InputError):
        figures(register=-1)
    with pytest.raises(InputError):
        figures(contacts=2000)
    with pytest.raises(InputError):
        figures(attempts_per_hour=float("nan"))
    with pytest.raises(ValueError, match="naive"):
        figures(now=datetime(2026, 7, 13, 8, 0))  # noqa: DTZ001 (naive on purpose)


# ---- properties ----------------------------------------------------------------------------
@st.composite
def cycle_figures(draw: st.DrawFn) -> CycleFigures:
    register = draw(st.integers(0, 20_000))
    open_people = draw(st.integers(0, register))
    contacts = draw(st.integers(0, register - open_people))
    return CycleFigures(
        now=NOW + timedelta(minutes=draw(st.integers(0, 3000))),
        deadline=NOW + timedelta(hours=48),
        register=register,
        open_people=open_people,
        attempts_done=draw(st.integers(0, 80_000)),
        attempts_left=draw(st.integers(0, 80_000)),
        contacts=contacts,
        attempts_per_hour=draw(st.floats(0, 5000)),
        contacts_per_hour=draw(st.floats(0, 1000)),
        agents=draw(st.integers(0, 200)),
        mean_handling_s=draw(st.none() | st.floats(10, 3600)),
        useful_per_handled=draw(st.none() | st.floats(0, 1)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycle_figures(), st.integers(0, 300), st.integers(0, 50))
def test_more_agents_never_lower_the_forecast_share(
    base: CycleFigures, agents: int, more: int
) -> None:
    fewer = projected_share(base, OFFICE, agents)
    bigger = projected_share(base, OFFICE, agents + more)
    if fewer is None:
        assert bigger is None
    else:
        assert bigger is not None
        assert bigger >= fewer - 1e-12
        assert base.contacts / base.register - 1e-12 <= fewer <= 1 + 1e-12


# most random cycles need no forecast of agents (`assume` below): filtering them is expected
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cycle_figures())
def test_the_agents_said_needed_reach_the_target_and_one_fewer_does_not(
    base: CycleFigures,
) -> None:
    result = forecast(base, OFFICE)
    more = result.more_agents_needed
    assume(more is not None and base.register > 0)
    assert more is not None
    enough = projected_share(base, OFFICE, base.agents + more)
    if enough is None:  # no rate known: only an already met target needs nobody
        assert more == 0
        assert base.contacts >= TARGET_FLOOR * base.register - 1e-9
        return
    assert enough >= TARGET_FLOOR - 1e-6
    if more > 0:
        short = projected_share(base, OFFICE, base.agents + more - 1)
        assert short is not None
        assert short < TARGET_FLOOR + 1e-6


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycle_figures())
def test_zero_pace_never_has_an_exhaustion_time(base: CycleFigures) -> None:
    stopped = dataclasses.replace(base, attempts_per_hour=0.0)
    result = forecast(stopped, OFFICE)
    if stopped.attempts_left > 0:
        assert result.exhausted_at is None
    else:
        assert result.exhausted_at == stopped.now


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycle_figures(), st.floats(1, 5000), st.floats(1.01, 10))
def test_a_faster_pace_exhausts_the_attempts_no_later(
    base: CycleFigures, pace: float, factor: float
) -> None:
    slow = exhaustion_time(ALWAYS, base.now, base.attempts_left, pace)
    fast = exhaustion_time(ALWAYS, base.now, base.attempts_left, pace * factor)
    if slow is None:  # beyond the horizon
        return
    assert fast is not None
    assert base.now <= fast <= slow
