"""The ceiling of the engine's predictive rule: :func:`dialer.core.pacing.decide` told when
each busy agent will really be free.

To size the risk of one more line, the rule estimates how many busy agents will be free at
each check point up to the ring timeout, from the talk and wrap-up distributions and the time
each agent has spent in its state. The oracle replaces that estimate, and only it, with the
simulator's truth (each busy agent's remaining talk + wrap-up,
:attr:`~bench.pacing.simulator.DayCounters.busy_left`); the demand (which calls ringing will
be answered, and when), the day's budget and everything else stay the engine's. No dialer
can know this: the oracle measures how far better knowledge of the agents could take the same
rule. The engine's code is not changed: its risk model is swapped for this one during each
decision only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from unittest import mock

from bench.pacing.simulator import CorePolicy, DayCounters
from dialer.core import pacing_risk
from dialer.core.pacing_settings import PacingConfig, PacingMode
from dialer.core.pacing_statistics import AgentSnapshot, DurationStats, PacingSnapshot

NAME = "predictive-oracle"


class OracleRiskModel(pacing_risk.RiskModel):
    """The engine's risk model, with the busy agents free by each check point known exactly
    (a number, not a distribution)."""

    def __init__(
        self,
        snapshot: PacingSnapshot,
        config: PacingConfig,
        rate: float,
        talk: DurationStats,
        wrap: DurationStats,
        *,
        busy_left: Sequence[float],
    ) -> None:
        self.busy_left = sorted(busy_left)
        super().__init__(snapshot, config, rate, talk, wrap)

    def _busy_agents(
        self, agents: tuple[AgentSnapshot, ...], talk: DurationStats, wrap: DurationStats
    ) -> None:
        #: busy agents free by each check point (plus the join grace), from the truth
        self.freed = [bisect_right(self.busy_left, offset) for offset in self.offsets]

    def _supply_at(self, k: int) -> list[float]:
        return [0.0] * self.freed[k] + [1.0]


class OraclePolicy(CorePolicy):
    """``decide()`` with :class:`OracleRiskModel` in place of the engine's risk model."""

    def __init__(self, config: PacingConfig | None = None, name: str = NAME) -> None:
        super().__init__(config or PacingConfig(mode=PacingMode.PREDICTIVE), name)

    def dials(self, snapshot: PacingSnapshot, day: DayCounters) -> int:
        def model(
            snapshot: PacingSnapshot,
            config: PacingConfig,
            rate: float,
            talk: DurationStats,
            wrap: DurationStats,
        ) -> OracleRiskModel:
            return OracleRiskModel(snapshot, config, rate, talk, wrap, busy_left=day.busy_left)

        with mock.patch.object(pacing_risk, "RiskModel", model):
            return super().dials(snapshot, day)
