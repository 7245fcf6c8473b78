"""The daily purge inside the service (``dialer serve``): every day at
``retention.purge_hour_utc`` the :class:`~dialer.retention.purge.RetentionPurge` runs.
``clock`` and ``sleep`` are injected: a test moves a fake clock a day on and sees it run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from dialer.clock import Clock
from dialer.core.retention import next_daily_run
from dialer.errors import DialerError
from dialer.retention.purge import PurgeReport, RetentionPurge

log = logging.getLogger(__name__)

#: who the audit log names for the service's own purge
SERVICE_ACTOR = "service:purge"


class DailyPurge:
    def __init__(
        self,
        purge: RetentionPurge,
        *,
        hour_utc: int,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._purge = purge
        self._hour = hour_utc
        self._clock = clock
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.failures = 0
        self.last: PurgeReport | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="daily-purge")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            now = self._clock()
            await self._sleep((next_daily_run(now, self._hour) - now).total_seconds())
            try:
                self.last = await self._purge.run(self._clock(), actor=SERVICE_ACTOR)
                self.runs += 1
            except DialerError as exc:  # the database is down: try again tomorrow
                self.failures += 1
                log.warning("daily purge failed: %s", exc)

    def statistics(self) -> dict[str, object]:
        return {
            "running": self._task is not None and not self._task.done(),
            "runs": self.runs,
            "failures": self.failures,
        }
