"""Another rule than the engine's, to bound what any pacer can get: a Monte-Carlo lookahead.

Every second, for ``n = 0, 1, 2...`` new dials, the lookahead samples ``samples`` futures of
the next ``horizon`` seconds: which calls ringing will be answered by a person, and when
(from the callee model's exact laws, given each call's age: an old ring rarely answers), when
each busy agent will be free, and what the ``n`` new calls do. In each future, answers are
given to agents in time order (a person needs an agent within the join window, or is
abandoned) and the agents' idle seconds inside the horizon are counted. It dials the ``n``
with the least ``idle seconds + price × abandons`` (the same futures for every ``n``, so the
differences are not noise). ``price``, the agent-seconds one abandon is worth, sets the
trade-off: a sweep of it traces the occupancy-abandon curve of the rule.

Two kinds of knowledge of the agents:

* ``lookahead``: each busy agent's free time is drawn from the model's talk and wrap-up laws
  given the time already spent in its state: what a dialer can know (with the true laws,
  which the engine has to learn).
* ``lookahead-oracle``: each busy agent's true free time (:attr:`DayCounters.busy_left`),
  which no dialer can know.

Both know the exact answer rate and ring laws, which the engine estimates. This is a bench
policy, not the engine's: it needs numpy and about 2-3 ms per decision, and it has no day
budget, start-up or cap of its own; its ``price`` is the only brake on abandons. Like the
engine, it does not dial when a call could still ring at the calling window's end.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import numpy.typing as npt

from bench.pacing.model import CalleeModel, lognormal_params
from bench.pacing.simulator import DayCounters
from dialer.core.agent_states import AgentState
from dialer.core.pacing_statistics import PacingSnapshot

NAME = "lookahead"
ORACLE_NAME = "lookahead-oracle"

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: no dial when the calling window closes within the ring timeout + this (the engine's default)
_CLOSE_MARGIN = timedelta(seconds=5)
#: draws kept to sample each law (sorted, so a law given "longer than x" is a suffix)
_BANK = 200_000


class LookaheadPolicy:
    """The lookahead pacer (see the module's documentation)."""

    def __init__(
        self,
        model: CalleeModel,
        price: float,
        *,
        exact_agents: bool = False,
        samples: int = 512,
        horizon: float = 32.0,
        join_margin: float = 0.5,
        max_new: int = 8,
        seed: int = 7,
    ) -> None:
        self.name = ORACLE_NAME if exact_agents else NAME
        self.patience = 2.0
        self.model = model
        self.price = price
        self.exact_agents = exact_agents
        self.samples = samples
        self.horizon = horizon
        #: an agent must be free this much before the join window closes (counted short)
        self.join_margin = join_margin
        self.max_new = max_new
        self._rng = np.random.default_rng(seed)
        ring = self._bank(model.ring_mean, model.ring_cv)
        self._ring = ring[ring < model.ring_timeout]  # a live answer comes before the timeout
        machine = self._bank(model.machine_after_mean, model.machine_after_cv)
        self._machine = np.minimum(machine, model.ring_timeout)
        self._talk = self._bank(model.talk_mean, model.talk_cv)
        self._wrap = self._bank(model.wrap_mean, model.wrap_cv)

    def _bank(self, mean: float, cv: float) -> Floats:
        mu, sigma = lognormal_params(mean, cv)
        return np.sort(self._rng.lognormal(mu, sigma, _BANK))

    def extras(self) -> dict[str, float]:
        return {}

    # ---------------------------------------------------------------- the decision

    def dials(self, snapshot: PacingSnapshot, day: DayCounters) -> int:
        most = min(self.max_new, snapshot.lines_available)
        if most <= 0 or snapshot.now > snapshot.closes_at - snapshot.ring_timeout - _CLOSE_MARGIN:
            return 0  # like the engine: no call may still ring when the window closes
        # people answered and waiting are answers at 0 s below, taking agents like any
        # other (with the whole join window: the snapshot does not say how long they waited)
        free_now = sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)
        busy = self._busy_free_times(snapshot, day)
        free_at = np.concatenate([np.zeros((self.samples, free_now)), busy], axis=1)
        if free_at.shape[1] == 0:
            return 0
        waiting = np.zeros((self.samples, snapshot.answered_waiting))
        ringing = self._ringing_answers(snapshot.dialing)
        new = np.where(
            self._rng.random((self.samples, most)) < self.model.live_rate,
            self._ring[self._rng.integers(0, len(self._ring), (self.samples, most))],
            np.inf,
        )
        costs: list[float] = []
        for n in range(most + 1):
            answers = np.sort(np.concatenate([waiting, ringing, new[:, :n]], axis=1), axis=1)
            idle, abandons = self._outcome(answers, free_now, busy, free_at)
            costs.append(idle + self.price * abandons)
            if n >= 2 and costs[-1] > costs[-2] > costs[-3]:
                break  # a heuristic: the cost rose twice, more lines are taken as worse
        return int(np.argmin(costs))

    def _ringing_answers(self, ages: tuple[float, ...]) -> Floats:
        """For each future, when each call ringing is answered by a person (inf: never)."""
        m = self.model
        age = np.array([a for a in ages if a < m.ring_timeout], dtype=np.float64)
        if len(age) == 0:
            return np.empty((self.samples, 0))
        live = m.live_rate * self._survival(self._ring, age)
        machine = m.machine_rate * self._survival(self._machine, age)
        span = m.busy_after_max - m.busy_after_min
        busy = m.busy_rate * np.clip((m.busy_after_max - age) / span, 0.0, 1.0)
        nobody = 1.0 - m.live_rate - m.machine_rate - m.busy_rate
        p_live = live / (live + machine + busy + nobody)  # a person answers, given still ringing
        answers = self._draw_beyond(self._ring, age) - age
        return np.where(self._rng.random(answers.shape) < p_live, answers, np.inf)

    def _busy_free_times(self, snapshot: PacingSnapshot, day: DayCounters) -> Floats:
        """Seconds until each busy agent is free, per future, sorted; beyond the horizon
        (and the join window) as inf."""
        if self.exact_agents:
            left = np.sort(np.array(day.busy_left, dtype=np.float64))
            times = np.broadcast_to(left, (self.samples, len(left)))
        else:
            rows: list[Floats] = []
            for agent in snapshot.agents:
                spent = np.array([agent.seconds_in_state], dtype=np.float64)
                if agent.state is AgentState.ON_CALL:
                    wrap = self._wrap[self._rng.integers(0, len(self._wrap), self.samples)]
                    talk_left = np.maximum(0.0, self._draw_beyond(self._talk, spent)[:, 0] - spent)
                    rows.append(talk_left + wrap)
                elif agent.state is AgentState.WRAP_UP:
                    rows.append(np.maximum(0.0, self._draw_beyond(self._wrap, spent)[:, 0] - spent))
            if not rows:
                return np.empty((self.samples, 0))
            times = np.sort(np.stack(rows, axis=1), axis=1)
        return np.where(times < self.horizon + self.model.join_window, times, np.inf)

    def _outcome(
        self, answers: Floats, free_now: int, busy: Floats, free_at: Floats
    ) -> tuple[float, float]:
        """Mean idle agent-seconds within the horizon and mean abandons over the futures:
        answers (sorted per future) take the agent free longest, if one is free by the end
        of their join window."""
        samples, agents = free_at.shape
        matched: Ints = np.zeros(samples, dtype=np.int64)
        idle: Floats = np.zeros(samples)
        abandons: Floats = np.zeros(samples)
        window = self.model.join_window - self.join_margin
        for k in range(answers.shape[1]):
            at = answers[:, k]
            answered = np.isfinite(at)
            if not answered.any():
                break  # sorted: the later columns are inf too
            free = free_now + (busy <= (at + window)[:, None]).sum(axis=1)
            joined = answered & (matched < free)
            agent_free = np.take_along_axis(free_at, np.minimum(matched, agents - 1)[:, None], 1)
            idle += np.where(
                joined, np.maximum(0.0, np.minimum(at, self.horizon) - agent_free[:, 0]), 0.0
            )
            abandons += answered & ~joined
            matched += joined
        # agents no answer reached: idle until the horizon
        unmatched = np.arange(agents)[None, :] >= matched[:, None]
        idle += np.where(unmatched, np.maximum(0.0, self.horizon - free_at), 0.0).sum(axis=1)
        return float(idle.mean()), float(abandons.mean())

    def _survival(self, bank: Floats, x: Floats) -> Floats:
        """P(a draw of ``bank``'s law > x)."""
        return 1.0 - np.searchsorted(bank, x, "right") / len(bank)

    def _draw_beyond(self, bank: Floats, x: Floats) -> Floats:
        """``samples`` draws per value of ``x`` from ``bank``'s law given "longer than x"
        (the longest kept draw when x is beyond them all)."""
        low = np.minimum(np.searchsorted(bank, x, "right"), len(bank) - 1)
        picks = low + (self._rng.random((self.samples, len(x))) * (len(bank) - low)).astype(
            np.int64
        )
        drawn: Floats = bank[np.minimum(picks, len(bank) - 1)]
        return drawn
