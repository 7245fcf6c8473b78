"""``dialer campaign``: campaigns listed, created, started, paused, resumed, stopped and
their pacing changed, through the running service's REST API (so the same code and the
same audit log as the pages); ``start --template --offline`` writes a started campaign
in the database for ``dialer serve`` to take up.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import click

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import load_templates
from dialer.campaigns.templates import with_cycle_settings
from dialer.cli.api_client import api_options, client
from dialer.cli.context import cli_actor, database, settings_of
from dialer.core.episodes import DEFAULT_LEVEL, check_may_start
from dialer.core.pacing_settings import PacingMode
from dialer.core.windows import PARIS
from dialer.storage.audit import AuditLog
from dialer.storage.episodes import EpisodeRepository


def _campaign_line(c: dict[str, Any]) -> str:
    from dialer.core.campaigns import CampaignState  # noqa: PLC0415 - the CLI starts fast
    from dialer.core.labels import CAMPAIGN_STATE_LABELS, PACING_MODE_LABELS  # noqa: PLC0415
    from dialer.core.pacing_settings import PacingMode  # noqa: PLC0415

    cycle = c.get("cycle") or {}
    state = CAMPAIGN_STATE_LABELS[CampaignState(c["state"])].lower()
    mode = PACING_MODE_LABELS[PacingMode(c["pacing_mode"])].split(" (")[0].lower()
    return (
        f"n° {c['id']} « {c['name']} » : {state}"
        + (" (appelle)" if c.get("attached") else "")
        + (f", cycle {cycle['number']}" if cycle else "")
        + f", rythme {mode}, abandons ≤ {c['max_abandon_rate'] * 100:g} %"
        + (
            f", lignes par agent ≤ {c['max_lines_per_agent']:g}"
            if c.get("max_lines_per_agent") is not None
            else ""
        )
    )


@click.group()
def campaign() -> None:
    """Campagnes d'appels (par l'API du service en marche)."""


@campaign.command("list")
@api_options
@click.pass_context
def campaign_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les campagnes, les plus récentes d'abord."""
    with client(ctx, url, token) as api:
        rows = api.items("/campaigns")
    for row in rows:
        click.echo(_campaign_line(row))
    if not rows:
        click.echo("Aucune campagne.")


@campaign.command("create")
@click.option(
    "--template",
    "template_key",
    required=True,
    help="Clé du modèle (heatwave, cold_spell, epidemic, flood...).",
)
@click.option("--name", help="Nom de la campagne (défaut : modèle + date).")
@api_options
@click.pass_context
def campaign_create(
    ctx: click.Context, template_key: str, name: str | None, url: str | None, token: str | None
) -> None:
    """Crée une campagne depuis un modèle, sans la démarrer."""
    with client(ctx, url, token) as api:
        row = api.call("POST", "/campaigns", json={"template": template_key, "name": name})
    click.echo("Créée : " + _campaign_line(row))


def _alert_start(
    ctx: click.Context, template_key: str, name: str | None, url: str | None, token: str | None
) -> None:
    with client(ctx, url, token) as api:
        started = api.call(
            "POST", "/campaigns/start-from-alert", json={"template": template_key, "name": name}
        )
    first_due = datetime.fromisoformat(started["first_due"]).astimezone(PARIS)
    click.echo(
        f"Campagne « {started['campaign']['name']} » (n° {started['campaign']['id']}) "
        f"démarrée : {started['people']} personnes dans le cycle, premiers appels à "
        f"{first_due:%d/%m %H:%M} ; {started['first_dials']} appel(s) lancé(s) aussitôt "
        f"({started['plan']})."
    )


@campaign.command("start-from-alert")
@click.option(
    "--template",
    "template_key",
    required=True,
    help="Clé du modèle (heatwave, cold_spell, epidemic, flood...).",
)
@click.option("--name", help="Nom de la campagne (défaut : modèle + date et heure).")
@api_options
@click.pass_context
def campaign_start_from_alert(
    ctx: click.Context, template_key: str, name: str | None, url: str | None, token: str | None
) -> None:
    """Une seule action de l'alerte aux premiers appels : campagne depuis le modèle,
    cycle de 48 h avec tout le registre actuel, rattachée au moteur qui appelle aussitôt."""
    _alert_start(ctx, template_key, name, url, token)


