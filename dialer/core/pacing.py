"""Pacing: how many people to dial right now.

Pure and synchronous: the engine builds a :class:`PacingSnapshot` of live statistics every
second (``now`` included) and calls :func:`decide`, which returns a :class:`PacingDecision`
(a number of dials and one line explaining it, for the ops screens and the log).

Modes (:class:`PacingMode`):

* ``PREVIEW``: the agent sees the person first and launches the call; the pacer never
  dials, it offers the next person to each ready agent (``offers``).
* ``PROGRESSIVE``: one call per free agent: ``ready agents - answered calls waiting -
  calls already dialing or ringing``. Every answered person has an agent, so abandons can
  only come from races (an agent pausing while their call rings).
* ``PREDICTIVE``: more lines than free agents, under a hard abandon cap (below).

Abandons. A person who answers and is not joined to an agent within 2 s is abandoned. Ofcom
(UK, per campaign per day) and the FTC (US, per 30 days) allow at most 3 % of live answers;
the people called here are old, ill or disabled, so the campaign's cap defaults to 1 % of
today's live answers, start-up included, and can never be set above 3 %
(:data:`ABANDON_RATE_CEILING`).

The predictive rule, safe by construction:

1. *Start-up and the day's budget.* Until ``min_recent_dials`` outcomes are known, and as
   long as ``spare_abandons`` (2) more abandons now would take today's rate over the cap
   (``abandons + 2 > cap * (live answers + 1)``: with a 1 % cap, the first 199 live answers
   of the day are worked progressively), the pacer is progressive. So neither one unlucky
   abandon nor two at once take the day's rate over the cap; nor, with probability
   ``1 - burst_probability``, do more: a line is not added when the calls in flight, with
   it, could abandon more people than the day can still take (a Poisson count whose mean is
   the largest expected excess of live answers over free agents at a check point, see 3.).
   In the bench, one spare abandon instead of two gave 0.5-1 point more occupancy but a
   day's running rate up to 1.10 % after a burst of two abandons.
2. *How much risk one more line may carry.* The day aims at ``target_share`` of the cap.
   The risk allowed to the next line is the budget left for the next ``budget_horizon``
   (``(target * (live + H) - abandons) / H``, ``H`` the live answers expected in that time
   from the agents' handling time), clamped to ``[0, max_line_risk]``. Today's abandons so far
   thus lower it; at or over the target it is 0: progressive.
3. *The risk of one more line.* Over check points ``t`` up to the ring timeout: supply =
   ready agents - answered calls waiting + agents expected free by ``t`` (+ the join grace):
   each agent in wrap-up from the survival of its wrap-up time given the time already spent
   (this is where a predictive dialer gains over the textbook one: it dials ahead of a
   predictable end of wrap-up), each agent on a call from the hazard of its talk time given
   the time already talked, followed by a wrap-up; demand = live answers expected by ``t``
   from the calls already ringing, each by its own age (an old ring rarely answers), and from
   the lines added in this decision. The next line's risk is the probability that, when its
   person answers (time-to-answer distribution), or at any later check point, demand reaches
   supply: then it or another answered person finds no agent. The answer rate used is an
   upper confidence bound (more answers than expected is what makes abandons). Lines are
   added while their risk is within the allowed risk.
4. The progressive number of dials is always allowed (its abandons can only come from races),
   so predictive never dials fewer than progressive.

Everywhere: no dial when ``now + ring timeout + close_margin`` passes the calling window's
end (no call may still ring when the window closes), never more dials than free lines, never
a negative number, and never more lines in use than ``max_lines_per_agent`` (the dial level
cap, :data:`DEFAULT_MAX_LINES_PER_AGENT` by default) times the agents logged in and not
paused: lines in use are the calls dialing or ringing, the answered persons waiting and the
connected calls (agents reserved or on a call). Progressive never reaches it (its calls
plus the connected ones are at most the ready and busy agents, and the cap is at least one
line per agent); predictive stops adding lines there, and its reason says so.

Distributions are lognormal, fitted from the observed mean and coefficient of variation, with
priors blended in while observations are few.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from dialer.core.agent_states import AgentState
from dialer.errors import InputError

#: Ofcom (UK) and FTC (US) ceiling on abandoned calls: 3 % of live answers. Never exceeded.
ABANDON_RATE_CEILING = 0.03
#: this project's default cap: the people called are old, ill or disabled
DEFAULT_MAX_ABANDON_RATE = 0.01
#: default dial level cap: lines in use per agent logged in and not paused
DEFAULT_MAX_LINES_PER_AGENT = 3.0
#: bounds of ``max_lines_per_agent``
MIN_LINES_PER_AGENT = 1.0
MAX_LINES_PER_AGENT = 10.0

#: supply distributions are truncated here (mass beyond is counted at this value: fewer
#: agents than in reality, so a conservative error)
_MAX_SUPPLY = 15
_TINY = 1e-12


class PacingMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True)
class DurationStats:
    """An observed duration's summary, in seconds: mean, coefficient of variation and the
    number of observations."""

    mean: float
    cv: float
    count: int = 0

    def __post_init__(self) -> None:
        if not self.mean > 0 or not math.isfinite(self.mean):
            raise InputError(f"duration mean must be > 0 s, got {self.mean}")
        if not self.cv >= 0 or not math.isfinite(self.cv):
            raise InputError(f"duration cv must be >= 0, got {self.cv}")
        if self.count < 0:
            raise InputError(f"duration count must be >= 0, got {self.count}")


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One logged-in agent: state and seconds spent in it (talk time so far when ON_CALL,
    wrap-up time so far when WRAP_UP)."""

    state: AgentState
    seconds_in_state: float = 0.0


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """Live statistics of one campaign at ``now``.

    ``dialing``: for each call dialing or ringing (not answered yet), the seconds since it was
    launched. ``answered_waiting``: live persons answered and not yet given to an agent.
    ``recent_dials`` / ``recent_live_answers``: dials whose outcome became known in the
    recent window (15 min) and how many of them a person answered. ``talk``, ``wrap_up``,
    ``time_to_answer`` (dial to live answer): observed summaries, ``None`` before the first
    observation. ``lines_available``: outbound channels free right now on the telephony
    nodes. ``closes_at``: end of the calling window.
    """

    now: datetime
    closes_at: datetime
    agents: tuple[AgentSnapshot, ...]
    dialing: tuple[float, ...] = ()
    answered_waiting: int = 0
    live_answers_today: int = 0
    abandons_today: int = 0
    recent_dials: int = 0
    recent_live_answers: int = 0
    talk: DurationStats | None = None
    wrap_up: DurationStats | None = None
    time_to_answer: DurationStats | None = None
    lines_available: int = 0
    ring_timeout: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        for name in (
            "answered_waiting",
            "live_answers_today",
            "abandons_today",
            "recent_dials",
            "recent_live_answers",
            "lines_available",
        ):
            if getattr(self, name) < 0:
                raise InputError(f"pacing snapshot: {name} must be >= 0")
        if self.recent_live_answers > self.recent_dials:
            raise InputError("pacing snapshot: recent_live_answers > recent_dials")
        if self.abandons_today > self.live_answers_today:
            raise InputError("pacing snapshot: abandons_today > live_answers_today")
        if self.ring_timeout <= timedelta(0):
            raise InputError("pacing snapshot: ring_timeout must be > 0")
        if not all(age >= 0 for age in self.dialing):
            raise InputError("pacing snapshot: dialing ages must be >= 0 s")


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """How many people to dial now, and one line saying why. In preview, ``offers`` is the
    number of ready agents to offer their next person to (they launch the calls)."""

    dials: int
    reason: str
    offers: int = 0


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """A campaign's pacing settings. ``max_abandon_rate`` is a share of today's live answers
    (0.01 = 1 %), never above :data:`ABANDON_RATE_CEILING`. ``max_lines_per_agent``: the
    calls in progress (dialing or ringing, answered waiting, connected) never exceed this
    many per agent logged in and not paused (between :data:`MIN_LINES_PER_AGENT` and
    :data:`MAX_LINES_PER_AGENT`)."""

    mode: PacingMode = PacingMode.PROGRESSIVE
    max_abandon_rate: float = DEFAULT_MAX_ABANDON_RATE
    max_lines_per_agent: float = DEFAULT_MAX_LINES_PER_AGENT
    #: the day aims at this share of the cap (the rest is margin for bad luck)
    target_share: float = 0.75
    #: the largest probability that one added line ends in an abandon
    max_line_risk: float = 0.03
    #: predictive only while this many more abandons keep today's rate within the cap
    spare_abandons: int = 2
    #: largest probability that the calls in flight abandon more people than today's cap
    #: can still take (several abandons at once would pass it)
    burst_probability: float = 0.05
    #: no dial when the window closes within ring timeout + this margin
    close_margin: timedelta = timedelta(seconds=5)
    #: an agent freed this long after the answer still takes the person in time (the
    #: dialplan allows ~1.5 s of the 2 s; counted short on purpose)
    join_grace: timedelta = timedelta(seconds=1)
    budget_horizon: timedelta = timedelta(minutes=15)
    #: predictive needs this many known outcomes in the recent window first
    min_recent_dials: int = 30
    answer_rate_prior: float = 0.5
    answer_rate_prior_weight: float = 10.0
    #: standard errors added to the estimated answer rate when sizing the risk
    answer_rate_confidence: float = 1.0
    #: spacing of the check points between now and the ring timeout, seconds
    checkpoint_step: float = 3.0
    #: prior summaries, blended with the observed ones (weight ``prior_weight`` observations)
    prior_talk: DurationStats = field(default=DurationStats(240.0, 1.0))
    prior_wrap_up: DurationStats = field(default=DurationStats(60.0, 1.0))
    prior_time_to_answer: DurationStats = field(default=DurationStats(12.0, 0.6))
    prior_weight: float = 10.0

    def __post_init__(self) -> None:
        rate = self.max_abandon_rate
        if not (0.0 <= rate <= ABANDON_RATE_CEILING):
            raise InputError(
                f"max_abandon_rate must be between 0 and {ABANDON_RATE_CEILING} "
                f"({ABANDON_RATE_CEILING:.0%} of live answers), got {rate}"
            )
        per_agent = self.max_lines_per_agent
        if not (MIN_LINES_PER_AGENT <= per_agent <= MAX_LINES_PER_AGENT):
            raise InputError(
                f"max_lines_per_agent must be between {MIN_LINES_PER_AGENT:g} and "
                f"{MAX_LINES_PER_AGENT:g}, got {per_agent}"
            )
        # (name, lowest, highest, lowest allowed itself)
        ranges: tuple[tuple[str, float, float, bool], ...] = (
            ("target_share", 0.0, 1.0, False),
            ("burst_probability", 0.0, 1.0, False),
            ("max_line_risk", 0.0, 1.0, True),
            ("answer_rate_prior", 0.0, 1.0, False),
            ("answer_rate_prior_weight", 0.0, math.inf, False),
            ("prior_weight", 0.0, math.inf, False),
            ("answer_rate_confidence", 0.0, math.inf, True),
            ("checkpoint_step", 0.0, math.inf, False),
            ("spare_abandons", 1, math.inf, True),
            ("min_recent_dials", 0, math.inf, True),
        )
        for name, low, high, closed in ranges:
            value = getattr(self, name)
            if not (low <= value <= high) or (value == low and not closed):
                raise InputError(f"{name} must be {'>=' if closed else '>'} {low}, <= {high}")
        for name in ("close_margin", "join_grace"):
            if getattr(self, name) < timedelta(0):
                raise InputError(f"{name} must be >= 0")
        if self.budget_horizon <= timedelta(0):
            raise InputError("budget_horizon must be > 0")


