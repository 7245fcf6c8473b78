"""Importing a register: read, check, merge, diff against the database, apply.

One pass over the file, in parts read side by side on a multi-core machine
(:mod:`dialer.register.worker`): each row is checked (:mod:`dialer.register.rows`) and
appended to a scratch file on disk. Everything that spans rows (duplicates to merge,
people to add, change or take off the register, numbers two people share) is then worked
out in SQL over those files (:mod:`dialer.storage.staging`), and applied to the database
in one transaction (:mod:`dialer.storage.staged_import`): a broken import writes
nothing. Memory does not grow with the file: rows, keys and numbers live on disk, the
report keeps the first issues, and the rejects file is written as rows are read.

A file that cannot be read at all (format, encoding, missing column, a broken line) is
refused before anything is written. People are never deleted: taken off the register,
they keep their attempts and results (``removed_at``).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from dialer.core.selection import check_list_name
from dialer.errors import InputError
from dialer.register.columns import ColumnMap, Field, load_mapping
from dialer.register.issues import KEPT_ISSUES, ImportIssue, IssueKind, write_rejects
from dialer.register.reading import (
    FilePart,
    MisplacedCut,
    detect_csv_layout,
    open_register,
    split_csv,
)
from dialer.register.rows import merge
from dialer.register.worker import PartJob, PartResult, check_parts
from dialer.storage.database import SessionFactory
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.storage.people import PersonRecord
from dialer.storage.staged_import import StagedImport
from dialer.storage.staging import Counts, Staging

#: from this file size on, rows are checked in worker processes, one per processor (their
#: start-up, about half a second, is not worth it for a small register)
WORKER_MIN_BYTES = 8 << 20
#: at most this many worker processes
MAX_WORKERS = 4
#: from this many people written on, the index of numbers is rebuilt rather than updated
BULK_WRITES = 50_000

_log = logging.getLogger(__name__)

__all__ = [
    "ImportIssue",
    "ImportProgress",
    "ImportReport",
    "ImportStep",
    "IssueKind",
    "default_rejects_path",
    "import_register",
]


class ImportStep(StrEnum):
    """The steps of an import, in order, named as the progress display shows them."""

    CHECK = "Vérification des lignes"
    MATCH = "Rapprochement des lignes et du registre"
    WRITE = "Écriture des personnes"
    FINISH = "Retraits et numéros partagés"


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far an import is: its step, and how far into it. ``CHECK``: rows checked
    (``total`` 0, the importer does not count the file's rows first); ``WRITE``: people
    added or changed so far, out of ``total``, after each batch; ``MATCH`` and ``FINISH``:
    told once, when they start (0 of 0). A dry run writes nothing: it ends with
    ``MATCH``."""

    step: ImportStep
    done: int = 0
    total: int = 0


@dataclass
class ImportReport:
    path: Path
    description: str = ""
    dry_run: bool = False
    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    merged_duplicates: int = 0
    shared_numbers: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    #: the first issues, by line (at most :data:`~dialer.register.issues.KEPT_ISSUES`)
    issues: list[ImportIssue] = field(default_factory=list)
    #: every issue, kept or not
    issue_count: int = 0
    rejects_path: Path | None = None

    def summary_fr(self) -> str:
        """One French sentence for the command line."""
        parts = [
            _count(self.read, "ligne lue", "lignes lues"),
            _count(self.added, "ajoutée", "ajoutées"),
            _count(self.changed, "modifiée", "modifiées"),
            _count(self.unchanged, "inchangée", "inchangées"),
            _count(self.removed, "retirée du registre", "retirées du registre"),
            _count(self.merged_duplicates, "doublon fusionné", "doublons fusionnés"),
            _count(self.shared_numbers, "numéro partagé", "numéros partagés"),
            _count(self.rejected, "rejetée", "rejetées"),
        ]
        text = ", ".join(parts)
        if self.rejects_path is not None:
            text += f" (voir {self.rejects_path.name})"
        text += "."
        if self.dry_run:
            text = "Simulation, rien n'a été enregistré : " + text
        return text


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,}".replace(",", " ") + " " + (plural if number >= 2 else singular)


