"""CSV and XLSX exports of the report's tables.

CSV: UTF-8 with a byte-order mark and ``;`` as separator, decimal comma, dates as
``dd/mm/yyyy HH:MM`` local time: what French office spreadsheets (Excel, LibreOffice with
a French locale) open with a double click, accents and columns right. XLSX (openpyxl): one
sheet per table, numbers as numbers, dates as dates (local time).

No cell of a CSV can run as a formula (:mod:`dialer.csv_output`); in the XLSX, text is
always stored as text (never a formula).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]  # no stubs (types-openpyxl not installed)
from openpyxl.styles import Font  # type: ignore[import-untyped]

from dialer.csv_output import csv_writer
from dialer.reports.tables import Cell, Table, local_time

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def csv_cell(value: Cell, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, zone)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return value


def csv_text(table: Table, zone: ZoneInfo) -> str:
    """The table as CSV text, BOM first (encode it as UTF-8)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([csv_cell(value, zone) for value in row])
    return buffer.getvalue()


def csv_bytes(table: Table, zone: ZoneInfo) -> bytes:
    return csv_text(table, zone).encode("utf-8")


def xlsx_value(value: Cell, zone: ZoneInfo) -> object:
    """What goes into the cell: local naive datetimes (Excel has no time zones)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    return value


def sheet_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name: 31 characters at most, none of ``[]:*?/\\``, unique."""
    clean = "".join("-" if c in "[]:*?/\\" else c for c in title)[:31]
    name, counter = clean, 2
    while name in taken:
        suffix = f" ({counter})"
        name, counter = clean[: 31 - len(suffix)] + suffix, counter + 1
    taken.add(name)
    return name


def xlsx_bytes(tables: Sequence[Table], zone: ZoneInfo) -> bytes:
    """A workbook with one sheet per table (header row in bold, frozen)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = bold
        widths = [len(header) for header in table.headers]
        for row_index, row in enumerate(table.rows, start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_index, column=column, value=xlsx_value(value, zone))
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
                elif isinstance(value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
                text = csv_cell(value, zone)
                widths[column - 1] = max(widths[column - 1], len(text))
        for column, width in enumerate(widths, start=1):
            letter = openpyxl.utils.get_column_letter(column)
            sheet.column_dimensions[letter].width = min(60, max(8, width + 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