# --------------------------------------------------------------------------- decisions


def decide(snapshot: PacingSnapshot, config: PacingConfig) -> PacingDecision:
    """How many people to dial now (see the module's documentation)."""
    ready = sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)
    last_dial = snapshot.closes_at - snapshot.ring_timeout - config.close_margin
    if snapshot.now > last_dial:
        return PacingDecision(
            0,
            f"calling window closes at {snapshot.closes_at:%H:%M:%S}, within ring timeout "
            f"{_secs(snapshot.ring_timeout)} s + {_secs(config.close_margin)} s → dial 0",
        )
    if config.mode is PacingMode.PREVIEW:
        offers = min(ready, snapshot.lines_available)
        return PacingDecision(
            0,
            f"preview: {_count(ready, 'free agent')}, "
            f"{_count(snapshot.lines_available, 'free line')} → offer {offers} next "
            f"{'person' if offers == 1 else 'people'}, dial 0",
            offers=offers,
        )
    rate = _answer_rate(snapshot, config)
    progressive = max(0, ready - snapshot.answered_waiting - len(snapshot.dialing))
    base = _base_reason(snapshot, ready, rate)
    room = _Room.of(snapshot, config)
    if config.mode is PacingMode.PROGRESSIVE or snapshot.lines_available == 0:
        return _limited(progressive, base, snapshot, room)
    return _predictive(snapshot, config, ready=ready, rate=rate, progressive=progressive, room=room)


