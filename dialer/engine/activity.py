"""What happened recently and today, for the pacer: dials, live answers, abandons, and the
durations of talk, wrap-up and time to answer. Times come from the engine's events."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from dialer.core.campaign_pacing import ActivityFigures, CampaignFigures, campaign_figures
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

    def figures(self, now: datetime) -> ActivityFigures:
        """What the pacer reads of it at ``now``."""
        live, abandons = self.today(now)
        recent_dials, recent_live = self.recent(now)
        return ActivityFigures(
            live_answers_today=live,
            abandons_today=abandons,
            recent_dials=recent_dials,
            recent_live_answers=recent_live,
            talk=duration_stats(self.talk),
            wrap_up=duration_stats(self.wrap_up),
            time_to_answer=duration_stats(self.time_to_answer),
        )


class Activities:
    """The activity of the engine as a whole (:attr:`pooled`, what a single campaign is
    paced on) and of each campaign (its own pacing figures,
    :func:`dialer.core.campaign_pacing.campaign_figures`)."""

    def __init__(self, pooled: Activity, zone: tzinfo) -> None:
        self.pooled = pooled
        self._zone = zone
        self._own: dict[int, Activity] = {}

    def of(self, campaign_id: int | None) -> Activity | None:
        """``campaign_id``'s own activity (``None``: none recorded, or no campaign id)."""
        return None if campaign_id is None else self._own.get(campaign_id)

    def figures(self, campaign_id: int | None, now: datetime) -> CampaignFigures:
        """The day's figures campaign ``campaign_id`` is paced on: its own where it has
        enough calls, else the pooled ones (:func:`campaign_figures`); the pooled ones for
        the engine's only campaign assigned without an id."""
        pooled = self.pooled.figures(now)
        own = self.of(campaign_id)
        if own is None:
            return CampaignFigures(pooled, frozenset())
        return campaign_figures(own.figures(now), pooled)

    def recording(self, campaign_id: int | None) -> tuple[Activity, ...]:
        """Where one call's activity is written: the pooled one, and its campaign's."""
        if campaign_id is None:
            return (self.pooled,)
        own = self._own.setdefault(campaign_id, Activity(self._zone))
        return (self.pooled, own)


def duration_stats(samples: deque[float]) -> DurationStats | None:
    values = [s for s in samples if s > 0]
    if not values:
        return None
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if len(values) > 1 else 0.0
    return DurationStats(mean, cv, len(values))
