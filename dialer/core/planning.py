"""Attempt planning: when to call one person next in a cycle, and on which number (how the
cycle ends for them: :mod:`dialer.core.cycle_closure`).

A campaign runs in *cycles*: back-to-back rounds over the register (``cycle_length``,
default 48 h) while the heat alert lasts. In a cycle each person gets at most
``max_attempts`` attempts (agent callbacks count). :func:`plan_next_attempt` decides the
next one; every attempt it plans:

* starts inside an open calling window, at or after ``now`` and the cycle's start, and at
  least ``ring_allowance`` before both the window's close and the cycle's deadline;
* **automatic** attempts (the dialer places them itself) also wait:

  - ``delay_after(outcome)`` after the cycle's latest attempt (busy 15 min, no answer or
    machine or answered-without-disposition 3 h, unreachable / congestion / failed /
    rejected / unknown 1 h, invalid number or marked wrong number 0);
  - ``min_gap_between_attempts`` (10 min) after the person's latest attempt that could have
    rung their phone (all but INVALID_NUMBER and wrong-number marks), in any cycle;
  - ``abandon_quiet_period`` (72 h) after any ABANDONED attempt in the whole history given:
    the person answered and nobody spoke, so no *automatic* dial may surprise them again.
    An attempt the rules above would place within that period is planned instead as an
    agent-reserved attempt (kind ``PREVIEW``: an agent is reserved and sees the record
    first, the call is bridged to that agent and can never be abandoned);
  - *different time of day*: if it fits before the deadline, the attempt starts at a local
    clock time at least ``time_of_day_spread`` (2 h) away from the clock time of every
    NO_ANSWER or MACHINE attempt of the cycle (times when the person was not there). The
    earliest such instant is taken; when none fits, the earliest allowed instant is.
    After BUSY or a failure the person may well be there: the rule ignores those;

* **after an abandon** (the cycle's latest attempt, an automatic one, was ABANDONED), the
  person was told « un conseiller vous rappellera dans quelques minutes »: the next attempt
  is an agent-reserved call-back (kind ``PREVIEW``) at once (the first instant ``>= now``
  in a window), ahead of any delay; the engine serves reserved calls before automatic dials
  and the supervisor sees one not taken within ``abandon_callback_within`` (15 min). An
  abandoned automatic attempt does not use up one of the person's ``max_attempts`` (nobody
  spoke to them); its call-back does;

* a **callback** (scheduled by an agent, dialled by an agent in preview, so *guaranteed*)
  is kept at its hour, or moved to the next opening when its hour is outside a window or
  already past; a pending callback of the cycle comes before any automatic attempt; a
  guaranteed callback may fall within the abandon quiet period; callbacks at or after the
  deadline belong to a later cycle and are ignored here.

Numbers: the person's numbers in order of preference. A number that gave INVALID_NUMBER,
or that an agent marked as a wrong number, is never dialled again (the caller passes the
history across cycles). The cycle starts on the first usable number; after UNREACHABLE,
INVALID_NUMBER, REJECTED or a wrong-number mark the next usable number is taken, wrapping
round to the first; after any other outcome the same number is kept.

Every datetime returned is in UTC (see :mod:`dialer.core.windows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TypeAlias

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.operator_messages import say
from dialer.core.outcomes import CallOutcome
from dialer.core.windows import CallingWindows, local_instant, open_intervals, to_utc
from dialer.errors import ConfigurationError

#: an E.164 number, ``"+33612345678"``
PhoneNumber: TypeAlias = str

_MOVE_ON = frozenset({CallOutcome.UNREACHABLE, CallOutcome.INVALID_NUMBER, CallOutcome.REJECTED})
_NOBODY_THERE = frozenset({CallOutcome.NO_ANSWER, CallOutcome.MACHINE})
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a person is called again. Delays count from the attempt's start."""

    max_attempts: int = 4
    cycle_length: timedelta = timedelta(hours=48)
    busy_delay: timedelta = timedelta(minutes=15)
    no_answer_delay: timedelta = timedelta(hours=3)
    machine_delay: timedelta = timedelta(hours=3)
    #: answered but no disposition was recorded (the agent lost the call)
    answered_delay: timedelta = timedelta(hours=3)
    #: unreachable, congestion, failed, rejected, or no outcome recorded
    failure_delay: timedelta = timedelta(hours=1)
    invalid_number_delay: timedelta = timedelta(0)
    abandon_quiet_period: timedelta = timedelta(hours=72)
    #: a floor between two attempts; busy_delay above it keeps its meaning
    min_gap_between_attempts: timedelta = timedelta(minutes=10)
    time_of_day_spread: timedelta = timedelta(hours=2)
    ring_allowance: timedelta = timedelta(minutes=1)
    #: the call-back after an abandon is due at once; one not taken by an agent this long
    #: after it was due is shown to the supervisor (a promise late)
    abandon_callback_within: timedelta = timedelta(minutes=15)
    #: an agent's callback is offered only to that agent this long after its hour, then to
    #: any agent of the campaign
    callback_grace: timedelta = timedelta(minutes=15)
    #: a person not reached this long before the cycle's deadline (or whose attempts are
    #: used) has their relative called, by an agent (:mod:`dialer.core.relatives`)
    relative_before_deadline: timedelta = timedelta(hours=6)
    #: at most this many calls to a person's relative per cycle
    relative_calls_per_cycle: int = 2
    #: between two calls to the same relative
    relative_retry_gap: timedelta = timedelta(hours=1)
    #: a person found hospitalised is kept out of every campaign's calls this long, then
    #: called again (:mod:`dialer.core.holds`)
    hospitalised_hold: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(say("retry.max_attempts", count=self.max_attempts))
        if self.relative_calls_per_cycle < 0:
            raise ConfigurationError(say("retry.relative_calls"))
        if self.cycle_length <= timedelta(0) or self.ring_allowance <= timedelta(0):
            raise ConfigurationError(say("retry.lengths"))
        delays = (
            self.busy_delay,
            self.no_answer_delay,
            self.machine_delay,
            self.answered_delay,
            self.failure_delay,
            self.invalid_number_delay,
            self.abandon_quiet_period,
            self.min_gap_between_attempts,
            self.time_of_day_spread,
            self.abandon_callback_within,
            self.callback_grace,
            self.relative_before_deadline,
            self.relative_retry_gap,
            self.hospitalised_hold,
        )
        if any(delay < timedelta(0) for delay in delays):
            raise ConfigurationError(say("retry.negative_delays"))

    def delay_after(self, outcome: CallOutcome | None) -> timedelta:
        """How long after an attempt with ``outcome`` the next automatic one may start."""
        if outcome is CallOutcome.BUSY:
            return self.busy_delay
        if outcome is CallOutcome.NO_ANSWER:
            return self.no_answer_delay
        if outcome is CallOutcome.MACHINE:
            return self.machine_delay
        if outcome is CallOutcome.ANSWERED:
            return self.answered_delay
        if outcome is CallOutcome.INVALID_NUMBER:
            return self.invalid_number_delay
        if outcome is CallOutcome.ABANDONED:
            return self.abandon_quiet_period
        return self.failure_delay