def lines_in_use(snapshot: PacingSnapshot) -> int:
    """Calls in progress: dialing or ringing, answered and waiting, connected (an agent
    reserved for it or on it)."""
    connected = sum(
        1 for agent in snapshot.agents if agent.state in (AgentState.ON_CALL, AgentState.RESERVED)
    )
    return len(snapshot.dialing) + snapshot.answered_waiting + connected


def line_cap(snapshot: PacingSnapshot, config: PacingConfig) -> int:
    """The most calls in progress allowed: ``max_lines_per_agent`` times the agents logged
    in and not paused, rounded down."""
    active = sum(
        1
        for agent in snapshot.agents
        if agent.state not in (AgentState.PAUSED, AgentState.LOGGED_OUT)
    )
    return math.floor(config.max_lines_per_agent * active + 1e-9)


@dataclass(frozen=True, slots=True)
class _Room:
    """How many more calls the dial level cap allows (``dials``), and why."""

    dials: int
    why: str

    @classmethod
    def of(cls, snapshot: PacingSnapshot, config: PacingConfig) -> _Room:
        in_use, cap = lines_in_use(snapshot), line_cap(snapshot, config)
        return cls(
            max(0, cap - in_use),
            f"lines per agent cap {config.max_lines_per_agent} ({in_use} of {cap} lines in use)",
        )


