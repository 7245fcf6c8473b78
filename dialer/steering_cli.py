"""The steering commands of ``dialer``: campaigns, agents' forced logout, teams, the audit
log (through the running service's REST API, so the same code and the same audit log as
the pages), and API tokens (in the database, by an administrator on the server).

``--url`` defaults to the settings' web address; the token comes from ``--token`` or
``DIALER_API_TOKEN``.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from dialer.api_client import TOKEN_VARIABLE, ApiClient
from dialer.campaigns.start import start_campaign
from dialer.campaigns.templates import TEMPLATES, template
from dialer.core.pacing import PacingMode
from dialer.core.windows import PARIS
from dialer.settings import Settings
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory, migrated_database

F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    """Who runs a command on the server itself, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:inconnu"


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("settings not loaded")
    return settings


def database(settings: Settings) -> AbstractAsyncContextManager[SessionFactory]:
    """The migrated database of the settings (offline commands, on the server)."""
    return migrated_database(settings.database_url)


def api_options(command: F) -> F:
    """``--url`` and ``--token`` for a command that calls the running service."""
    command = click.option(
        "--token",
        envvar=TOKEN_VARIABLE,
        help=f"Jeton d'API (défaut : ${TOKEN_VARIABLE}).",
    )(command)
    return click.option(
        "--url", help="Adresse du service (défaut : réglages web.host et web.port)."
    )(command)


def client(ctx: click.Context, url: str | None, token: str | None) -> ApiClient:
    web = _settings(ctx).web
    return ApiClient(url or f"http://{web.host}:{web.port}", token)


def _campaign_line(c: dict[str, Any]) -> str:
    cycle = c.get("cycle") or {}
    state = {
        "draft": "en préparation",
        "running": "en cours",
        "paused": "en pause",
        "stopped": "arrêtée",
        "finished": "terminée",
    }.get(c["state"], c["state"])
    return (
        f"n° {c['id']} « {c['name']} » : {state}"
        + (" (appelle)" if c.get("attached") else "")
        + (f", cycle {cycle['number']}" if cycle else "")
        + f", rythme {c['pacing_mode']}, abandons ≤ {c['max_abandon_rate'] * 100:g} %"
        + (
            f", lignes par agent ≤ {c['max_lines_per_agent']:g}"
            if c.get("max_lines_per_agent") is not None
            else ""
        )
    )


# ---- campaigns --------------------------------------------------------------------------
@click.group()
def campaign() -> None:
    """Campagnes d'appels (par l'API du service en marche)."""


@campaign.command("list")
@api_options
@click.pass_context
def campaign_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les campagnes, les plus récentes d'abord."""
    with client(ctx, url, token) as api:
        rows = api.call("GET", "/campaigns")
    for row in rows:
        click.echo(_campaign_line(row))
    if not rows:
        click.echo("Aucune campagne.")


