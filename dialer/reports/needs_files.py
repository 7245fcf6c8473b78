"""The needs analysis built from the database and written as CSV (one file: each table
under its title, ``;``, UTF-8 with BOM, inert cells), XLSX (a sheet per table, the notice
first) or PDF (its tables and bar charts, matplotlib Agg in memory). Building and
rendering run in worker threads: the event loop keeps dialling."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.core.labels import SUPPRESSED_CELL
from dialer.core.windows import PARIS
from dialer.csv_output import csv_writer
from dialer.reports.exports import BOM, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_cell, xlsx_bytes
from dialer.reports.needs import NeedsReport, NeedsTable, Period, compute_needs, report_tables
from dialer.reports.tables import Table, local_time
from dialer.storage.database import SessionFactory
from dialer.storage.needs_rows import load_needs_rows

NEEDS_FORMATS = ("csv", "xlsx", "pdf")
MEDIA_TYPES = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE, "pdf": "application/pdf"}


class NeedsAnalysis:
    """Builds a campaign's needs analysis; ``threshold``: the smallest count published."""

    def __init__(self, sessions: SessionFactory, *, threshold: int, zone: ZoneInfo = PARIS):
        self._sessions = sessions
        self.threshold = threshold
        self.zone = zone

    async def build(self, campaign_id: int, period: Period, *, now: datetime) -> NeedsReport:
        rows = await load_needs_rows(self._sessions, campaign_id)
        return await asyncio.to_thread(
            compute_needs, rows, period=period, threshold=self.threshold, zone=self.zone, now=now
        )


def _heading(report: NeedsReport) -> list[str]:
    return [
        f"Analyse des besoins — {report.campaign_name}",
        f"Période : {report.period.text()} ; établie le "
        f"{local_time(report.generated_at, report.zone)}",
        report.notice,
    ]


def needs_csv(report: NeedsReport) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in _heading(report):
        writer.writerow([line])
    for table in report_tables(report):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([csv_cell(value, report.zone) for value in row])
    return buffer.getvalue().encode("utf-8")


def needs_xlsx(report: NeedsReport) -> bytes:
    notice = Table(
        "a_lire", "À lire", ("Analyse des besoins",), tuple((line,) for line in _heading(report))
    )
    return xlsx_bytes([notice, *report_tables(report)], report.zone)


def _bars(needs: NeedsTable, *, by_row: bool) -> tuple[list[str], list[int | None]]:
    published = needs.published
    if by_row:
        return list(published.rows), list(published.row_totals)
    return list(published.columns), list(published.column_totals)


def _chart(title: str, labels: list[str], values: list[int | None]) -> io.BytesIO:
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib is slow to load
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    from dialer.reports.pdf import BLUE, _png  # noqa: PLC0415

    figure = Figure(figsize=(7.5, 2.8))
    axes = figure.add_subplot()
    bars = axes.barh(labels[::-1], [v or 0 for v in values][::-1], color=BLUE)
    axes.bar_label(
        bars, labels=[SUPPRESSED_CELL if v is None else str(v) for v in values][::-1], padding=3
    )
    axes.set_title(title)
    axes.set_xlim(left=0, right=max([1, *(v or 0 for v in values)]) * 1.2)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not labels:
        axes.text(0.5, 0.5, "aucune donnée", ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def needs_pdf(report: NeedsReport, *, compress: bool = True) -> bytes:
    from dialer.reports.pdf import FONT, _Pdf  # noqa: PLC0415 - matplotlib is slow to load

    pdf = _Pdf(f"Analyse des besoins — {report.campaign_name}")
    pdf.set_compression(compress)
    pdf.set_title(f"Analyse des besoins — {report.campaign_name}")
    pdf.set_creator("dialer")
    pdf.add_page()
    pdf.heading("Analyse des besoins (veille sociale)", 20)
    pdf.heading(report.campaign_name, 15)
    for line in _heading(report)[1:]:
        pdf.paragraph(line)
    by_key = {needs.key: needs for needs in report.tables}
    for title, key, by_row in (
        ("Ménages ayant exprimé chaque besoin", "besoins_quartier", True),
        ("Orientations, par manière", "orientations", False),
        ("Ménages joints et non joints", "joignabilite", True),
    ):
        labels, values = _bars(by_key[key], by_row=by_row)
        pdf.image(_chart(title, labels, values), w=175)
    for table in report_tables(report):
        if pdf.get_y() > 200:
            pdf.add_page()
        else:
            pdf.ln(4)
        pdf.heading(table.title, 12)
        pdf.set_font(FONT, "", 8)
        with pdf.table(first_row_as_headings=True, line_height=5, text_align="LEFT") as grid:
            header = grid.row()
            for text in table.headers:
                header.cell(text)
            for cells in table.rows:
                row = grid.row()
                for value in cells:
                    row.cell(csv_cell(value, report.zone))
        pdf.ln(3)
    return bytes(pdf.output())


def render(report: NeedsReport, fmt: str) -> bytes:
    """The analysis in ``fmt`` (one of :data:`NEEDS_FORMATS`)."""
    if fmt == "csv":
        return needs_csv(report)
    if fmt == "xlsx":
        return needs_xlsx(report)
    if fmt == "pdf":
        return needs_pdf(report)
    raise ValueError(f"format: {fmt} not in {', '.join(NEEDS_FORMATS)}")


async def rendered(report: NeedsReport, fmt: str) -> bytes:
    """:func:`render` in a worker thread."""
    return await asyncio.to_thread(render, report, fmt)


def file_name(report: NeedsReport, fmt: str) -> str:
    return f"{report.file_stem}.{fmt}"
