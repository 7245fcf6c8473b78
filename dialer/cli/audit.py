"""``dialer audit``: search the audit log (who changed or read what) through the running
service's REST API; ``dialer audit verify`` checks its hash chain in the database."""

from __future__ import annotations

import asyncio
from datetime import datetime

import click

from dialer.cli.api_client import api_options, client
from dialer.cli.context import database, settings_of
from dialer.core.windows import PARIS
from dialer.errors import ConflictError
from dialer.storage.audit import AuditLog, ChainReport


@click.group("audit", invoke_without_command=True)
@click.option("--actor", help="Qui (identifiant, api:<jeton>, cli:<utilisateur>).")
@click.option(
    "--action", help="Type d'action, ou préfixe terminé par « . » (campaign., read., export.)."
)
@click.option("--target", help="Cible (campaign:3, agent:dupont, person:12).")
@click.option("--person", type=int, help="Les entrées sur cette personne (son numéro).")
@click.option("--since", help="Depuis (ISO 8601 avec fuseau, ex. 2026-07-13T09:00:00+02:00).")
@click.option("--until", help="Jusqu'à, exclu (ISO 8601 avec fuseau).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@api_options
@click.pass_context
def audit(
    ctx: click.Context,
    *,
    actor: str | None,
    action: str | None,
    target: str | None,
    person: int | None,
    since: str | None,
    until: str | None,
    limit: int,
    url: str | None,
    token: str | None,
) -> None:
    """Le journal (modifications et consultations), les plus récentes d'abord."""
    if ctx.invoked_subcommand is not None:
        return
    wanted = {
        "actor": actor,
        "action": action,
        "target": target,
        "person": str(person) if person is not None else None,
        "since": since,
        "until": until,
    }
    params = {k: v for k, v in wanted.items() if v}
    with client(ctx, url, token) as api:
        rows = api.items("/audit", params=params, most=limit)
    for row in rows:
        at = datetime.fromisoformat(row["at"]).astimezone(PARIS)
        where = f" [{row['route']}]" if row.get("route") else ""
        click.echo(
            f"{at:%d/%m/%Y %H:%M:%S} {row['actor']} {row['action']} {row['target']}{where} "
            f"{row['details']}"
        )


@audit.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Vérifie la chaîne de hachage du journal (sortie non nulle à la première rupture)."""
    settings = settings_of(ctx)

    async def run() -> ChainReport:
        async with database(settings) as sessions:
            return await AuditLog(sessions).verify()

    report = asyncio.run(run())
    if report.broken is not None:
        where = (
            f"entrée n° {report.broken.entry_id}"
            if report.broken.entry_id is not None
            else "fin du journal"
        )
        raise ConflictError(
            f"journal altéré : {where} : {report.broken.reason} "
            f"({report.entries} entrées vérifiées avant)"
        )
    click.echo(f"Journal intact : {report.entries} entrées vérifiées.")