def _predictive(
    snapshot: PacingSnapshot,
    config: PacingConfig,
    *,
    ready: int,
    rate: float,
    progressive: int,
    room: _Room,
) -> PacingDecision:
    base = _base_reason(snapshot, ready, rate)
    live, abandons = snapshot.live_answers_today, snapshot.abandons_today
    cap = config.max_abandon_rate
    day = f"abandons today {abandons}/{live}"
    if snapshot.recent_dials < config.min_recent_dials:
        return _limited(
            progressive,
            f"{base}, start-up ({snapshot.recent_dials} outcomes known, "
            f"{config.min_recent_dials} needed): progressive",
            snapshot,
            room,
        )
    target = cap * config.target_share
    spare = math.floor(cap * (live + 1) - abandons + 1e-9)  # abandons the day can still take
    if spare < config.spare_abandons:
        return _limited(
            progressive,
            f"{base}, {day}: {config.spare_abandons} more would pass the {cap:.0%} cap, "
            "progressive",
            snapshot,
            room,
        )
    talk = _blend(snapshot.talk, config.prior_talk, config.prior_weight)
    wrap = _blend(snapshot.wrap_up, config.prior_wrap_up, config.prior_weight)
    allowed = _allowed_line_risk(snapshot, config, talk, wrap)
    if allowed <= 0:
        return _limited(
            progressive,
            f"{base}, {day}: projected rate at the {target:.2%} target, "
            "progressive (abandons only from races)",
            snapshot,
            room,
        )
    model = _RiskModel(snapshot, config, _upper_rate(rate, snapshot, config), talk, wrap)
    most = min(snapshot.lines_available, room.dials)
    dials = min(progressive, most)
    risk, bound = 0.0, False
    # bounded by the free lines and the dial level cap; each added line only raises the next
    # one's risk
    if room.dials < snapshot.lines_available:
        stop = room.why
    else:
        stop = f"all {snapshot.lines_available} free lines used"
    while dials < most:
        risk, bound = model.line_risk(dials, allowed)
        if risk > allowed:
            stop = (
                f"next line's abandon risk {'≥ ' if bound else ''}{risk:.2%} > "
                f"{allowed:.2%} allowed"
            )
            break
        burst = _poisson_tail(model.expected_abandons(dials + 1), spare + 1)
        if burst > config.burst_probability:
            stop = (
                f"P({spare + 1}+ abandons from the calls in flight) {burst:.1%} > "
                f"{config.burst_probability:.0%}"
            )
            break
        dials += 1
    reason = (
        f"{base}, {model.expected_free:.1f} more expected free within "
        f"{model.horizon:.0f} s, {day}, {stop} → dial {dials}"
        f" ({min(progressive, dials)} progressive + {dials - min(progressive, dials)} predictive)"
    )
    return PacingDecision(dials, reason)


