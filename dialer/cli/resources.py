"""``dialer resources``: the directory of resources the volunteers orient households to
(city services, local partners), on the server itself, in the database: ``import`` a file
(all or nothing: a bad line is named ``file:line:field``), ``list``. Audited as
``cli:<system user>``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from dialer.cli.context import cli_actor, cli_route, database, settings_of
from dialer.core.labels import NEED_KIND_LABELS
from dialer.core.resources import NeedKind, needs_of
from dialer.resource_files import read_resources
from dialer.storage.resource_rows import ResourceRow
from dialer.storage.resources import ResourceDirectory


@click.group("resources")
def resources() -> None:
    """L'annuaire des ressources (services de la Ville, partenaires) de la veille sociale."""


@resources.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_context
def resources_import(ctx: click.Context, file: Path) -> None:
    """Ajoute ou met à jour (par leur nom) les ressources d'un fichier CSV (« ; », en-tête
    obligatoire) : nom;besoins;zone;contact;horaires. Une ligne fautive est nommée
    (fichier:ligne:champ) et rien n'est enregistré."""
    settings = settings_of(ctx)
    entries = read_resources(file)

    async def run() -> tuple[int, int]:
        async with database(settings) as sessions:
            return await ResourceDirectory(sessions).import_entries(
                entries, actor=cli_actor(), now=datetime.now(UTC), route=cli_route()
            )

    added, updated = asyncio.run(run())
    click.echo(f"{added} ressource(s) ajoutée(s), {updated} mise(s) à jour.")


def describe(row: ResourceRow) -> str:
    needs = ", ".join(NEED_KIND_LABELS[NeedKind(value)] for value in row.needs)
    line = f"{row.name} ({needs}) — {row.area} — {row.contact}"
    if row.hours:
        line += f" — {row.hours}"
    return line + ("" if row.active else " [plus proposée]")


@resources.command("list")
@click.option("--besoin", "need", help="Seulement pour ce besoin (alimentation, logement…).")
@click.pass_context
def resources_list(ctx: click.Context, need: str | None) -> None:
    """Les ressources de l'annuaire."""
    settings = settings_of(ctx)
    kind = needs_of(need, field="--besoin")[0] if need else None

    async def run() -> list[ResourceRow]:
        async with database(settings) as sessions:
            return await ResourceDirectory(sessions).list(kind)

    rows = asyncio.run(run())
    if not rows:
        click.echo("Aucune ressource.")
    for row in rows:
        click.echo(describe(row))
