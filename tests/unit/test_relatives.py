"""The relative and field-visit rules (dialer.core.relatives): when a person's relative is
called, what their answers give, and the order of the visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.attempts import CycleResult
from dialer.core.planning import Cycle, RetryPolicy
from dialer.core.relatives import (
    RelativeOutcome,
    RelativeState,
    RiskFlags,
    relative_call_at,
    relative_outcome,
    result_of_relative,
    visit_priority,
)
from dialer.core.windows import CallingWindows, OpeningInterval, is_open

T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
H48 = timedelta(hours=48)
WINDOWS = CallingWindows()  # the default ones: 9 h-12 h, 14 h-19 h, Paris, no Sunday...
POLICY = RetryPolicy()


def state(**changes: object) -> RelativeState:
    base: dict[str, object] = {
        "has_relative": True,
        "objected": False,
        "contacted": False,
        "attempts_exhausted": True,
        "relative_calls": 0,
        "last_relative_call": None,
    }
    base.update(changes)
    return RelativeState(**base)  # type: ignore[arg-type]


def test_attempts_used_calls_the_relative_at_the_next_window_instant() -> None:
    cycle = Cycle(T0, T0 + H48)
    at = relative_call_at(state(), now=T0, cycle=cycle, windows=WINDOWS, policy=POLICY)
    assert at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # 9 h in Paris


def test_before_the_lead_time_a_person_with_attempts_left_waits() -> None:
    cycle = Cycle(T0, T0 + H48)
    waiting = state(attempts_exhausted=False)
    assert relative_call_at(waiting, now=T0, cycle=cycle, windows=WINDOWS, policy=POLICY) is None
    late = T0 + H48 - timedelta(hours=5)
    every_day = CallingWindows(
        week=((OpeningInterval(time(0, 0), time(23, 59, 59)),),) * 7,
        holiday=(OpeningInterval(time(0, 0), time(23, 59, 59)),),
    )
    assert relative_call_at(waiting, now=late, cycle=cycle, windows=every_day, policy=POLICY) == (
        late
    )


def test_no_relative_no_call_and_a_contact_ends_the_need() -> None:
    cycle = Cycle(T0, T0 + H48)
    for blocked in (state(has_relative=False), state(contacted=True), state(objected=True)):
        assert (
            relative_call_at(blocked, now=T0, cycle=cycle, windows=WINDOWS, policy=POLICY) is None
        )


def test_the_answers_give_the_outcome_and_the_result() -> None:
    assert relative_outcome({"nouvelles_48h": True}, new_number=False) is RelativeOutcome.NEWS_GIVEN
    assert relative_outcome({"situation": "hospitalise"}, new_number=True) is (
        RelativeOutcome.HOSPITALISED
    )
    assert relative_outcome({"nouvelles_48h": False}, new_number=True) is (
        RelativeOutcome.NEW_NUMBER
    )
    assert relative_outcome({"nouvelles_48h": False}, new_number=False) is RelativeOutcome.NO_NEWS
    assert result_of_relative(RelativeOutcome.NEWS_GIVEN) is CycleResult.REACHED_VIA_RELATIVE
    assert result_of_relative(RelativeOutcome.NEW_NUMBER) is None
    assert result_of_relative(RelativeOutcome.NO_NEWS) is CycleResult.NEVER_REACHED


def test_visits_go_first_to_the_most_at_risk() -> None:
    today = date(2026, 7, 1)
    frail = RiskFlags(date(1930, 1, 1), True, True, True, False)
    sound = RiskFlags(date(1960, 1, 1), False, False, False, False)
    assert visit_priority(frail, today) == 1
    assert visit_priority(sound, today) == 4
    assert visit_priority(RiskFlags(None, True, False, False, True), today) == 2


@settings(max_examples=300, deadline=None)
@given(
    start_minutes=st.integers(0, 7 * 24 * 60),
    cap=st.integers(0, 4),
    gap_min=st.integers(0, 180),
    lead_h=st.integers(0, 48),
    steps=st.lists(
        st.tuples(st.integers(1, 600), st.booleans(), st.booleans()), min_size=1, max_size=40
    ),
)
def test_a_relative_is_never_called_outside_the_windows_beyond_the_cap_or_after_an_objection(
    start_minutes: int,
    cap: int,
    gap_min: int,
    lead_h: int,
    steps: list[tuple[int, bool, bool]],
) -> None:
    """A simulated cycle: time moves on, the person may use their attempts or object; the
    relative is called whenever the rule says the call is due by now."""
    started = T0 + timedelta(minutes=start_minutes)
    cycle = Cycle(started, started + H48)
    policy = RetryPolicy(
        relative_calls_per_cycle=cap,
        relative_retry_gap=timedelta(minutes=gap_min),
        relative_before_deadline=timedelta(hours=lead_h),
    )
    now = started
    calls: list[datetime] = []
    objected = exhausted = False
    for minutes, objects, exhausts in steps:
        now += timedelta(minutes=minutes)
        objected = objected or objects
        exhausted = exhausted or exhausts
        current = state(
            objected=objected,
            attempts_exhausted=exhausted,
            relative_calls=len(calls),
            last_relative_call=calls[-1] if calls else None,
        )
        at = relative_call_at(current, now=now, cycle=cycle, windows=WINDOWS, policy=policy)
        if at is None:
            continue
        assert not objected
        assert is_open(WINDOWS, at)
        assert now <= at < cycle.deadline
        assert len(calls) < cap
        if calls:
            assert at >= calls[-1] + policy.relative_retry_gap
        if at <= now + timedelta(minutes=10):  # due now: placed
            calls.append(at)
    assert len(calls) <= cap
