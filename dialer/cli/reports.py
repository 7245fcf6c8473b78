"""``dialer report``: a campaign's (or a cycle's) report in the terminal, its exports, and
its billing; an alert episode's report (``dialer report episode``); a cycle's changes for
the register's owner (``dialer report register-changes``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from dialer.cli.context import cli_actor, cli_route, record_cli_change, settings_of
from dialer.cli.needs import report_needs
from dialer.errors import ConflictError, DialerError
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    QuestionnaireCatalog,
    load_questionnaires,
)
from dialer.reports import tables
from dialer.reports.episodes import (
    EPISODE_FORMATS,
    EpisodeReport,
    EpisodeReports,
    episode_tables,
    write_episode_files,
)
from dialer.reports.exports import csv_cell
from dialer.reports.files import FORMATS, write_report_files
from dialer.reports.register_changes import register_changes_csv
from dialer.reports.result_exports import RESULT_FORMATS, PersonResults
from dialer.reports.service import Report, ReportBuilder
from dialer.settings import Settings
from dialer.storage.database import migrated_database

QUESTIONNAIRES = SHIPPED_QUESTIONNAIRES


def _catalog() -> QuestionnaireCatalog | None:
    try:
        return load_questionnaires(QUESTIONNAIRES)
    except DialerError:
        return None


async def _build(
    settings: Settings, campaign: int, cycle: int | None, price_grid: Path | None
) -> Report:
    async with migrated_database(settings.database_address()) as sessions:
        builder = ReportBuilder(
            sessions,
            catalog=_catalog(),
            price_grid_file=price_grid or settings.billing.price_grid_file,
        )
        return await builder.build(campaign, cycle, now=datetime.now(UTC))


def _report(
    ctx: click.Context, campaign: int, cycle: int | None, grid: Path | None, action: str
) -> Report:
    """The report; its reading is written to the audit log (it lists people by name)."""
    settings = settings_of(ctx)
    report = asyncio.run(_build(settings, campaign, cycle, grid))
    scope = {"cycle": str(cycle) if cycle else "tous"}
    asyncio.run(record_cli_change(settings, action, f"campaign:{campaign}", scope))
    return report


async def _build_episode(
    settings: Settings, episode: int, price_grid: Path | None
) -> EpisodeReport:
    async with migrated_database(settings.database_address()) as sessions:
        reports = EpisodeReports(
            sessions,
            catalog=_catalog(),
            price_grid_file=price_grid or settings.billing.price_grid_file,
        )
        return await reports.build(episode, now=datetime.now(UTC))


def _echo_table(table: tables.Table, report: Report, *, limit: int | None = None) -> None:
    click.echo(f"\n{table.title}")
    click.echo("-" * len(table.title))
    texts = [list(table.headers)] + [
        [csv_cell(value, report.zone) for value in row] for row in table.rows[:limit]
    ]
    widths = [min(50, max(len(row[i]) for row in texts)) for i in range(len(table.headers))]
    for row in texts:
        click.echo(
            "  ".join(text[:50].ljust(width) for text, width in zip(row, widths, strict=True))
        )
    if limit is not None and len(table.rows) > limit:
        click.echo(f"… et {len(table.rows) - limit} ligne(s) de plus (voir les exports)")


campaign_option = click.option(
    "--campaign", "campaign", type=int, required=True, help="Numéro de la campagne."
)
cycle_option = click.option(
    "--cycle", "cycle", type=click.IntRange(min=1), help="Numéro du cycle (défaut : tous)."
)
grid_option = click.option(
    "--price-grid",
    "price_grid",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Grille tarifaire TOML (défaut : réglage billing.price_grid_file, sinon celle livrée).",
)


@click.group()
def report() -> None:
    """Rapports de campagne : chiffres, exports CSV/XLSX/PDF, facturation."""


@report.command("show")
@campaign_option
@cycle_option
@grid_option
@click.pass_context
def report_show(
    ctx: click.Context, campaign: int, cycle: int | None, price_grid: Path | None
) -> None:
    """Affiche les tableaux du rapport (les listes longues sont tronquées)."""
    result = _report(ctx, campaign, cycle, price_grid, "read.report")
    click.echo(f"Rapport : {result.scope}")
    for table in tables.all_tables(result):
        if table.key != "contacts_factures":
            _echo_table(table, result, limit=20)


@report.command("export")
@campaign_option
@cycle_option
@grid_option
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="csv (un fichier par tableau, « ; », UTF-8 avec BOM), xlsx, pdf ; répétable "
    "(défaut : les trois).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Dossier de destination (créé au besoin).",
)
@click.pass_context
def report_export(
    ctx: click.Context,
    *,
    campaign: int,
    cycle: int | None,
    price_grid: Path | None,
    formats: tuple[str, ...],
    out: Path,
) -> None:
    """Écrit le rapport en CSV, XLSX et/ou PDF dans --out."""
    chosen = formats or FORMATS
    result = _report(ctx, campaign, cycle, price_grid, "export." + "+".join(chosen))
    written = write_report_files(result, out, chosen)
    click.echo(f"Rapport : {result.scope}")
    for path in written:
        click.echo(f"  {path}")


@report.command("billing")
@campaign_option
@cycle_option
@grid_option
@click.option(
    "--check",
    is_flag=True,
    help="Code de sortie 75 si le rapprochement avec le registre des appels montre un écart.",
)
@click.pass_context
def report_billing(
    ctx: click.Context, *, campaign: int, cycle: int | None, price_grid: Path | None, check: bool
) -> None:
    """Facturation : contacts utiles par tranche, part DMT, mise en place, rapprochement."""
    result = _report(ctx, campaign, cycle, price_grid, "read.billing")
    click.echo(f"Facturation : {result.scope}")
    _echo_table(tables.billing(result), result)
    if result.billing.reconciliation.issues:
        _echo_table(tables.reconciliation_issues(result), result)
    if check and not result.billing.reconciliation.balanced:
        raise ConflictError(
            f"rapprochement : {tables.reconciliation_status(result)} "
            "(détail : dialer report export --format csv, tableau ecarts_facturation)"
        )


@report.command("episode")
@click.argument("episode", type=click.IntRange(min=1))
@grid_option
@click.option(
    "--format",
    "formats",
    type=click.Choice(EPISODE_FORMATS),
    multiple=True,
    help="Avec --out : csv (un fichier par tableau), xlsx ; répétable (défaut : les deux).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier où écrire le rapport (sinon : affiché).",
)
@click.pass_context
def report_episode(
    ctx: click.Context,
    *,
    episode: int,
    price_grid: Path | None,
    formats: tuple[str, ...],
    out: Path | None,
) -> None:
    """Rapport d'un épisode d'alerte : chaque cycle, l'épisode entier, les personnes jamais
    jointes de chaque cycle, la facturation (tranches sur tout l'épisode)."""
    result = asyncio.run(_build_episode(settings_of(ctx), episode, price_grid))
    click.echo(f"Rapport : {result.title}")
    if out is not None:
        for path in write_episode_files(result, out, formats or EPISODE_FORMATS):
            click.echo(f"  {path}")
        return
    for table in episode_tables(result):
        if table.key != "contacts_factures":
            _echo_table(table, result.report, limit=20)


@report.command("register-changes")
@campaign_option
@click.option(
    "--cycle", "cycle", type=click.IntRange(min=1), required=True, help="Numéro du cycle."
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier CSV à écrire (défaut : la sortie standard).",
)
@click.pass_context
def report_register_changes(
    ctx: click.Context, campaign: int, cycle: int, out: Path | None
) -> None:
    """Les changements du cycle pour le propriétaire du registre (décès, déménagements,
    hospitalisations, oppositions : qui, quoi, quand, quel appel), en CSV (« ; », BOM)."""
    settings = settings_of(ctx)

    async def run() -> bytes:
        async with migrated_database(settings.database_address()) as sessions:
            return await register_changes_csv(
                sessions,
                campaign,
                cycle,
                actor=cli_actor(),
                route=cli_route(),
                now=datetime.now(UTC),
            )

    data = asyncio.run(run())
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    out.write_bytes(data)
    out.chmod(0o600)  # names of people: readable by its owner only
    click.echo(f"Changements écrits : {out}")


async def _write_results(
    settings: Settings,
    *,
    campaign: int,
    cycle: int | None,
    episode: int | None,
    out: Path,
    fmt: str,
) -> tuple[str, dict[str, object]]:
    """Writes the results; the audit target and details (the rows written included)."""
    async with migrated_database(settings.database_address()) as sessions:
        results = PersonResults(sessions, catalog=_catalog())
        details: dict[str, object]
        if episode is not None:
            export = await results.for_episode(episode)
            target, details = f"episode:{episode}", {"campaign": export.scope.campaign_id}
        else:
            export = await results.for_campaign(campaign, cycle)
            target, details = f"campaign:{campaign}", {"cycle": str(cycle) if cycle else "tous"}
        await export.write(out, fmt)
    return target, {"table": "resultats", **details, "format": fmt, "rows": export.row_count}


@report.command("results")
@click.option("--campaign", "campaign", type=click.IntRange(min=1), help="Numéro de la campagne.")
@cycle_option
@click.option(
    "--episode", "episode", type=click.IntRange(min=1), help="Numéro de l'épisode d'alerte."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(RESULT_FORMATS),
    default="csv",
    show_default=True,
    help="csv (« ; », UTF-8 avec BOM) ou xlsx.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Fichier à écrire.",
)
@click.pass_context
def report_results(
    ctx: click.Context,
    *,
    campaign: int | None,
    cycle: int | None,
    episode: int | None,
    fmt: str,
    out: Path,
) -> None:
    """Résultats par personne d'un cycle (--campaign, --cycle), d'une campagne ou d'un
    épisode (--episode) : réponses avec le libellé des questions, score, niveau de risque,
    qualification, alertes et leur suivi. L'export est inscrit au journal."""
    if (campaign is None) == (episode is None):
        raise click.UsageError("donnez --campaign ou --episode (l'un des deux)")
    if episode is not None and cycle is not None:
        raise click.UsageError("--cycle va avec --campaign, pas avec --episode")
    settings = settings_of(ctx)
    written = _write_results(
        settings, campaign=campaign or 0, cycle=cycle, episode=episode, out=out, fmt=fmt
    )
    target, details = asyncio.run(written)
    asyncio.run(record_cli_change(settings, f"export.{fmt}", target, details))
    click.echo(f"{details['rows']} ligne(s) écrite(s) dans {out}")


report.add_command(report_needs)
