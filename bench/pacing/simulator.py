"""A discrete-event simulator of one calling day, driving the engine's own pacing functions.

Every simulated second the simulator builds the
:class:`~dialer.core.pacing_statistics.PacingSnapshot` the engine would build (agents' states
and time in them, ages of the calls ringing, answered persons waiting, today's counters, the
recent answer rate, observed talk / wrap-up / time-to-answer summaries, free lines, the
window's end) and asks the policy how many people to dial.
Core policies call :func:`dialer.core.pacing.decide` itself, not a copy.

Events between the ticks (continuous time): a dial's outcome (:mod:`bench.pacing.model`),
the end of a talk, the end of a wrap-up, and the checks 2 s after a live answer (the
abandon definition) and after the policy's own patience (VICIdial holds a person 5 s before
dropping the call; the engine plays its message at 2 s).

Accounting: occupancy = (talk + wrap-up inside the day) / logged-in time (all agents are
logged in and never pause for the whole day); an abandon is a live answer not joined to an
agent within 2 s (VICIdial's own "drop", after 5 s, is reported apart); every dial is a
person's first attempt, and the cycle time is the time until ``cycle_size`` of them are
resolved (extrapolated from the day's rate when the day is too short, and labelled so).
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bench.pacing.model import CalleeModel, Person, PersonStream
from dialer.core.agent_states import AgentState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import decide
from dialer.core.pacing_settings import PacingConfig
from dialer.core.pacing_statistics import AgentSnapshot, DurationStats, PacingSnapshot

#: the simulated day starts at 09:00 Paris (07:00 UTC), a summer weekday
DAY_START = datetime(2025, 7, 1, 7, 0, tzinfo=UTC)
#: the recent answer-rate window of the snapshot
RECENT_WINDOW = 900.0
#: the sliding window of the "worst 15 minutes" abandon rate, and its step
WORST_WINDOW = 900.0
WORST_STEP = 60.0

_RESOLVE, _TALK_END, _WRAP_END, _GRACE, _DROP = range(5)


@dataclass(frozen=True, slots=True)
class DayCounters:
    """Today's counters as a policy may see them (VICIdial reads its own drop count), and
    ``busy_left``: the true seconds until each agent on a call or in wrap-up is ready again,
    which no dialer can know (only the bench's oracles read it: :mod:`bench.pacing.oracle`
    and :mod:`bench.pacing.lookahead`'s ``lookahead-oracle``)."""

    dials: int
    live_answers: int
    abandons: int
    drops: int
    busy_left: tuple[float, ...] = ()


class Policy(Protocol):
    """A pacing policy under test. ``patience``: seconds an answered person is held for an
    agent before the call is dropped."""

    name: str
    patience: float

    def dials(self, snapshot: PacingSnapshot, day: DayCounters) -> int: ...

    def extras(self) -> dict[str, float]: ...


class CorePolicy:
    """The engine's pacing: :func:`dialer.core.pacing.decide` with a campaign's config."""

    def __init__(self, config: PacingConfig, name: str | None = None) -> None:
        self.config = config
        self.name = name or str(config.mode)
        self.patience = 2.0
        self.last_reason = ""

    def dials(self, snapshot: PacingSnapshot, day: DayCounters) -> int:
        decision = decide(snapshot, self.config)
        self.last_reason = decision.reason
        return decision.dials

    def extras(self) -> dict[str, float]:
        return {}


@dataclass(frozen=True, slots=True)
class SimulationSetup:
    agents: int
    model: CalleeModel = field(default_factory=CalleeModel)
    hours: float = 8.0
    seed: int = 1
    #: channel limit of the telephony nodes, per agent (VICIdial's level may reach 3.0)
    lines_per_agent: float = 3.0
    cycle_size: int = 10_500


@dataclass(frozen=True, slots=True)
class SimulationResult:
    policy: str
    agents: int
    live_rate: float
    hours: float
    seed: int
    dials: int
    live_answers: int
    machines: int
    busy: int
    no_answers: int
    joined: int
    abandons: int
    drops: int
    in_flight_at_end: int
    waiting_at_end: int
    busy_seconds: float
    logged_in_seconds: float
    occupancy: float
    abandon_rate: float
    worst_15min_abandons: int
    worst_15min_answers: int
    worst_15min_rate: float
    peak_running_rate: float
    idle_gap_mean: float
    idle_gap_p90: float
    connects_per_agent_hour: float
    dials_per_agent_hour: float
    cycle_hours: float
    cycle_floor_hours: float
    cycle_extrapolated: bool
    extras: dict[str, float]

    @property
    def cycle_ratio(self) -> float:
        return self.cycle_hours / self.cycle_floor_hours if self.cycle_floor_hours else math.inf


class _Running:
    """Running mean and variance (Welford)."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    def stats(self) -> DurationStats | None:
        if self.n == 0 or self.mean <= 0:
            return None
        cv = math.sqrt(self.m2 / (self.n - 1)) / self.mean if self.n > 1 else 0.0
        return DurationStats(self.mean, cv, self.n)


class _Day:
    """One simulated day of one policy."""

    def __init__(self, setup: SimulationSetup, policy: Policy) -> None:
        self.setup, self.policy, self.model = setup, policy, setup.model
        self.people = PersonStream(setup.model, setup.seed)
        self.end = setup.hours * 3600.0
        self.lines = math.ceil(setup.lines_per_agent * setup.agents)
        self.events: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.calls: list[Person] = []
        self.dialed_at: list[float] = []
        self.in_flight: dict[int, float] = {}
        self.waiting: dict[int, float] = {}  # insertion order = answer order (FIFO)
        n = setup.agents
        self.state = [AgentState.READY] * n
        self.since = [0.0] * n
        self.current = [-1] * n
        self.free_at = [0.0] * n  # when each agent is ready again (past for a ready one)
        self.ready: deque[int] = deque(range(n))
        self.on_call = 0
        self.talk, self.wrap, self.to_answer = _Running(), _Running(), _Running()
        self.recent: deque[tuple[float, bool]] = deque()
        self.recent_live = 0
        self.counts = dict.fromkeys(CallOutcome, 0)
        self.live_answers = self.abandons = self.drops = self.joined = 0
        self.answer_times: list[float] = []
        self.answer_abandoned: list[bool] = []
        self.answer_index: dict[int, int] = {}
        self.peak_rate = 0.0
        self.busy_seconds = 0.0
        self.gaps: list[float] = []
        self.handled_cycle = 0.0
        self.resolved = 0
        self.cycle_time: float | None = None

    # ---------------------------------------------------------------- the loop

    def run(self) -> SimulationResult:
        for second in range(int(self.end)):
            now = float(second)
            self._events_until(now)
            snapshot = self._snapshot(now)
            busy_left = tuple(at - now for at in self.free_at if at > now)
            day = DayCounters(
                len(self.calls), self.live_answers, self.abandons, self.drops, busy_left
            )
            dials = self.policy.dials(snapshot, day)
            assert 0 <= dials <= snapshot.lines_available, (self.policy.name, dials, snapshot)
            for _ in range(dials):
                self._dial(now)
        self._events_until(self.end)
        return self._result()

    def _push(self, at: float, kind: int, subject: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, subject))

    def _events_until(self, now: float) -> None:
        handlers = (self._resolve, self._talk_end, self._wrap_end, self._grace, self._drop)
        while self.events and self.events[0][0] <= now:
            at, _, kind, subject = heapq.heappop(self.events)
            handlers[kind](subject, at)

    def _snapshot(self, now: float) -> PacingSnapshot:
        while self.recent and self.recent[0][0] < now - RECENT_WINDOW:
            _, live = self.recent.popleft()
            self.recent_live -= live
        agents = tuple(
            AgentSnapshot(state, now - since)
            for state, since in zip(self.state, self.since, strict=True)
        )
        start = DAY_START
        return PacingSnapshot(
            now=start + timedelta(seconds=now),
            closes_at=start + timedelta(seconds=self.end),
            agents=agents,
            dialing=tuple(now - at for at in self.in_flight.values()),
            answered_waiting=len(self.waiting),
            live_answers_today=self.live_answers,
            abandons_today=self.abandons,
            recent_dials=len(self.recent),
            recent_live_answers=self.recent_live,
            talk=self.talk.stats(),
            wrap_up=self.wrap.stats(),
            time_to_answer=self.to_answer.stats(),
            lines_available=self.lines - len(self.in_flight) - len(self.waiting) - self.on_call,
            ring_timeout=timedelta(seconds=self.model.ring_timeout),
        )

    # ---------------------------------------------------------------- events

    def _dial(self, now: float) -> None:
        person = self.people.next()
        call = len(self.calls)
        self.calls.append(person)
        self.dialed_at.append(now)
        self.in_flight[call] = now
        self._push(now + person.resolve_after, _RESOLVE, call)

    def _resolve(self, call: int, now: float) -> None:
        person = self.calls[call]
        del self.in_flight[call]
        self.counts[person.outcome] += 1
        self.resolved += 1
        if self.resolved == self.setup.cycle_size:
            self.cycle_time = now
        live = person.outcome is CallOutcome.ANSWERED
        self.recent.append((now, live))
        self.recent_live += live
        if live:
            self._answer(call, now)

    def _answer(self, call: int, now: float) -> None:
        self.live_answers += 1
        self.to_answer.add(now - self.dialed_at[call])
        self.answer_index[call] = len(self.answer_times)
        self.answer_times.append(now)
        self.answer_abandoned.append(False)
        if self.ready:
            self._join(self.ready.popleft(), call, now)
            return
        self.waiting[call] = now
        self._push(now + self.model.join_window, _GRACE, call)
        if self.policy.patience > self.model.join_window:
            self._push(now + self.policy.patience, _DROP, call)

    def _grace(self, call: int, now: float) -> None:
        if call not in self.waiting:
            return
        self.abandons += 1
        self.answer_abandoned[self.answer_index[call]] = True
        self.peak_rate = max(self.peak_rate, self.abandons / self.live_answers)
        if self.policy.patience <= self.model.join_window:
            self._drop(call, now)

    def _drop(self, call: int, now: float) -> None:
        if self.waiting.pop(call, None) is not None:
            self.drops += 1

    def _join(self, agent: int, call: int, now: float) -> None:
        person = self.calls[call]
        self.gaps.append(now - self.since[agent])
        self.state[agent] = AgentState.ON_CALL
        self.since[agent] = now
        self.current[agent] = call
        # the same sum as the events' times: the end of the wrap-up comes at exactly this time
        self.free_at[agent] = now + person.talk + person.wrap_up
        self.on_call += 1
        self.joined += 1
        handling = person.talk + person.wrap_up
        if now < self.end:
            self.busy_seconds += min(now + handling, self.end) - now
        if call < self.setup.cycle_size:
            self.handled_cycle += handling
        self._push(now + person.talk, _TALK_END, agent)

    def _talk_end(self, agent: int, now: float) -> None:
        person = self.calls[self.current[agent]]
        self.talk.add(person.talk)
        self.on_call -= 1
        self.state[agent] = AgentState.WRAP_UP
        self.since[agent] = now
        self._push(now + person.wrap_up, _WRAP_END, agent)

    def _wrap_end(self, agent: int, now: float) -> None:
        self.wrap.add(self.calls[self.current[agent]].wrap_up)
        self.state[agent] = AgentState.READY
        self.since[agent] = now
        self.current[agent] = -1
        if self.waiting:
            call = next(iter(self.waiting))
            del self.waiting[call]
            self._join(agent, call, now)
        else:
            self.ready.append(agent)

    # ---------------------------------------------------------------- results

    def _result(self) -> SimulationResult:
        setup, agents = self.setup, self.setup.agents
        agent_hours = agents * self.end / 3600.0
        worst_ab, worst_ans = self._worst_window()
        cycle_hours, floor_hours, extrapolated = self._cycle()
        gaps = sorted(self.gaps)
        return SimulationResult(
            policy=self.policy.name,
            agents=agents,
            live_rate=self.model.live_rate,
            hours=setup.hours,
            seed=setup.seed,
            dials=len(self.calls),
            live_answers=self.live_answers,
            machines=self.counts[CallOutcome.MACHINE],
            busy=self.counts[CallOutcome.BUSY],
            no_answers=self.counts[CallOutcome.NO_ANSWER],
            joined=self.joined,
            abandons=self.abandons,
            drops=self.drops,
            in_flight_at_end=len(self.in_flight),
            waiting_at_end=len(self.waiting),
            busy_seconds=self.busy_seconds,
            logged_in_seconds=agents * self.end,
            occupancy=self.busy_seconds / (agents * self.end),
            abandon_rate=self.abandons / self.live_answers if self.live_answers else 0.0,
            worst_15min_abandons=worst_ab,
            worst_15min_answers=worst_ans,
            worst_15min_rate=worst_ab / worst_ans if worst_ans else 0.0,
            peak_running_rate=self.peak_rate,
            idle_gap_mean=statistics.fmean(gaps) if gaps else 0.0,
            idle_gap_p90=gaps[int(0.9 * (len(gaps) - 1))] if gaps else 0.0,
            connects_per_agent_hour=self.joined / agent_hours,
            dials_per_agent_hour=len(self.calls) / agent_hours,
            cycle_hours=cycle_hours,
            cycle_floor_hours=floor_hours,
            cycle_extrapolated=extrapolated,
            extras=self.policy.extras(),
        )

    def _worst_window(self) -> tuple[int, int]:
        """(abandons, live answers) of the 15-minute window (1-min steps) with the worst
        abandon rate; ties go to the window with more abandons."""
        times, flags = self.answer_times, self.answer_abandoned
        best = (0.0, 0, 0)
        lo = hi = 0
        abandons = 0
        start = 0.0
        while start + WORST_WINDOW <= self.end + 1e-9:
            while hi < len(times) and times[hi] < start + WORST_WINDOW:
                abandons += flags[hi]
                hi += 1
            while lo < hi and times[lo] < start:
                abandons -= flags[lo]
                lo += 1
            answers = hi - lo
            if answers:
                best = max(best, (abandons / answers, abandons, answers))
            start += WORST_STEP
        return best[1], best[2]

    def _cycle(self) -> tuple[float, float, bool]:
        """Hours to resolve ``cycle_size`` first attempts, the floor (handling time of the
        people reached ÷ agents), and whether both were extrapolated from the day's rates
        (then the floor is the day's handling time inside the day, scaled alike)."""
        size, agents = self.setup.cycle_size, self.setup.agents
        if self.cycle_time is not None:
            return self.cycle_time / 3600.0, self.handled_cycle / agents / 3600.0, False
        if not self.resolved:
            return math.inf, math.inf, True
        scale = size / self.resolved
        return self.end * scale / 3600.0, self.busy_seconds * scale / agents / 3600.0, True


def simulate(setup: SimulationSetup, policy: Policy) -> SimulationResult:
    """Simulate one day of ``policy`` on ``setup`` (deterministic for the seed)."""
    return _Day(setup, policy).run()
