"""Reading the files French offices export, one row at a time.

- CSV in UTF-8 (with or without BOM) or Windows-1252: the whole file is checked as strict
  UTF-8 first, in chunks, else as Windows-1252; a file that is neither, or holds NUL
  bytes, is refused. The separator (``;``, ``,`` or tab) is sniffed from the header line.
- XLSX (the first sheet), streamed with openpyxl's read-only mode. An old ``.xls`` file is
  refused with a hint.

Rows come as ``(line, cells)``: ``line`` is the line (CSV) or row (XLSX) number as a
spreadsheet shows it, the header being line 1 (or later when blank lines precede it);
cells are stripped strings. Memory does not grow with the file.

A big CSV can be cut into :class:`FilePart` byte ranges (:func:`split_csv`), each read by
its own process (:func:`open_csv_part`). A cut falls on a line end with an even number of
quotes before it, which is outside quoted fields unless a stray quote stands inside a
field (``D"Arc``): every part but the last is therefore read strictly, and one that ends
inside a quoted field raises :class:`MisplacedCut` (read the file in one piece then).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from dialer.errors import InputError, NotFoundError
from dialer.register.xlsx import XlsxSheet

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls (and .doc)
_CHUNK = 1 << 20
_SEPARATORS = (";", ",", "\t")
_BARE_CR = re.compile(rb"\r(?!\n)")

csv.field_size_limit(1 << 20)


@dataclass(frozen=True, slots=True)
class CsvLayout:
    encoding: str
    delimiter: str


@dataclass(frozen=True, slots=True)
class FilePart:
    """Bytes ``start`` to ``end`` (excluded) of a CSV, ``start`` being the beginning of
    line ``lines_before + 1``. The first part (``start`` 0) holds the header."""

    start: int
    end: int
    lines_before: int
    #: another part follows (this one must end between two records)
    followed: bool = False


class MisplacedCut(InputError):
    """A part of a CSV did not end between two records: the cuts are wrong for this file
    (a stray quote), which must be read in one piece."""


class RegisterFile:
    """An open register file: its ``headers`` and a single pass over its ``rows()``."""

    def __init__(self, path: Path, name: str = "") -> None:
        self.path = path
        #: how messages name the file: the name the user knows it by (an uploaded file's
        #: own name, never the server's temporary path)
        self.name = name or str(path)
        self.headers: list[str] = []
        #: how the file was read, for the report ("CSV UTF-8, séparateur ;", "XLSX")
        self.description = ""
        #: the separator to write the rejects file with
        self.delimiter = ";"
        self._rows: Iterator[tuple[int, list[str]]] = iter(())
        self._closers: list[Any] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer.close()
        self._closers.clear()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows after the header; blank rows are skipped."""
        return self._rows


def open_register(path: Path, *, name: str = "") -> RegisterFile:
    """Open a register (CSV or XLSX, told apart by content), read its header row. Raises
    :class:`InputError` naming the file (``name``, by default its path) when it cannot be
    read at all."""
    shown = name or str(path)
    if not path.is_file():
        raise NotFoundError(f"{shown} : fichier introuvable")
    with path.open("rb") as probe:
        magic = probe.read(8)
    if not magic:
        raise InputError(f"{shown} : le fichier est vide")
    if magic.startswith(_OLE_MAGIC):
        raise InputError(
            f"{shown} : ancien format Excel (.xls) non pris en charge ; "
            "enregistrez-le au format .xlsx ou CSV"
        )
    register = RegisterFile(path, shown)
    try:
        if magic.startswith(_ZIP_MAGIC):
            _open_xlsx(register)
        else:
            _open_csv(register)
    except BaseException:
        register.close()
        raise
    if not any(register.headers):
        register.close()
        raise InputError(f"{shown} : aucune ligne d'en-tête (le fichier ne contient que du vide)")
    return register


def detect_csv_layout(path: Path, *, name: str = "") -> CsvLayout:
    """The encoding (``utf-8-sig`` or ``cp1252``) and the separator of a CSV file."""
    encoding = _detect_encoding(path, name or str(path))
    with path.open(encoding=encoding, newline="") as text:
        header = ""
        for line in text:
            if line.strip():
                header = line
                break
    return CsvLayout(encoding, _sniff_delimiter(header))


def _detect_encoding(path: Path, shown: str) -> str:
    failure = ""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        offset = 0
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(_CHUNK):
                    if b"\x00" in chunk:
                        position = offset + chunk.index(b"\x00")
                        raise InputError(
                            f"{shown} : fichier binaire (octet nul à la position {position}) : "
                            "ni CSV ni XLSX"
                        )
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            failure = f"octet 0x{exc.object[exc.start]:02x} à la position {offset + exc.start}"
            continue
        return encoding
    raise InputError(
        f"{shown} : encodage illisible, ni UTF-8 ni Windows-1252 ({failure}) ; "
        "exportez le fichier en CSV UTF-8"
    )


def _sniff_delimiter(header: str) -> str:
    counts = {separator: _count_outside_quotes(header, separator) for separator in _SEPARATORS}
    best = max(counts, key=lambda separator: counts[separator])
    return best if counts[best] else ";"


def _count_outside_quotes(line: str, separator: str) -> int:
    count = 0
    quoted = False
    for character in line:
        if character == '"':
            quoted = not quoted
        elif character == separator and not quoted:
            count += 1
    return count


