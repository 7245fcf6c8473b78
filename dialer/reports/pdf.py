"""The PDF report (fpdf2), in French, with charts drawn by matplotlib (Agg, in memory).

Five pages: the title page with the key figures; the answer rate by hour and the funnel;
the DMT histogram and the DMT per agent; the outcomes and the attempts per person; the
billing summary and the never-reached count (their list is in the CSV/XLSX exports).

The font is the DejaVu Sans matplotlib ships (``mpl-data/fonts/ttf``): Unicode, so the
accents print, and no system font package is needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dialer.core.labels import DMT_BUCKET_NAMES
from dialer.reports import tables
from dialer.reports.exports import csv_cell
from dialer.reports.service import Report
from dialer.reports.tables import Table, local_time

FONT_DIR = Path(mpl.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
PAGE_TITLES = (
    "Rapport de campagne",
    "Taux de réponse par heure et entonnoir",
    "Durée moyenne de traitement (DMT)",
    "Issues des appels et tentatives par personne",
    "Facturation et suivi terrain",
)
BLUE = "#1f5f99"


def _png(figure: Figure) -> io.BytesIO:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    buffer.seek(0)
    return buffer


def answer_rate_chart(report: Report) -> io.BytesIO:
    figure = Figure(figsize=(7.5, 3.0))
    axes = figure.add_subplot()
    hours = report.figures.by_hour
    axes.bar(
        [f"{h.hour:02d}h" for h in hours], [h.rate * 100 for h in hours], color=BLUE, width=0.7
    )
    axes.set_ylim(0, 100)
    axes.set_ylabel("taux de réponse (%)")
    axes.set_xlabel("heure locale de l'appel")
    axes.set_title("Taux de réponse par heure")
    if not hours:
        axes.text(0.5, 0.5, "aucun appel", ha="center", va="center", transform=axes.transAxes)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def funnel_chart(report: Report) -> io.BytesIO:
    figure = Figure(figsize=(7.5, 3.2))
    axes = figure.add_subplot()
    steps = report.figures.funnel
    labels = [step.label for step in steps][::-1]
    counts = [step.count for step in steps][::-1]
    colours = ["#c0504d", "#c0504d", BLUE, BLUE, BLUE, BLUE]
    bars = axes.barh(labels, counts, color=colours)
    axes.bar_label(bars, padding=3)
    axes.set_title("Entonnoir : personnes (par cycle) puis alertes")
    axes.set_xlabel("nombre")
    axes.margins(x=0.12)
    return _png(figure)


def dmt_chart(report: Report) -> io.BytesIO:
    figure = Figure(figsize=(7.5, 3.0))
    axes = figure.add_subplot()
    bars = axes.bar(DMT_BUCKET_NAMES, report.figures.dmt_histogram, color=BLUE)
    axes.bar_label(bars, padding=2)
    axes.set_title("Répartition de la durée de traitement (conversation + post-appel)")
    axes.set_ylabel("appels traités")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(y=0.15)
    axes.tick_params(axis="x", labelsize=8)
    return _png(figure)


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 6, f"{self.footer_text} — page {self.page_no()}", align="C")

    def heading(self, text: str, size: int = 15) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 9, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(self, text: str, size: int = 10) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, 5.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def grid(
        self,
        table: Table,
        report: Report,
        *,
        columns: Sequence[int] | None = None,
        widths: Sequence[float] | None = None,
        size: int = 9,
    ) -> None:
        picked = list(columns) if columns is not None else list(range(len(table.headers)))
        self.set_font(FONT, "", size)
        with self.table(
            col_widths=tuple(widths) if widths else None,
            first_row_as_headings=True,
            line_height=5.5,
            text_align="LEFT",
        ) as grid:
            header = grid.row()
            for index in picked:
                header.cell(table.headers[index])
            for values in table.rows:
                row = grid.row()
                for index in picked:
                    row.cell(csv_cell(values[index], report.zone))
        self.ln(3)


def render_pdf(report: Report, *, compress: bool = True) -> bytes:
    """The report as PDF bytes (``compress=False`` leaves the text readable, for tests)."""
    rows = report.rows
    pdf = _Pdf(f"{rows.campaign.name} — {report.scope.split(' — ')[-1]}")
    pdf.set_compression(compress)
    pdf.set_title(f"Rapport — {report.scope}")
    pdf.set_creator("dialer")

    # 1. title page and key figures
    pdf.add_page()
    pdf.ln(10)
    pdf.heading(PAGE_TITLES[0], 22)
    pdf.heading(rows.campaign.name, 16)
    period = ", ".join(
        f"cycle {c.number} du {local_time(c.started_at, report.zone)} "
        f"au {local_time(c.closed_at or c.deadline, report.zone)}"
        for c in rows.cycles
    )
    pdf.paragraph(
        ("Tous les cycles" if rows.all_cycles else f"Cycle {rows.cycles[0].number}")
        + (f" : {period}." if period else " : aucun cycle.")
    )
    pdf.paragraph(
        f"Questionnaire {rows.campaign.questionnaire_id} "
        f"(version {rows.campaign.questionnaire_version}). "
        f"Rapport établi le {local_time(report.generated_at, report.zone)} "
        "(heures locales, Europe/Paris)."
    )
    pdf.ln(4)
    pdf.heading("Chiffres clés", 13)
    pdf.grid(tables.key_figures(report), report, widths=(120, 60))

    # 2. answer rate by hour, funnel
    pdf.add_page()
    pdf.heading(PAGE_TITLES[1])
    pdf.image(answer_rate_chart(report), w=180)
    pdf.ln(4)
    pdf.image(funnel_chart(report), w=180)

    # 3. DMT
    pdf.add_page()
    pdf.heading(PAGE_TITLES[2])
    pdf.image(dmt_chart(report), w=180)
    pdf.ln(3)
    pdf.heading("DMT par agent (secondes)", 12)
    pdf.grid(tables.dmt_by_agent(report), report, columns=range(7), size=8)

    # 4. outcomes, attempts per person
    pdf.add_page()
    pdf.heading(PAGE_TITLES[3])
    pdf.grid(tables.outcomes(report), report, widths=(100, 40, 40))
    pdf.heading("Tentatives par personne", 12)
    pdf.grid(tables.attempts_per_person(report), report, widths=(100, 40, 40))

    # 5. billing, follow-up
    pdf.add_page()
    pdf.heading(PAGE_TITLES[4])
    pdf.grid(tables.billing(report), report, widths=(100, 22, 28, 30), size=8)
    follow_up = len(report.figures.follow_up)
    pdf.heading("Personnes jamais jointes (suivi terrain)", 12)
    pdf.paragraph(
        f"{follow_up} personne(s) à rencontrer sur le terrain. La liste nominative (adresse, "
        "quartier, téléphones, motif, chaque tentative) est dans l'export CSV ou XLSX "
        "« jamais_joints »."
    )
    alerts = report.figures.alerts
    acknowledged = sum(1 for a in alerts if a.acknowledged_at is not None)
    pdf.paragraph(
        f"Alertes levées : {len(alerts)}, dont {acknowledged} acquittée(s). "
        "Le journal complet est dans l'export « alertes »."
    )
    return bytes(pdf.output())
