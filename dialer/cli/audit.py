"""``dialer audit``: the log of changes, through the running service's REST API."""

from __future__ import annotations

from datetime import datetime

import click

from dialer.cli.api_client import api_options, client
from dialer.core.windows import PARIS


@click.command("audit")
@click.option("--actor", help="Qui (identifiant, api:<jeton>, cli:<utilisateur>).")
@click.option("--action", help="Action, ou préfixe terminé par « . » (campaign.).")
@click.option("--target", help="Cible (campaign:3, agent:dupont).")
@click.option("--since", help="Depuis (ISO 8601 avec fuseau, ex. 2026-07-13T09:00:00+02:00).")
@click.option("--limit", type=int, default=50, show_default=True)
@api_options
@click.pass_context
def audit(
    ctx: click.Context,
    *,
    actor: str | None,
    action: str | None,
    target: str | None,
    since: str | None,
    limit: int,
    url: str | None,
    token: str | None,
) -> None:
    """Le journal des modifications, les plus récentes d'abord."""
    params = {
        k: v
        for k, v in {"actor": actor, "action": action, "target": target, "since": since}.items()
        if v
    }
    params["limit"] = str(limit)
    with client(ctx, url, token) as api:
        rows = api.call("GET", "/audit", params=params)
    for row in rows:
        at = datetime.fromisoformat(row["at"]).astimezone(PARIS)
        click.echo(
            f"{at:%d/%m/%Y %H:%M:%S} {row['actor']} {row['action']} {row['target']} "
            f"{row['details']}"
        )