@dataclass(frozen=True)
class AttemptRecord:
    """One past attempt. ``outcome`` is None while unknown (it then counts as a failure);
    ``wrong_number`` is an agent's mark: whoever answered is not the person."""

    placed_at: datetime
    number: PhoneNumber
    outcome: CallOutcome | None
    kind: AttemptKind = AttemptKind.AUTOMATIC
    wrong_number: bool = False


@dataclass(frozen=True)
class ScheduledCallback:
    """A callback an agent scheduled and has not been dialled yet. ``number`` None: the number
    the automatic rule would choose. A non-``guaranteed`` callback respects the quiet period."""

    at: datetime
    number: PhoneNumber | None = None
    guaranteed: bool = True


@dataclass(frozen=True)
class Cycle:
    """One round over the register: attempts belong to it when ``started_at <= t < deadline``."""

    started_at: datetime
    deadline: datetime
    index: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "started_at", to_utc(self.started_at))
        object.__setattr__(self, "deadline", to_utc(self.deadline))
        if self.deadline <= self.started_at or self.index < 1:
            raise ValueError(f"invalid cycle {self}")

    def contains(self, instant: datetime) -> bool:
        return self.started_at <= to_utc(instant) < self.deadline


class DoneReason(StrEnum):
    """Why the planner plans no further attempt in the cycle."""

    FINAL_OUTCOME_REACHED = "final_outcome_reached"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    NO_VALID_NUMBER = "no_valid_number"
    DEADLINE_REACHED = "deadline_reached"  # no further attempt fits before the deadline


@dataclass(frozen=True)
class Dial:
    """Dial ``number`` at ``at``. For a callback, ``callback`` is the one honoured and
    ``moved`` tells that ``at`` is not its hour (outside a window, or already past)."""

    at: datetime
    number: PhoneNumber
    kind: AttemptKind
    callback: ScheduledCallback | None = None
    moved: bool = False


@dataclass(frozen=True)
class Done:
    """No more attempts for this person in this cycle."""

    reason: DoneReason


PlanDecision: TypeAlias = Dial | Done


def first_cycle(started_at: datetime, policy: RetryPolicy) -> Cycle:
    """The campaign's first cycle, from ``started_at``."""
    return Cycle(started_at=started_at, deadline=to_utc(started_at) + policy.cycle_length)


