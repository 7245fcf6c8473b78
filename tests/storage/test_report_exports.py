"""The exports of a report read back: the CSV (UTF-8 with BOM, « ; ») equals the table,
the XLSX (openpyxl) equals the table, the PDF has its five pages and its French titles."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from dialer.core.windows import PARIS
from dialer.csv_output import inert_cell
from dialer.reports import tables
from dialer.reports.exports import csv_bytes, csv_cell, xlsx_bytes
from dialer.reports.pdf import PAGE_TITLES, render_pdf
from dialer.reports.service import Report, ReportBuilder
from dialer.storage import SessionFactory
from tests.report_scene import build_scene
from tests.web.support import catalog_in

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def report(sessions: SessionFactory, tmp_path: Path) -> Report:
    scene = await build_scene(sessions)
    builder = ReportBuilder(sessions, catalog=catalog_in(tmp_path / "q"))
    return await builder.build(scene.campaign_id, 1, now=NOW)


async def test_csv_reads_back_as_the_table(report: Report) -> None:
    for table in tables.all_tables(report):
        data = csv_bytes(table, report.zone)
        assert data.startswith(b"\xef\xbb\xbf"), table.key  # the BOM Excel needs
        read = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert read[0] == list(table.headers)
        expected = [[inert_cell(csv_cell(v, report.zone)) for v in row] for row in table.rows]
        assert read[1:] == expected
        assert len(read) == len(table.rows) + 1
    outcomes = tables.outcomes(report)
    text = csv_bytes(outcomes, report.zone).decode("utf-8-sig")
    answered = next(line for line in report.figures.outcomes if line.label == "décroché")
    assert f"décroché;{answered.count};" in text
    assert re.search(r"^Total;\d+;100,0\r$", text, re.MULTILINE)
    follow_up = csv_bytes(tables.follow_up(report), report.zone).decode("utf-8-sig")
    assert len(report.figures.follow_up) > 0
    for line in report.figures.follow_up:
        assert line.person.external_id in follow_up


def expected_xlsx(value: tables.Cell, report: Report) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(report.zone).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Decimal):
        return float(value)
    return None if value == "" else value  # a spreadsheet has no empty text cell


def read_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


async def test_xlsx_reads_back_as_the_tables(report: Report) -> None:
    all_tables = tables.all_tables(report)
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(all_tables, report.zone)))
    assert len(workbook.sheetnames) == len(all_tables)
    for sheet_name, table in zip(workbook.sheetnames, all_tables, strict=True):
        assert sheet_name == table.title[:31]
        sheet = workbook[sheet_name]
        read = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert read[0] == list(table.headers)
        assert [[read_value(v) for v in row] for row in read[1:]] == [
            [read_value(expected_xlsx(v, report)) for v in row] for row in table.rows
        ], table.key


async def test_xlsx_keeps_formula_looking_text_as_text() -> None:
    table = tables.Table("t", "Essai", ("A",), (("=1+1",), ("Hélène",)))
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table], PARIS)))
    cells = [row[0] for row in workbook["Essai"].iter_rows(min_row=2, values_only=True)]
    assert cells == ["=1+1", "Hélène"]
    assert workbook["Essai"]["A2"].data_type == "s"


# ---- the PDF: a small reader of fpdf2's uncompressed output -------------------------------
def _literal_strings(stream: bytes) -> list[bytes]:
    """The ``(...)`` operands of ``Tj`` in a content stream, unescaped."""
    found: list[bytes] = []
    index = 0
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while (start := stream.find(b"(", index)) != -1:
        out = bytearray()
        i = start + 1
        depth = 1
        while i < len(stream):
            byte = stream[i]
            if byte == 0x5C:  # backslash
                following = stream[i + 1]
                if 0x30 <= following <= 0x37:
                    digits = re.match(rb"[0-7]{1,3}", stream[i + 1 : i + 4])
                    assert digits is not None
                    out.append(int(digits.group(), 8))
                    i += 1 + len(digits.group())
                    continue
                out.append(escapes.get(following, following))
                i += 2
                continue
            if byte == ord("("):
                depth += 1
            elif byte == ord(")"):
                depth -= 1
                if depth == 0:
                    break
            out.append(byte)
            i += 1
        if stream[i + 1 : i + 4] == b" Tj":
            found.append(bytes(out))
        index = i + 1
    return found


def pdf_texts(data: bytes) -> list[str]:
    """Every text line of the PDF, decoded with each font's ToUnicode map (fpdf2 writes
    2-byte glyph codes; a line decodes right with its own font's map)."""
    maps = []
    for block in re.findall(rb"beginbfchar\n(.*?)endbfchar", data, re.DOTALL):
        pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", block)
        maps.append({int(code, 16): chr(int(uni, 16)) for code, uni in pairs})
    assert maps, "no ToUnicode map: is the PDF compressed?"
    texts = []
    for streamed in re.findall(rb"stream\n(.*?)endstream", data, re.DOTALL):
        for raw in _literal_strings(streamed):
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            for mapping in maps:
                texts.append("".join(mapping.get(code, "\ufffd") for code in codes))
    return texts


async def test_the_pdf_report(report: Report) -> None:
    data = render_pdf(report, compress=False)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 5
    assert len(re.findall(rb"/Subtype /Image", data)) == 3  # the three charts
    texts = pdf_texts(data)
    for title in PAGE_TITLES:
        assert title in texts, title
    for expected in (
        "Canicule rapport",
        "Chiffres clés",
        "DMT par agent (secondes)",
        "Tentatives par personne",
        "Personnes jamais jointes (suivi terrain)",
        "décroché",
        "Total HT",
    ):
        assert any(expected in text for text in texts), expected
    never = len(report.figures.follow_up)
    assert any(f"{never} personne(s) à rencontrer" in text for text in texts)
    compressed = render_pdf(report)
    assert compressed.startswith(b"%PDF-")
    assert len(compressed) < len(data)
