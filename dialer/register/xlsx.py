"""Reading the first sheet of an XLSX register, with bounds an attacker cannot push.

An XLSX file is a ZIP archive of XML parts; the archive is opened and its parts streamed
by :mod:`dialer.register.xlsx_archive`, which refuses ZIP bombs, too many parts and
document type declarations. A few kilobytes can also declare a sheet as wide as Excel
allows (``A1:XFD8001``) or hold millions of shared strings. This reader trusts none of it:
the declared dimension is ignored: a row is as wide as its last cell holding a value, and a
value beyond column :data:`MAX_COLUMNS`, a row beyond :data:`MAX_ROWS`, a text of more
than :data:`MAX_CELL_CHARACTERS`, or more than :data:`MAX_SHARED_STRINGS` shared strings
(:data:`MAX_SHARED_CHARACTERS` characters in all) refuse the file at once.

Every refusal is an :class:`~dialer.errors.InputError` naming the file, the part (and the
cell when there is one) and the bound crossed, in French.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl.styles.numbers import (  # type: ignore[import-untyped]
    BUILTIN_FORMATS,
    is_date_format,
)
from openpyxl.utils.datetime import (  # type: ignore[import-untyped]
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
)

from dialer.errors import InputError
from dialer.register.xlsx_archive import XlsxArchive, XmlHandlers, thousands

#: rows of a sheet (the last row holding a value); a bigger register goes in CSV
MAX_ROWS = 200_000
#: columns of a sheet (IV, the old Excel's last column)
MAX_COLUMNS = 256
#: characters of one cell (Excel's own limit)
MAX_CELL_CHARACTERS = 32_767
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_CHARACTERS = 32 << 20
#: a row's start tag (``<row …>``, ``<x:row>``); the tail of a chunk is counted with the
#: next chunk
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s/>]")
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})(\d*)$")


class XlsxSheet:
    """The first sheet of a workbook: its ``title``, and a single pass over its
    ``rows()``: ``(row number, cells as text)``, rows without a value skipped."""

    def __init__(self, path: Path, name: str) -> None:
        self._name = name
        self._archive = XlsxArchive(path, name)
        try:
            workbook = self._find_workbook()
            self.title, sheet_part, links = self._first_sheet(workbook)
            self._sheet_part = sheet_part
            self._epoch = self._epoch_of(workbook)
            styles = links.get("styles")
            self._dates = self._date_styles(styles) if styles else frozenset()
            shared = links.get("sharedStrings")
            self._shared = self._shared_strings(shared) if shared else []
            self._shared_part = shared or "xl/sharedStrings.xml"
        except BaseException:
            self._archive.close()
            raise

    def close(self) -> None:
        self._archive.close()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        self._archive.count_tags(
            self._sheet_part,
            _ROW_TAG,
            MAX_ROWS,
            f"{thousands(MAX_ROWS)} lignes ; enregistrez un registre aussi grand au format CSV",
        )
        reader = _SheetReader(self)
        yield from self._archive.parse(self._sheet_part, reader, reader.taken)

    def _refuse(self, what: str) -> InputError:
        return self._archive.refuse(what)

    def _unreadable(self, part: str, what: str) -> InputError:
        return self._archive.unreadable(part, what)

    # ---- the workbook -----------------------------------------------------------------
    def _find_workbook(self) -> str:
        links = self._links("_rels/.rels", "")
        return links.get("officeDocument", "xl/workbook.xml")

    def _links(self, part: str, base: str) -> dict[str, str]:
        """Relationship type (its last word) or id → the part it points to."""
        found: dict[str, str] = {}
        if not self._archive.has(part):
            return found

        def start(tag: str, attributes: dict[str, str]) -> None:
            if _local(tag) == "Relationship" and "Target" in attributes:
                target = attributes["Target"]
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(base, target))
                found.setdefault(attributes.get("Type", "").rsplit("/", 1)[-1], target)
                found[attributes.get("Id", "")] = target

        self._archive.parse_small(part, XmlHandlers(start))
        return found

    def _first_sheet(self, workbook: str) -> tuple[str, str, dict[str, str]]:
        sheets: list[tuple[str, str]] = []

        def start(tag: str, attributes: dict[str, str]) -> None:
            if _local(tag) == "sheet":
                link = next((v for k, v in attributes.items() if _local(k) == "id"), "")
                sheets.append((attributes.get("name", ""), link))

        self._archive.parse_small(workbook, XmlHandlers(start))
        folder, name = posixpath.split(workbook)
        links = self._links(posixpath.join(folder, "_rels", name + ".rels"), folder)
        for title, link in sheets:
            part = links.get(link)
            if part is not None and self._archive.has(part) and "chartsheet" not in part:
                return title, part, links
        raise InputError(f"{self._name} : le classeur ne contient aucune feuille")

    def _epoch_of(self, workbook: str) -> datetime:
        mac = False

        def start(tag: str, attributes: dict[str, str]) -> None:
            nonlocal mac
            if _local(tag) == "workbookPr":
                mac = attributes.get("date1904", "").lower() in ("1", "true")

        self._archive.parse_small(workbook, XmlHandlers(start))
        epoch: datetime = CALENDAR_MAC_1904 if mac else CALENDAR_WINDOWS_1900
        return epoch

    def _date_styles(self, part: str) -> frozenset[int]:
        """The cell styles (their index) whose number format shows a date."""
        formats: dict[int, str] = {}
        styles: list[int] = []
        inside: list[str] = []

        def start(tag: str, attributes: dict[str, str]) -> None:
            local = _local(tag)
            inside.append(local)
            if local == "numFmt":
                formats[_integer(attributes.get("numFmtId"))] = attributes.get("formatCode", "")
            elif local == "xf" and len(inside) >= 2 and inside[-2] == "cellXfs":
                styles.append(_integer(attributes.get("numFmtId")))

        def end(tag: str) -> None:
            inside.pop()

        self._archive.parse_small(part, XmlHandlers(start, end))
        return frozenset(
            index
            for index, number_format in enumerate(styles)
            if is_date_format(formats.get(number_format, BUILTIN_FORMATS.get(number_format)))
        )

    def _shared_strings(self, part: str) -> list[str]:
        self._archive.count_tags(
            part,
            _SHARED_STRING_TAG,
            MAX_SHARED_STRINGS,
            f"{thousands(MAX_SHARED_STRINGS)} chaînes partagées",
        )
        reader = _SharedStrings(self, part)
        for _ in self._archive.parse(part, reader, list):
            pass
        return reader.strings

    # ---- cells ------------------------------------------------------------------------
    def cell_text(self, kind: str, style: int, text: str, reference: str) -> str:
        """A cell's value as text: dates as dd/mm/yyyy, whole numbers without ``.0``."""
        if kind == "s":
            index = _integer(text, -1)
            if not 0 <= index < len(self._shared):
                raise self._unreadable(
                    self._sheet_part,
                    f"cellule {reference} : chaîne partagée n° {text.strip()} absente de "
                    f"{self._shared_part} ({_count(len(self._shared), 'chaîne')})",
                )
            return self._shared[index].strip()
        if kind in ("str", "inlineStr", "e"):
            return text.strip()
        if kind == "b":
            return str(text.strip() in ("1", "true"))
        if kind == "d":
            try:
                return _value_text(datetime.fromisoformat(text.strip()))
            except ValueError:
                return text.strip()
        try:
            number: float = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text.strip()
        if style in self._dates:
            try:
                return _value_text(from_excel(number, self._epoch))
            except (OverflowError, ValueError):
                pass
        return _value_text(number)


