"""Attempt planning for one person in one cycle: examples to the minute, then properties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.cycle_closure import FieldFollowUp, close_person_cycle, eligible_for_new_cycle
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import (
    AttemptRecord,
    Cycle,
    Dial,
    Done,
    DoneReason,
    PlanDecision,
    RetryPolicy,
    ScheduledCallback,
    abandoned_automatic,
    attempts_used,
    first_cycle,
    initial_attempt_time,
    next_cycle,
    plan_next_attempt,
)
from dialer.core.windows import (
    PARIS,
    CallingWindows,
    FrenchPublicHolidays,
    is_open,
    to_utc,
    window_end,
)
from dialer.errors import ConfigurationError

A, B, C = "+33140000001", "+33612345678", "+33698765432"
POLICY = RetryPolicy()
WINDOWS = CallingWindows()
AUTO, CALLBACK = AttemptKind.AUTOMATIC, AttemptKind.CALLBACK
RESERVED = AttemptKind.PREVIEW


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def mon(hour: int, minute: int = 0, *, second: int = 0) -> datetime:
    """Monday 6 July 2026 (an ordinary week: the 14 July is the week after)."""
    return paris(2026, 7, 6, hour, minute, second=second)


def tue(hour: int, minute: int = 0) -> datetime:
    return paris(2026, 7, 7, hour, minute)


#: Monday 08:00 → Wednesday 08:00
CYCLE = first_cycle(mon(8), POLICY)


def attempt(
    at: datetime,
    outcome: CallOutcome | None,
    number: str = A,
    kind: AttemptKind = AUTO,
    *,
    wrong_number: bool = False,
) -> AttemptRecord:
    return AttemptRecord(at, number, outcome, kind, wrong_number=wrong_number)


def plan(
    now: datetime,
    history: Sequence[AttemptRecord] = (),
    callbacks: Sequence[ScheduledCallback] = (),
    *,
    numbers: Sequence[str] = (A, B),
    cycle: Cycle = CYCLE,
    policy: RetryPolicy = POLICY,
    disposition: CycleResult | None = None,
) -> PlanDecision:
    return plan_next_attempt(
        now=now,
        cycle=cycle,
        numbers=numbers,
        history=history,
        callbacks=callbacks,
        windows=WINDOWS,
        policy=policy,
        disposition=disposition,
    )


# --- first attempts ---------------------------------------------------------------------


def test_first_attempt_waits_for_the_window_and_uses_the_first_number() -> None:
    decision = plan(mon(8))
    assert decision == Dial(at=mon(9), number=A, kind=AUTO)
    assert isinstance(decision, Dial)
    assert decision.at.tzinfo is UTC


def test_campaign_started_inside_a_window_dials_at_once() -> None:
    cycle = first_cycle(mon(10, 17), POLICY)
    assert plan(mon(10, 17), cycle=cycle) == Dial(at=mon(10, 17), number=A, kind=AUTO)
    due = initial_attempt_time(now=mon(10, 17), cycle=cycle, windows=WINDOWS, policy=POLICY)
    assert due == mon(10, 17)


def test_initial_attempt_time() -> None:
    assert initial_attempt_time(now=mon(7), cycle=CYCLE, windows=WINDOWS, policy=POLICY) == mon(9)
    # before the cycle starts: not before its start
    later = Cycle(started_at=mon(11), deadline=mon(18))
    assert initial_attempt_time(now=mon(7), cycle=later, windows=WINDOWS, policy=POLICY) == mon(11)
    # no room before the deadline
    short = Cycle(started_at=mon(19), deadline=tue(9))
    assert initial_attempt_time(now=mon(19), cycle=short, windows=WINDOWS, policy=POLICY) is None


def test_ring_allowance_before_the_window_closes() -> None:
    assert plan(mon(18, 59)) == Dial(at=mon(18, 59), number=A, kind=AUTO)
    assert plan(mon(18, 59, second=1)) == Dial(at=tue(9), number=A, kind=AUTO)


def test_ring_allowance_before_the_deadline() -> None:
    cycle = Cycle(started_at=mon(8), deadline=mon(12))
    assert plan(mon(11, 59), cycle=cycle) == Dial(at=mon(11, 59), number=A, kind=AUTO)
    assert plan(mon(11, 59, second=30), cycle=cycle) == Done(DoneReason.DEADLINE_REACHED)
    assert plan(mon(12), cycle=cycle) == Done(DoneReason.DEADLINE_REACHED)


# --- delays by outcome ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "at", "number"),
    [
        (CallOutcome.BUSY, mon(9, 15), A),
        (CallOutcome.NO_ANSWER, mon(12), A),
        (CallOutcome.MACHINE, mon(12), A),
        (CallOutcome.ANSWERED, mon(12), A),  # answered, no disposition recorded
        (CallOutcome.CONGESTION, mon(10), A),
        (CallOutcome.FAILED, mon(10), A),
        (None, mon(10), A),  # outcome never recorded: a failure
        (CallOutcome.UNREACHABLE, mon(10), B),
        (CallOutcome.REJECTED, mon(10), B),
        (CallOutcome.INVALID_NUMBER, mon(9, 1), B),  # next number at once
    ],
)
def test_delay_and_number_after_each_outcome(
    outcome: CallOutcome | None, at: datetime, number: str
) -> None:
    assert plan(mon(9, 1), [attempt(mon(9), outcome)]) == Dial(at=at, number=number, kind=AUTO)


def test_a_wrong_number_mark_moves_on_at_once() -> None:
    history = [attempt(mon(9), CallOutcome.ANSWERED, wrong_number=True)]
    assert plan(mon(9, 3), history) == Dial(at=mon(9, 3), number=B, kind=AUTO)


def test_a_delay_that_runs_past_the_close_goes_to_the_next_opening() -> None:
    history = [attempt(mon(17), CallOutcome.NO_ANSWER)]
    assert plan(mon(17, 1), history) == Dial(at=tue(9), number=A, kind=AUTO)


def test_delay_over_the_spring_dst_change() -> None:
    cycle = first_cycle(paris(2026, 3, 28, 8), POLICY)  # Saturday
    history = [attempt(paris(2026, 3, 28, 18, 30), CallOutcome.NO_ANSWER)]
    decision = plan(paris(2026, 3, 28, 18, 31), history, cycle=cycle)
    # Sunday 29 March 10:00 CEST is 08:00 UTC
    assert decision == Dial(at=datetime(2026, 3, 29, 8, tzinfo=UTC), number=A, kind=AUTO)
    assert cycle.deadline == datetime(2026, 3, 30, 7, tzinfo=UTC)  # 48 real hours


def test_delay_over_the_autumn_dst_change() -> None:
    cycle = first_cycle(paris(2026, 10, 24, 8), POLICY)
    history = [attempt(paris(2026, 10, 24, 18, 30), CallOutcome.NO_ANSWER)]
    decision = plan(paris(2026, 10, 24, 18, 31), history, cycle=cycle)
    assert decision == Dial(at=datetime(2026, 10, 25, 9, tzinfo=UTC), number=A, kind=AUTO)


def test_min_gap_spans_cycles_but_outcome_delays_do_not() -> None:
    cycle = Cycle(started_at=mon(10), deadline=paris(2026, 7, 8, 10))
    history = [attempt(mon(9, 55), CallOutcome.NO_ANSWER)]  # last attempt of the old cycle
    assert plan(mon(10), history, cycle=cycle) == Dial(at=mon(10, 5), number=A, kind=AUTO)


# --- numbers ----------------------------------------------------------------------------


def test_unreachable_numbers_wrap_around() -> None:
    history = [
        attempt(mon(9), CallOutcome.UNREACHABLE, A),
        attempt(mon(10), CallOutcome.UNREACHABLE, B),
    ]
    assert plan(mon(10, 1), history) == Dial(at=mon(11), number=A, kind=AUTO)
    three = (A, B, C)
    assert plan(mon(10, 1), history, numbers=three) == Dial(at=mon(11), number=C, kind=AUTO)


def test_an_invalid_number_is_never_dialled_again() -> None:
    history = [
        attempt(mon(9), CallOutcome.INVALID_NUMBER, A),
        attempt(mon(9, 1), CallOutcome.UNREACHABLE, B),
    ]
    assert plan(mon(9, 2), history) == Dial(at=mon(10, 1), number=B, kind=AUTO)


def test_dead_numbers_stay_dead_in_later_cycles() -> None:
    old = [attempt(paris(2026, 7, 3, 9), CallOutcome.INVALID_NUMBER, A)]
    assert plan(mon(8), old) == Dial(at=mon(9), number=B, kind=AUTO)


def test_no_valid_number() -> None:
    history = [
        attempt(mon(9), CallOutcome.INVALID_NUMBER, A),
        attempt(mon(9, 1), CallOutcome.ANSWERED, B, wrong_number=True),
    ]
    assert plan(mon(9, 2), history) == Done(DoneReason.NO_VALID_NUMBER)
    assert plan(mon(9), numbers=()) == Done(DoneReason.NO_VALID_NUMBER)


def test_a_new_cycle_starts_again_on_the_first_number() -> None:
    history = [attempt(mon(9), CallOutcome.UNREACHABLE, A)]
    cycle = next_cycle(CYCLE, alert_active=True, now=CYCLE.deadline)
    assert cycle is not None
    decision = plan(cycle.started_at, history, cycle=cycle)
    assert decision == Dial(at=paris(2026, 7, 8, 9), number=A, kind=AUTO)


def test_the_next_cycle_takes_a_changed_cycle_length() -> None:
    same = next_cycle(CYCLE, alert_active=True, now=CYCLE.deadline)
    assert same is not None
    assert same.deadline - same.started_at == CYCLE.deadline - CYCLE.started_at
    day = next_cycle(CYCLE, alert_active=True, now=CYCLE.deadline, length=timedelta(hours=24))
    assert day is not None
    assert (day.started_at, day.deadline - day.started_at) == (CYCLE.deadline, timedelta(hours=24))
    # missed slots are counted in the new length from the previous deadline
    late = CYCLE.deadline + timedelta(hours=30)
    skipped = next_cycle(CYCLE, alert_active=True, now=late, length=timedelta(hours=24))
    assert skipped is not None
    assert (skipped.started_at, skipped.index) == (CYCLE.deadline + timedelta(hours=24), 3)


# --- attempts per cycle, final outcomes ---------------------------------------------------


def test_attempts_are_capped_and_callbacks_count() -> None:
    history = [
        attempt(mon(9), CallOutcome.NO_ANSWER),
        attempt(mon(12), CallOutcome.NO_ANSWER),
        attempt(mon(15), CallOutcome.ANSWERED),
        attempt(mon(16), CallOutcome.NO_ANSWER, kind=CALLBACK),
    ]
    pending = [ScheduledCallback(at=tue(10))]
    assert plan(mon(16, 1), history, pending) == Done(DoneReason.ATTEMPTS_EXHAUSTED)
    assert plan(mon(16, 1), history[:3], pending) == Dial(
        at=tue(10), number=A, kind=CALLBACK, callback=pending[0]
    )


def test_attempts_of_earlier_cycles_do_not_count() -> None:
    old = [attempt(paris(2026, 7, 4, 10 + 2 * i), CallOutcome.NO_ANSWER) for i in range(4)]
    assert plan(mon(8), old) == Dial(at=mon(9), number=A, kind=AUTO)


def test_a_disposition_ends_the_cycle() -> None:
    assert plan(mon(9), disposition=CycleResult.REACHED) == Done(DoneReason.FINAL_OUTCOME_REACHED)


# --- different time of day --------------------------------------------------------------


def test_attempts_after_no_answer_move_to_another_time_of_day() -> None:
    history = [
        attempt(mon(10), CallOutcome.NO_ANSWER),
        attempt(mon(13), CallOutcome.NO_ANSWER),
        attempt(mon(16), CallOutcome.NO_ANSWER),
    ]
    # Tuesday 09:00 is 1 h from Monday's 10:00, 12:00 from 13:00, 15:00 from 16:00: 18:00
    assert plan(mon(16, 1), history) == Dial(at=tue(18), number=A, kind=AUTO)


def test_time_of_day_spread_gives_way_to_the_deadline() -> None:
    cycle = Cycle(started_at=mon(8), deadline=tue(12))
    history = [
        attempt(mon(10), CallOutcome.NO_ANSWER),
        attempt(mon(13), CallOutcome.NO_ANSWER),
        attempt(mon(16), CallOutcome.NO_ANSWER),
    ]
    assert plan(mon(16, 1), history, cycle=cycle) == Dial(at=tue(9), number=A, kind=AUTO)


def test_time_of_day_spread_within_a_day() -> None:
    policy = RetryPolicy(no_answer_delay=timedelta(minutes=30))
    history = [attempt(mon(9), CallOutcome.NO_ANSWER)]
    assert plan(mon(9, 1), history, policy=policy) == Dial(at=mon(11), number=A, kind=AUTO)
    flat = RetryPolicy(no_answer_delay=timedelta(minutes=30), time_of_day_spread=timedelta(0))
    assert plan(mon(9, 1), history, policy=flat) == Dial(at=mon(9, 30), number=A, kind=AUTO)


def test_busy_is_retried_soon_whatever_the_time_of_day() -> None:
    history = [attempt(mon(10), CallOutcome.NO_ANSWER), attempt(mon(13), CallOutcome.BUSY)]
    assert plan(mon(13, 1), history) == Dial(at=mon(13, 15), number=A, kind=AUTO)


# --- abandoned calls and callbacks --------------------------------------------------------


def test_an_abandoned_person_is_called_back_at_once_by_a_reserved_agent() -> None:
    history = [attempt(mon(9), CallOutcome.ABANDONED)]
    assert plan(mon(9, 1), history) == Dial(at=mon(9, 1), number=A, kind=RESERVED)


def test_the_call_back_after_an_abandon_waits_for_the_next_opening() -> None:
    history = [attempt(mon(18, 59), CallOutcome.ABANDONED)]
    assert plan(mon(19), history) == Dial(at=tue(9), number=A, kind=RESERVED)


def test_an_abandon_on_the_last_attempt_still_gets_its_call_back() -> None:
    history = [
        attempt(mon(9), CallOutcome.NO_ANSWER),
        attempt(mon(12), CallOutcome.NO_ANSWER),
        attempt(mon(15), CallOutcome.NO_ANSWER),
        attempt(mon(18), CallOutcome.ABANDONED),
    ]
    assert plan(mon(18, 1), history) == Dial(at=mon(18, 1), number=A, kind=RESERVED)
    # the call-back counts: after it, the attempts are exhausted
    history.append(attempt(mon(18, 1), CallOutcome.NO_ANSWER, kind=RESERVED))
    assert plan(mon(18, 5), history) == Done(DoneReason.ATTEMPTS_EXHAUSTED)


def test_within_72_hours_of_an_abandon_later_attempts_are_reserved_not_automatic() -> None:
    history = [
        attempt(mon(9), CallOutcome.ABANDONED),
        attempt(mon(9, 1), CallOutcome.NO_ANSWER, kind=RESERVED),
    ]
    assert plan(mon(9, 2), history) == Dial(at=mon(12, 1), number=A, kind=RESERVED)


def test_an_abandoned_call_of_the_previous_cycle_makes_dials_reserved_for_72_hours() -> None:
    history = [attempt(paris(2026, 7, 4, 12), CallOutcome.ABANDONED)]  # Saturday
    assert plan(mon(8), history) == Dial(at=mon(9), number=A, kind=RESERVED)
    assert plan(tue(12), history) == Dial(at=tue(12), number=A, kind=AUTO)


def test_a_guaranteed_callback_may_fall_within_the_quiet_period() -> None:
    history = [attempt(paris(2026, 7, 4, 12), CallOutcome.ABANDONED)]  # Saturday
    callback = ScheduledCallback(at=mon(15), number=C)
    assert plan(mon(9, 1), history, [callback]) == Dial(
        at=mon(15), number=C, kind=CALLBACK, callback=callback
    )


def test_a_callback_that_is_not_guaranteed_waits_for_the_quiet_period() -> None:
    history = [attempt(paris(2026, 7, 4, 12), CallOutcome.ABANDONED)]
    callback = ScheduledCallback(at=mon(15), guaranteed=False)
    assert plan(mon(8), history, [callback]) == Dial(
        at=tue(12), number=A, kind=CALLBACK, callback=callback, moved=True
    )


def test_a_callback_outside_the_windows_moves_to_the_next_opening() -> None:
    callback = ScheduledCallback(at=mon(20, 30))
    history = [attempt(mon(9), CallOutcome.ANSWERED)]
    assert plan(mon(9, 5), history, [callback]) == Dial(
        at=tue(9), number=A, kind=CALLBACK, callback=callback, moved=True
    )


def test_a_pending_callback_comes_before_automatic_attempts() -> None:
    callback = ScheduledCallback(at=mon(17, 45))
    history = [attempt(mon(9), CallOutcome.ANSWERED)]  # automatic would be 12:00
    assert plan(mon(9, 5), history, [callback]) == Dial(
        at=mon(17, 45), number=A, kind=CALLBACK, callback=callback
    )


def test_an_overdue_callback_is_dialled_now() -> None:
    callback = ScheduledCallback(at=mon(10))
    assert plan(mon(10, 20), [], [callback]) == Dial(
        at=mon(10, 20), number=A, kind=CALLBACK, callback=callback, moved=True
    )


def test_a_callback_after_the_deadline_belongs_to_the_next_cycle() -> None:
    callback = ScheduledCallback(at=paris(2026, 7, 8, 11))
    assert plan(mon(9), [], [callback]) == Dial(at=mon(9), number=A, kind=AUTO)


def test_the_earliest_callback_is_dialled_first() -> None:
    late, early = ScheduledCallback(at=tue(11)), ScheduledCallback(at=mon(14), number=B)
    assert plan(mon(9), [], [late, early]) == Dial(
        at=mon(14), number=B, kind=CALLBACK, callback=early
    )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        plan(datetime(2026, 7, 6, 9))  # noqa: DTZ001


# --- policy -----------------------------------------------------------------------------


def test_policy_defaults_and_validation() -> None:
    assert POLICY.max_attempts == 4
    assert POLICY.cycle_length == timedelta(hours=48)
    assert POLICY.abandon_quiet_period == timedelta(hours=72)
    assert POLICY.delay_after(CallOutcome.ABANDONED) == timedelta(hours=72)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigurationError, match="négatifs"):
        RetryPolicy(busy_delay=timedelta(minutes=-1))
    with pytest.raises(ConfigurationError, match="ring_allowance"):
        RetryPolicy(ring_allowance=timedelta(0))


# --- cycles -----------------------------------------------------------------------------


def test_next_cycle() -> None:
    assert next_cycle(CYCLE, alert_active=False, now=CYCLE.deadline) is None
    assert next_cycle(CYCLE, alert_active=True, now=tue(20)) is None  # still running
    second = next_cycle(CYCLE, alert_active=True, now=CYCLE.deadline + timedelta(minutes=1))
    assert second == Cycle(started_at=paris(2026, 7, 8, 8), deadline=paris(2026, 7, 10, 8), index=2)


def test_cycles_missed_during_an_outage_are_skipped() -> None:
    # stopped from Wednesday 08:00 to Sunday 12:00: the 2nd and 3rd cycles are gone
    fourth = next_cycle(CYCLE, alert_active=True, now=paris(2026, 7, 12, 12))
    assert fourth == Cycle(
        started_at=paris(2026, 7, 12, 8), deadline=paris(2026, 7, 14, 8), index=4
    )


@pytest.mark.parametrize(
    ("result", "eligible"),
    [
        (CycleResult.REACHED, True),
        (CycleResult.REFUSED, True),
        (CycleResult.WRONG_NUMBER, True),
        (CycleResult.NEVER_REACHED, True),
        # hospitalised, moved and opposed people are kept out by their hold, for as long
        # as it lasts (core.holds; tests/storage/test_holds.py): the campaign itself
        # enrols them again
        (CycleResult.HOSPITALISED, True),
        (CycleResult.MOVED, True),
        (CycleResult.OPPOSED, True),
        (CycleResult.DECEASED, False),
        (CycleResult.AWAY, False),
    ],
)
def test_eligible_for_new_cycle(result: CycleResult, eligible: bool) -> None:
    assert eligible_for_new_cycle(result) is eligible


# --- closing a person's cycle -----------------------------------------------------------


def test_never_reached_carries_every_attempt_for_the_field_teams() -> None:
    history = [
        attempt(mon(12), CallOutcome.BUSY),
        attempt(mon(9), CallOutcome.NO_ANSWER),
        attempt(paris(2026, 7, 3, 9), CallOutcome.NO_ANSWER),  # an earlier cycle
        attempt(tue(9), CallOutcome.UNREACHABLE, B, CALLBACK),
    ]
    closure = close_person_cycle(
        cycle=CYCLE, history=history, stopped=DoneReason.ATTEMPTS_EXHAUSTED
    )
    assert closure.result is CycleResult.NEVER_REACHED
    assert closure.follow_up is not None
    assert closure.follow_up.reason is DoneReason.ATTEMPTS_EXHAUSTED
    assert [(a.placed_at, a.outcome) for a in closure.follow_up.attempts] == [
        (mon(9), CallOutcome.NO_ANSWER),
        (mon(12), CallOutcome.BUSY),
        (tue(9), CallOutcome.UNREACHABLE),
    ]
    assert not closure.leaves_list
    by_deadline = close_person_cycle(cycle=CYCLE, history=history)
    assert by_deadline.follow_up == FieldFollowUp(
        DoneReason.DEADLINE_REACHED, CYCLE, closure.follow_up.attempts
    )


def test_no_valid_number_closes_as_wrong_number_with_a_follow_up() -> None:
    history = [attempt(mon(9), CallOutcome.INVALID_NUMBER)]
    closure = close_person_cycle(cycle=CYCLE, history=history, stopped=DoneReason.NO_VALID_NUMBER)
    assert closure.result is CycleResult.WRONG_NUMBER
    assert closure.follow_up is not None
    assert closure.follow_up.reason is DoneReason.NO_VALID_NUMBER


def test_reached_has_no_follow_up() -> None:
    history = [attempt(mon(9), CallOutcome.ANSWERED)]
    closure = close_person_cycle(
        cycle=CYCLE,
        history=history,
        disposition=CycleResult.REACHED,
        stopped=DoneReason.FINAL_OUTCOME_REACHED,
    )
    assert closure.result is CycleResult.REACHED
    assert closure.follow_up is None
    assert closure.left_on is None


@pytest.mark.parametrize(
    "result", [CycleResult.HOSPITALISED, CycleResult.MOVED, CycleResult.DECEASED]
)
def test_people_who_left_carry_the_date(result: CycleResult) -> None:
    closure = close_person_cycle(
        cycle=CYCLE, history=[], disposition=result, left_on=date(2026, 7, 5)
    )
    assert closure.result is result
    assert closure.left_on == date(2026, 7, 5)
    assert closure.leaves_list
    with pytest.raises(ValueError, match="left_on"):
        close_person_cycle(cycle=CYCLE, history=[], disposition=result)


def test_closing_refuses_contradictions() -> None:
    with pytest.raises(ValueError, match="NEVER_REACHED"):
        close_person_cycle(cycle=CYCLE, history=[], disposition=CycleResult.NEVER_REACHED)
    with pytest.raises(ValueError, match="left_on"):
        close_person_cycle(
            cycle=CYCLE, history=[], disposition=CycleResult.REACHED, left_on=date(2026, 7, 6)
        )
    with pytest.raises(ValueError, match="disposition"):
        close_person_cycle(cycle=CYCLE, history=[], stopped=DoneReason.FINAL_OUTCOME_REACHED)


# --- properties: simulate whole cycles ----------------------------------------------------

_POOL = (A, B, C, "+33700000000")
_SPECIAL_DAYS = (
    date(2025, 3, 30),
    date(2025, 10, 26),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2030, 3, 31),
    date(2026, 7, 14),
    date(2025, 8, 15),
    date(2026, 4, 6),
    date(2029, 12, 25),
)

_instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.builds(
        lambda day, minutes: (
            to_utc(datetime.combine(day, time(0), tzinfo=PARIS)) + timedelta(minutes=minutes)
        ),
        st.sampled_from(_SPECIAL_DAYS),
        st.integers(min_value=-36 * 60, max_value=36 * 60),
    ),
)
_outcomes = st.one_of(st.none(), st.sampled_from(CallOutcome))
_minutes = st.integers(min_value=0, max_value=180).map(lambda m: timedelta(minutes=m))


@dataclass(frozen=True)
class Step:
    """What happens after one planned dial."""

    outcome: CallOutcome | None
    wrong_number: bool
    lateness: timedelta  # the engine's delay between planned and placed
    duration: timedelta  # how long until the next planning
    callback_in: timedelta | None  # an agent schedules a callback this long after the dial
    callback_number: str | None
    callback_guaranteed: bool


_steps = st.builds(
    Step,
    outcome=_outcomes,
    wrong_number=st.sampled_from([False] * 7 + [True]),
    lateness=st.sampled_from([timedelta(0), timedelta(0), timedelta(seconds=20)]),
    duration=_minutes,
    callback_in=st.none() | st.integers(-60, 60 * 60).map(lambda m: timedelta(minutes=m)),
    callback_number=st.none() | st.sampled_from(_POOL),
    callback_guaranteed=st.booleans(),
)


@st.composite
def _prior_attempts(draw: st.DrawFn, before: datetime) -> AttemptRecord:
    ago = draw(st.integers(min_value=1, max_value=100 * 60))
    return AttemptRecord(
        placed_at=before - timedelta(minutes=ago),
        number=draw(st.sampled_from(_POOL)),
        outcome=draw(st.sampled_from([CallOutcome.ABANDONED, CallOutcome.NO_ANSWER, None])),
        kind=draw(st.sampled_from(AttemptKind)),
    )


@st.composite
def _windows(draw: st.DrawFn, start: datetime) -> CallingWindows:
    first = start.astimezone(PARIS).date()
    closed = frozenset(first + timedelta(days=d) for d in draw(st.sets(st.integers(0, 2))))
    moselle = draw(st.booleans())
    holidays = FrenchPublicHolidays(subdiv="57" if moselle else None)
    return CallingWindows(closed_dates=closed, public_holidays=holidays)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_simulated_cycles_respect_every_rule(data: st.DataObject) -> None:
    started_at = data.draw(_instants, label="cycle start")
    policy = RetryPolicy(
        max_attempts=data.draw(st.integers(1, 6), label="max_attempts"),
        ring_allowance=data.draw(
            st.sampled_from([timedelta(minutes=1), timedelta(minutes=20), timedelta(hours=2)]),
            label="ring_allowance",
        ),
    )
    cycle = first_cycle(started_at, policy)
    windows = data.draw(_windows(started_at), label="windows")
    numbers = data.draw(
        st.lists(st.sampled_from(_POOL), min_size=1, max_size=3, unique=True), label="numbers"
    )
    history = data.draw(st.lists(_prior_attempts(started_at), max_size=3), label="prior")
    pending = [
        ScheduledCallback(at=started_at + offset, number=number, guaranteed=guaranteed)
        for offset, number, guaranteed in data.draw(
            st.lists(
                st.tuples(
                    st.integers(-600, 60 * 60).map(lambda m: timedelta(minutes=m)),
                    st.none() | st.sampled_from(_POOL),
                    st.booleans(),
                ),
                max_size=2,
            ),
            label="callbacks",
        )
    ]
    now = started_at + data.draw(_minutes, label="first planning")
    steps = data.draw(st.lists(_steps, min_size=8, max_size=8), label="steps")

    decision: PlanDecision | None = None
    for step in steps:
        decision = plan_next_attempt(
            now=now,
            cycle=cycle,
            numbers=numbers,
            history=history,
            callbacks=pending,
            windows=windows,
            policy=policy,
        )
        if isinstance(decision, Done):
            event(f"done: {decision.reason}")
            break
        event(f"dial: {decision.kind}, moved={decision.moved}")
        quiet = any(
            a.outcome is CallOutcome.ABANDONED
            and a.placed_at + policy.abandon_quiet_period > decision.at
            for a in history
        )
        if quiet:
            event(f"dial within a quiet period: {decision.kind}")
        _check_dial(
            decision,
            now=now,
            cycle=cycle,
            numbers=numbers,
            history=history,
            windows=windows,
            policy=policy,
        )
        history.append(
            AttemptRecord(
                decision.at + step.lateness,
                decision.number,
                step.outcome,
                decision.kind,
                wrong_number=step.wrong_number,
            )
        )
        if decision.callback is not None:
            pending.remove(decision.callback)
        if step.callback_in is not None:
            pending.append(
                ScheduledCallback(
                    at=decision.at + step.callback_in,
                    number=step.callback_number,
                    guaranteed=step.callback_guaranteed,
                )
            )
        now = decision.at + step.lateness + step.duration
    assert isinstance(decision, Done), "the planner did not stop after max_attempts"
    in_cycle = [a for a in history if cycle.contains(a.placed_at)]
    assert attempts_used(in_cycle) <= policy.max_attempts
    if decision.reason is DoneReason.ATTEMPTS_EXHAUSTED:
        assert attempts_used(in_cycle) == policy.max_attempts
    closure = close_person_cycle(cycle=cycle, history=history, stopped=decision.reason)
    assert closure.follow_up is not None
    assert len(closure.follow_up.attempts) == len(in_cycle)


def _first_open(windows: CallingWindows, earliest: datetime, policy: RetryPolicy) -> datetime:
    """The first instant >= ``earliest`` an attempt may start (open, the ring allowance left)."""
    instant = earliest
    while True:
        end = window_end(windows, instant) if is_open(windows, instant) else None
        if end is not None and end - instant >= policy.ring_allowance:
            return instant
        instant = (instant + timedelta(minutes=1)).replace(second=0, microsecond=0)


def _check_dial(
    dial: Dial,
    *,
    now: datetime,
    cycle: Cycle,
    numbers: Sequence[str],
    history: Sequence[AttemptRecord],
    windows: CallingWindows,
    policy: RetryPolicy,
) -> None:
    assert dial.at.tzinfo is UTC
    assert dial.at >= now
    assert dial.at >= cycle.started_at
    assert dial.at + policy.ring_allowance <= cycle.deadline
    assert is_open(windows, dial.at)
    end = window_end(windows, dial.at)
    assert end is not None
    assert end - dial.at >= policy.ring_allowance
    in_cycle = [a for a in history if cycle.contains(a.placed_at)]
    owed = bool(in_cycle) and abandoned_automatic(in_cycle[-1])
    assert attempts_used(in_cycle) < policy.max_attempts or owed
    if owed:  # the promise of the information message: a reserved agent, at once
        first = _first_open(windows, max(now, cycle.started_at), policy)
        if dial.callback is None:
            assert dial.kind is RESERVED
            assert dial.at == first
        else:  # no number left to call back on (each found wrong): the agent's call-back
            assert {a.number for a in history if a.wrong_number} >= set(numbers)
    quiet_applies = dial.kind is AUTO or (
        dial.callback is not None and not dial.callback.guaranteed
    )
    if quiet_applies:
        for a in history:
            if a.outcome is CallOutcome.ABANDONED:
                assert not a.placed_at <= dial.at < a.placed_at + policy.abandon_quiet_period
    if dial.kind in (AUTO, RESERVED):
        assert dial.callback is None
        assert dial.number in numbers
        for a in history:
            if owed or a.outcome is CallOutcome.INVALID_NUMBER or a.wrong_number:
                continue
            assert dial.at >= a.placed_at + policy.min_gap_between_attempts
        dead = {
            a.number for a in history if a.outcome is CallOutcome.INVALID_NUMBER or a.wrong_number
        }
        assert dial.number not in dead
    else:
        assert dial.callback is not None
        assert dial.number == dial.callback.number or (
            dial.callback.number is None and dial.number in numbers
        )
        assert dial.callback.at < cycle.deadline
