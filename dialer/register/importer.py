"""Importing a register: read, validate, merge, diff against the database, apply.

Two passes over the file, neither keeping the rows:

1. the identity pass reads only who each row is (external id, or last name + first name +
   date of birth): it finds the duplicates to merge and the people to take off the
   register (stored, and no longer in the file);
2. the import pass validates each row, merges duplicates, tells added from changed from
   unchanged by fingerprint, and writes in batches (one transaction per batch, so the
   dialer is never locked out of the database for long).

What stays in memory grows with the number of people, not with the rows' contents: the
stored ``external id → fingerprint``, the file's keys (and a 64-bit hash per identity
while the first pass runs), each row's person key, and ``number → line`` for the
shared-number check. The file must not change between the passes (checked).

A file that cannot be read at all (format, encoding, missing column) is refused before
anything is written. People are never deleted: taken off the register, they keep their
attempts and results (``removed_at``). Rows are re-imported idempotently: an import that
stopped half-way can simply be run again.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from dialer.errors import InputError
from dialer.register.columns import ColumnMap, Field, load_mapping
from dialer.register.phones import PhoneError, normalise_phone
from dialer.register.reading import RegisterFile, open_register
from dialer.register.worker import BatchSink, PipeSink, run_in_worker
from dialer.storage.database import SessionFactory
from dialer.storage.models import PhoneKind
from dialer.storage.people import PersonRecord, PersonRepository, PhoneRecord, RegisterSnapshot

#: people written per transaction (a short write lock, yet few index rewrites)
BATCH_SIZE = 10_000
#: from this file size on, rows are read and validated in a worker process (its start-up,
#: about half a second, is not worth it for a small register)
WORKER_MIN_BYTES = 8 << 20
REJECTS_COLUMNS = ("line", "column", "value", "reason")

_FALSE_FLAGS = frozenset({"", "0", "non", "n", "no", "false", "faux", "aucun", "aucune", "neant"})
_COLUMN_KINDS = {Field.MOBILE: PhoneKind.MOBILE, Field.LANDLINE: PhoneKind.LANDLINE}
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_DATE_SHAPES = (
    re.compile(r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T][\d:.]+)?"),
)


class IssueKind(StrEnum):
    #: the row was not imported
    REJECTED_ROW = "rejected_row"
    #: one value was ignored (a secondary number, a date...), the row was imported
    IGNORED_VALUE = "ignored_value"
    #: the row repeats a person seen earlier in the file: merged into it
    DUPLICATE = "duplicate"
    #: a number another person in the file has too (allowed: a couple)
    SHARED_NUMBER = "shared_number"


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One thing to tell about one row: ``line`` as a spreadsheet numbers it, the column
    (its name in the file), the value, the reason, and the original row."""

    kind: IssueKind
    line: int
    column: str
    value: str
    reason: str
    row: tuple[str, ...] = ()

    @property
    def is_reject(self) -> bool:
        return self.kind in (IssueKind.REJECTED_ROW, IssueKind.IGNORED_VALUE)


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
    issues: list[ImportIssue] = field(default_factory=list)
    rejects_path: Path | None = None

    @property
    def rejections(self) -> list[ImportIssue]:
        """Rejected rows and ignored values (what the rejects file lists)."""
        return [issue for issue in self.issues if issue.is_reject]

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
    on_progress: Callable[[int], None] | None = None,
    now: datetime,
    in_worker: bool | None = None,
) -> ImportReport:
    """Import the register file at ``path`` (CSV or XLSX) into the database.

    Raises :class:`InputError` (naming the file and what is wrong) when the file cannot be
    read at all; nothing is written then. Rows with problems are rejected and reported
    (with line, column, value and reason) in the returned report and in a rejects CSV
    (``rejects_path``, by default ``<name>-rejets.csv`` beside the input, written only when
    there is something to report). ``dry_run`` computes the whole report and writes
    nothing to the database. ``on_progress`` is called with the number of rows done.
    ``in_worker``: read and validate in a second process while this one writes (default:
    for files of :data:`WORKER_MIN_BYTES` or more, where it pays for its start-up).
    """
    if now.tzinfo is None:
        raise InputError("import_register(): now must be an aware datetime")
    fields = load_mapping(mapping) if mapping is not None else None
    people = PersonRepository(session_factory)
    with open_register(path) as register:  # refused before the database is even read
        ColumnMap.build(register.headers, source=path, mapping=fields)
    job = _Job(path, fields, await people.snapshot(), now, dry_run, await people.dialect())
    if in_worker is None:
        in_worker = _file_stamp(path)[0] >= WORKER_MIN_BYTES
    if dry_run:
        outcome = await _run(job, people, in_worker=in_worker, on_progress=on_progress)
    else:
        async with people.bulk_writes():
            outcome = await _run(job, people, in_worker=in_worker, on_progress=on_progress)
        await people.remove(outcome.to_remove, now=now)
        await people.flag_shared_numbers()

    report = outcome.report
    if report.rejections:
        target = rejects_path or default_rejects_path(path)
        write_rejects(target, report.rejections, outcome.headers, delimiter=outcome.delimiter)
        report.rejects_path = target
    return report


