"""An XLSX workbook's ZIP archive, opened with bounds an attacker cannot push (the sheet
itself is read by :mod:`dialer.register.xlsx`).

A few kilobytes can unpack to gigabytes. The archive is looked at before anything is
unpacked: at most :data:`MAX_PARTS` parts, :data:`MAX_UNPACKED_BYTES` in all once unpacked
(as the archive declares them; a part that unpacks to more than it declares is cut there
and fails its checksum), and no part of more than a megabyte unpacking to more than
:data:`MAX_RATIO` times its packed size (a ZIP bomb). The parts are parsed as a stream
(expat, 64 KiB at a time), never whole; a document type declaration (the door to entity
expansion) is refused.

Every refusal is an :class:`~dialer.errors.InputError` naming the file, the part and the
bound crossed, in French.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from dialer.errors import InputError

MAX_PARTS = 1_000
#: bytes of every part once unpacked, as the archive declares them
MAX_UNPACKED_BYTES = 256 << 20
#: unpacked / packed size of a part of more than :data:`_RATIO_FROM` bytes
MAX_RATIO = 200
_RATIO_FROM = 1 << 20
#: bytes of a part that is not the sheet nor its shared strings (workbook, styles, links)
_SMALL_PART_BYTES = 16 << 20
_CHUNK = 1 << 16
#: the archive's directory (names and sizes of the parts)
_DIRECTORY_BYTES = 1 << 20
#: where the end record of an archive is: its 22 bytes and a comment of up to 64 KiB
_END_RECORD_SPAN = 22 + (1 << 16)
#: the longest start tag :meth:`XlsxArchive.count_tags` looks for (a chunk's tail this long
#: is counted with the next chunk)
_TAG_LONGEST = 26


class XmlHandlers:
    """Element handlers for :meth:`XlsxSheet._parse`."""

    def __init__(
        self,
        start: Callable[[str, dict[str, str]], None] | None = None,
        end: Callable[[str], None] | None = None,
        text: Callable[[str], None] | None = None,
    ) -> None:
        self.start, self.end, self.text = start, end, text

    def attach(self, parser: Any, refuse_doctype: Callable[..., None]) -> None:
        parser.StartDoctypeDeclHandler = refuse_doctype
        parser.EntityDeclHandler = refuse_doctype
        if self.start is not None:
            parser.StartElementHandler = self.start
        if self.end is not None:
            parser.EndElementHandler = self.end
        if self.text is not None:
            parser.CharacterDataHandler = self.text


class XlsxArchive:
    """The parts of a workbook's archive, checked when opened, parsed as streams."""

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self._check_directory(path)
        try:
            self._archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(f"{name} : classeur XLSX illisible (archive ZIP : {exc})") from exc
        try:
            self._parts = {info.filename: info for info in self._archive.infolist()}
            self._check_archive()
        except BaseException:
            self._archive.close()
            raise

    def close(self) -> None:
        self._archive.close()

    def has(self, part: str) -> bool:
        return part in self._parts

    def refuse(self, what: str) -> InputError:
        return InputError(f"{self.name} : classeur XLSX refusé : {what}")

    def unreadable(self, part: str, what: str) -> InputError:
        return InputError(f"{self.name} : classeur XLSX illisible : partie {part}, {what}")

    def _check_directory(self, path: Path) -> None:
        """Before :mod:`zipfile` reads the archive's directory (an object per part): its
        end record tells how many parts and how many bytes it has."""
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - _END_RECORD_SPAN))
                tail = handle.read()
        except OSError as exc:
            raise InputError(f"{self.name} : classeur XLSX illisible ({exc})") from exc
        end = tail.rfind(b"PK\x05\x06")
        if end == -1 or len(tail) < end + 22:
            return  # not an archive: zipfile tells
        parts = int.from_bytes(tail[end + 10 : end + 12], "little")
        directory = int.from_bytes(tail[end + 12 : end + 16], "little")
        if parts > MAX_PARTS:
            many = "plus de 65 535" if parts == 0xFFFF else thousands(parts)  # a ZIP64 directory
            raise self.refuse(f"{many} parties dans l'archive (au plus {thousands(MAX_PARTS)})")
        if directory > _DIRECTORY_BYTES:
            raise self.refuse(
                f"le répertoire de l'archive fait {_megabytes(directory)} "
                f"(au plus {_megabytes(_DIRECTORY_BYTES)})"
            )

    def _check_archive(self) -> None:
        if len(self._parts) > MAX_PARTS:
            raise self.refuse(
                f"{thousands(len(self._parts))} parties dans l'archive "
                f"(au plus {thousands(MAX_PARTS)})"
            )
        total = 0
        for info in self._parts.values():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FROM and ratio > MAX_RATIO:
                raise self.refuse(
                    f"la partie {info.filename} se décompresse {thousands(round(ratio))} fois "
                    f"(au plus {MAX_RATIO} fois : bombe de décompression)"
                )
        if total > MAX_UNPACKED_BYTES:
            raise self.refuse(
                f"l'archive se décompresse en {_megabytes(total)} "
                f"(au plus {_megabytes(MAX_UNPACKED_BYTES)})"
            )

    def parse(self, part: str, handlers: XmlHandlers, taken: Callable[[], list[Any]]) -> Any:
        """Stream ``part`` through ``handlers``; yields what ``taken`` hands over after
        each chunk (rows), a generator."""
        info = self._parts.get(part)
        if info is None:
            raise self.unreadable(part, "partie absente de l'archive")
        parser = expat.ParserCreate()
        parser.buffer_text = True
        handlers.attach(parser, self._refuse_doctype(part))
        try:
            with self._archive.open(info) as stream:
                while chunk := _read(stream):
                    parser.Parse(chunk, False)
                    yield from taken()
                parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise self.unreadable(
                part,
                f"XML tronqué ou mal formé ({expat.ErrorString(exc.code)}, ligne "
                f"{exc.lineno}, colonne {exc.offset})",
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise self.unreadable(part, f"archive corrompue ({exc})") from exc
        except RuntimeError as exc:  # an encrypted part
            raise self.unreadable(part, f"partie illisible ({exc})") from exc
        yield from taken()

    def count_tags(self, part: str, tag: re.Pattern[bytes], most: int, what: str) -> None:
        """Refuse ``part`` when it holds more than ``most`` elements ``tag`` finds, before
        parsing it: counting them on the raw bytes costs a tenth of parsing them."""
        info = self._parts.get(part)
        if info is None:
            return  # told by the parsing
        count = 0
        tail = b""
        try:
            with self._archive.open(info) as stream:
                while chunk := _read(stream):
                    text = tail + chunk
                    tail = text[-_TAG_LONGEST:]
                    # a tag wholly in the tail is counted with the next chunk
                    count += len(tag.findall(text)) - len(tag.findall(tail))
                    if count > most:
                        break
            count += len(tag.findall(tail))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise self.unreadable(part, f"archive corrompue ({exc})") from exc
        except RuntimeError as exc:  # an encrypted part
            raise self.unreadable(part, f"partie illisible ({exc})") from exc
        if count > most:
            raise self.refuse(f"la partie {part} compte plus de {what}")

    def _refuse_doctype(self, part: str) -> Callable[..., None]:
        def refuse(*_: object) -> None:
            raise self.refuse(f"la partie {part} déclare un type de document (DTD)")

        return refuse

    def parse_small(self, part: str, handlers: XmlHandlers) -> None:
        info = self._parts.get(part)
        if info is not None and info.file_size > _SMALL_PART_BYTES:
            raise self.refuse(
                f"la partie {part} fait {_megabytes(info.file_size)} "
                f"(au plus {_megabytes(_SMALL_PART_BYTES)})"
            )
        for _ in self.parse(part, handlers, list):
            pass


def _read(stream: IO[bytes]) -> bytes:
    return stream.read(_CHUNK)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.1f} Mo".replace(",", " ").replace(".", ",")


def thousands(count: int) -> str:
    """``1234567`` → ``1 234 567``."""
    return f"{count:,}".replace(",", " ")
