"""Every CSV file the dialer writes goes through :func:`csv_writer`: no cell of it can run
as a formula in the spreadsheet that opens it (OWASP "CSV injection").

A register holds what anyone typed in a city office; a report or a rejects file carries
it to a supervisor's spreadsheet. A cell that starts with ``=``, ``+``, ``-`` or ``@``
(after any spaces), or with a tab, a carriage return or a line feed, is written with a
single quote before it, which spreadsheets show as text and never evaluate. A plain
number (``-12``, ``3,5``, ``+33145678910``) is left as it is: it cannot run anything.

Phone numbers are written by the reports in a form that is no formula at all
(:func:`dialer.core.phones.spreadsheet_number`: ``01 45 67 89 10``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

_STARTS_A_FORMULA = frozenset("=+-@")
_CONTROL_START = frozenset("\t\r\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def inert_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it without ever running it."""
    if not text:
        return text
    if text[0] in _CONTROL_START:
        return "'" + text
    first = text.lstrip()[:1]
    if first in _STARTS_A_FORMULA and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class InertCsvWriter:
    """A :func:`csv.writer` whose text cells go through :func:`inert_cell`."""

    def __init__(self, handle: _Writable, *, delimiter: str, lineterminator: str) -> None:
        self._writer = csv.writer(handle, delimiter=delimiter, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([inert_cell(c) if isinstance(c, str) else c for c in cells])


def csv_writer(
    handle: _Writable, *, delimiter: str = ";", lineterminator: str = "\r\n"
) -> InertCsvWriter:
    """The writer of every CSV the dialer writes (``;`` and CRLF unless told otherwise)."""
    return InertCsvWriter(handle, delimiter=delimiter, lineterminator=lineterminator)