def next_cycle(
    previous: Cycle, *, alert_active: bool, now: datetime, length: timedelta | None = None
) -> Cycle | None:
    """The cycle after ``previous``: None while ``previous`` runs or once the alert is over.
    Cycles follow back to back, ``length`` long (the campaign's cycle length, changed while
    ``previous`` ran; default: ``previous``'s); cycles missed entirely (dialer stopped) are
    skipped, not replayed: the cycle returned is the one of the grid from ``previous``'s
    deadline that contains ``now``."""
    now = to_utc(now)
    if not alert_active or now < previous.deadline:
        return None
    if length is None or length <= timedelta(0):
        length = previous.deadline - previous.started_at
    skipped = (now - previous.deadline) // length
    started_at = previous.deadline + skipped * length
    return Cycle(started_at, started_at + length, previous.index + 1 + skipped)


def initial_attempt_time(
    *, now: datetime, cycle: Cycle, windows: CallingWindows, policy: RetryPolicy
) -> datetime | None:
    """When a person's first attempt of ``cycle`` is due: at once if a window is open (and
    leaves the ring allowance), else at the next opening; None if nothing fits before the
    deadline. The same instant for the whole register: pacing spreads the actual dials."""
    earliest = max(to_utc(now), cycle.started_at)
    return _first_fit(windows, earliest, cycle.deadline, ring=policy.ring_allowance)


def plan_next_attempt(
    *,
    now: datetime,
    cycle: Cycle,
    numbers: Sequence[PhoneNumber],
    history: Sequence[AttemptRecord],
    callbacks: Sequence[ScheduledCallback],
    windows: CallingWindows,
    policy: RetryPolicy,
    disposition: CycleResult | None = None,
) -> PlanDecision:
    """The person's next attempt in ``cycle`` (see the module's rules), or why there is none.

    ``history``: all the person's attempts, any cycle. ``callbacks``: the pending ones.
    ``disposition``: the agent's final word for this cycle, if any.
    """
    now = to_utc(now)
    past = sorted(history, key=lambda attempt: to_utc(attempt.placed_at))
    in_cycle = [attempt for attempt in past if cycle.contains(attempt.placed_at)]
    if disposition is not None:
        return Done(DoneReason.FINAL_OUTCOME_REACHED)
    owes_call_back = abandoned_automatic(in_cycle[-1]) if in_cycle else False
    if attempts_used(in_cycle) >= policy.max_attempts and not owes_call_back:
        return Done(DoneReason.ATTEMPTS_EXHAUSTED)
    number = choose_number(numbers, past, in_cycle)
    quiet_until = _quiet_until(past, policy)
    earliest = max(now, cycle.started_at)
    if owes_call_back and number is not None:
        return _call_back_after_abandon(number, earliest, cycle, windows, policy)
    for callback in sorted(callbacks, key=lambda callback: to_utc(callback.at)):
        dial = _plan_callback(
            callback,
            earliest=earliest,
            quiet_until=quiet_until,
            number=number,
            cycle=cycle,
            windows=windows,
            policy=policy,
        )
        if dial is not None:
            return dial
    if number is None:
        return Done(DoneReason.NO_VALID_NUMBER)
    if in_cycle:
        last = in_cycle[-1]
        delay = policy.delay_after(last.outcome)
        if last.wrong_number:
            delay = policy.invalid_number_delay
        earliest = max(earliest, to_utc(last.placed_at) + delay)
    rang = [a for a in past if _may_have_rung(a)]
    if rang:
        earliest = max(earliest, to_utc(rang[-1].placed_at) + policy.min_gap_between_attempts)
    avoid = tuple(
        _time_of_day(a.placed_at, windows.timezone) for a in in_cycle if a.outcome in _NOBODY_THERE
    )
    ring = policy.ring_allowance
    spread = policy.time_of_day_spread
    at = _first_fit(windows, earliest, cycle.deadline, ring=ring, avoid=avoid, spread=spread)
    if at is None:
        at = _first_fit(windows, earliest, cycle.deadline, ring=ring)
    if at is None:
        return Done(DoneReason.DEADLINE_REACHED)
    if quiet_until is not None and at < quiet_until:
        return Dial(at=at, number=number, kind=AttemptKind.PREVIEW)  # an agent is reserved
    return Dial(at=at, number=number, kind=AttemptKind.AUTOMATIC)


def _call_back_after_abandon(
    number: PhoneNumber,
    earliest: datetime,
    cycle: Cycle,
    windows: CallingWindows,
    policy: RetryPolicy,
) -> PlanDecision:
    at = _first_fit(windows, earliest, cycle.deadline, ring=policy.ring_allowance)
    if at is None:
        return Done(DoneReason.DEADLINE_REACHED)
    return Dial(at=at, number=number, kind=AttemptKind.PREVIEW)


