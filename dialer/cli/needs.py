"""``dialer report needs CAMPAIGN``: the needs analysis of a veille-sociale campaign (its
aggregates only, small cells suppressed) as CSV, XLSX or PDF; the export is audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import click

from dialer.cli.context import record_cli_change, settings_of
from dialer.reports.needs import NeedsReport, checked_period, period_bound
from dialer.reports.needs_files import NEEDS_FORMATS, NeedsAnalysis, file_name, rendered
from dialer.storage.database import migrated_database


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    bound = period_bound(value, last=param.name == "end")
    if isinstance(bound, date):
        return bound
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"« {value[:40]} » : un mois AAAA-MM ou une date AAAA-MM-JJ"
        ) from None


@click.command("needs")
@click.argument("campaign", type=click.IntRange(min=1))
@click.option("--from", "start", callback=_day, help="Premier mois (AAAA-MM) ou son 1er jour.")
@click.option("--to", "end", callback=_day, help="Dernier mois (AAAA-MM) ou son dernier jour.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(NEEDS_FORMATS),
    default="pdf",
    show_default=True,
    help="csv (« ; », UTF-8 avec BOM), xlsx ou pdf (avec graphiques).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier à écrire (défaut : besoins-campagne-N.FORMAT ici).",
)
@click.pass_context
def report_needs(
    ctx: click.Context,
    *,
    campaign: int,
    start: date | None,
    end: date | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Analyse des besoins d'une campagne de la veille sociale : besoins et attentes par
    type, quartier et mois, orientations, suivis, ménages joints ; agrégats anonymes
    (petites cases masquées). L'export est inscrit au journal."""
    settings = settings_of(ctx)
    period = checked_period(start, end)
    threshold = settings.reports.needs_min_cell

    async def run() -> tuple[NeedsReport, bytes]:
        async with migrated_database(settings.database_address()) as sessions:
            analysis = NeedsAnalysis(sessions, threshold=threshold)
            report = await analysis.build(campaign, period, now=datetime.now(UTC))
        return report, await rendered(report, fmt)

    report, content = asyncio.run(run())
    details = {
        "table": "besoins",
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
        "format": fmt,
        "min_cell": threshold,
    }
    asyncio.run(record_cli_change(settings, f"export.{fmt}", f"campaign:{campaign}", details))
    path = out or Path(file_name(report, fmt))
    path.write_bytes(content)
    click.echo(f"Analyse des besoins écrite : {path}")