def _limited(dials: int, reason: str, snapshot: PacingSnapshot, room: _Room) -> PacingDecision:
    lines = snapshot.lines_available
    if dials > room.dials and room.dials < lines:
        return PacingDecision(room.dials, f"{reason}, {room.why} → dial {room.dials}")
    if dials > lines:
        return PacingDecision(lines, f"{reason} → dial {lines} (only {lines} free lines)")
    return PacingDecision(dials, f"{reason} → dial {dials}")


def _base_reason(snapshot: PacingSnapshot, ready: int, rate: float) -> str:
    parts = [_count(ready, "free agent")]
    if snapshot.answered_waiting:
        parts.append(f"{snapshot.answered_waiting} answered waiting")
    parts.append(f"{len(snapshot.dialing)} ringing")
    parts.append(f"answer rate {rate:.2f}")
    return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _secs(delta: timedelta) -> str:
    return f"{delta.total_seconds():g}"


# --------------------------------------------------------------------------- estimates


def _answer_rate(snapshot: PacingSnapshot, config: PacingConfig) -> float:
    """Share of dials a person answers, recent window with a prior for the start-up."""
    weight = config.answer_rate_prior_weight
    answered = snapshot.recent_live_answers + config.answer_rate_prior * weight
    return answered / (snapshot.recent_dials + weight)


def _upper_rate(rate: float, snapshot: PacingSnapshot, config: PacingConfig) -> float:
    """The answer rate plus ``answer_rate_confidence`` standard errors: more answers than
    expected is what causes abandons."""
    n = snapshot.recent_dials + config.answer_rate_prior_weight
    return min(1.0, rate + config.answer_rate_confidence * math.sqrt(rate * (1 - rate) / n))


def _blend(observed: DurationStats | None, prior: DurationStats, weight: float) -> DurationStats:
    if observed is None or observed.count == 0:
        return prior
    n = observed.count
    mean = (observed.mean * n + prior.mean * weight) / (n + weight)
    cv = (observed.cv * n + prior.cv * weight) / (n + weight)
    return DurationStats(mean, cv, n)


def _allowed_line_risk(
    snapshot: PacingSnapshot, config: PacingConfig, talk: DurationStats, wrap: DurationStats
) -> float:
    """The abandon probability the next line may carry: the day's budget left for the next
    ``budget_horizon``, spread over the live answers expected in it."""
    active = sum(1 for agent in snapshot.agents if agent.state is not AgentState.PAUSED)
    horizon = config.budget_horizon.total_seconds()
    expected = max(1.0, active * horizon / (talk.mean + wrap.mean))
    target = config.max_abandon_rate * config.target_share
    budget = target * (snapshot.live_answers_today + expected) - snapshot.abandons_today
    return min(config.max_line_risk, max(0.0, budget / expected))