@dataclass(frozen=True, slots=True)
class _Job:
    """What the analysis of a file needs (picklable: it may run in a worker process)."""

    path: Path
    fields: dict[str, Field] | None
    snapshot: RegisterSnapshot
    now: datetime
    dry_run: bool
    #: the database's dialect, which batches are encoded for
    dialect: str


@dataclass(slots=True)
class _Outcome:
    report: ImportReport
    #: people stored and on the register, that the file no longer lists
    to_remove: list[str]
    headers: list[str]
    delimiter: str


async def _run(
    job: _Job,
    people: PersonRepository,
    *,
    in_worker: bool,
    on_progress: Callable[[int], None] | None,
) -> _Outcome:
    if not in_worker:
        return await _analyse(job, people, on_progress)
    outcome = await run_in_worker(
        _analyse_in_worker, job, write=people.write_encoded, on_progress=on_progress
    )
    if on_progress is not None:
        on_progress(outcome.report.read)
    return outcome


async def _analyse_in_worker(job: _Job, sink: PipeSink) -> _Outcome:
    return await _analyse(job, sink, sink.progress)


async def _analyse(
    job: _Job, sink: BatchSink, on_progress: Callable[[int], None] | None
) -> _Outcome:
    """Both passes over the file; batches of people to write go to ``sink`` (unless a dry
    run). Raises :class:`InputError` when the file cannot be read."""
    path = job.path
    report = ImportReport(path, dry_run=job.dry_run)
    snapshot = job.snapshot
    stamp = _file_stamp(path)
    with open_register(path) as register, _fewer_collections():
        columns = ColumnMap.build(register.headers, source=path, mapping=job.fields)
        report.description = register.description
        report.ignored_columns = columns.ignored
        plan = _identity_pass(register.rows(), columns)
    to_remove = [key for key in snapshot.active if key not in plan.seen]
    plan.seen.clear()

    _check_unchanged(path, stamp)
    with open_register(path) as register, _fewer_collections():
        importer = _Importer(
            columns, snapshot, plan, report, sink, now=job.now, dry_run=job.dry_run
        )
        delimiter = register.delimiter
        await importer.run(register, on_progress)
    _check_unchanged(path, stamp)

    report.removed = len(to_remove)
    report.issues.sort(key=lambda issue: issue.line)
    return _Outcome(report, to_remove, columns.headers, delimiter)


def _file_stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _check_unchanged(path: Path, stamp: tuple[int, int]) -> None:
    """The two passes must read the same file."""
    if _file_stamp(path) != stamp:
        raise InputError(
            f"{path} : le fichier a été modifié pendant l'import ; relancez l'import "
            "(les lignes déjà enregistrées le seront à nouveau sans doublon)"
        )


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


def write_rejects(
    target: Path, issues: Iterable[ImportIssue], headers: list[str], *, delimiter: str = ";"
) -> None:
    """The rejects CSV (UTF-8 with BOM, so spreadsheets open it right): line, column,
    value, reason, then the original row under its own headers."""
    try:
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow([*REJECTS_COLUMNS, *headers])
            for issue in issues:
                writer.writerow([issue.line, issue.column, issue.value, issue.reason, *issue.row])
    except OSError as exc:
        raise InputError(f"{target} : impossible d'écrire le fichier des rejets ({exc})") from exc


# --- who a row is ----------------------------------------------------------------------


@dataclass(slots=True)
class _IdentityPlan:
    #: every key in the file (cleared once the removals are known)
    seen: set[str] = field(default_factory=set)
    #: a row's key → the key of the person it repeats (same name and birth, other id)
    alias: dict[str, str] = field(default_factory=dict)
    #: person key → how many rows of the file are that person, for the repeated ones
    occurrences: dict[str, int] = field(default_factory=dict)
    #: each row's person key, in file order (None: no last name), for the import pass
    persons: list[str | None] = field(default_factory=list)