@campaign.command("start")
@click.argument("campaign_id", type=int, required=False)
@click.option(
    "--template",
    "template_key",
    help="Démarrer depuis l'alerte avec ce modèle (comme start-from-alert).",
)
@click.option("--name", help="Nom de la campagne créée avec --template.")
@click.option(
    "--offline",
    is_flag=True,
    help="Avec --template, sans le service : écrit la campagne en base ; "
    "« dialer serve » la reprendra à son démarrage.",
)
@click.option("--list", "lists", multiple=True, help="Liste de personnes appelée (répétable).")
@click.option("--district", "districts", multiple=True, help="Quartier (répétable).")
@click.option("--postcode", "postcodes", multiple=True, help="Code postal (répétable).")
@click.option("--min-age", type=int, help="Âge minimal au début du cycle (ex. 65).")
@click.option("--max-age", type=int, help="Âge maximal au début du cycle.")
@click.option(
    "--flag", "flags", multiple=True, help="Indicateur exigé : disability, medical (répétable)."
)
@api_options
@click.pass_context
def campaign_start(
    ctx: click.Context,
    *,
    campaign_id: int | None,
    template_key: str | None,
    name: str | None,
    offline: bool,
    lists: tuple[str, ...],
    districts: tuple[str, ...],
    postcodes: tuple[str, ...],
    min_age: int | None,
    max_age: int | None,
    flags: tuple[str, ...],
    url: str | None,
    token: str | None,
) -> None:
    """Démarre la campagne CAMPAIGN_ID (ouvre un cycle s'il n'y en a pas), ou, avec
    --template, démarre depuis l'alerte. --list, --district, --postcode, --min-age,
    --max-age, --flag : qui elle appelle (sa sélection, affichée avec son effectif)."""
    if (campaign_id is None) == (template_key is None):
        raise click.UsageError("indiquez soit CAMPAIGN_ID, soit --template")
    chosen: dict[str, Any] | None = None
    if lists or districts or postcodes or min_age is not None or max_age is not None or flags:
        chosen = {
            "lists": list(lists),
            "districts": list(districts),
            "postcodes": list(postcodes),
            "min_age": min_age,
            "max_age": max_age,
            "flags": list(flags),
        }
    if template_key is None:
        if chosen is not None:
            with client(ctx, url, token) as api:
                found = api.call(
                    "PUT", f"/campaigns/{campaign_id}/selection", json={"selection": chosen}
                )
            click.echo(f"Sélection : {found['count']} personne(s).")
        _steer(ctx, "start", campaign_id=campaign_id, url=url, token=token, done="démarrée")
        return
    if chosen is not None and not offline:
        raise click.UsageError(
            "la sélection se donne avec CAMPAIGN_ID, ou avec --template --offline"
        )
    if not offline:
        _alert_start(ctx, template_key, name, url, token)
        return
    settings = settings_of(ctx)

    templates = load_templates(settings.templates.directory)  # a broken file: nothing done

    async def run() -> Any:
        async with database(settings) as sessions:
            episodes = EpisodeRepository(sessions)
            tpl = with_cycle_settings(templates.get(template_key), settings.cycles)
            check_may_start(await episodes.running(), tpl.alert, ())
            started = await start_campaign(
                sessions,
                tpl,
                now=datetime.now(UTC),
                name=name,
                caller_id=settings.dialing.caller_id,
                selection=chosen,
            )
            await episodes.start(
                kind=tpl.alert,
                level=DEFAULT_LEVEL,
                districts=(),
                by=cli_actor(),
                at=datetime.now(UTC),
                campaign_id=started.campaign_id,
            )
            await AuditLog(sessions).record(
                actor=cli_actor(),
                action="campaign.start_from_alert",
                target=f"campaign:{started.campaign_id}",
                at=datetime.now(UTC),
                details={"name": started.name, "people": started.people, "offline": True},
            )
            return started

    started = asyncio.run(run())
    click.echo(
        f"Campagne « {started.name} » (n° {started.campaign_id}) démarrée : "
        f"{started.people} personnes dans le cycle {started.cycle_id}, premiers appels à "
        f"{started.first_due.astimezone(PARIS):%d/%m %H:%M} (dès que « dialer serve » tourne)."
    )


