"""Hostile register files, written with :mod:`zipfile` (never by a spreadsheet program,
which would refuse to write them): what an attacker uploads to stall or swell the
service. Used by the tests (each must be refused at once, nothing written) and by
:mod:`bench.register_files` (how long and how much memory the refusal costs).

Every workbook has the same small skeleton (content types, links, workbook); only the
sheet and its shared strings differ.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

HEADER = ("N° dossier", "Nom", "Prénom", "Téléphone")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_LINKS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_LINKS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE}">'
    f'<Relationship Id="rId1" Type="{_LINKS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_LINKS}">'
    '<sheets><sheet name="Registre" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_LINKS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE}">'
    f'<Relationship Id="rId1" Type="{_LINKS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_LINKS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"


def workbook(
    path: Path, sheet: bytes | Iterable[bytes], shared: bytes | Iterable[bytes] | None = None
) -> Path:
    """An XLSX at ``path`` whose first sheet's XML is ``sheet`` and whose shared strings
    part is ``shared`` (an empty list when None); each is bytes, or pieces written one
    after the other."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_LINKS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_LINKS)
        _write_part(archive, SHARED, shared if shared is not None else strings([]))
        _write_part(archive, SHEET, sheet)
    return path


def _write_part(archive: zipfile.ZipFile, name: str, content: bytes | Iterable[bytes]) -> None:
    if isinstance(content, bytes):
        archive.writestr(name, content)
        return
    with archive.open(name, "w", force_zip64=True) as target:
        for piece in content:
            target.write(piece)


def sheet(rows: str, *, dimension: str = "") -> bytes:
    """A sheet's XML around ``rows`` (``<row>`` elements)."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def strings(texts: Iterable[str]) -> bytes:
    return b"".join(string_pieces(texts))


def string_pieces(texts: Iterable[str]) -> Iterable[bytes]:
    """A shared strings part, in pieces of 10,000 strings."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'.encode()
    batch: list[str] = []
    for text in texts:
        batch.append(f"<si><t>{text}</t></si>")
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()
    yield b"</sst>"


def row(number: int, cells: Iterable[str], *, first_column: int = 1) -> str:
    """A row of inline strings from column ``first_column`` on."""
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{_letters(first_column + index)}{number}" t="inlineStr">'
            f"<is><t>{text}</t></is></c>"
            for index, text in enumerate(cells)
        )
        + "</row>"
    )


def declared_as_wide_as_excel(path: Path, *, value_in_last_column: bool) -> Path:
    """A kilobyte and a half declaring ``A1:XFD8001``, its header at row 8000: once padded
    to the declared width, 131 million cells. ``value_in_last_column``: the header also
    has a value in column XFD (a file to refuse); else it is a small register that reads
    at once."""
    header = row(8000, HEADER)
    if value_in_last_column:
        header = header.replace(
            "</row>", '<c r="XFD8000" t="inlineStr"><is><t>x</t></is></c></row>'
        )
    data = row(8001, ("D1", "Dupont", "Jeanne", "01 45 67 89 10"))
    return workbook(path, sheet(header + data, dimension="A1:XFD8001"))


def shared_strings_bomb(path: Path, count: int = 4_000_000) -> Path:
    """A couple of hundred kilobytes unpacking to ``count`` shared strings."""
    texts = (f"{index % 10}" * 12 for index in range(count))
    return workbook(path, sheet(row(1, HEADER)), string_pieces(texts))


def many_shared_strings(path: Path, count: int) -> Path:
    """``count`` different shared strings (no compression trick: a plain big list)."""
    texts = (f"S{index:08d}" for index in range(count))
    return workbook(path, sheet(row(1, HEADER)), string_pieces(texts))


def zip_bomb(path: Path, megabytes: int = 64) -> Path:
    """A sheet of ``megabytes`` MiB of blanks, a few dozen kilobytes packed."""
    blank = b" " * (1 << 20)

    def pieces() -> Iterable[bytes]:
        head, tail = sheet(row(1, HEADER)).split(b"</sheetData>")
        yield head
        for _ in range(megabytes):
            yield blank
        yield b"</sheetData>" + tail

    return workbook(path, pieces())


def lying_sizes(path: Path, declared: int = 0x7FFF0000) -> Path:
    """A small workbook whose archive declares its sheet to unpack to ``declared`` bytes."""
    workbook(path, sheet(row(1, HEADER)))
    content = bytearray(path.read_bytes())
    name = SHEET.encode()
    entry = content.find(b"PK\x01\x02")
    while entry != -1:
        if content[entry + 46 : entry + 46 + len(name)] == name:
            struct.pack_into("<I", content, entry + 24, declared)
            break
        entry = content.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(content))
    return path


def many_parts(path: Path, count: int = 70_000) -> Path:
    """A workbook with ``count`` empty parts besides its own: an object each in memory for
    a reader that lists the archive's directory before looking at its size."""
    workbook(path, sheet(row(1, HEADER)))
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(count):
            archive.writestr(f"x/{index}", b"")
    return path


def many_rows(path: Path, count: int = 1_000_000) -> Path:
    """A register of ``count`` small rows."""

    def pieces() -> Iterable[bytes]:
        head, tail = sheet(row(1, HEADER)).split(b"</sheetData>")
        yield head
        batch: list[str] = []
        for number in range(2, count + 2):
            batch.append(
                f'<row r="{number}"><c r="A{number}"><v>{number}</v></c>'
                f'<c r="B{number}" t="inlineStr"><is><t>Nom{number}</t></is></c></row>'
            )
            if len(batch) == 10_000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()
        yield b"</sheetData>" + tail

    return workbook(path, pieces())


def _letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
