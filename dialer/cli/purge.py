"""``dialer purge``: delete the personal data past its retention (``retention.*`` settings),
as the service does every day; ``--dry-run`` shows, per kind, how many rows would go."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from dialer.cli.context import cli_actor, database, settings_of
from dialer.core.labels import DATA_KIND_LABELS
from dialer.core.windows import PARIS
from dialer.retention.purge import PurgeReport, RetentionPurge


@click.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Affiche ce qui serait supprimé, sans rien supprimer."
)
@click.pass_context
def purge(ctx: click.Context, *, dry_run: bool) -> None:
    """Supprime les données personnelles dont la durée de conservation est dépassée."""
    settings = settings_of(ctx)

    async def run() -> PurgeReport:
        async with database(settings) as sessions:
            retention = RetentionPurge.from_settings(sessions, settings)
            now = datetime.now(UTC)
            if dry_run:
                return await retention.preview(now)
            return await retention.run(now, actor=cli_actor())

    report = asyncio.run(run())
    verb = "seraient supprimées" if dry_run else "supprimées"
    click.echo("Simulation : rien n'est supprimé." if dry_run else "Purge effectuée.")
    for kind, count in report.counts.items():
        before = report.cutoffs[kind].astimezone(PARIS)
        click.echo(
            f"  {DATA_KIND_LABELS[kind]} (avant le {before:%d/%m/%Y %H:%M}) : "
            f"{count} ligne(s) {verb}"
        )