def default_rejects_path(path: Path) -> Path:
    """``registre.csv`` → ``registre-rejets.csv`` beside it."""
    return path.with_name(f"{path.stem}-rejets.csv")


async def import_register(
    session_factory: SessionFactory,
    path: Path,
    *,
    mapping: Path | None = None,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    on_progress: Callable[[ImportProgress], None] | None = None,
    now: datetime,
    in_worker: bool | None = None,
    name: str = "",
    mapping_name: str = "",
    list_name: str = DEFAULT_LIST,
) -> ImportReport:
    """Import the register file at ``path`` (CSV or XLSX) into the database.

    Raises :class:`InputError` (naming the file and what is wrong) when the file cannot be
    read at all; nothing is written then. Rows with problems are rejected and reported
    (with line, column, value and reason) in the returned report and in a rejects CSV
    (``rejects_path``, by default ``<name>-rejets.csv`` beside the input, written only when
    there is something to report). ``dry_run`` computes the whole report and writes
    nothing to the database. ``on_progress`` is told where the import is
    (:class:`ImportProgress`): rows checked every thousand, then each later step.
    ``in_worker``: check the rows in worker processes (default: for files of
    :data:`WORKER_MIN_BYTES` or more, where they pay for their start-up). ``name`` and
    ``mapping_name``: how messages name the files (an uploaded file's own name, never the
    server's temporary path; by default their paths). ``list_name``: the list the file is
    (:mod:`dialer.storage.list_rows`): its people go on it, and the people of that list the
    file no longer names leave it (and the register, when they are on no other list).

    The file is only ever read in a thread or a worker process, never on the event loop.
    """
    if now.tzinfo is None:
        raise InputError("import_register(): now must be an aware datetime")
    shown = name or str(path)
    check_list_name(list_name)
    # refused before the database is even read
    head = await asyncio.to_thread(_read_head, path, shown, mapping, mapping_name)
    fields, columns, delimiter = head.fields, head.columns, head.delimiter
    is_csv = head.description.startswith("CSV")
    report = ImportReport(path, description=head.description, dry_run=dry_run)
    report.ignored_columns = columns.ignored
    stamp = _file_stamp(path)
    if in_worker is None:
        in_worker = stamp[0] >= WORKER_MIN_BYTES
    tell = on_progress or _ignore
    with tempfile.TemporaryDirectory(
        prefix="dialer-import-", dir=_scratch_dir(session_factory)
    ) as folder:
        scratch = Path(folder)
        staging = scratch / "staging.sqlite"
        started = time.perf_counter()
        plan = _Plan(path, columns, fields, scratch, delimiter, now, shown)
        split = in_worker and is_csv
        jobs, results = await _check(
            plan,
            StagedImport(session_factory, staging, list_name=list_name).copy_stored(),
            split=split,
            in_worker=in_worker,
            on_progress=lambda rows: tell(ImportProgress(ImportStep.CHECK, rows)),
        )
        _log.info("%s: rows checked in %d part(s), %.1f s", path, len(jobs), _since(started))
        if _file_stamp(path) != stamp:
            raise InputError(
                f"{shown} : le fichier a été modifié pendant l'import ; relancez l'import"
            )
        if not any(result.named for result in results):
            raise InputError(
                f"{shown} : aucune ligne ne désigne une personne (pas de ligne de données, ou "
                "nom manquant partout) ; import refusé, le registre n'est pas modifié"
            )
        database = StagedImport(
            session_factory, staging, [job.rows_file for job in jobs], list_name=list_name
        )
        tell(ImportProgress(ImportStep.MATCH))
        counts = await asyncio.to_thread(
            _work_out, database.staging, database.parts, columns, results, report
        )
        report.added, report.changed = counts.added, counts.changed
        report.unchanged, report.removed = counts.unchanged, counts.removed
        _log.info("%s: worked out, %.1f s", path, _since(started))
        if not dry_run:
            await _write(database, counts, now=now, tell=tell)
            _log.info("%s: written, %.1f s", path, _since(started))
        rejections = [job.rejects_file for job in jobs]
        if any(part.exists() for part in rejections):
            target = rejects_path or default_rejects_path(path)
            await asyncio.to_thread(
                write_rejects, target, rejections, columns.headers, delimiter=delimiter
            )
            report.rejects_path = target
    return report


