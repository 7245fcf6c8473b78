"""Seat sessions recorded by watching the engine's seat board: every ``every_s`` the agents
logged in are compared with those seen before; an arrival opens a session, a departure
ends it (:class:`dialer.storage.seat_sessions.SeatSessionRepository`), and the open ones
are marked seen every ``heartbeat_s``, so a controller that dies leaves sessions closed at
most a heartbeat late (closed at start-up, :meth:`SeatWatch.start`). The engine is not
touched: the watch only reads its seat board (no I/O there)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from dialer.core.agent_states import AgentState
from dialer.core.seats import Seat
from dialer.errors import DialerError
from dialer.storage.seat_sessions import SeatSessionRepository

log = logging.getLogger(__name__)


class SeatWatch:
    def __init__(
        self,
        seats: Callable[[], Iterable[Seat]],
        repository: SeatSessionRepository,
        *,
        clock: Callable[[], datetime],
        every_s: float = 5.0,
        heartbeat_s: float = 60.0,
    ) -> None:
        self._seats = seats
        self._repository = repository
        self._clock = clock
        self._every_s = every_s
        self._heartbeat_s = heartbeat_s
        self._seen: frozenset[str] | None = None
        self._written_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> bool:
        """Compare and write if anything changed or the heartbeat is due; whether it wrote."""
        now = self._clock()
        seats = list(self._seats())
        agents = {
            s.agent: s.logged_in_at or now for s in seats if s.state is not AgentState.LOGGED_OUT
        }
        # a seat logged out since: its state's start is when it logged out
        left = {s.agent: s.since for s in seats if s.state is AgentState.LOGGED_OUT}
        due = self._written_at is None or (
            (now - self._written_at).total_seconds() >= self._heartbeat_s
        )
        if frozenset(agents) == self._seen and not due:
            return False
        await self._repository.record(agents, now, left)
        self._seen, self._written_at = frozenset(agents), now
        return True

    async def start(self) -> None:
        """Close the sessions a previous run left open, then watch in a task."""
        closed = await self._repository.close_orphans()
        if closed:
            log.info("%d seat session(s) of the previous run closed when last seen", closed)
        self._task = asyncio.create_task(self._run(), name="seat-watch")

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except (DialerError, OSError) as error:  # the database away: try again later
                log.warning("seat sessions not recorded: %s", error)
            await asyncio.sleep(self._every_s)

    async def stop(self) -> None:
        """Stop watching and end every open session now (the agents' lines go with the
        service)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(DialerError, OSError):
            await self._repository.record({}, self._clock())
