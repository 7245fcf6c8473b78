"""The attempts' progress written down off the event path: each write to the attempt log
(and to the dial queue the attempt was taken from) waits for the attempt's previous one, so
one call's writes land in order while the events never wait for the database. (Waiting for
the database on every ringing, answer and join queued fifty simultaneous answers behind each
other's commits.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from dialer.core.attempts import CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import AttemptLog, DialQueue
from dialer.errors import DialerError, StorageError, TelephonyError
from dialer.telephony.port import TelephonyPort

log = logging.getLogger(__name__)


#: pauses between tries of a write the database refused (seconds), the last one repeated
RETRY_PAUSES_S = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)


class AttemptWrites:
    def __init__(
        self,
        attempt_log: AttemptLog,
        queue_of_cycle: Callable[[int | None], DialQueue],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.attempt_log = attempt_log
        self._sleep = sleep
        #: the queue of a cycle's campaign assigned now (for calls not taken from a queue
        #: here: resumed after a restart)
        self._queue_of_cycle = queue_of_cycle
        self._writes: dict[str, asyncio.Task[None]] = {}
        #: the queue each call in progress was taken from (it settles there)
        self._queue_of: dict[str, DialQueue] = {}
        #: calls from a number on no register: no attempt in the ledger to close or dispose
        #: (their trace is the audit entry written when an agent took them)
        self._unrecorded: set[str] = set()

    def schedule(self, attempt_id: str, write: Callable[[], Awaitable[None]]) -> None:
        """Run ``write`` after the attempt's previous write. A write the database refuses
        (down, disk full) is tried again with growing pauses until it lands, never dropped
        (the attempt log's part of it is idempotent); one the ledger refuses (not forward)
        is logged."""
        previous = self._writes.get(attempt_id)

        async def chained() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    await previous
            tries = 0
            while True:
                try:
                    await write()
                except StorageError as exc:
                    if tries == 0:
                        log.error("ledger write for %s failed, trying again: %s", attempt_id, exc)
                    await self._sleep(RETRY_PAUSES_S[min(tries, len(RETRY_PAUSES_S) - 1)])
                    tries += 1
                    continue
                except DialerError as exc:
                    log.warning("ledger write for %s failed: %s", attempt_id, exc)
                return

        task = asyncio.create_task(chained())
        self._writes[attempt_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._writes.get(attempt_id) is done:
                del self._writes[attempt_id]

        task.add_done_callback(forget)

    def schedule_steps(self, attempt_id: str, *steps: Callable[[], Awaitable[None]]) -> None:
        """Several writes in order, as one: when the database refuses a step, the retry
        starts again at that step, never at one already written (the chaos run's full disk:
        a close written, its queue's settling refused, then the close tried again was
        refused as not forward and the person was left in call for ever)."""
        landed = 0

        async def write() -> None:
            nonlocal landed
            while landed < len(steps):
                await steps[landed]()
                landed += 1

        self.schedule(attempt_id, write)

    def pending(self, attempt_id: str) -> asyncio.Task[None] | None:
        """The attempt's last write not done yet, if any."""
        return self._writes.get(attempt_id)

    async def flush(self) -> None:
        """Wait until every write scheduled so far is done."""
        while self._writes:
            await asyncio.gather(*list(self._writes.values()), return_exceptions=True)

    def taken_from(self, attempt_id: str, queue: DialQueue) -> None:
        self._queue_of[attempt_id] = queue

    def unrecorded(self, attempt_id: str) -> None:
        """``attempt_id`` is a call with no attempt in the ledger (see ``_unrecorded``)."""
        self._unrecorded.add(attempt_id)

    def recorded(self, attempt_id: str) -> None:
        """``attempt_id`` has an attempt in the ledger now (an unknown number's call the
        agent attached to the person found)."""
        self._unrecorded.discard(attempt_id)

    def queue_for(self, attempt_id: str, *, forget: bool, cycle_id: int | None = None) -> DialQueue:
        """The queue ``attempt_id`` was taken from (by default, that of its cycle's
        campaign, or of the only campaign assigned)."""
        taken = self._queue_of.pop(attempt_id, None) if forget else self._queue_of.get(attempt_id)
        return taken if taken is not None else self._queue_of_cycle(cycle_id)

    def close(
        self,
        call: LiveCall,
        outcome: CallOutcome,
        at: datetime,
        cause: int | None,
        tech: int | None,
        *,
        failed: bool,
        forget_queue: bool,
        unplaced: bool = False,
    ) -> None:
        """The call ended with ``outcome``: close its attempt and settle it in its queue
        (``forget_queue``: unless its wrap-up is still to come, which disposes it there)."""
        queue = self.queue_for(call.attempt_id, forget=forget_queue, cycle_id=call.cycle_id)
        if call.attempt_id in self._unrecorded:
            if forget_queue:
                self._unrecorded.discard(call.attempt_id)
            return

        async def close() -> None:
            await self.attempt_log.close(
                call.attempt_id,
                outcome,
                at=at,
                cause=cause,
                sip_status=tech,
                failed=failed,
                unplaced=unplaced,
            )

        async def settle() -> None:
            await queue.settled(call.attempt_id, outcome, at)

        self.schedule_steps(call.attempt_id, close, settle)

    def forget_recorded_end(self, attempt_id: str, node: TelephonyPort) -> None:
        """Delete Asterisk's record of the call's end once its close has landed: until then,
        should this process die with the write waiting (the database down), that record is
        the only trace of how the call ended."""

        async def forget() -> None:
            with contextlib.suppress(TelephonyError):
                await node.forget_recorded_end(attempt_id)

        self.schedule(attempt_id, forget)

    def dispose(
        self,
        attempt_id: str,
        result: CycleResult | None,
        at: datetime,
        queue: DialQueue | None = None,
        *,
        cycle_id: int | None = None,
    ) -> None:
        """Close ``attempt_id``'s wrap-up in the attempt log and ``queue`` (by default the
        one it was taken from, else its cycle's) with the person's ``result``."""
        if queue is None:
            queue = self.queue_for(attempt_id, forget=True, cycle_id=cycle_id)
        if attempt_id in self._unrecorded:
            self._unrecorded.discard(attempt_id)
            return

        async def wrapped() -> None:
            await self.attempt_log.wrap_up_done(attempt_id, at=at, result=result)

        async def disposed() -> None:
            await queue.disposed(attempt_id, result, at)

        self.schedule_steps(attempt_id, wrapped, disposed)