class _SharedStrings(XmlHandlers):
    """``<si>`` items: their ``<t>`` texts joined (phonetic runs ``<rPh>`` left out)."""

    def __init__(self, book: XlsxSheet, part: str) -> None:
        super().__init__(self._start, self._end, self._text)
        self.book, self.part = book, part
        self.strings: list[str] = []
        self.characters = 0
        self._pieces: list[str] = []
        self._length = 0
        self._in_text = False
        self._phonetic = 0

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        local = _local(tag)
        if local == "t" and not self._phonetic:
            self._in_text = True
        elif local == "rPh":
            self._phonetic += 1
        elif local == "si":
            self._pieces, self._length = [], 0
        elif local == "sst":
            declared = _integer(attributes.get("uniqueCount"), 0)
            if declared > MAX_SHARED_STRINGS:
                raise self._too_many(declared)

    def _end(self, tag: str) -> None:
        local = _local(tag)
        if local == "t":
            self._in_text = False
        elif local == "rPh":
            self._phonetic -= 1
        elif local == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise self._too_many(len(self.strings) + 1)
            self.strings.append("".join(self._pieces))
            self._pieces = []

    def _text(self, data: str) -> None:
        if not self._in_text:
            return
        self._length += len(data)
        self.characters += len(data)
        if self._length > MAX_CELL_CHARACTERS:
            raise self.book._refuse(
                f"la partie {self.part}, chaîne partagée n° {len(self.strings)}, dépasse "
                f"{thousands(MAX_CELL_CHARACTERS)} caractères"
            )
        if self.characters > MAX_SHARED_CHARACTERS:
            raise self.book._refuse(
                f"la partie {self.part} dépasse {thousands(MAX_SHARED_CHARACTERS)} caractères "
                "de texte"
            )
        self._pieces.append(data)

    def _too_many(self, count: int) -> InputError:
        return self.book._refuse(
            f"la partie {self.part} compte {thousands(count)} chaînes partagées ou plus "
            f"(au plus {thousands(MAX_SHARED_STRINGS)})"
        )


