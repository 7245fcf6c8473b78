"""The engine's ledger writes, batched and never dropped.

A burst (400 people answering at once) makes a few thousand small writes. One transaction
each queued them behind each other on SQLite's single connection: the ledger fell seconds
behind the calls and, past the pool's wait, writes gave up and were lost. Here every write
waits in one queue; one writer commits all that are waiting in one transaction, in the
order they came (each attempt's writes are chained by the engine, so an attempt's own order
holds too). A failed transaction is retried, with a growing pause, until it commits: no
write is dropped. While it fails, :meth:`LedgerWriter.writable` is False and the engine
dials nobody (no call it could not record); the lag and the failures are in its statistics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from dialer.core.operator_messages import say
from dialer.errors import DialerError, StorageError
from dialer.storage.ledger import AttemptLedger, LedgerChange

log = logging.getLogger(__name__)

#: writes committed in one transaction at most
BATCH_MAX = 500
#: pauses between tries of a failing transaction (seconds), the last one repeated
RETRY_PAUSES_S = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
#: lags kept for the statistics (the latest ones)
LAGS_KEPT = 10_000


@dataclass
class _Pending:
    change: LedgerChange
    since: float
    done: asyncio.Future[None] = field(default_factory=asyncio.Future)


class LedgerWriter:
    def __init__(
        self,
        ledger: AttemptLedger,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._ledger = ledger
        self._monotonic = monotonic
        self._sleep = sleep
        self._queue: deque[_Pending] = deque()
        self._task: asyncio.Task[None] | None = None
        self._failing_since: float | None = None
        self.lags_s: deque[float] = deque(maxlen=LAGS_KEPT)
        self.committed = 0
        self.transactions = 0
        self.failed_tries = 0
        self.refused = 0

    async def write(self, change: LedgerChange) -> None:
        """Returns once ``change`` is committed; raises only if the ledger refuses it (not
        forward, unknown attempt), never because the database failed."""
        pending = _Pending(change, self._monotonic())
        self._queue.append(pending)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ledger-writer")
        await asyncio.shield(pending.done)

    def writable(self) -> bool:
        """False while the database refuses the ledger's writes."""
        return self._failing_since is None

    def lag_s(self) -> float:
        """How long the oldest write still waiting has waited (0 when none waits)."""
        return self._monotonic() - self._queue[0].since if self._queue else 0.0

    def waiting(self) -> int:
        return len(self._queue)

    async def _run(self) -> None:
        while self._queue:
            batch = [self._queue[i] for i in range(min(BATCH_MAX, len(self._queue)))]
            try:
                refusals: list[BaseException | None] = list(await self._commit(batch))
            except Exception as exc:  # a defect, not the database: told to each writer
                log.exception("ledger: a batch of %d writes could not be applied", len(batch))
                refusals = [exc] * len(batch)
            now = self._monotonic()
            for pending, refused in zip(batch, refusals, strict=True):
                self._queue.popleft()
                self.lags_s.append(now - pending.since)
                if refused is None:
                    pending.done.set_result(None)
                else:
                    self.refused += 1
                    pending.done.set_exception(refused)
            self.committed += len(batch)

    async def _commit(self, batch: list[_Pending]) -> list[DialerError | None]:
        tries = 0
        while True:
            try:
                refusals = await self._ledger.apply([p.change for p in batch])
            except StorageError as exc:
                self.failed_tries += 1
                if self._failing_since is None:
                    self._failing_since = self._monotonic()
                    log.error(say("ledger.failing", error=exc))
                await self._sleep(RETRY_PAUSES_S[min(tries, len(RETRY_PAUSES_S) - 1)])
                tries += 1
                continue
            self.transactions += 1
            if self._failing_since is not None:
                log.warning(say("ledger.back", seconds=self._monotonic() - self._failing_since))
                self._failing_since = None
            return refusals

    def statistics(self) -> dict[str, float | int | bool]:
        lags = sorted(self.lags_s)
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else 0.0
        return {
            "ledger_writable": self.writable(),
            "ledger_waiting": self.waiting(),
            "ledger_lag_s": round(self.lag_s(), 3),
            "ledger_lag_p99_s": round(p99, 3),
            "ledger_writes": self.committed,
            "ledger_transactions": self.transactions,
            "ledger_failed_tries": self.failed_tries,
            "ledger_refused": self.refused,
        }
