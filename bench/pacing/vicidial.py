"""Baseline: VICIdial's ADAPT_HARD_LIMIT adaptive dial level (AST_VDadapt.pl and
AST_VDauto_dial.pl, VICIdial 2.14, read in the public source), with its defaults.

* Dial level = lines per non-paused agent. Every second the auto-dialer places
  ``round(level x (ready + in-call agents)) - calls alive`` calls, where calls alive are those
  sent, ringing, answered and waiting, or connected to an agent. Agents wrapping up
  (VICIdial's dispo screen) are paused for this count.
* Every second the adapt script samples ready agents, answered calls waiting, and logged-in
  agents; every 15 s it sets ``level = level x (1 + (avg ready - avg waiting) / avg
  agents)`` over the last 15 samples (``adaptive_intensity`` 0), clamped to
  ``[1.0, adaptive_maximum_level = 3.0]``.
* Brakes: when more than 20 calls were placed in the last minute and over 50 % of them were
  dropped, the level is halved; once more than 50 calls were placed today and the drops
  exceed ``adaptive_dropped_percentage`` (3 %) of today's human answers, ADAPT_HARD_LIMIT
  sets the level to 1.0. Drop statistics are refreshed every 60 s.
* A "drop" is an answered call no agent took within ``drop_call_seconds`` (5 s): its
  patience here. The bench reports abandons with this project's 2 s definition beside it.

Like every policy in the bench, it stops dialing when the calling window closes within the
ring timeout + 5 s (VICIdial itself would dial until its local call time ends).
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from bench.pacing.simulator import DayCounters
from dialer.core.agent_states import AgentState
from dialer.core.pacing_statistics import PacingSnapshot

ADJUST_EVERY = 15
DROP_STATS_EVERY = 60
CLOSE_MARGIN = timedelta(seconds=5)


class VicidialAdaptHardLimit:
    """VICIdial's ADAPT_HARD_LIMIT dial method, one decision per second."""

    def __init__(
        self,
        *,
        max_level: float = 3.0,
        dropped_percentage: float = 3.0,
        drop_call_seconds: float = 5.0,
        drops_of_dials: bool = False,
        name: str = "vicidial",
    ) -> None:
        self.name = name
        self.drops_of_dials = drops_of_dials
        self.patience = drop_call_seconds
        self.max_level = max_level
        self.dropped_percentage = dropped_percentage
        self.level = 1.0
        self._samples: deque[tuple[int, int, int]] = deque(maxlen=ADJUST_EVERY)
        self._minute: deque[DayCounters] = deque(maxlen=61)
        self._ticks = 0
        self._drop_stats: tuple[int, int, int] = (0, 0, 0)  # dials, answers, drops today
        self._last_minute: tuple[int, int] = (0, 0)  # dials, drops
        self.trace: list[tuple[int, float]] = []

    def dials(self, snapshot: PacingSnapshot, day: DayCounters) -> int:
        ready = sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)
        in_call = sum(
            1
            for agent in snapshot.agents
            if agent.state in (AgentState.ON_CALL, AgentState.RESERVED)
        )
        self._samples.append((ready, snapshot.answered_waiting, len(snapshot.agents)))
        self._minute.append(day)
        if self._ticks % DROP_STATS_EVERY == 0:  # the first pass reads them at once
            self._refresh_drops(day)
        self._ticks += 1
        if self._ticks % ADJUST_EVERY == 0:
            self._adjust()
            self.trace.append((self._ticks, self.level))
        if snapshot.now + snapshot.ring_timeout + CLOSE_MARGIN > snapshot.closes_at:
            return 0
        goal = round(self.level * (ready + in_call))
        alive = len(snapshot.dialing) + snapshot.answered_waiting + in_call
        return max(0, min(goal - alive, snapshot.lines_available))

    def _refresh_drops(self, day: DayCounters) -> None:
        self._drop_stats = (day.dials, day.live_answers, day.drops)
        first = self._minute[0]
        self._last_minute = (day.dials - first.dials, day.drops - first.drops)

    def _adjust(self) -> None:
        n = len(self._samples)
        ready = sum(s[0] for s in self._samples) / n
        waiting = sum(s[1] for s in self._samples) / n
        agents = sum(s[2] for s in self._samples) / n
        if agents <= 0:
            return
        level = self.level * (1 + (ready - waiting) / agents)
        level = min(max(level, 1.0), self.max_level)
        calls_one, drops_one = self._last_minute
        if calls_one > 20 and drops_one / calls_one > 0.5:
            level /= 2
        dials, answers, drops = self._drop_stats
        base = dials if self.drops_of_dials else max(answers, 1)
        if dials > 50 and drops and drops / base * 100 > self.dropped_percentage:
            level = 1.0
        self.level = max(level, 1.0)

    def extras(self) -> dict[str, float]:
        levels = dict(self.trace)
        at_max = sum(1 for _, level in self.trace if level >= self.max_level)
        return {
            "level_15s": levels.get(15, 1.0),
            "level_30s": levels.get(30, 1.0),
            "level_45s": levels.get(45, 1.0),
            "level_max": max((level for _, level in self.trace), default=1.0),
            "share_at_max": at_max / len(self.trace) if self.trace else 0.0,
            "level_mean": (
                sum(level for _, level in self.trace) / len(self.trace) if self.trace else 1.0
            ),
        }
