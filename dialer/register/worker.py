"""Checking the rows of a register, part by part, in this process or in worker processes.

Reading, validating and normalising a row costs far more than storing it. A big CSV is
cut into parts (:func:`~dialer.register.reading.split_csv`), one per processor, and each
part is checked by its own process, which writes its rows to its own part file
(:class:`~dialer.storage.staging.PartWriter`) and its rejections to its own rejects file.
Nothing but a small :class:`PartResult` comes back, so memory does not grow with the file.

Workers are started with ``spawn`` (a clean interpreter: forking a process that runs an
event loop and the database driver's threads is unsafe). Each sends one message::

    ("done", PartResult)       or     ("error", exception)    raised here as is

and counts its rows in a shared array that this process reads for the progress bar.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dialer.errors import InputError, StorageError
from dialer.register.columns import ColumnMap, Field
from dialer.register.issues import ImportIssue, IssueLog
from dialer.register.reading import CsvLayout, FilePart, open_csv_part, open_register
from dialer.register.rows import RowChecker
from dialer.storage.staging import PERSON_COLUMNS, PartWriter

#: the shared row counters are updated every this many rows
PROGRESS_EVERY = 1000
#: the person's columns of a rejected row
_NO_PERSON = (None,) * len(PERSON_COLUMNS)
#: how often this process looks at the workers' counters and messages (seconds)
POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class PartJob:
    """One part of a register to check (picklable: it goes to a worker process).
    ``layout`` and ``part`` are None for a whole file read as it is (an XLSX)."""

    path: Path
    headers: list[str]
    fields: dict[str, Field] | None
    layout: CsvLayout | None
    part: FilePart | None
    today: date
    #: the part file to write the checked rows to, and the rejects file of the part
    rows_file: Path
    rejects_file: Path
    delimiter: str
    #: how messages name the file (see :attr:`RegisterFile.name`)
    name: str = ""


@dataclass(slots=True)
class PartResult:
    read: int
    #: rows rejected (the rejects file also lists values ignored in accepted rows)
    rejected: int
    #: the first issues met (see :data:`~dialer.register.issues.KEPT_ISSUES`), and all
    issues: list[ImportIssue]
    issue_count: int
    #: rows that name someone (a last name, or an id)
    named: int


def check_part(job: PartJob, progress: Callable[[int], None] | None = None) -> PartResult:
    """Check every row of ``job``'s part; ``progress`` is told the rows done every
    :data:`PROGRESS_EVERY` rows. Raises :class:`InputError` when the file is unreadable."""
    log = IssueLog(job.rejects_file, delimiter=job.delimiter)
    writer = PartWriter(job.rows_file)
    read = rejected = named = 0
    try:
        with _opened(job) as rows, _fewer_collections():
            columns = ColumnMap.build(job.headers, source=job.name or job.path, mapping=job.fields)
            checker = RowChecker(columns, today=job.today, report=log.add)
            add = writer.add
            for line, cells in rows:
                read += 1
                checked = checker.check(line, cells)
                if checked is None:
                    rejected += 1
                elif (record := checked.record) is None:
                    named += 1
                    rejected += 1
                    add((line, checked.key, checked.identity, 0, checked.key_cell, *_NO_PERSON))
                else:
                    named += 1
                    add(
                        (
                            line,
                            checked.key,
                            checked.identity,
                            1,
                            checked.key_cell,
                            *record.staged(),
                        ),
                        [
                            (line, position, phone.e164, str(phone.kind))
                            for position, phone in enumerate(record.phones)
                        ],
                    )
                if progress is not None and read % PROGRESS_EVERY == 0:
                    progress(read)
    finally:
        writer.close()
        log.close()
    return PartResult(read, rejected, log.kept, log.count, named)


@contextmanager
def _opened(job: PartJob) -> Iterator[Iterator[tuple[int, list[str]]]]:
    if job.layout is None or job.part is None:
        register = open_register(job.path, name=job.name)
    else:
        register = open_csv_part(job.path, job.layout, job.part, job.headers, name=job.name)
    with register:
        yield register.rows()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while millions of short-lived objects
    go by (about 10 % faster); the previous thresholds come back afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 50_000), previous[1], previous[2])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


async def check_parts(
    jobs: Sequence[PartJob],
    *,
    in_workers: bool,
    on_progress: Callable[[int], None] | None,
) -> list[PartResult]:
    """Every part checked: in a thread of this process (``in_workers`` false: one part
    only), else each in its own worker process. ``on_progress`` is told the rows done so
    far, last with their total. The workers are stopped if this is cancelled or one of
    them fails."""
    loop = asyncio.get_running_loop()
    reported = -1

    def progress(rows: int) -> None:
        nonlocal reported
        if on_progress is not None and rows > reported:
            reported = rows
            on_progress(rows)

    if in_workers:
        results = await _in_workers(jobs, progress)
    elif len(jobs) == 1:

        def from_thread(rows: int) -> None:
            loop.call_soon_threadsafe(progress, rows)

        results = [await asyncio.to_thread(check_part, jobs[0], from_thread)]
    else:
        raise ValueError("check_parts(): several parts need worker processes")
    progress(sum(result.read for result in results))
    return results


async def _in_workers(jobs: Sequence[PartJob], progress: Callable[[int], None]) -> list[PartResult]:
    context = multiprocessing.get_context("spawn")
    counters: Any = context.Array("q", len(jobs), lock=False)
    processes: list[Any] = []
    receivers: list[Connection] = []
    try:
        for index, job in enumerate(jobs):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker_main,
                args=(job, counters, index, sender),
                name=f"register-import-{index}",
                daemon=True,
            )
            process.start()
            sender.close()
            processes.append(process)
            receivers.append(receiver)
        results: list[PartResult | None] = [None] * len(jobs)
        while any(result is None for result in results):
            await asyncio.sleep(POLL_SECONDS)
            for index, receiver in enumerate(receivers):
                if results[index] is None and receiver.poll():
                    results[index] = _result(receiver)
            done = sum(counters)
            if done and any(result is None for result in results):
                progress(done)
        return [result for result in results if result is not None]
    finally:
        for receiver in receivers:
            receiver.close()
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            await asyncio.get_running_loop().run_in_executor(None, process.join)


def _result(receiver: Connection) -> PartResult:
    try:
        kind, payload = receiver.recv()
    except EOFError:
        raise StorageError("import worker process ended without a result") from None
    if kind == "error":
        raise payload
    result: PartResult = payload
    return result


def _worker_main(job: PartJob, counters: Any, index: int, connection: Connection) -> None:
    def progress(rows: int) -> None:
        counters[index] = rows

    try:
        result = check_part(job, progress)
        counters[index] = result.read
        connection.send(("done", result))
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that does not pickle
            connection.send(("error", InputError(str(exc))))
    finally:
        connection.close()
