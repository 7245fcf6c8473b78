"""``dialer agents``: an agent's SIP account (in the database, on the server), and the
agents' state and forced logout (through the running service's REST API). An agent's
account is created by ``dialer users create NAME --role agent``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import click

from dialer.cli.api_client import api_options, client
from dialer.cli.context import database, record_cli_change, settings_of
from dialer.core.serving import DEFAULT_PRIORITY
from dialer.errors import InputError
from dialer.storage.sip_accounts import SipAccountRepository


@click.group()
def agents() -> None:
    """Les agents et leurs comptes SIP."""


@agents.command("sip-reset")
@click.argument("username")
@click.option("--remote", is_flag=True, help="Télétravail : TLS + SRTP depuis un softphone.")
@click.option(
    "--browser",
    is_flag=True,
    help="Téléphone dans la page de l'agent (WebRTC) : rien à installer.",
)
@click.pass_context
def agents_sip_reset(ctx: click.Context, username: str, remote: bool, browser: bool) -> None:
    """Donne de nouveaux identifiants SIP à un agent (affichés une seule fois)."""
    settings = settings_of(ctx)
    if remote and browser:
        raise InputError("--remote et --browser : choisissez un softphone ou le navigateur")

    async def reset() -> tuple[str, str]:
        async with database(settings) as sessions:
            return await SipAccountRepository(sessions).reset(
                username, remote=remote, browser=browser, now=datetime.now(UTC)
            )

    endpoint, sip_password = asyncio.run(reset())
    asyncio.run(
        record_cli_change(
            settings,
            "agent.sip_reset",
            f"agent:{username}",
            {"remote": remote, "browser": browser},
        )
    )
    if browser:
        click.echo(
            f"Compte SIP {endpoint} : téléphone dans la page de l'agent ; il se connecte "
            "seul à l'ouverture de « Mon poste ». Puis : dialer asterisk sync"
        )
        return
    click.echo(f"Compte SIP {endpoint} : nouveau mot de passe {sip_password} (affiché une fois)")


@agents.command("logout")
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


@agents.command("list")
@api_options
@click.pass_context
def agents_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les agents et leur état dans le moteur d'appels."""
    with client(ctx, url, token) as api:
        rows = api.items("/agents")
    from dialer.core.agent_states import AgentState  # noqa: PLC0415 - the CLI starts fast
    from dialer.core.labels import AGENT_STATE_LABELS  # noqa: PLC0415

    for row in rows:
        state = AGENT_STATE_LABELS[AgentState(row["state"])]
        click.echo(f"{row['username']} ({row['sip_endpoint'] or '—'}) : {state}")


def _served_text(answer: dict[str, Any]) -> str:
    """The campaigns an agent serves, as the API gave them."""
    name = answer["username"]
    if answer["every_campaign"]:
        return f"{name} sert toutes les campagnes en cours."
    lines = [f"{name} sert :"]
    lines += [
        f"  campagne {c['campaign_id']} « {c['campaign_name']} » : priorité {c['priority']}"
        for c in answer["campaigns"]
    ]
    return "\n".join(lines)


@agents.command("campaigns")
@click.argument("username")
@api_options
@click.pass_context
def agents_campaigns(ctx: click.Context, username: str, url: str | None, token: str | None) -> None:
    """Les campagnes que sert un agent (aucune choisie : toutes celles en cours)."""
    with client(ctx, url, token) as api:
        click.echo(_served_text(api.call("GET", f"/agents/{username}/campaigns")))


@agents.command("serve")
@click.argument("username")
@click.argument("campaign", type=int)
@click.option(
    "--priority",
    type=int,
    default=DEFAULT_PRIORITY,
    show_default=True,
    help="La plus haute l'emporte quand deux campagnes ont un appel pour l'agent.",
)
@api_options
@click.pass_context
def agents_serve(
    ctx: click.Context,
    username: str,
    campaign: int,
    *,
    priority: int,
    url: str | None,
    token: str | None,
) -> None:
    """L'agent sert cette campagne, avec sa priorité (superviseurs)."""
    with client(ctx, url, token) as api:
        answer = api.call(
            "PUT", f"/agents/{username}/campaigns/{campaign}", json={"priority": priority}
        )
    click.echo(_served_text(answer))


@agents.command("unserve")
@click.argument("username")
@click.argument("campaign", type=int)
@api_options
@click.pass_context
def agents_unserve(
    ctx: click.Context, username: str, campaign: int, url: str | None, token: str | None
) -> None:
    """L'agent ne sert plus cette campagne (superviseurs)."""
    with client(ctx, url, token) as api:
        answer = api.call("DELETE", f"/agents/{username}/campaigns/{campaign}")
    click.echo(_served_text(answer))
