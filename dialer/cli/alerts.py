"""``dialer alert``: alert episodes started, ended and listed, through the running
service's REST API (the same code and audit log as the pages). While an episode lasts the
service runs its cycles by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from dialer.cli.api_client import api_options, client
from dialer.core.episodes import AlertKind
from dialer.core.labels import ALERT_KIND_LABELS
from dialer.core.windows import PARIS


def _episode_line(e: dict[str, Any]) -> str:
    kind = ALERT_KIND_LABELS.get(AlertKind(e["kind"]), e["kind"])
    area = ", ".join(e["districts"]) if e["districts"] else "toute la ville"
    started = datetime.fromisoformat(e["started_at"]).astimezone(PARIS)
    line = (
        f"n° {e['id']} {kind}, niveau {e['level']}, {area} : depuis le "
        f"{started:%d/%m %H:%M} (par {e['started_by']})"
    )
    if e.get("ended_at"):
        ended = datetime.fromisoformat(e["ended_at"]).astimezone(PARIS)
        line += f", terminé le {ended:%d/%m %H:%M} (par {e['ended_by']})"
    else:
        line += ", en cours"
    if e.get("campaign_id") is not None:
        line += f", campagne n° {e['campaign_id']}"
    return line


@click.group()
def alert() -> None:
    """Épisodes d'alerte (par l'API du service en marche)."""


@alert.command("start")
@click.option(
    "--kind", required=True, type=click.Choice([k.value for k in AlertKind]), help="Type."
)
@click.option("--level", required=True, type=click.IntRange(1, 4), help="Niveau du plan (1 à 4).")
@click.option(
    "--district",
    "districts",
    multiple=True,
    help="Quartier concerné (répétable ; aucun : toute la ville).",
)
@click.option(
    "--template",
    "template_key",
    help="Modèle de campagne (heatwave, cold_spell, epidemic, flood... ; défaut : celui du "
    "type d'alerte).",
)
@click.option("--name", help="Nom de la campagne (défaut : modèle + date et heure).")
@api_options
@click.pass_context
def alert_start(
    ctx: click.Context,
    *,
    kind: str,
    level: int,
    districts: tuple[str, ...],
    template_key: str | None,
    name: str | None,
    url: str | None,
    token: str | None,
) -> None:
    """Déclenche un épisode d'alerte : sa campagne, son premier cycle avec tout le registre
    et les premiers appels ; le service ouvre ensuite un cycle à chaque échéance."""
    payload: dict[str, Any] = {"kind": kind, "level": level, "districts": list(districts)}
    if template_key is not None:
        payload["template"] = template_key
    if name is not None:
        payload["name"] = name
    with client(ctx, url, token) as api:
        started = api.call("POST", "/episodes", json=payload)
    click.echo("Épisode déclenché : " + _episode_line(started["episode"]))
    click.echo(
        f"Campagne « {started['campaign']['name']} » : {started['people']} personnes dans le "
        f"cycle 1, {started['first_dials']} appel(s) lancé(s) aussitôt."
    )


@alert.command("end")
@click.argument("episode_id", type=int, required=False)
@api_options
@click.pass_context
def alert_end(
    ctx: click.Context, episode_id: int | None, url: str | None, token: str | None
) -> None:
    """Termine l'épisode EPISODE_ID (défaut : le seul en cours) : plus de nouvel appel, les
    appels en cours finissent, le cycle est clos."""
    with client(ctx, url, token) as api:
        if episode_id is None:
            running = [e for e in api.items("/episodes") if e["active"]]
            if not running:
                raise click.UsageError("aucun épisode d'alerte en cours")
            if len(running) > 1:  # a heatwave and a flood at once: say which one
                numbers = ", ".join(f"n° {e['id']}" for e in running)
                raise click.UsageError(
                    f"plusieurs épisodes d'alerte en cours ({numbers}) : précisez EPISODE_ID"
                )
            episode_id = int(running[0]["id"])
        ended = api.call("POST", f"/episodes/{episode_id}/end")
    click.echo("Épisode terminé : " + _episode_line(ended))
    click.echo(f"Son rapport : dialer report episode {ended['id']} (page {ended['report_url']})")


@alert.command("list")
@api_options
@click.pass_context
def alert_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les épisodes d'alerte, les plus récents d'abord."""
    with client(ctx, url, token) as api:
        rows = api.items("/episodes")
    for row in rows:
        click.echo(_episode_line(row))
    if not rows:
        click.echo("Aucun épisode d'alerte.")
