"""A report written to a folder: one CSV per table, one XLSX, one PDF (what ``dialer
report export`` and the demo write)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dialer.reports import tables
from dialer.reports.exports import csv_bytes, xlsx_bytes
from dialer.reports.service import Report

FORMATS = ("csv", "xlsx", "pdf")


def write_report_files(report: Report, out: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Writes ``report`` in each of ``formats`` into ``out`` (created if needed); returns
    the files written."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"format: {', '.join(unknown)} not in {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    all_tables = tables.all_tables(report)
    for fmt in formats:
        if fmt == "csv":
            for table in all_tables:
                path = out / f"{report.file_stem}-{table.key}.csv"
                path.write_bytes(csv_bytes(table, report.zone))
                written.append(path)
        elif fmt == "xlsx":
            path = out / f"{report.file_stem}.xlsx"
            path.write_bytes(xlsx_bytes(all_tables, report.zone))
            written.append(path)
        else:
            from dialer.reports.pdf import render_pdf  # noqa: PLC0415 - matplotlib is slow to load

            path = out / f"{report.file_stem}.pdf"
            path.write_bytes(render_pdf(report))
            written.append(path)
    return written