@campaign.command("create")
@click.option("--template", "template_key", required=True, type=click.Choice(sorted(TEMPLATES)))
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
@click.option("--template", "template_key", required=True, type=click.Choice(sorted(TEMPLATES)))
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
    type=click.Choice(sorted(TEMPLATES)),
    help="Démarrer depuis l'alerte avec ce modèle (comme start-from-alert).",
)
@click.option("--name", help="Nom de la campagne créée avec --template.")
@click.option(
    "--offline",
    is_flag=True,
    help="Avec --template, sans le service : écrit la campagne en base ; "
    "« dialer serve » la reprendra à son démarrage.",
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
    url: str | None,
    token: str | None,
) -> None:
    """Démarre la campagne CAMPAIGN_ID (ouvre un cycle s'il n'y en a pas), ou, avec
    --template, démarre depuis l'alerte."""
    if (campaign_id is None) == (template_key is None):
        raise click.UsageError("indiquez soit CAMPAIGN_ID, soit --template")
    if template_key is None:
        _steer(ctx, "start", campaign_id=campaign_id, url=url, token=token, done="démarrée")
        return
    if not offline:
        _alert_start(ctx, template_key, name, url, token)
        return
    settings = _settings(ctx)

    async def run() -> Any:
        async with database(settings) as sessions:
            started = await start_campaign(
                sessions,
                template(template_key),
                now=datetime.now(UTC),
                name=name,
                caller_id=settings.dialing.caller_id,
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


# ---- agents (added to the ``agents`` group by dialer.cli) -------------------------------
@click.command("logout")
@click.argument("username")
@api_options
@click.pass_context
def agents_logout(ctx: click.Context, username: str, url: str | None, token: str | None) -> None:
    """Déconnecte un agent : son poste du moteur d'appels et ses sessions web."""
    with client(ctx, url, token) as api:
        done = api.call("POST", f"/agents/{username}/logout")
    click.echo(
        f"Agent {username} déconnecté (était : {done['was']} ; "
        f"{done['web_sessions_ended']} session(s) web fermée(s))."
    )


@click.command("list")
@api_options
@click.pass_context
def agents_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les agents et leur état dans le moteur d'appels."""
    with client(ctx, url, token) as api:
        rows = api.call("GET", "/agents")
    for row in rows:
        click.echo(f"{row['username']} ({row['sip_endpoint'] or '—'}) : {row['state']}")


# ---- teams ------------------------------------------------------------------------------
@click.group()
def teams() -> None:
    """Les équipes d'intervention (par l'API du service en marche)."""


@teams.command("list")
@api_options
@click.pass_context
def teams_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les équipes, leur périmètre et leurs membres."""
    with client(ctx, url, token) as api:
        rows = api.call("GET", "/teams")
    for row in rows:
        click.echo(
            f"n° {row['id']} {row['name']}{' (par défaut)' if row['is_default'] else ''} : "
            f"quartiers {', '.join(row['districts']) or 'tous'} ; "
            f"membres {', '.join(row['members']) or 'aucun'}"
        )


@teams.command("create")
@click.argument("name")
@click.option("--district", "districts", multiple=True, help="Quartier couvert (répétable).")
@click.option("--need", "needs", multiple=True, help="Besoin couvert (répétable).")
@click.option("--email", help="Adresse de l'équipe.")
@click.option("--default", "is_default", is_flag=True, help="Reçoit les alertes non couvertes.")
@api_options
@click.pass_context
def teams_create(
    ctx: click.Context,
    *,
    name: str,
    districts: tuple[str, ...],
    needs: tuple[str, ...],
    email: str | None,
    is_default: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Crée une équipe d'intervention."""
    body = {
        "name": name,
        "districts": list(districts),
        "needs": list(needs),
        "email": email,
        "is_default": is_default,
    }
    with client(ctx, url, token) as api:
        row = api.call("POST", "/teams", json=body)
    click.echo(f"Équipe « {row['name']} » créée (n° {row['id']}).")


@teams.command("members")
@click.argument("team_id", type=int)
@click.argument("usernames", nargs=-1)
@api_options
@click.pass_context
def teams_members(
    ctx: click.Context, team_id: int, usernames: tuple[str, ...], url: str | None, token: str | None
) -> None:
    """Fixe exactement les membres de l'équipe TEAM_ID."""
    with client(ctx, url, token) as api:
        row = api.call("PUT", f"/teams/{team_id}/members", json={"members": list(usernames)})
    click.echo(f"Équipe « {row['name']} » : {', '.join(row['members']) or 'aucun membre'}.")


# ---- audit log --------------------------------------------------------------------------
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


# ---- API tokens -------------------------------------------------------------------------
@click.group("api-token")
def api_token() -> None:
    """Jetons d'API (en base, sur le serveur, par un administrateur)."""


@api_token.command("create")
@click.option("--user", "username", required=True, help="Compte au nom duquel le jeton agit.")
@click.option("--name", help="Nom du jeton (défaut : UTILISATEUR-AAAAMMJJHHMMSS).")
@click.pass_context
def api_token_create(ctx: click.Context, username: str, name: str | None) -> None:
    """Crée un jeton d'API (affiché une seule fois) ; il agit avec le rôle du compte."""
    settings = _settings(ctx)
    now = datetime.now(UTC)
    token_name = name or f"{username}-{now:%Y%m%d%H%M%S}"

    async def run() -> str:
        async with database(settings) as sessions:
            actor = cli_actor()
            _record, token = await ApiTokenRepository(sessions).create(
                name=token_name, username=username, created_by=actor, now=now
            )
            await AuditLog(sessions).record(
                actor=actor,
                action="api_token.create",
                target=f"api_token:{token_name}",
                at=now,
                details={"user": username},
            )
            return token

    token = asyncio.run(run())
    click.echo(f"Jeton « {token_name} » pour {username} (affiché une seule fois) :")
    click.echo(token)
    click.echo(f"Puis : export {TOKEN_VARIABLE}=…")


@api_token.command("revoke")
@click.argument("name")
@click.pass_context
def api_token_revoke(ctx: click.Context, name: str) -> None:
    """Révoque un jeton d'API."""
    settings = _settings(ctx)

    async def run() -> None:
        async with database(settings) as sessions:
            now = datetime.now(UTC)
            await ApiTokenRepository(sessions).revoke(name, now=now)
            await AuditLog(sessions).record(
                actor=cli_actor(), action="api_token.revoke", target=f"api_token:{name}", at=now
            )

    asyncio.run(run())
    click.echo(f"Jeton « {name} » révoqué.")


@api_token.command("list")
@click.pass_context
def api_token_list(ctx: click.Context) -> None:
    """Liste les jetons d'API (jamais le jeton lui-même)."""
    settings = _settings(ctx)

    async def run() -> list[str]:
        async with database(settings) as sessions:
            return [
                f"{record.name} : {username}, "
                f"créé le {record.created_at.astimezone(PARIS):%d/%m/%Y}"
                + (" (révoqué)" if record.revoked_at else "")
                for record, username in await ApiTokenRepository(sessions).list_all()
            ]

    for line in asyncio.run(run()) or ["Aucun jeton."]:
        click.echo(line)


async def record_cli_change(
    settings: Settings, action: str, target: str, details: dict[str, Any]
) -> None:
    """An audit entry for a change made by a command directly in the database."""
    async with database(settings) as sessions:
        await AuditLog(sessions).record(
            actor=cli_actor(), action=action, target=target, at=datetime.now(UTC), details=details
        )


__all__ = [
    "agents_list",
    "agents_logout",
    "api_token",
    "audit",
    "campaign",
    "record_cli_change",
    "teams",
]