class _RiskModel:
    """Supply of agents and demand of live answers at check points up to the ring timeout.

    Supply at a check point: ready agents - answered calls waiting + busy agents free by then
    (plus the join grace). Agents in wrap-up: survival of the wrap-up time after the time
    already spent, exactly (Poisson-binomial). Agents on a call: mean hazard of the talk time
    over the horizon times the chance the wrap-up that follows is over too, summed as a
    Poisson count (each is small) taken as "none or one" (conservative). Demand: live
    answers of the calls ringing, each by its age, as a Poisson count (a heavier upper tail
    than the truth: conservative).
    """

    def __init__(
        self,
        snapshot: PacingSnapshot,
        config: PacingConfig,
        rate: float,
        talk: DurationStats,
        wrap: DurationStats,
    ) -> None:
        timeout = snapshot.ring_timeout.total_seconds()
        step = config.checkpoint_step
        points = [step * (k + 1) for k in range(max(1, math.ceil(timeout / step)))]
        answer = _blend(snapshot.time_to_answer, config.prior_time_to_answer, config.prior_weight)
        ring = _lognormal(_quantize(answer.mean), _quantize_cv(answer.cv), int(2 * timeout) + 8)
        grace = config.join_grace.total_seconds()
        self.offsets = [t + grace for t in points]
        self.horizon = self.offsets[-1]
        self.free_now = (
            sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)
            - snapshot.answered_waiting
        )
        # a new line: probability its person answers by each point, and when
        reach = ring.cdf(timeout)

        def answered_by(seconds: float) -> float:
            if seconds >= timeout:
                return 1.0
            if reach < _TINY:  # the fitted law misses the ring timeout: spread it evenly
                return seconds / timeout
            return ring.cdf(seconds) / reach

        by_point = [answered_by(t) for t in points]
        self.new_line = [rate * g for g in by_point]
        self.weights = [by_point[0]] + [b - a for a, b in itertools.pairwise(by_point)]
        self.demand = [0.0] * len(points)
        ages: dict[float, int] = {}  # calls dialed together share their age
        for age in snapshot.dialing:
            if age < timeout:
                key = round(age, 1)
                ages[key] = ages.get(key, 0) + 1
        for age, calls in ages.items():
            before = answered_by(age)
            share = calls * rate / (rate * (1.0 - before) + (1.0 - rate))
            for k, t in enumerate(points):
                self.demand[k] += share * (answered_by(age + t) - before)
        self._busy_agents(snapshot.agents, talk, wrap)
        self._supply: list[list[float] | None] = [None] * len(points)
        self.expected_free = sum(i * p for i, p in enumerate(self._supply_at(len(points) - 1)))

    def _busy_agents(
        self, agents: tuple[AgentSnapshot, ...], talk: DurationStats, wrap: DurationStats
    ) -> None:
        talk_d = _lognormal(_quantize(talk.mean), _quantize_cv(talk.cv), 3600)
        self._wrap_d = wrap_d = _lognormal(_quantize(wrap.mean), _quantize_cv(wrap.cv), 900)
        horizon = self.horizon
        self._wrapping: list[tuple[float, float, float]] = []  # elapsed, P(done), P(not done)
        ending = 0.0  # Σ over agents on a call of P(talk ends within the horizon)
        for agent in agents:
            elapsed = max(0.0, agent.seconds_in_state)
            if agent.state is AgentState.WRAP_UP:
                done = wrap_d.cdf(elapsed)
                if 1.0 - done >= _TINY:  # else far beyond any usual wrap-up: probably away
                    self._wrapping.append((elapsed, done, 1.0 - done))
            elif agent.state is AgentState.ON_CALL:
                ending += talk_d.ends_within(round(elapsed), horizon)
        # talk ends uniformly over the horizon, then the wrap-up must end before the offset
        self._on_call = [ending / horizon * wrap_d.integral(s) for s in self.offsets]

    def _supply_at(self, k: int) -> list[float]:
        """Distribution of the number of busy agents free by check point ``k``."""
        dist = self._supply[k]
        if dist is None:
            offset, cdf = self.offsets[k], self._wrap_d.cdf
            freed = [
                (cdf(elapsed + offset) - done) / left for elapsed, done, left in self._wrapping
            ]
            # agents on a call: a Poisson count, taken as "at least one" (conservative)
            freed.append(-math.expm1(-self._on_call[k]))
            dist = _poisson_binomial(freed)
            self._supply[k] = dist
        return dist

    def expected_abandons(self, lines: int) -> float:
        """Expected abandons from the calls ringing and ``lines`` new ones: the largest
        expected excess of live answers over free agents at a check point (a lower bound of
        the expected peak excess; the abandoned ones are not taken off the demand, which
        errs the other way)."""
        return max(
            _expected_excess(
                self.demand[k] + lines * self.new_line[k], self.free_now, self._supply_at(k)
            )
            for k in range(len(self.offsets))
        )

    def line_risk(self, others: int, limit: float = 1.0) -> tuple[float, bool]:
        """Probability that one more line, beside ``others`` new ones, ends in an abandon:
        its person answers at some point and demand reaches supply then or at a later
        point. Check points are visited from the last; when the risk is sure to pass
        ``limit``, returns early ``(lower bound, True)``."""
        risk, worst, left = 0.0, 0.0, 1.0
        for k in range(len(self.offsets) - 1, -1, -1):
            mean = self.demand[k] + others * self.new_line[k]
            worst = max(worst, _demand_reaches(mean, self.free_now, self._supply_at(k)))
            risk += self.weights[k] * worst
            left -= self.weights[k]
            if risk + max(0.0, left) * worst > limit:
                return min(1.0, risk + max(0.0, left) * worst), True
        return min(1.0, risk), False


def _expected_excess(mean: float, free_now: int, supply: list[float]) -> float:
    """E[(Poisson(mean) answers - free_now - agents freed)+], agents freed ~ ``supply``."""
    total = 0.0
    below = 0.0  # P(D < m)
    below_d = 0.0  # E[D; D < m]
    pmf = math.exp(-mean)
    m = 0
    for freed, p_freed in enumerate(supply):
        need = free_now + freed
        while m < need:
            below += pmf
            below_d += m * pmf
            m += 1
            pmf *= mean / m
        short = mean - need + (need * below - below_d if need > 0 else 0.0)
        total += p_freed * max(0.0, short)
    return total


