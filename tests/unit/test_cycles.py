"""The cycle rules of an alert episode (dialer.core.cycles): when a cycle closes and the
next opens, and why a person is on a cycle's never-reached list."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.cycles import CycleStep, NeverReachedReason, cycle_step, never_reached_reason
from dialer.core.episodes import (
    CAMPAIGN_KIND_OF,
    AlertKind,
    check_level,
    parse_alert_kind,
    parse_districts,
)
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import (
    AttemptRecord,
    Cycle,
    Dial,
    Done,
    DoneReason,
    RetryPolicy,
    first_cycle,
    plan_next_attempt,
)
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.errors import InputError

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
H48 = timedelta(hours=48)
ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)
EVERY_DAY = CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY)


def test_nothing_happens_while_the_cycle_runs() -> None:
    cycle = Cycle(T0, T0 + H48, 1)
    assert cycle_step(cycle, last_closed=False, episode_active=True, now=T0 + H48 / 2) == (
        CycleStep()
    )
    assert cycle_step(None, last_closed=False, episode_active=True, now=T0).nothing


def test_at_the_deadline_the_cycle_closes_and_the_next_opens_the_length_after_its_start() -> None:
    cycle = Cycle(T0, T0 + H48, 1)
    step = cycle_step(cycle, last_closed=False, episode_active=True, now=T0 + H48)
    assert step == CycleStep(close=1, open=Cycle(T0 + H48, T0 + 2 * H48, 2))


def test_a_controller_down_for_two_slots_opens_the_slot_of_now_once() -> None:
    cycle = Cycle(T0, T0 + H48, 1)
    late = T0 + 5 * H48 + timedelta(hours=3)
    step = cycle_step(cycle, last_closed=False, episode_active=True, now=late)
    assert step == CycleStep(close=1, open=Cycle(T0 + 5 * H48, T0 + 6 * H48, 6))
    # once opened, the next look does nothing until that cycle's deadline
    opened = step.open
    assert opened is not None
    assert cycle_step(opened, last_closed=False, episode_active=True, now=late).nothing


def test_a_closed_cycle_is_not_closed_again_but_the_next_still_opens() -> None:
    cycle = Cycle(T0, T0 + H48, 1)
    step = cycle_step(cycle, last_closed=True, episode_active=True, now=T0 + H48)
    assert step == CycleStep(close=None, open=Cycle(T0 + H48, T0 + 2 * H48, 2))


def test_an_ended_episode_closes_its_cycle_at_once_and_opens_none() -> None:
    cycle = Cycle(T0, T0 + H48, 1)
    assert cycle_step(
        cycle, last_closed=False, episode_active=False, now=T0 + timedelta(hours=1)
    ) == (CycleStep(close=1))
    assert cycle_step(cycle, last_closed=True, episode_active=False, now=T0 + 3 * H48).nothing


@pytest.mark.parametrize(
    ("stopped", "attempts", "reason"),
    [
        (DoneReason.ATTEMPTS_EXHAUSTED, 4, NeverReachedReason.ATTEMPTS_EXHAUSTED),
        (DoneReason.DEADLINE_REACHED, 2, NeverReachedReason.DEADLINE_REACHED),
        (None, 3, NeverReachedReason.DEADLINE_REACHED),
        (None, 0, NeverReachedReason.NEVER_ATTEMPTED),
        (DoneReason.DEADLINE_REACHED, 0, NeverReachedReason.NEVER_ATTEMPTED),
    ],
)
def test_the_never_reached_reason(
    stopped: DoneReason | None, attempts: int, reason: NeverReachedReason
) -> None:
    assert never_reached_reason(stopped, attempts) is reason


def test_episode_inputs_are_checked_with_the_field_named() -> None:
    assert parse_alert_kind(" flood ") is AlertKind.FLOOD
    with pytest.raises(InputError, match="kind: 'tsunami'"):
        parse_alert_kind("tsunami")
    with pytest.raises(InputError, match="level: 5"):
        check_level(5)
    assert parse_districts([" 11e", "", "12e", "11e "]) == ("11e", "12e")
    with pytest.raises(InputError, match="districts"):
        parse_districts(["x" * 101])
    with pytest.raises(InputError, match="districts"):
        parse_districts(["a\x00b"])
    with pytest.raises(InputError, match="districts"):
        parse_districts([str(i) for i in range(101)])
    # a template names its alert (a flood's campaign is of kind « other »)
    assert CAMPAIGN_KIND_OF[AlertKind.FLOOD] is CampaignKind.OTHER


OUTCOMES = [
    CallOutcome.NO_ANSWER,
    CallOutcome.BUSY,
    CallOutcome.UNREACHABLE,
    CallOutcome.ABANDONED,
    CallOutcome.ANSWERED,
    CallOutcome.MACHINE,
]


def _dial(
    cycle: Cycle,
    history: list[AttemptRecord],
    policy: RetryPolicy,
    draw: Iterator[CallOutcome],
    *,
    since: datetime,
    until: datetime,
) -> CycleResult | NeverReachedReason | None:
    """Dial the person as the planner says from ``since`` to ``until``; their end in the
    cycle if they got one (reached, or the planner stopped), None while still waiting."""
    instant = since
    while True:
        decision = plan_next_attempt(
            now=instant,
            cycle=cycle,
            numbers=["+33600000000"],
            history=history,
            callbacks=[],
            windows=EVERY_DAY,
            policy=policy,
        )
        if isinstance(decision, Done):
            tried = sum(1 for a in history if cycle.contains(a.placed_at))
            return never_reached_reason(decision.reason, tried)
        assert isinstance(decision, Dial)
        if decision.at >= until:
            return None
        outcome = next(draw, CallOutcome.NO_ANSWER)  # an abandon is not counted: more dials
        history.append(AttemptRecord(decision.at, decision.number, outcome))
        instant = decision.at
        if outcome is CallOutcome.ANSWERED:
            return CycleResult.REACHED


@settings(max_examples=150, deadline=None)
@given(
    length_min=st.integers(min_value=30, max_value=3 * 24 * 60),
    episode_slots=st.floats(min_value=0.1, max_value=6.0),
    gaps=st.lists(st.integers(min_value=1, max_value=5 * 24 * 60), min_size=1, max_size=40),
    outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=60),
    people=st.integers(min_value=1, max_value=5),
)
def test_over_random_clocks_cycles_never_overlap_open_on_time_and_close_everyone(
    length_min: int,
    episode_slots: float,
    gaps: list[int],
    outcomes: list[CallOutcome],
    people: int,
) -> None:
    """The service looks at the cycles at random instants (gaps: its checks, and its
    downtimes); each look does the step of :func:`cycle_step`. People are dialled by the
    planner between looks with random outcomes; at each closing those without a final
    result go on the never-reached list with a reason."""
    length = timedelta(minutes=length_min)
    policy = RetryPolicy(
        cycle_length=length,
        busy_delay=length / 20,
        no_answer_delay=length / 10,
        machine_delay=length / 10,
        answered_delay=length / 10,
        failure_delay=length / 15,
        min_gap_between_attempts=length / 40,
        time_of_day_spread=timedelta(0),
        ring_allowance=length / 100,
    )
    episode_end = T0 + length * episode_slots
    cycles = [first_cycle(T0, policy)]
    closed: set[int] = set()
    looks: list[datetime] = []
    history: dict[int, list[AttemptRecord]] = {p: [] for p in range(people)}
    ends: dict[tuple[int, int], CycleResult | NeverReachedReason] = {}
    draw = iter(outcomes * 50)
    now = T0
    for gap in gaps:
        previous, now = now, now + timedelta(minutes=gap)
        current = cycles[-1]
        # the planner dials between two looks, in the cycle that is open
        for person in range(people) if current.index not in closed else ():
            if (current.index, person) not in ends:
                end = _dial(
                    current,
                    history[person],
                    policy,
                    draw,
                    since=previous,
                    until=min(now, episode_end, current.deadline),
                )
                if end is not None:
                    ends[current.index, person] = end
        active = now < episode_end
        step = cycle_step(
            current, last_closed=current.index in closed, episode_active=active, now=now
        )
        looks.append(now)
        if step.close is not None:
            assert step.close == current.index
            closed.add(current.index)
            for person in range(people):
                tried = sum(1 for a in history[person] if current.contains(a.placed_at))
                ends.setdefault((current.index, person), never_reached_reason(None, tried))
        # on time: the first look at or after the slot's start opens it
        assert (step.open is not None) == (active and now >= current.deadline)
        if step.open is not None:
            opened = step.open
            # on time: on the grid, the slot containing the look that opened it
            assert (opened.started_at - T0) % length == timedelta(0)
            assert opened.started_at <= now < opened.deadline
            assert opened.deadline - opened.started_at == length
            assert opened.index == 1 + (opened.started_at - T0) // length
            cycles.append(opened)
    # cycles never overlap, and none opens after the episode's end
    for before, after in itertools.pairwise(cycles):
        assert after.started_at >= before.deadline
        assert after.index > before.index
        assert after.started_at < episode_end
    # every person ends each closed cycle with a final result or a never-reached reason
    for index in closed:
        assert all(
            isinstance(ends[index, person], CycleResult | NeverReachedReason)
            for person in range(people)
        )
    # a cycle left open is the last one, and only while the episode lasts or no look came
    for cycle in cycles[:-1]:
        assert cycle.index in closed
    if looks[-1] >= episode_end:
        assert cycles[-1].index in closed