async def _check(
    plan: _Plan,
    copy_stored: Coroutine[Any, Any, None],
    *,
    split: bool,
    in_worker: bool,
    on_progress: Callable[[int], None] | None,
) -> tuple[list[PartJob], list[PartResult]]:
    """Every row checked (in parts when ``split``), while ``copy_stored`` copies what the
    database holds into the staging file."""
    copied = asyncio.create_task(copy_stored)
    try:
        jobs = await asyncio.to_thread(plan.jobs, split=split)
        try:
            results = await check_parts(jobs, in_workers=in_worker, on_progress=on_progress)
        except MisplacedCut:  # a stray quote misled the cuts: read in one piece
            _log.info("%s: read again in one piece (quotes inside fields)", plan.path)
            jobs = await asyncio.to_thread(plan.jobs, split=False, name="whole")
            results = await check_parts(jobs, in_workers=in_worker, on_progress=on_progress)
    except BaseException:
        copied.cancel()
        with suppress(BaseException):  # the checking's error is the one to tell
            await copied
        raise
    await copied
    return jobs, results


async def _write(
    database: StagedImport,
    counts: Counts,
    *,
    now: datetime,
    tell: Callable[[ImportProgress], None],
) -> None:
    """Apply what :func:`_work_out` found, in one transaction (all or nothing). The
    shared-number flags are always worked out again."""
    writes = counts.added + counts.changed
    done = 0

    def written(batch: int) -> None:
        nonlocal done
        done += batch
        tell(ImportProgress(ImportStep.WRITE, done, writes))

    await database.apply(
        now=now,
        many=writes >= BULK_WRITES,
        on_batch=written,
        on_finish=lambda: tell(ImportProgress(ImportStep.FINISH)),
    )


def _ignore(progress: ImportProgress) -> None:
    """No one follows the import's progress."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the checking of a file needs, to cut it into :class:`PartJob` s."""

    path: Path
    columns: ColumnMap
    fields: dict[str, Field] | None
    scratch: Path
    delimiter: str
    now: datetime
    #: how messages name the file
    shown: str

    def jobs(self, *, split: bool, name: str = "part") -> list[PartJob]:
        layout = detect_csv_layout(self.path, name=self.shown) if split else None
        parts: list[FilePart | None] = [None]
        if layout is not None:
            parts = list(split_csv(self.path, min(os.cpu_count() or 1, MAX_WORKERS)))
        return [
            PartJob(
                path=self.path,
                headers=self.columns.headers,
                fields=self.fields,
                layout=layout,
                part=part,
                today=self.now.date(),
                rows_file=self.scratch / f"{name}-{index}.sqlite",
                rejects_file=self.scratch / f"{name}-{index}-rejets.csv",
                delimiter=self.delimiter,
                name=self.shown,
            )
            for index, part in enumerate(parts)
        ]


@dataclass(frozen=True, slots=True)
class _Head:
    """What the header row of a file tells, before any row is checked."""

    fields: dict[str, Field] | None
    columns: ColumnMap
    description: str
    delimiter: str


def _read_head(path: Path, shown: str, mapping: Path | None, mapping_name: str) -> _Head:
    """The mapping and the header row (in a thread: an XLSX is unpacked to find it)."""
    fields = load_mapping(mapping, name=mapping_name) if mapping is not None else None
    with open_register(path, name=shown) as register:
        columns = ColumnMap.build(register.headers, source=shown, mapping=fields)
        return _Head(fields, columns, register.description, register.delimiter)


