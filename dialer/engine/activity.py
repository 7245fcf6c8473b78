"""What happened recently and today, for the pacer: dials, live answers, abandons, and the
durations of talk, wrap-up and time to answer. Times come from the engine's events."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from dialer.core.pacing_statistics import DurationStats

RECENT = timedelta(minutes=15)
DURATION_SAMPLES = 500


@dataclass(frozen=True)
class Settled:
    """One dial whose outcome is known: when it settled, and did a person answer."""

    at: datetime
    live: bool


class Activity:
    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone
        self._day: date | None = None
        self.live_answers_today = 0
        self.abandons_today = 0
        self._recent: deque[Settled] = deque()
        self.talk: deque[float] = deque(maxlen=DURATION_SAMPLES)
        self.wrap_up: deque[float] = deque(maxlen=DURATION_SAMPLES)
        self.time_to_answer: deque[float] = deque(maxlen=DURATION_SAMPLES)

    def _roll(self, now: datetime) -> None:
        today = now.astimezone(self._zone).date()
        if today != self._day:  # a new day: the abandon budget starts again at midnight
            self._day = today
            self.live_answers_today = 0
            self.abandons_today = 0

    def settled(self, now: datetime, *, live: bool) -> None:
        self._roll(now)
        self._recent.append(Settled(now, live))
        if live:
            self.live_answers_today += 1

    def abandoned(self, now: datetime) -> None:
        self._roll(now)
        self.abandons_today += 1

    def recent(self, now: datetime) -> tuple[int, int]:
        """(dials settled, of which live answers) in the last 15 minutes."""
        while self._recent and now - self._recent[0].at > RECENT:
            self._recent.popleft()
        return len(self._recent), sum(1 for s in self._recent if s.live)

    def today(self, now: datetime) -> tuple[int, int]:
        self._roll(now)
        return self.live_answers_today, min(self.abandons_today, self.live_answers_today)


def duration_stats(samples: deque[float]) -> DurationStats | None:
    values = [s for s in samples if s > 0]
    if not values:
        return None
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if len(values) > 1 else 0.0
    return DurationStats(mean, cv, len(values))
