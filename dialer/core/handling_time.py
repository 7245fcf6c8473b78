"""Handling time (DMT, durée moyenne de traitement) from exact event times.

For every call: ring time (dial → answer, or → end when unanswered), talk time (joined →
hung up), wrap-up time (hung up → agent done), handling time = talk + wrap-up, summarised
over any set of calls (the reports group them per agent). The city pays partly by DMT, so
these come from Asterisk's event timestamps, never from the controller's clock.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CallTiming:
    attempt_id: str
    campaign_id: int
    cycle_id: int
    agent: str | None
    dialed_at: datetime
    answered_at: datetime | None
    joined_at: datetime | None
    hung_up_at: datetime
    wrap_up_done_at: datetime | None

    @property
    def ring_s(self) -> float:
        end = self.answered_at or self.hung_up_at
        return max(0.0, (end - self.dialed_at).total_seconds())

    @property
    def talk_s(self) -> float:
        if self.joined_at is None:
            return 0.0
        return max(0.0, (self.hung_up_at - self.joined_at).total_seconds())

    @property
    def wrap_up_s(self) -> float:
        if self.joined_at is None or self.wrap_up_done_at is None:
            return 0.0
        return max(0.0, (self.wrap_up_done_at - self.hung_up_at).total_seconds())

    @property
    def handling_s(self) -> float:
        return self.talk_s + self.wrap_up_s

    @property
    def handled(self) -> bool:
        """An agent talked with the person and finished the wrap-up."""
        return self.joined_at is not None and self.wrap_up_done_at is not None


@dataclass(frozen=True)
class HandlingStats:
    calls: int
    mean_handling_s: float
    median_handling_s: float
    p90_handling_s: float
    mean_talk_s: float
    mean_wrap_up_s: float
    mean_ring_s: float


def summarize(timings: Iterable[CallTiming]) -> HandlingStats:
    """DMT over handled calls (joined and wrapped up); ring over every call."""
    everything = list(timings)
    handled = [t for t in everything if t.handled]
    handling = sorted(t.handling_s for t in handled)
    return HandlingStats(
        calls=len(handled),
        mean_handling_s=statistics.fmean(handling) if handling else 0.0,
        median_handling_s=statistics.median(handling) if handling else 0.0,
        p90_handling_s=_percentile(handling, 0.9),
        mean_talk_s=statistics.fmean(t.talk_s for t in handled) if handled else 0.0,
        mean_wrap_up_s=statistics.fmean(t.wrap_up_s for t in handled) if handled else 0.0,
        mean_ring_s=statistics.fmean(t.ring_s for t in everything) if everything else 0.0,
    )


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]