def _scratch_dir(sessions: SessionFactory) -> Path | None:
    """Where the import's scratch files go: beside a SQLite database (the system's
    temporary directory may be in memory), else the system's temporary directory."""
    url = sessions.kw["bind"].url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent
    return None


def _since(started: float) -> float:
    return time.perf_counter() - started


def _file_stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _work_out(
    staging_path: Path,
    parts: Sequence[Path],
    columns: ColumnMap,
    results: list[PartResult],
    report: ImportReport,
) -> Counts:
    """Everything that spans rows, over the part files (in a thread: plain ``sqlite3``);
    fills ``report`` but for the counts of what the import does, returned."""
    report.read = sum(result.read for result in results)
    report.rejected = sum(result.rejected for result in results)
    report.issue_count = sum(result.issue_count for result in results)
    found = [issue for result in results for issue in result.issues]
    staging = Staging(staging_path, parts)
    try:
        staging.find_repeated()
        duplicates = _merge_repeated(staging, columns, report)
        counts = staging.compare()
        report.shared_numbers, shared = staging.shared_numbers()
        shared_issues = _kept(
            report,
            (
                ImportIssue(
                    IssueKind.SHARED_NUMBER,
                    number.line,
                    "",
                    number.e164,
                    f"numéro partagé avec la personne de la ligne {number.owner_line} "
                    "(signalé, gardé)",
                )
                for number in shared
            ),
        )
    finally:
        staging.close()
    merged = heapq.merge(found, duplicates, shared_issues, key=lambda issue: issue.line)
    report.issues = [issue for issue, _ in zip(merged, range(KEPT_ISSUES), strict=False)]
    return counts


def _merge_repeated(
    staging: Staging, columns: ColumnMap, report: ImportReport
) -> list[ImportIssue]:
    """Unite the rows of each person the file lists more than once (same key, or a new key
    with an identity met first under another key: see :meth:`Staging.find_repeated`) and
    store the people; the duplicates' issues, the first :data:`KEPT_ISSUES` by line."""
    id_column = columns.single.get(Field.EXTERNAL_ID)
    key_header = columns.header(
        id_column if id_column is not None else columns.single[Field.LAST_NAME]
    )
    kept: list[tuple[int, int, ImportIssue]] = []  # a heap of the lowest lines
    for person, rows in staging.repeated_people():
        (first_row, first_phones), *later = rows
        first_line = first_row[0]
        first = PersonRecord.from_staged(person, first_row[5:], first_phones)
        for row, phones in later:
            merge(first, PersonRecord.from_staged(person, row[5:], phones))
            line, key_cell = row[0], row[4]
            if id_column is not None and key_cell == person:
                same = "même identifiant"
            elif first.birth_date is not None:
                same = "mêmes nom, prénom et date de naissance"
            else:
                same = "mêmes nom, prénom et adresse"
            report.merged_duplicates += 1
            report.issue_count += 1
            issue = ImportIssue(
                IssueKind.DUPLICATE,
                line,
                key_header,
                key_cell,
                f"doublon fusionné avec la ligne {first_line} ({same})",
            )
            # people come by first line, their duplicates in any order: keep the lowest
            heapq.heappush(kept, (-line, report.issue_count, issue))
            if len(kept) > KEPT_ISSUES:
                heapq.heappop(kept)
        staging.add_person(
            (first_line, person, first_row[2], 1, first_row[4], *first.staged()),
            [(phone.e164, phone.kind.value) for phone in first.phones],
        )
    return sorted((issue for _, _, issue in kept), key=lambda issue: issue.line)


def _kept(report: ImportReport, issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    """The first :data:`KEPT_ISSUES` of ``issues`` (in line order), all of them counted."""
    kept: list[ImportIssue] = []
    for issue in issues:
        report.issue_count += 1
        if len(kept) < KEPT_ISSUES:
            kept.append(issue)
    return kept
