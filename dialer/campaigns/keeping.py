"""The service's own periodic loops over campaigns (the alert episodes' cycle keeper, the
plan keeper): one turn at once, then one every ``check_s`` seconds until stopped. A turn
that fails on the database (:class:`~dialer.errors.DialerError`) is counted and logged,
and the next turn tries again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from dialer.errors import DialerError

log = logging.getLogger(__name__)


class Keeping:
    def __init__(
        self,
        name: str,
        turn: Callable[[], Awaitable[object]],
        counters: dict[str, int],
        *,
        check_s: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.name = name
        self._turn = turn
        #: its ``errors`` count goes up at each failed turn
        self._counters = counters
        self.check_s = check_s
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """One turn now, then one every ``check_s`` seconds until :meth:`stop`."""
        await self._turn()
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self._sleep(self.check_s)
            try:
                await self._turn()
            except DialerError as exc:  # the database is away: try again at the next turn
                self._counters["errors"] = self._counters.get("errors", 0) + 1
                log.warning("%s: %s", self.name, exc)
