"""Reading the files French offices export, one row at a time.

- CSV in UTF-8 (with or without BOM) or Windows-1252: the whole file is checked as strict
  UTF-8 first, in chunks, else as Windows-1252; a file that is neither, or holds NUL
  bytes, is refused. The separator (``;``, ``,`` or tab) is sniffed from the header line.
- XLSX (the first sheet), streamed with openpyxl's read-only mode. An old ``.xls`` file is
  refused with a hint.

Rows come as ``(line, cells)``: ``line`` is the line (CSV) or row (XLSX) number as a
spreadsheet shows it, the header being line 1 (or later when blank lines precede it);
cells are stripped strings. Memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import openpyxl  # type: ignore[import-untyped]  # no stubs (types-openpyxl not installed)
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from dialer.errors import InputError, NotFoundError

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls (and .doc)
_CHUNK = 1 << 20
_SEPARATORS = (";", ",", "\t")

csv.field_size_limit(1 << 20)


@dataclass(frozen=True, slots=True)
class CsvLayout:
    encoding: str
    delimiter: str


class RegisterFile:
    """An open register file: its ``headers`` and a single pass over its ``rows()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
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


def open_register(path: Path) -> RegisterFile:
    """Open a register (CSV or XLSX, told apart by content), read its header row. Raises
    :class:`InputError` naming the file when it cannot be read at all."""
    if not path.is_file():
        raise NotFoundError(f"{path} : fichier introuvable")
    with path.open("rb") as probe:
        magic = probe.read(8)
    if not magic:
        raise InputError(f"{path} : le fichier est vide")
    if magic.startswith(_OLE_MAGIC):
        raise InputError(
            f"{path} : ancien format Excel (.xls) non pris en charge ; "
            "enregistrez-le au format .xlsx ou CSV"
        )
    register = RegisterFile(path)
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
        raise InputError(f"{path} : aucune ligne d'en-tête (le fichier ne contient que du vide)")
    return register


def detect_csv_layout(path: Path) -> CsvLayout:
    """The encoding (``utf-8-sig`` or ``cp1252``) and the separator of a CSV file."""
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        header = ""
        for line in text:
            if line.strip():
                header = line
                break
    return CsvLayout(encoding, _sniff_delimiter(header))


def _detect_encoding(path: Path) -> str:
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
                            f"{path} : fichier binaire (octet nul à la position {position}) : "
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
        f"{path} : encodage illisible, ni UTF-8 ni Windows-1252 ({failure}) ; "
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


def _open_csv(register: RegisterFile) -> None:
    layout = detect_csv_layout(register.path)
    text = register.path.open(encoding=layout.encoding, newline="")
    register._closers.append(text)
    reader = csv.reader(text, delimiter=layout.delimiter)
    label = "UTF-8" if layout.encoding == "utf-8-sig" else "Windows-1252"
    register.description = f"CSV {label}, séparateur {_separator_name(layout.delimiter)}"
    register.delimiter = layout.delimiter

    def records() -> Iterator[tuple[int, list[str]]]:
        previous_end = 0
        try:
            for cells in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                stripped = [cell.strip() for cell in cells]
                if any(stripped):
                    yield start, stripped
        except csv.Error as exc:
            raise InputError(
                f"{register.path}, ligne {previous_end + 1} : CSV illisible ({exc})"
            ) from exc

    rows = records()
    for _line, cells in rows:
        register.headers = cells
        break
    register._rows = rows


def _separator_name(delimiter: str) -> str:
    return {"\t": "tabulation"}.get(delimiter, delimiter)


def _open_xlsx(register: RegisterFile) -> None:
    # a file object, not the path: openpyxl would refuse a workbook not named .xlsx
    handle = register.path.open("rb")
    register._closers.append(handle)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{register.path} : classeur XLSX illisible ({exc})") from exc
    register._closers.append(workbook)
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise InputError(f"{register.path} : le classeur ne contient aucune feuille")
    register.description = f"XLSX, feuille « {sheet.title} »"

    def records() -> Iterator[tuple[int, list[str]]]:
        line = 0
        try:
            for values in sheet.iter_rows(values_only=True):
                line += 1
                cells = [_cell_text(value) for value in values]
                if any(cells):
                    yield line, cells
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputError(
                f"{register.path}, ligne {line + 1} : classeur XLSX illisible ({exc})"
            ) from exc

    rows = records()
    for _line, cells in rows:
        register.headers = cells
        break
    register._rows = rows


def _cell_text(value: object) -> str:
    """A cell as text: dates as dd/mm/yyyy, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
