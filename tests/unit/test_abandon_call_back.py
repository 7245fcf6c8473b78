"""The promise of the information message, as a property of the planner: over random
clocks, outcomes and cycles, nobody is dialled without a reserved agent within 72 hours
of an abandon, and every abandoned person's next attempt is a reserved call-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from dialer.core.attempts import RESERVED_KINDS, AttemptKind
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import (
    AttemptRecord,
    Cycle,
    Dial,
    RetryPolicy,
    first_cycle,
    next_cycle,
    plan_next_attempt,
)
from dialer.core.windows import CallingWindows

NUMBERS = ("+33140000001", "+33140000002")
_outcomes = st.sampled_from(
    [
        CallOutcome.ABANDONED,
        CallOutcome.ABANDONED,
        CallOutcome.NO_ANSWER,
        CallOutcome.BUSY,
        CallOutcome.MACHINE,
        CallOutcome.ANSWERED,
        CallOutcome.UNREACHABLE,
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 6, 1),  # noqa: DTZ001
        max_value=datetime(2026, 9, 30),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    cycle_hours=st.sampled_from([1, 6, 24, 48]),
    quiet_hours=st.sampled_from([1, 24, 72]),
    steps=st.lists(
        st.tuples(_outcomes, st.integers(0, 600).map(lambda s: timedelta(seconds=s))),
        min_size=1,
        max_size=20,
    ),
)
def test_nobody_is_dialled_without_a_reserved_agent_within_the_quiet_period(
    start: datetime,
    cycle_hours: int,
    quiet_hours: int,
    steps: list[tuple[CallOutcome, timedelta]],
) -> None:
    policy = RetryPolicy(
        cycle_length=timedelta(hours=cycle_hours),
        abandon_quiet_period=timedelta(hours=quiet_hours),
    )
    windows = CallingWindows()
    cycle: Cycle | None = first_cycle(start, policy)
    history: list[AttemptRecord] = []
    now = start
    for drawn, lateness in steps:
        assert cycle is not None
        decision = plan_next_attempt(
            now=now,
            cycle=cycle,
            numbers=NUMBERS,
            history=history,
            callbacks=[],
            windows=windows,
            policy=policy,
        )
        if not isinstance(decision, Dial):
            now = cycle.deadline
            cycle = next_cycle(cycle, alert_active=True, now=now)
            continue
        abandons = [a.placed_at for a in history if a.outcome is CallOutcome.ABANDONED]
        recent = [t for t in abandons if t <= decision.at < t + policy.abandon_quiet_period]
        if recent:
            event("dial within a quiet period")
            assert decision.kind in RESERVED_KINDS, (decision, recent)
        if (
            history
            and history[-1].outcome is CallOutcome.ABANDONED
            and cycle.contains(history[-1].placed_at)
        ):
            assert history[-1].kind is not AttemptKind.AUTOMATIC or decision.kind in RESERVED_KINDS
        placed = decision.at + lateness
        # a reserved call is bridged to its agent: it can never be abandoned
        outcome = drawn
        if decision.kind in RESERVED_KINDS and drawn is CallOutcome.ABANDONED:
            outcome = CallOutcome.ANSWERED
        history.append(AttemptRecord(placed, decision.number, outcome, decision.kind))
        now = placed + timedelta(minutes=1)
        if now >= cycle.deadline:
            cycle = next_cycle(cycle, alert_active=True, now=now)