def _identity_pass(rows: Iterable[tuple[int, list[str]]], columns: ColumnMap) -> _IdentityPlan:
    plan = _IdentityPlan()
    # identity → person; keyed by the identity's 64-bit hash, to keep a million of them small
    by_identity: dict[int, str] = {}
    persons = plan.persons
    for _line, cells in rows:
        who = _who(cells, columns)
        if who is None:
            persons.append(None)
            continue
        key, identity = who
        person = plan.alias.get(key, key)
        if identity is not None:
            owner = by_identity.setdefault(hash(identity), person)
            if owner != person and key not in plan.seen:
                plan.alias[key] = person = owner
        if person in plan.seen:
            plan.occurrences[person] = plan.occurrences.get(person, 1) + 1
        plan.seen.add(key)
        persons.append(person)
    return plan


def _who(cells: list[str], columns: ColumnMap) -> tuple[str, str | None] | None:
    """A row's key (external id, else derived from the identity) and identity (last name,
    first name, date of birth; None without a date of birth). None: no last name."""
    last_name = _cell(cells, columns.single.get(Field.LAST_NAME))
    if not last_name:
        return None
    first_name = _cell(cells, columns.single.get(Field.FIRST_NAME))
    birth = _parse_date(_cell(cells, columns.single.get(Field.BIRTH_DATE)))
    identity = None
    if birth is not None:
        identity = f"{_plain(last_name)}|{_plain(first_name)}|{birth.isoformat()}"
    external_id = _cell(cells, columns.single.get(Field.EXTERNAL_ID))
    if external_id:
        return external_id, identity
    basis = identity or (
        f"{_plain(last_name)}|{_plain(first_name)}|"
        f"{_plain(' '.join(_cell(cells, i) for i in columns.addresses))}"
    )
    return "auto:" + hashlib.blake2b(basis.encode(), digest_size=10).hexdigest(), identity


