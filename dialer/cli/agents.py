"""``dialer agents``: an agent's screen login and SIP account (in the database, on the
server), and the agents' state and forced logout (through the running service's REST API).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from dialer.cli.api_client import api_options, client
from dialer.cli.context import database, record_cli_change, settings_of
from dialer.desk.accounts import create_account
from dialer.storage.sip_accounts import SipAccountRepository


@click.group()
def agents() -> None:
    """Les agents et leurs comptes SIP."""


@agents.command("create")
@click.argument("username")
@click.option("--remote", is_flag=True, help="Télétravail : TLS + SRTP depuis un softphone.")
@click.password_option(help="Mot de passe de connexion à l'écran (12 caractères minimum).")
@click.pass_context
def agents_create(ctx: click.Context, username: str, remote: bool, password: str) -> None:
    """Crée le compte d'un agent et ses identifiants SIP (affichés une seule fois)."""
    settings = settings_of(ctx)

    async def create() -> tuple[str, str]:
        async with database(settings) as sessions:
            await create_account(sessions, username, password, "agent", None, username)
            return await SipAccountRepository(sessions).reset(
                username, remote=remote, now=datetime.now(UTC)
            )

    endpoint, sip_password = asyncio.run(create())
    asyncio.run(
        record_cli_change(settings, "agent.create", f"agent:{username}", {"remote": remote})
    )
    click.echo(f"Agent {username} créé. Compte SIP : {endpoint} / mot de passe : {sip_password}")
    click.echo("Ce mot de passe SIP ne sera plus affiché. Puis : dialer asterisk sync")


@agents.command("sip-reset")
@click.argument("username")
@click.option("--remote", is_flag=True, help="Télétravail : TLS + SRTP depuis un softphone.")
@click.pass_context
def agents_sip_reset(ctx: click.Context, username: str, remote: bool) -> None:
    """Donne de nouveaux identifiants SIP à un agent (affichés une seule fois)."""
    settings = settings_of(ctx)

    async def reset() -> tuple[str, str]:
        async with database(settings) as sessions:
            return await SipAccountRepository(sessions).reset(
                username, remote=remote, now=datetime.now(UTC)
            )

    endpoint, sip_password = asyncio.run(reset())
    asyncio.run(
        record_cli_change(settings, "agent.sip_reset", f"agent:{username}", {"remote": remote})
    )
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
        rows = api.call("GET", "/agents")
    from dialer.core.agent_states import AgentState  # noqa: PLC0415 - the CLI starts fast
    from dialer.core.labels import AGENT_STATE_LABELS  # noqa: PLC0415

    for row in rows:
        state = AGENT_STATE_LABELS[AgentState(row["state"])]
        click.echo(f"{row['username']} ({row['sip_endpoint'] or '—'}) : {state}")
