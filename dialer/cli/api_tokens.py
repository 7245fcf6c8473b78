"""``dialer api-token``: the REST API's tokens, in the database, made by an administrator
on the server (the steering commands need one)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from dialer.cli.api_client import TOKEN_VARIABLE
from dialer.cli.context import cli_actor, database, settings_of
from dialer.core.windows import PARIS
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditLog


@click.group("api-token")
def api_token() -> None:
    """Jetons d'API (en base, sur le serveur, par un administrateur)."""


@api_token.command("create")
@click.option("--user", "username", required=True, help="Compte au nom duquel le jeton agit.")
@click.option("--name", help="Nom du jeton (défaut : UTILISATEUR-AAAAMMJJHHMMSS).")
@click.pass_context
def api_token_create(ctx: click.Context, username: str, name: str | None) -> None:
    """Crée un jeton d'API (affiché une seule fois) ; il agit avec le rôle du compte."""
    settings = settings_of(ctx)
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
    settings = settings_of(ctx)

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
    settings = settings_of(ctx)

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