@lru_cache(maxsize=1 << 16)
def _plain(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces (names repeat:
    cached)."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_ALPHANUMERIC.sub(" ", folded).split())


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def _parse_date(text: str) -> date | None:
    if not text:
        return None
    if len(text) == 10 and text[2] == "/" and text[5] == "/":  # the usual dd/mm/yyyy
        try:
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
    for shape in _DATE_SHAPES:
        match = shape.fullmatch(text)
        if match is not None:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


# --- the import pass -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Positions:
    """Where each single-column field is in a row; an absent column points at ``blank``
    (a padding cell that is always empty)."""

    last_name: int
    first_name: int
    birth_date: int
    postcode: int
    city: int
    district: int
    contact_name: int
    contact_phone: int

    @classmethod
    def of(cls, columns: ColumnMap, *, blank: int) -> _Positions:
        def at(wanted: Field) -> int:
            return columns.single.get(wanted, blank)

        return cls(
            last_name=at(Field.LAST_NAME),
            first_name=at(Field.FIRST_NAME),
            birth_date=at(Field.BIRTH_DATE),
            postcode=at(Field.POSTCODE),
            city=at(Field.CITY),
            district=at(Field.DISTRICT),
            contact_name=at(Field.CONTACT_NAME),
            contact_phone=at(Field.CONTACT_PHONE),
        )


class _Importer:
    def __init__(
        self,
        columns: ColumnMap,
        snapshot: RegisterSnapshot,
        plan: _IdentityPlan,
        report: ImportReport,
        sink: BatchSink,
        *,
        now: datetime,
        dry_run: bool,
    ) -> None:
        self.columns = columns
        self.snapshot = snapshot
        self.plan = plan
        self.report = report
        self.sink = sink
        self.now = now
        self.dry_run = dry_run
        self.width = len(columns.headers)
        self.at = _Positions.of(columns, blank=self.width)
        self.has_flags = bool(columns.disability or columns.medical)
        #: duplicated people waiting for their last row: key → (record, first line)
        self.held: dict[str, tuple[PersonRecord, int]] = {}
        #: a number (E.164 digits) → the line of the first person who has it
        self.number_lines: dict[int, int] = {}
        self.shared: set[int] = set()
        self.added: list[PersonRecord] = []
        self.changed: list[PersonRecord] = []
        self.today = now.date()

    async def run(self, register: RegisterFile, on_progress: Callable[[int], None] | None) -> None:
        # Batches are written one after the other: overlapping a write (SQLite's thread)
        # with parsing measured slower, the two threads fighting over the GIL.
        persons = self.plan.persons
        report = self.report
        for ordinal, (line, cells) in enumerate(register.rows()):
            report.read += 1
            self._row(line, cells, persons[ordinal] if ordinal < len(persons) else None)
            if len(self.added) + len(self.changed) >= BATCH_SIZE:
                await self._write()
            if report.read % 1000 == 0:
                if on_progress is not None:
                    on_progress(report.read)
                await asyncio.sleep(0)  # let the rest of the application run
        for record, line in self.held.values():  # only when the two passes disagree
            self._emit(record, line)
        self.held.clear()
        await self._write()
        if on_progress is not None:
            on_progress(report.read)

    async def _write(self) -> None:
        added, changed = self.added, self.changed
        self.added, self.changed = [], []
        if not self.dry_run:
            await self.sink.write_batch(added, changed, now=self.now)

    def _row(self, line: int, cells: list[str], person: str | None) -> None:
        record = self._record(line, cells, person)
        if record is None:
            self.report.rejected += 1
        waiting = self.plan.occurrences.get(person, 0) if person is not None else 0
        if person is None or not waiting:
            if record is not None:
                self._emit(record, line)
            return
        # a person the file lists more than once: merge, emit after the last of their rows
        if record is not None:
            if person in self.held:
                first, first_line = self.held[person]
                self._merge(first, record, first_line, line, cells)
            else:
                self.held[person] = (record, line)
        if waiting > 1:
            self.plan.occurrences[person] = waiting - 1
            return
        del self.plan.occurrences[person]
        if person in self.held:
            self._emit(*self.held.pop(person))

    def _record(self, line: int, cells: list[str], key: str | None) -> PersonRecord | None:
        """The row as a record, or None when it is rejected (and reported)."""
        columns = self.columns
        width = self.width
        if len(cells) > width and any(cells[width:]):
            self._reject(
                line,
                "",
                next(cell for cell in cells[width:] if cell),
                f"ligne rejetée : {len(cells)} valeurs pour {width} colonnes "
                "(séparateur en trop ?)",
                cells,
            )
            return None
        if len(cells) <= width:  # cells[width] is the blank that absent columns point to
            cells.extend([""] * (width + 1 - len(cells)))
        at = self.at
        if key is None:
            self._reject(
                line, columns.header(at.last_name), "", "ligne rejetée : nom manquant", cells
            )
            return None

        phones = self._phones(line, cells)
        if not phones:
            return None

        record = PersonRecord(
            external_id=key,
            last_name=cells[at.last_name],
            first_name=cells[at.first_name],
            birth_date=self._birth_date(line, cells),
            address=" ".join(v for i in columns.addresses if (v := cells[i])) or None,
            postcode=self._postcode(cells[at.postcode]),
            city=cells[at.city] or None,
            district=cells[at.district] or None,
            contact_name=cells[at.contact_name] or None,
            contact_phone=self._contact_phone(line, cells),
            phones=phones,
        )
        if self.has_flags:
            self._flags(record, cells)
        return record

    def _phones(self, line: int, cells: list[str]) -> list[PhoneRecord]:
        """The row's valid numbers in order, duplicates dropped. Invalid ones are reported:
        as ignored values when another number is valid, else as the row's rejection."""
        columns = self.columns
        problems: list[tuple[int, str, str]] = []
        phones: list[PhoneRecord] = []
        present = False
        for index, column_field in columns.phones:
            value = cells[index]
            if not value:
                continue
            present = True
            try:
                phone = normalise_phone(value)
            except PhoneError as error:
                problems.append((index, value, error.reason))
                continue
            if all(phone.e164 != known.e164 for known in phones):
                if phone.kind is PhoneKind.OTHER and column_field in _COLUMN_KINDS:
                    phone = PhoneRecord(phone.e164, _COLUMN_KINDS[column_field])
                phones.append(phone)
        if not phones:
            if not present:
                names = ", ".join(f"« {columns.header(i)} »" for i, _ in columns.phones)
                self._reject(
                    line, columns.header(columns.phones[0][0]), "",
                    f"ligne rejetée : aucun numéro de téléphone ({names} vides)", cells,
                )  # fmt: skip
            for index, value, reason in problems:
                self._reject(
                    line, columns.header(index), value,
                    f"ligne rejetée, aucun numéro valide : {reason}", cells,
                )  # fmt: skip
            return phones
        for index, value, reason in problems:
            self._ignore(line, columns.header(index), value, f"numéro ignoré : {reason}", cells)

        return phones

    def _birth_date(self, line: int, cells: list[str]) -> date | None:
        index = self.at.birth_date
        text = cells[index]
        if not text:
            return None
        birth = _parse_date(text)
        if birth is None or not date(1880, 1, 1) <= birth <= self.today:
            self._ignore(
                line,
                self.columns.header(index),
                text,
                "date de naissance ignorée : date invalide (attendu JJ/MM/AAAA)",
                cells,
            )
            return None
        return birth

    @staticmethod
    def _postcode(text: str) -> str | None:
        if len(text) == 4 and text.isdigit():  # a spreadsheet dropped the leading zero
            return "0" + text
        return text or None

    def _contact_phone(self, line: int, cells: list[str]) -> str | None:
        index = self.at.contact_phone
        text = cells[index]
        if not text:
            return None
        try:
            return normalise_phone(text).e164
        except PhoneError as error:
            header = self.columns.header(index)
            self._ignore(line, header, text, f"numéro du contact ignoré : {error.reason}", cells)
            return None

    def _flags(self, record: PersonRecord, cells: list[str]) -> None:
        for indexes, is_medical in ((self.columns.disability, False), (self.columns.medical, True)):
            for index in indexes:
                value = _cell(cells, index)
                if not value:
                    continue
                record.register_flags[self.columns.header(index)] = value
                if _plain(value) not in _FALSE_FLAGS:
                    if is_medical:
                        record.medical_flag = True
                    else:
                        record.disabled = True

    def _merge(
        self,
        first: PersonRecord,
        later: PersonRecord,
        first_line: int,
        line: int,
        cells: list[str],
    ) -> None:
        """Unite ``later`` into ``first``: numbers appended in order, empty fields filled."""
        known = {phone.e164 for phone in first.phones}
        first.phones.extend(phone for phone in later.phones if phone.e164 not in known)
        for name in ("first_name", "address", "postcode", "city", "district", "birth_date"):
            if not getattr(first, name) and getattr(later, name):
                setattr(first, name, getattr(later, name))
        for name in ("contact_name", "contact_phone"):
            if getattr(first, name) is None:
                setattr(first, name, getattr(later, name))
        for column, value in later.register_flags.items():
            first.register_flags.setdefault(column, value)
        first.disabled = first.disabled or later.disabled
        first.medical_flag = first.medical_flag or later.medical_flag
        id_index = self.columns.single.get(Field.EXTERNAL_ID)
        if id_index is not None and cells[id_index] == first.external_id:
            same = "même identifiant"
        elif first.birth_date is not None:
            same = "mêmes nom, prénom et date de naissance"
        else:
            same = "mêmes nom, prénom et adresse"
        key_index = self.columns.single.get(Field.EXTERNAL_ID, self.columns.single[Field.LAST_NAME])
        self.report.merged_duplicates += 1
        self.report.issues.append(
            ImportIssue(
                IssueKind.DUPLICATE,
                line,
                self.columns.header(key_index),
                _cell(cells, key_index),
                f"doublon fusionné avec la ligne {first_line} ({same})",
            )
        )

    def _emit(self, record: PersonRecord, line: int) -> None:
        for phone in record.phones:
            number = int(phone.e164[1:])
            owner = self.number_lines.setdefault(number, line)
            if owner != line:
                if number not in self.shared:
                    self.shared.add(number)
                    self.report.shared_numbers += 1
                self.report.issues.append(
                    ImportIssue(
                        IssueKind.SHARED_NUMBER,
                        line,
                        "",
                        phone.e164,
                        f"numéro partagé avec la personne de la ligne {owner} (signalé, gardé)",
                    )
                )
        key = record.external_id
        stored = self.snapshot.active.get(key)
        if stored is None:
            if key in self.snapshot.removed:
                self.report.changed += 1
                self.changed.append(record)
            else:
                self.report.added += 1
                self.added.append(record)
        elif stored == record.fingerprint():
            self.report.unchanged += 1
        else:
            self.report.changed += 1
            self.changed.append(record)

    def _reject(self, line: int, column: str, value: str, reason: str, cells: list[str]) -> None:
        row = self._original(cells)
        self.report.issues.append(
            ImportIssue(IssueKind.REJECTED_ROW, line, column, value, reason, row)
        )

    def _ignore(self, line: int, column: str, value: str, reason: str, cells: list[str]) -> None:
        row = self._original(cells)
        self.report.issues.append(
            ImportIssue(IssueKind.IGNORED_VALUE, line, column, value, reason, row)
        )

    def _original(self, cells: list[str]) -> tuple[str, ...]:
        """The row as read (without the padding added for absent cells)."""
        if len(cells) > self.width and any(cells[self.width :]):
            return tuple(cells)
        return tuple(cells[: self.width])
