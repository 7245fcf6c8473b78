"""What an import tells about rows: rejected rows, ignored values, merges, shared numbers.

Every issue is counted; the first :data:`KEPT_ISSUES` (by line) are kept for the report,
and every rejection (rejected row or ignored value) goes to the rejects file as it is met,
so a register full of errors costs disk, not memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from dialer.csv_output import InertCsvWriter, csv_writer
from dialer.errors import InputError

#: issues kept in a report (the rejects file lists every rejection)
KEPT_ISSUES = 1000
REJECTS_COLUMNS = ("line", "column", "value", "reason")


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


class IssueLog:
    """The issues of one part of a file, met in line order: counted, the first kept, the
    rejections written to ``rejects`` (CSV rows without a header, opened when the first
    one comes)."""

    def __init__(self, rejects: Path, *, delimiter: str, keep: int = KEPT_ISSUES) -> None:
        self.rejects = rejects
        self.delimiter = delimiter
        self.keep = keep
        self.kept: list[ImportIssue] = []
        self.count = 0
        self.rejections = 0
        self._handle: IO[str] | None = None
        self._writer: InertCsvWriter | None = None

    def add(self, issue: ImportIssue) -> None:
        self.count += 1
        if len(self.kept) < self.keep:
            self.kept.append(issue)
        if issue.is_reject:
            self.rejections += 1
            if self._writer is None:
                self._handle = self.rejects.open("w", encoding="utf-8", newline="")
                self._writer = csv_writer(self._handle, delimiter=self.delimiter)
            self._writer.writerow([issue.line, issue.column, issue.value, issue.reason, *issue.row])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None


def write_rejects(
    target: Path, parts: list[Path], headers: list[str], *, delimiter: str = ";"
) -> None:
    """The rejects CSV (UTF-8 with BOM, so spreadsheets open it right): line, column,
    value, reason, then the original row under its own headers; the rows are those the
    parts' :class:`IssueLog` wrote, in order."""
    try:
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            csv_writer(handle, delimiter=delimiter).writerow([*REJECTS_COLUMNS, *headers])
            for part in parts:
                if part.exists():
                    with part.open(encoding="utf-8", newline="") as rows:
                        while chunk := rows.read(1 << 20):
                            handle.write(chunk)
    except OSError as exc:
        raise InputError(f"{target} : impossible d'écrire le fichier des rejets ({exc})") from exc