def abandoned_automatic(attempt: AttemptRecord) -> bool:
    """An automatic attempt whose person answered and found no agent (the dialer owes them
    a call-back by a reserved agent)."""
    return attempt.outcome is CallOutcome.ABANDONED and attempt.kind is AttemptKind.AUTOMATIC


def attempts_used(in_cycle: Sequence[AttemptRecord]) -> int:
    """The attempts that count against ``max_attempts``: all but abandoned automatic ones."""
    return sum(1 for attempt in in_cycle if not abandoned_automatic(attempt))


def _may_have_rung(attempt: AttemptRecord) -> bool:
    """Could the attempt have rung the person's own phone?"""
    return attempt.outcome is not CallOutcome.INVALID_NUMBER and not attempt.wrong_number


def dead_numbers(history: Sequence[AttemptRecord]) -> frozenset[PhoneNumber]:
    """Numbers never to dial again: INVALID_NUMBER, or marked wrong by an agent."""
    return frozenset(
        a.number for a in history if a.outcome is CallOutcome.INVALID_NUMBER or a.wrong_number
    )


def choose_number(
    numbers: Sequence[PhoneNumber],
    history: Sequence[AttemptRecord],
    in_cycle: Sequence[AttemptRecord],
) -> PhoneNumber | None:
    """The number for the next attempt (module rules); None when every number is dead.
    ``in_cycle`` is the cycle's attempts, oldest first."""
    dead = dead_numbers(history)
    ordered = list(dict.fromkeys(numbers))
    usable = [n for n in ordered if n not in dead]
    if not usable:
        return None
    if not in_cycle or in_cycle[-1].number not in ordered:
        return usable[0]
    last = in_cycle[-1]
    index = ordered.index(last.number)
    if last.outcome in _MOVE_ON or last.wrong_number:
        index += 1
    rotated = ordered[index:] + ordered[:index]
    return next(n for n in rotated if n not in dead)


def _quiet_until(history: Sequence[AttemptRecord], policy: RetryPolicy) -> datetime | None:
    abandoned = [to_utc(a.placed_at) for a in history if a.outcome is CallOutcome.ABANDONED]
    return max(abandoned) + policy.abandon_quiet_period if abandoned else None


def _plan_callback(
    callback: ScheduledCallback,
    *,
    earliest: datetime,
    quiet_until: datetime | None,
    number: PhoneNumber | None,
    cycle: Cycle,
    windows: CallingWindows,
    policy: RetryPolicy,
) -> Dial | None:
    hour = to_utc(callback.at)
    dial_number = callback.number or number
    if dial_number is None:
        return None
    start = max(hour, earliest)
    if not callback.guaranteed and quiet_until is not None:
        start = max(start, quiet_until)
    at = _first_fit(windows, start, cycle.deadline, ring=policy.ring_allowance)
    if at is None:
        return None
    return Dial(at, dial_number, AttemptKind.CALLBACK, callback=callback, moved=at != hour)


def _time_of_day(instant: datetime, tz: tzinfo) -> timedelta:
    clock = to_utc(instant).astimezone(tz).time()
    return timedelta(
        hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond
    )


def _far_enough(
    instant: datetime, avoid: tuple[timedelta, ...], spread: timedelta, tz: tzinfo
) -> bool:
    clock = _time_of_day(instant, tz)
    return all(abs(clock - other) >= spread for other in avoid)


def _first_fit(
    windows: CallingWindows,
    earliest: datetime,
    deadline: datetime,
    *,
    ring: timedelta,
    avoid: tuple[timedelta, ...] = (),
    spread: timedelta = timedelta(0),
) -> datetime | None:
    """The first start ``>= earliest`` in a window, ``ring`` before its close and the deadline,
    whose local clock time is ``spread`` away from each of ``avoid``."""
    tz = windows.timezone
    for start, end in open_intervals(windows, earliest, deadline):
        latest = end - ring
        if latest < start:
            continue
        candidates = {start}
        for day in {start.astimezone(tz).date(), latest.astimezone(tz).date()}:
            candidates.update(_clock_exits(day, avoid, spread, tz))
        for candidate in sorted(c for c in candidates if start <= c <= latest):
            if _far_enough(candidate, avoid, spread, tz):
                return candidate
    return None


def _clock(offset: timedelta) -> time:
    seconds, micros = divmod(offset // timedelta(microseconds=1), 1_000_000)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micros)


def _clock_exits(
    day: date, avoid: tuple[timedelta, ...], spread: timedelta, tz: tzinfo
) -> list[datetime]:
    """The instants of ``day`` when the clock leaves each avoided zone: the only places, with
    a span's start, where the earliest far-enough instant can be."""
    exits = []
    for clock in avoid:
        leave = clock + spread
        if leave < _ONE_DAY:
            exits.append(local_instant(day, _clock(leave), tz))
    return exits
