"""The ledger writer: a burst committed in few transactions, in order; a database that
fails is retried until the writes land, none dropped, and dialling waits meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from dialer.core.attempts import AttemptState
from dialer.engine.attempt_writes import AttemptWrites
from dialer.errors import ConflictError, DialerError, StorageError
from dialer.storage.ledger import AttemptLedger, LedgerAdvance, LedgerChange
from dialer.storage.ledger_writer import LedgerWriter
from dialer.testing import MemoryAttemptLog, MemoryQueue

AT = datetime(2026, 7, 1, 10, tzinfo=UTC)


class FlakyLedger(AttemptLedger):
    """Applies batches in memory; the first ``failures`` transactions fail."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[str]] = []

    async def apply(self, changes: Sequence[LedgerChange]) -> list[DialerError | None]:
        await asyncio.sleep(0)  # a commit takes a turn of the loop
        if self.failures:
            self.failures -= 1
            raise StorageError("database error: disk I/O error")
        self.batches.append([c.attempt_id for c in changes])
        return [
            ConflictError(f"{c.attempt_id}: not forward") if c.attempt_id == "bad" else None
            for c in changes
        ]


def ringing(attempt_id: str) -> LedgerAdvance:
    return LedgerAdvance(attempt_id, AttemptState.RINGING, AT)


@pytest.mark.asyncio
async def test_a_burst_lands_in_a_few_transactions_in_the_order_it_came() -> None:
    ledger = FlakyLedger()
    writer = LedgerWriter(ledger)
    ids = [f"att-{n}" for n in range(400)]
    await asyncio.gather(*(writer.write(ringing(i)) for i in ids))
    assert [i for batch in ledger.batches for i in batch] == ids
    assert len(ledger.batches) <= 3  # not 400 transactions
    assert writer.statistics()["ledger_writes"] == 400
    assert writer.waiting() == 0


@pytest.mark.asyncio
async def test_a_failing_database_is_retried_until_every_write_lands() -> None:
    ledger = FlakyLedger(failures=3)
    pauses: list[float] = []
    seen_writable: list[bool] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        seen_writable.append(writer.writable())

    writer = LedgerWriter(ledger, sleep=pause)
    await asyncio.gather(*(writer.write(ringing(f"att-{n}")) for n in range(10)))
    assert [i for batch in ledger.batches for i in batch] == [f"att-{n}" for n in range(10)]
    assert seen_writable == [False, False, False]  # the engine dialled nobody meanwhile
    assert pauses == sorted(pauses)  # growing pauses
    assert writer.writable()
    assert writer.statistics()["ledger_failed_tries"] == 3


@pytest.mark.asyncio
async def test_a_refused_change_fails_its_own_writer_only() -> None:
    writer = LedgerWriter(FlakyLedger())
    results = await asyncio.gather(
        writer.write(ringing("att-1")), writer.write(ringing("bad")), return_exceptions=True
    )
    assert results[0] is None
    assert isinstance(results[1], ConflictError)
    assert writer.statistics()["ledger_refused"] == 1


@pytest.mark.asyncio
async def test_a_queue_write_the_database_refuses_is_tried_again_until_it_lands() -> None:
    """Seen in the chaos run: with the disk full, a call's disposition (the dial queue's
    write after the ledger's) was dropped and the person stayed in wrap-up for ever."""
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    writes = AttemptWrites(
        MemoryAttemptLog(), lambda _cycle: MemoryQueue(MemoryAttemptLog(), []), sleep=pause
    )
    tries: list[str] = []

    async def disposal() -> None:
        tries.append("try")
        if len(tries) < 3:
            raise StorageError("database error: database or disk is full")

    async def refused() -> None:
        tries.append("refused")
        raise ConflictError("not forward")

    writes.schedule("att-1", disposal)
    writes.schedule("att-2", refused)
    await writes.flush()
    assert tries.count("try") == 3  # landed on the third try
    assert tries.count("refused") == 1  # the ledger's own refusal is not tried again
    assert pauses == [0.05, 0.2]