@campaign.command("plan")
@click.option("--list", "list_name", required=True, help="Liste des ménages qui ont accepté.")
@click.option("--from", "starts_on", required=True, help="Date de début AAAA-MM-JJ (incluse).")
@click.option("--to", "ends_on", required=True, help="Date de fin AAAA-MM-JJ (incluse).")
@click.option("--name", help="Nom de la campagne (défaut : modèle + dates).")
@click.option(
    "--template", "template_key", default="veille_sociale", show_default=True,
    help="Modèle de veille sociale (plages d'appel et rappels).",
)  # fmt: skip
@api_options
@click.pass_context
def campaign_plan(
    ctx: click.Context,
    *,
    list_name: str,
    starts_on: str,
    ends_on: str,
    name: str | None,
    template_key: str,
    url: str | None,
    token: str | None,
) -> None:
    """Planifie une campagne de veille sociale sur une liste, d'une date à une autre : le
    service l'ouvre à sa date de début et la clôt après sa date de fin (les ménages pas
    joints finissent « non joints »). Ses réglages se changent comme ceux des autres."""
    body = {
        "list": list_name,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "name": name,
        "template": template_key,
    }
    with client(ctx, url, token) as api:
        planned = api.call("POST", "/campaign-plans", json=body)
    first = datetime.fromisoformat(planned["starts_on"])
    last = datetime.fromisoformat(planned["ends_on"])
    click.echo(
        f"Planifiée : « {planned['campaign']['name']} » (n° {planned['campaign_id']}) sur la "
        f"liste « {planned['list']} », du {first:%d/%m/%Y} au {last:%d/%m/%Y}."
    )


def _steer(
    ctx: click.Context,
    action: str,
    *,
    campaign_id: int | None,
    url: str | None,
    token: str | None,
    done: str,
) -> None:
    with client(ctx, url, token) as api:
        row = api.call("POST", f"/campaigns/{campaign_id}/{action}")
    click.echo(f"Campagne {done} : " + _campaign_line(row))


def _steering_command(action: str, done: str, doc: str) -> click.Command:
    @click.argument("campaign_id", type=int)
    @api_options
    @click.pass_context
    def command(ctx: click.Context, campaign_id: int, url: str | None, token: str | None) -> None:
        _steer(ctx, action, campaign_id=campaign_id, url=url, token=token, done=done)

    command.__doc__ = doc
    return click.command(action)(command)


campaign.add_command(
    _steering_command(
        "pause", "mise en pause", "Met la campagne en pause (les appels en cours continuent)."
    )
)
campaign.add_command(_steering_command("resume", "reprise", "Reprend une campagne en pause."))
campaign.add_command(
    _steering_command("stop", "arrêtée", "Arrête la campagne (elle ne compose plus).")
)


@campaign.command("pacing")
@click.argument("campaign_id", type=int)
@click.option("--mode", type=click.Choice([m.value for m in PacingMode]), help="Mode de rythme.")
@click.option(
    "--max-abandon-rate",
    type=float,
    help="Taux d'abandon maximal, part des décrochés (0.01 = 1 %, 0.03 au plus).",
)
@click.option(
    "--max-lines-per-agent",
    type=float,
    help="Lignes en cours au plus par agent connecté et pas en pause (de 1 à 10).",
)
@api_options
@click.pass_context
def campaign_pacing(
    ctx: click.Context,
    *,
    campaign_id: int,
    mode: str | None,
    max_abandon_rate: float | None,
    max_lines_per_agent: float | None,
    url: str | None,
    token: str | None,
) -> None:
    """Change le rythme d'une campagne, même en cours d'appels."""
    body: dict[str, Any] = {}
    if mode is not None:
        body["mode"] = mode
    if max_abandon_rate is not None:
        body["max_abandon_rate"] = max_abandon_rate
    if max_lines_per_agent is not None:
        body["max_lines_per_agent"] = max_lines_per_agent
    with client(ctx, url, token) as api:
        row = api.call("PATCH", f"/campaigns/{campaign_id}/pacing", json=body)
    click.echo("Rythme changé : " + _campaign_line(row))
