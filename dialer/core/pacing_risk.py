"""Pacing estimates and risk: the answer rate, the day's abandon budget per line, and the
risk model of the predictive rule (steps 2 and 3 in :mod:`dialer.core.pacing`).

Distributions are lognormal, fitted from the observed mean and coefficient of variation, with
priors blended in while observations are few.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

from dialer.core.agent_states import AgentState
from dialer.core.pacing_settings import PacingConfig
from dialer.core.pacing_statistics import AgentSnapshot, DurationStats, PacingSnapshot

#: supply distributions are truncated here (mass beyond is counted at this value: fewer
#: agents than in reality, so a conservative error)
_MAX_SUPPLY = 15
_TINY = 1e-12


def answer_rate(snapshot: PacingSnapshot, config: PacingConfig) -> float:
    """Share of dials a person answers, recent window with a prior for the start-up."""
    weight = config.answer_rate_prior_weight
    answered = snapshot.recent_live_answers + config.answer_rate_prior * weight
    return answered / (snapshot.recent_dials + weight)


def upper_answer_rate(rate: float, snapshot: PacingSnapshot, config: PacingConfig) -> float:
    """The answer rate plus ``answer_rate_confidence`` standard errors: more answers than
    expected is what causes abandons."""
    n = snapshot.recent_dials + config.answer_rate_prior_weight
    return min(1.0, rate + config.answer_rate_confidence * math.sqrt(rate * (1 - rate) / n))


def blend(observed: DurationStats | None, prior: DurationStats, weight: float) -> DurationStats:
    if observed is None or observed.count == 0:
        return prior
    n = observed.count
    mean = (observed.mean * n + prior.mean * weight) / (n + weight)
    cv = (observed.cv * n + prior.cv * weight) / (n + weight)
    return DurationStats(mean, cv, n)


def allowed_line_risk(
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


class RiskModel:
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
        answer = blend(snapshot.time_to_answer, config.prior_time_to_answer, config.prior_weight)
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


def poisson_tail(mean: float, at_least: int) -> float:
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
