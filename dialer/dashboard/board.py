"""The dashboard's source of snapshots: one :class:`LiveDashboard` per application builds
them on demand, for the current campaign or the one a screen chose. Each campaign's figures
are read at most once per ``cache_s`` however many screens watch it (one lock, one read),
and only campaigns running or paused are kept: the cache holds at most one entry per
campaign running or paused, plus the default one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dialer.campaigns.late_calls import late_reserved_calls
from dialer.clock import utcnow
from dialer.core.wallboard import DEFAULT_THRESHOLDS, Thresholds
from dialer.dashboard.campaign_figures import RECENT, CampaignFigures
from dialer.dashboard.live import (
    LiveSource,
    Snapshot,
    build_snapshot,
    live_figures,
    read_campaign_figures,
)
from dialer.errors import DialerError, NotFoundError
from dialer.storage.dashboard_counts import LiveCampaign, dashboard_counts
from dialer.storage.database import SessionFactory

log = logging.getLogger(__name__)

#: how long a campaign's figures are reused
CACHE_S = 2.0
SAMPLES = 500


@dataclasses.dataclass(slots=True)
class _Cached:
    figures: CampaignFigures | None
    read_at: float  # monotonic


class LiveDashboard:
    """Builds snapshots on demand; each campaign's figures are shared for ``cache_s``."""

    def __init__(
        self,
        sessions: SessionFactory,
        source: Callable[[], LiveSource | None],
        *,
        clock: Callable[[], datetime] = utcnow,
        cache_s: float = CACHE_S,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.thresholds = thresholds
        self._sessions = sessions
        self._source = source
        self._clock = clock
        self.cache_s = cache_s
        #: by campaign id; None: the current campaign (the default screen)
        self._cache: dict[int | None, _Cached] = {}
        self._campaigns: tuple[LiveCampaign, ...] = ()
        self._lock = asyncio.Lock()
        self._read_ms: deque[float] = deque(maxlen=SAMPLES)
        self._build_ms: deque[float] = deque(maxlen=SAMPLES)
        self._counters = {"snapshots": 0, "ledger_reads": 0, "ledger_failures": 0}
        self._last_error = ""
        self.watchers = 0

    async def campaign_figures(self, campaign_id: int | None = None) -> CampaignFigures | None:
        """The figures of campaign ``campaign_id`` (without one: the current campaign's),
        read again when older than ``cache_s``; the last ones when the database fails
        (logged and counted). :class:`NotFoundError` when ``campaign_id`` neither runs nor
        pauses."""
        async with self._lock:
            cached = self._cache.get(campaign_id)
            if cached is not None and time.monotonic() - cached.read_at < self.cache_s:
                return cached.figures
            figures = cached.figures if cached is not None else None
            try:
                figures = await self._read(campaign_id)
            except DialerError as exc:
                self._counters["ledger_failures"] += 1
                self._last_error = str(exc)
                log.warning("dashboard: reading the campaign's figures failed: %s", exc)
                if campaign_id is not None and campaign_id not in self._live_ids():
                    return None  # nothing kept for a campaign not known to run
            else:
                self._keep_live_only()
                if campaign_id is not None and campaign_id not in self._live_ids():
                    self._cache.pop(campaign_id, None)
                    raise NotFoundError(
                        f"la campagne n° {campaign_id} n'existe pas ou n'est ni en cours "
                        "ni en pause"
                    )
            self._cache[campaign_id] = _Cached(figures, time.monotonic())
            return figures

    async def _read(self, campaign_id: int | None) -> CampaignFigures | None:
        now = self._clock()
        figures = await read_campaign_figures(
            self._sessions, now, self.thresholds.trend_bucket, campaign_id
        )
        if figures is not None:
            late = await late_reserved_calls(self._sessions, now)
            figures = dataclasses.replace(figures, callbacks_overdue=len(late))
        async with dashboard_counts(self._sessions) as counts:
            self._campaigns = await counts.live_campaigns()
        self._counters["ledger_reads"] += 1
        if figures is not None:
            self._read_ms.append(figures.read_ms)
        return figures

    def _live_ids(self) -> set[int]:
        return {campaign.id for campaign in self._campaigns}

    def _keep_live_only(self) -> None:
        """Forget the figures of campaigns no longer running or paused."""
        live = self._live_ids()
        for key in [key for key in self._cache if key is not None and key not in live]:
            del self._cache[key]

    async def snapshot(self, campaign_id: int | None = None) -> Snapshot:
        """The snapshot of campaign ``campaign_id`` (without one: the current campaign)."""
        figures = await self.campaign_figures(campaign_id)
        started = time.perf_counter()
        now = self._clock()
        source = self._source()
        stats = source.statistics() if source is not None else {}
        live = live_figures(source, now, self.thresholds, stats)
        snapshot = dataclasses.replace(
            build_snapshot(now, live, figures, self.thresholds),
            campaigns=self._campaigns,
            pacing_figures=_pacing_of(stats, figures.campaign_id) if figures else None,
        )
        self._build_ms.append((time.perf_counter() - started) * 1000)
        self._counters["snapshots"] += 1
        return snapshot

    def engine_statistics(self) -> dict[str, object]:
        """The running engine's own statistics (empty without an engine)."""
        source = self._source()
        return source.statistics() if source is not None else {}

    def statistics(self) -> dict[str, object]:
        reads = sorted(self._read_ms)
        builds = sorted(self._build_ms)
        return {
            **self._counters,
            "watchers": self.watchers,
            "cache_s": self.cache_s,
            "campaigns_cached": len(self._cache),
            "ledger_read_ms_p50": _pct(reads, 0.5),
            "ledger_read_ms_max": round(reads[-1], 2) if reads else None,
            "build_ms_p50": _pct(builds, 0.5),
            "build_ms_max": round(builds[-1], 2) if builds else None,
            "last_error": self._last_error,
            "recent_window_s": RECENT.total_seconds(),
        }


def _pacing_of(stats: dict[str, object], campaign_id: int) -> dict[str, Any] | None:
    """The engine's ``pacing_figures`` of ``campaign_id`` (None: the engine does not run it)."""
    campaigns = stats.get("campaigns")
    if not isinstance(campaigns, dict):
        return None
    entry = campaigns.get(str(campaign_id))
    figures = entry.get("pacing_figures") if isinstance(entry, dict) else None
    return dict(figures) if isinstance(figures, dict) else None


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(fraction * len(values)))], 2)
