"""``dialer backup DEST``: a consistent copy of the SQLite database while the service
runs (PostgreSQL: ``pg_dump``, see docs/operations.md). The copy is audited: it holds
the register."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from dialer.cli.context import record_cli_change, settings_of
from dialer.storage.backup import back_up_sqlite, sqlite_file


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Écrase une sauvegarde existante.")
@click.pass_context
def backup(ctx: click.Context, destination: Path, *, replace: bool) -> None:
    """Copie la base SQLite, service en marche, dans DESTINATION (lisible par vous seul)."""
    settings = settings_of(ctx)
    source = sqlite_file(settings.database_url)

    async def run() -> None:
        copy = await asyncio.to_thread(back_up_sqlite, source, destination, replace=replace)
        await record_cli_change(
            settings,
            "database.backup",
            str(copy.path),
            {"octets": copy.size_bytes, "tentatives": copy.attempts, "schema": copy.schema_version},
        )
        click.echo(
            f"Sauvegarde écrite : {copy.path} ({copy.size_bytes // 1024} Kio, "
            f"{copy.people} personne(s), {copy.attempts} tentative(s), "
            f"schéma {copy.schema_version}), vérifiée."
        )

    asyncio.run(run())
