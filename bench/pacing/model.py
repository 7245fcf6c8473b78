"""The people called and the agents' handling times: the reference model of the pacing bench.

A dial reaches a person with probability ``live_rate`` (0.30 and 0.55 in the grid) after a
lognormal ring (mean 12 s, CV 0.5, kept under the ring timeout: a live answer is a live
answer); an answering machine picks up in 15 % of dials after about 22 s (the dialer hangs
up: not live, never an abandon); 5 % are busy or invalid numbers, known within 1-4 s; the
rest ring until the ring timeout (30 s): no answer. A person joined to an agent talks for a
lognormal time (mean 300 s, CV 0.6), then the agent wraps up for a lognormal time (mean 45 s;
no CV is given for it, 0.5 is assumed). A person not joined to an agent within 2 s of
answering is abandoned (Ofcom's definition). These are the project's reference numbers for
a heatwave welfare call: 5-minute questionnaires, older people who answer slowly (hence the
30 s ring timeout, the top of the 17-30 s range dialers use).

People are drawn in dial order from their own seeded generator, so person ``k`` is the same
for every policy run with the same seed (common random numbers: policies are compared on the
same people, not on different luck).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from dialer.core.outcomes import CallOutcome


@dataclass(frozen=True, slots=True)
class CalleeModel:
    """Who answers, when, and how long the call and its wrap-up last (seconds)."""

    live_rate: float = 0.30
    machine_rate: float = 0.15
    busy_rate: float = 0.05
    ring_mean: float = 12.0
    ring_cv: float = 0.5
    machine_after_mean: float = 22.0
    machine_after_cv: float = 0.15
    busy_after_min: float = 1.0
    busy_after_max: float = 4.0
    ring_timeout: float = 30.0
    talk_mean: float = 300.0
    talk_cv: float = 0.6
    wrap_mean: float = 45.0
    wrap_cv: float = 0.5
    #: a person not joined to an agent within this time is abandoned
    join_window: float = 2.0

    def __post_init__(self) -> None:
        if self.live_rate + self.machine_rate + self.busy_rate > 1.0:
            raise ValueError("live + machine + busy rates exceed 1")


@dataclass(frozen=True, slots=True)
class Person:
    """One dial's fate: the outcome, seconds from dial to it (answer, machine detected,
    busy signal, ring timeout), and if a person answers, the talk and wrap-up seconds."""

    outcome: CallOutcome
    resolve_after: float
    talk: float
    wrap_up: float


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


class PersonStream:
    """The called people, in dial order, deterministic for a seed."""

    def __init__(self, model: CalleeModel, seed: int) -> None:
        self._model = model
        self._rng = random.Random(seed)
        self._ring = lognormal_params(model.ring_mean, model.ring_cv)
        self._machine = lognormal_params(model.machine_after_mean, model.machine_after_cv)
        self._talk = lognormal_params(model.talk_mean, model.talk_cv)
        self._wrap = lognormal_params(model.wrap_mean, model.wrap_cv)

    def next(self) -> Person:
        m, rng = self._model, self._rng
        u = rng.random()
        ring = rng.lognormvariate(*self._ring)
        while ring >= m.ring_timeout:  # a live answer comes before the ring timeout
            ring = rng.lognormvariate(*self._ring)
        machine = min(rng.lognormvariate(*self._machine), m.ring_timeout)
        busy = rng.uniform(m.busy_after_min, m.busy_after_max)
        talk = rng.lognormvariate(*self._talk)
        wrap = rng.lognormvariate(*self._wrap)
        if u < m.live_rate:
            return Person(CallOutcome.ANSWERED, ring, talk, wrap)
        if u < m.live_rate + m.machine_rate:
            return Person(CallOutcome.MACHINE, machine, 0.0, 0.0)
        if u < m.live_rate + m.machine_rate + m.busy_rate:
            return Person(CallOutcome.BUSY, busy, 0.0, 0.0)
        return Person(CallOutcome.NO_ANSWER, m.ring_timeout, 0.0, 0.0)
