"""The CPU side of a big import in a second process, while this one writes to the database.

Reading, validating, normalising numbers, merging, diffing and encoding a row costs about
three times what storing it does; on two cores the worker process does all of that and
sends encoded batches (:class:`~dialer.storage.people.EncodedBatch`, plain tuples) through
a pipe, and this process only writes them. A batch is sent while the next one is being
prepared, so at most two batches are in flight: memory stays bounded by the batch size.

The worker is started with ``spawn`` (a clean interpreter: forking a process that runs an
event loop and the database driver's threads is unsafe). Messages, in order::

    ("batch", EncodedBatch)      write it
    ("progress", rows)           rows done so far
    ("done", result)             the analysis' return value (the report and what to remove)
    ("error", exception)         raised here as is
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypeVar

from dialer.errors import InputError, StorageError
from dialer.storage.people import EncodedBatch, PersonRecord, encode_batch

_R = TypeVar("_R")

#: progress messages at most every this many rows (the import pass reports every 1000)
PROGRESS_EVERY = 10_000


class BatchSink(Protocol):
    """Where the import pass hands its batches: the repository itself, or a pipe."""

    async def write_batch(
        self, added: Sequence[PersonRecord], changed: Sequence[PersonRecord], *, now: datetime
    ) -> None: ...


class PipeSink:
    """A :class:`BatchSink` in the worker: encodes each batch and sends it."""

    def __init__(self, connection: Connection, dialect: str) -> None:
        self._connection = connection
        self._dialect = dialect
        self._reported = 0

    async def write_batch(
        self, added: Sequence[PersonRecord], changed: Sequence[PersonRecord], *, now: datetime
    ) -> None:
        if added or changed:
            self._connection.send(("batch", encode_batch(self._dialect, added, changed, now=now)))

    def progress(self, rows: int) -> None:
        if rows - self._reported >= PROGRESS_EVERY:
            self._reported = rows
            self._connection.send(("progress", rows))


async def run_in_worker(
    analyse: Callable[[Any, PipeSink], Awaitable[_R]],
    job: Any,
    *,
    write: Callable[[EncodedBatch], Awaitable[None]],
    on_progress: Callable[[int], None] | None,
) -> _R:
    """``await analyse(job, sink)`` in a worker process; every batch it hands its sink is
    written here with ``write``. ``analyse`` must be a module-level function and ``job``
    picklable. The worker is stopped if this is cancelled or a write fails."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker_main, args=(analyse, job, sender), name="register-import", daemon=True
    )
    process.start()
    sender.close()
    loop = asyncio.get_running_loop()
    try:
        while True:
            kind, payload = await loop.run_in_executor(None, _receive, receiver)
            if kind == "batch":
                await write(payload)
            elif kind == "progress":
                if on_progress is not None:
                    on_progress(payload)
            elif kind == "done":
                result: _R = payload
                return result
            else:
                raise payload
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        await loop.run_in_executor(None, process.join)


def _receive(connection: Connection) -> tuple[str, Any]:
    try:
        message: tuple[str, Any] = connection.recv()
    except EOFError:
        return "error", StorageError("import worker process ended without a result")
    return message


def _worker_main(
    analyse: Callable[[Any, PipeSink], Awaitable[Any]], job: Any, connection: Connection
) -> None:
    try:
        sink = PipeSink(connection, job.dialect)
        result = asyncio.run(_awaited(analyse(job, sink)))
        connection.send(("done", result))
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that does not pickle
            connection.send(("error", InputError(str(exc))))
    finally:
        connection.close()


async def _awaited(awaitable: Awaitable[_R]) -> _R:
    return await awaitable