class _SheetReader(XmlHandlers):
    """The rows of a sheet part, handed over as they are parsed."""

    def __init__(self, book: XlsxSheet) -> None:
        super().__init__(self._start, self._end, self._text)
        self.book = book
        self.part = book._sheet_part
        self._ready: list[tuple[int, list[str]]] = []
        self._row = 0
        self._cells: dict[int, str] = {}
        self._column = 0
        self._kind = "n"
        self._style = 0
        self._reference = ""
        self._pieces: list[str] = []
        self._length = 0
        self._collecting = False
        self._phonetic = 0

    def taken(self) -> list[tuple[int, list[str]]]:
        ready, self._ready = self._ready, []
        return ready

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            self._start_cell(attributes)
        elif local in ("v", "t") and not self._phonetic:
            self._collecting = True
        elif local == "rPh":
            self._phonetic += 1
        elif local == "row":
            self._row = _integer(attributes.get("r"), self._row + 1)
            self._cells = {}
            self._column = 0

    def _start_cell(self, attributes: dict[str, str]) -> None:
        self._pieces, self._length = [], 0
        self._kind = attributes.get("t", "n")
        self._style = _integer(attributes.get("s"), 0)
        reference = attributes.get("r", "")
        found = _CELL_REFERENCE.match(reference)
        self._column = _column_number(found.group(1)) if found else self._column + 1
        self._reference = reference or f"{_column_letters(self._column)}{self._row}"

    def _end(self, tag: str) -> None:
        local = _local(tag)
        if local in ("v", "t"):
            self._collecting = False
        elif local == "rPh":
            self._phonetic -= 1
        elif local == "c":
            self._end_cell()
        elif local == "row" and any(self._cells.values()):
            if self._row > MAX_ROWS:
                raise self.book._refuse(
                    f"la partie {self.part}, ligne {thousands(self._row)}, dépasse "
                    f"{thousands(MAX_ROWS)} lignes ; enregistrez un registre aussi grand "
                    "au format CSV"
                )
            cells = [""] * max(self._cells)
            for column, value in self._cells.items():
                cells[column - 1] = value
            self._ready.append((self._row, cells))

    def _end_cell(self) -> None:
        if not self._pieces:
            return
        text = "".join(self._pieces)
        self._pieces = []
        value = self.book.cell_text(self._kind, self._style, text, self._reference)
        if not value:
            return
        if self._column > MAX_COLUMNS:
            raise self.book._refuse(
                f"la partie {self.part}, cellule {self._reference}, est au-delà de la "
                f"colonne {_column_letters(MAX_COLUMNS)} ({MAX_COLUMNS} colonnes au plus)"
            )
        self._cells[self._column] = value

    def _text(self, data: str) -> None:
        if not self._collecting:
            return
        self._length += len(data)
        if self._length > MAX_CELL_CHARACTERS:
            raise self.book._refuse(
                f"la partie {self.part}, cellule {self._reference}, dépasse "
                f"{thousands(MAX_CELL_CHARACTERS)} caractères"
            )
        self._pieces.append(data)


def _local(tag: str) -> str:
    """The name without its namespace prefix (``x:row`` → ``row``)."""
    return tag.rpartition(":")[2]


def _integer(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _value_text(value: object) -> str:
    """A value as text: dates as dd/mm/yyyy, whole numbers without ``.0``."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _count(count: int, word: str) -> str:
    return f"{thousands(count)} {word}{'s' if count > 1 else ''}"