def split_csv(path: Path, count: int, *, smallest: int = 1 << 20) -> list[FilePart]:
    """Cut a CSV into about ``count`` parts of ``smallest`` bytes or more, each starting
    on a line that begins a record (an even number of quotes before it). One part when
    the file is small or has bare carriage returns (line ends this cannot count)."""
    size = path.stat().st_size
    count = max(1, min(count, size // smallest))
    targets = [size * index // count for index in range(1, count)]
    cuts: list[tuple[int, int]] = []  # (offset, lines before it)
    quotes = newlines = offset = 0
    with path.open("rb") as raw:
        while targets and (chunk := raw.read(_CHUNK)):
            bare = _BARE_CR.search(chunk)
            if bare is not None and bare.start() < len(chunk) - 1:  # "\r" "\n" cut apart: fine
                return [FilePart(0, size, 0)]
            end = offset + len(chunk)
            while targets and targets[0] < end:
                found = _line_start(chunk, max(0, targets[0] - offset), quotes)
                if found is None:
                    break
                cuts.append((offset + found, newlines + chunk.count(b"\n", 0, found)))
                targets.pop(0)
                targets = [t for t in targets if t > offset + found]
            quotes += chunk.count(b'"')
            newlines += chunk.count(b"\n")
            offset = end
            if targets and targets[0] < offset:  # no cut found in that chunk: try the next
                targets[0] = offset
    starts = [(0, 0), *cuts]
    ends = [start for start, _ in cuts] + [size]
    parts = [
        FilePart(start, end, lines)
        for (start, lines), end in zip(starts, ends, strict=True)
        if end > start
    ]
    return [FilePart(p.start, p.end, p.lines_before, p is not parts[-1]) for p in parts]


def _line_start(chunk: bytes, position: int, quotes_before: int) -> int | None:
    """The offset in ``chunk`` just after the first line end at or after ``position``
    that is outside quotes; None when the chunk has none."""
    while (newline := chunk.find(b"\n", position)) != -1:
        if (quotes_before + chunk.count(b'"', 0, newline)) % 2 == 0:
            return newline + 1
        position = newline + 1
    return None


def open_csv_part(
    path: Path, layout: CsvLayout, part: FilePart, headers: list[str], *, name: str = ""
) -> RegisterFile:
    """The rows of one part of a CSV (see :func:`split_csv`); the header row is skipped
    in the first part, and ``headers`` given for the others."""
    if part.start == 0:
        register = RegisterFile(path, name)
        _open_csv(register, layout, _ByteRange(path, 0, part.end), strict=part.followed)
        return register
    register = RegisterFile(path, name)
    register.headers = headers
    register.delimiter = layout.delimiter
    raw = _ByteRange(path, part.start, part.end)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding=_part_encoding(layout), newline="")
    register._closers.append(text)
    register._rows = _csv_records(
        register.name, text, layout.delimiter, part.lines_before, strict=part.followed
    )
    return register


def _part_encoding(layout: CsvLayout) -> str:
    """A BOM only ever starts the first part."""
    return "utf-8" if layout.encoding == "utf-8-sig" else layout.encoding


class _ByteRange(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, as a file."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        wanted = min(len(view), self._left)
        if wanted <= 0:
            return 0
        got = self._file.readinto(view[:wanted])
        self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def _open_csv(
    register: RegisterFile,
    layout: CsvLayout | None = None,
    raw: _ByteRange | None = None,
    *,
    strict: bool = False,
) -> None:
    if layout is None:
        layout = detect_csv_layout(register.path, name=register.name)
    text: io.TextIOBase
    if raw is None:
        text = register.path.open(encoding=layout.encoding, newline="")
    else:
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding=layout.encoding, newline="")
    register._closers.append(text)
    label = "UTF-8" if layout.encoding == "utf-8-sig" else "Windows-1252"
    register.description = f"CSV {label}, séparateur {_separator_name(layout.delimiter)}"
    register.delimiter = layout.delimiter
    rows = _csv_records(register.name, text, layout.delimiter, 0, strict=strict)
    for _line, cells in rows:
        register.headers = cells
        break
    register._rows = rows


def _csv_records(
    shown: str, text: Iterator[str], delimiter: str, lines_before: int, *, strict: bool
) -> Iterator[tuple[int, list[str]]]:
    """``strict``: a part followed by another, which must end between two records (any
    quoting error then means the cut was misplaced: :class:`MisplacedCut`)."""
    reader = csv.reader(text, delimiter=delimiter, strict=strict)
    previous_end = 0
    try:
        for cells in reader:
            start = lines_before + previous_end + 1
            previous_end = reader.line_num
            stripped = [cell.strip() for cell in cells]
            if any(stripped):
                yield start, stripped
    except csv.Error as exc:
        line = lines_before + previous_end + 1
        error = MisplacedCut if strict else InputError
        raise error(f"{shown}, ligne {line} : CSV illisible ({exc})") from exc


def _separator_name(delimiter: str) -> str:
    return {"\t": "tabulation"}.get(delimiter, delimiter)


def _open_xlsx(register: RegisterFile) -> None:
    sheet = XlsxSheet(register.path, register.name)
    register._closers.append(sheet)
    register.description = f"XLSX, feuille « {sheet.title} »"
    rows = sheet.rows()
    for _line, cells in rows:
        register.headers = cells
        break
    register._rows = rows