def _poisson_tail(mean: float, at_least: int) -> float:
    """P(Poisson(mean) >= at_least)."""
    pmf = math.exp(-mean)
    below = 0.0
    for k in range(at_least):
        below += pmf
        pmf *= mean / (k + 1)
    return max(0.0, 1.0 - below)


def _demand_reaches(mean: float, free_now: int, supply: list[float]) -> float:
    """P(Poisson(mean) answers >= free_now + agents freed), agents freed ~ ``supply``."""
    total = 0.0
    below = 0.0  # P(D < m)
    pmf = math.exp(-mean)
    m = 0
    for freed, p_freed in enumerate(supply):
        need = free_now + freed
        if need <= 0:
            total += p_freed
            continue
        while m < need:
            below += pmf
            m += 1
            pmf *= mean / m
        total += p_freed * max(0.0, 1.0 - below)
    return total


def _poisson_binomial(probabilities: list[float]) -> list[float]:
    """Distribution of a sum of independent Bernoullis, truncated at ``_MAX_SUPPLY`` (the
    mass beyond stays on the top value)."""
    dist = [1.0]
    for p in probabilities:
        if p <= 0.0:
            continue
        q = 1.0 - p
        n = len(dist)
        if n <= _MAX_SUPPLY:
            dist.append(dist[-1] * p)
        else:
            dist[-1] += dist[-2] * p
            n -= 1
        for i in range(n - 1, 0, -1):
            dist[i] = dist[i] * q + dist[i - 1] * p
        dist[0] *= q
    return dist


# --------------------------------------------------------------------------- lognormal


class _Lognormal:
    """A lognormal distribution with its CDF (and the CDF's integral) tabulated each second
    up to ``span`` seconds, interpolated in between."""

    __slots__ = ("_ends", "_integral", "_mu", "_sigma", "_span", "_table")

    def __init__(self, mean: float, cv: float, span: int) -> None:
        sigma2 = math.log1p(cv * cv)
        self._sigma = math.sqrt(sigma2)
        self._mu = math.log(mean) - sigma2 / 2
        self._span = span
        self._table = [self._exact(float(x)) for x in range(span + 1)]
        integral = [0.0]
        for x in range(span):
            integral.append(integral[-1] + (self._table[x] + self._table[x + 1]) / 2)
        self._integral = integral
        self._ends: dict[tuple[int, float], float] = {}

    def _exact(self, x: float) -> float:
        if x <= 0:
            return 0.0
        return 0.5 * (1.0 + math.erf((math.log(x) - self._mu) / (self._sigma * math.sqrt(2))))

    def cdf(self, x: float) -> float:
        if x <= 0:
            return 0.0
        i = int(x)
        if i >= self._span:
            return self._exact(x)
        low = self._table[i]
        return low + (x - i) * (self._table[i + 1] - low)

    def ends_within(self, elapsed: int, horizon: float) -> float:
        """P(ends within ``horizon`` | lasted ``elapsed`` already), memoised."""
        key = (elapsed, horizon)
        value = self._ends.get(key)
        if value is None:
            alive = 1.0 - self.cdf(elapsed)
            value = 0.0 if alive < _TINY else 1.0 - (1.0 - self.cdf(elapsed + horizon)) / alive
            if len(self._ends) < 100_000:
                self._ends[key] = value
        return value

    def integral(self, x: float) -> float:
        """∫₀ˣ CDF(v) dv."""
        if x <= 0:
            return 0.0
        i = int(x)
        if i >= self._span:
            return self._integral[-1] + (x - self._span)
        return self._integral[i] + (x - i) * (self._table[i] + self.cdf(x)) / 2


@lru_cache(maxsize=256)
def _lognormal(mean: float, cv: float, span: int) -> _Lognormal:
    return _Lognormal(mean, max(cv, 0.01), span)


def _quantize(mean: float) -> float:
    """Means on a 2 % geometric grid: tables are shared while the observed means drift."""
    return math.exp(round(math.log(mean) / 0.02) * 0.02)


def _quantize_cv(cv: float) -> float:
    return round(cv * 20) / 20
