"""``dialer api-token``: the REST API's tokens.

``create``, ``revoke`` and ``list`` work in the database, on the server, for an
administrator; ``mine`` and ``revoke-mine`` go through the running service's REST API
with one's own token, to see and revoke one's own tokens. A token is never shown again
after its creation: lists show its number, name and dates only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import click

from dialer.cli.api_client import TOKEN_VARIABLE, api_options, client
from dialer.cli.context import cli_actor, database, settings_of
from dialer.core.windows import PARIS
from dialer.storage.api_tokens import LONGEST_LIFE, ApiTokenRepository
from dialer.storage.audit import AuditLog


@click.group("api-token")
def api_token() -> None:
    """Jetons d'API."""


def _day(moment: datetime | None) -> str:
    return f"{moment.astimezone(PARIS):%d/%m/%Y %H:%M}" if moment is not None else "jamais"


@api_token.command("create")
@click.option("--user", "username", required=True, help="Compte au nom duquel le jeton agit.")
@click.option("--name", help="Nom du jeton (défaut : UTILISATEUR-AAAAMMJJHHMMSS).")
@click.option(
    "--days",
    type=click.IntRange(1, LONGEST_LIFE.days),
    help="Durée de validité en jours (défaut : réglage web.api_token_days, 90).",
)
@click.pass_context
def api_token_create(ctx: click.Context, username: str, name: str | None, days: int | None) -> None:
    """Crée un jeton d'API (affiché une seule fois) ; il agit avec le rôle du compte."""
    settings = settings_of(ctx)
    now = datetime.now(UTC)
    token_name = name or f"{username}-{now:%Y%m%d%H%M%S}"
    lifetime = timedelta(days=days or settings.web.api_token_days)

    async def run() -> tuple[str, datetime]:
        async with database(settings) as sessions:
            actor = cli_actor()
            record, token = await ApiTokenRepository(sessions).create(
                name=token_name, username=username, created_by=actor, now=now, lifetime=lifetime
            )
            await AuditLog(sessions).record(
                actor=actor,
                action="api_token.create",
                target=f"api_token:{token_name}",
                at=now,
                details={"user": username, "expires_at": record.expires_at.isoformat()},
            )
            return token, record.expires_at

    token, expires_at = asyncio.run(run())
    click.echo(
        f"Jeton « {token_name} » pour {username}, valable jusqu'au {_day(expires_at)} "
        "(affiché une seule fois) :"
    )
    click.echo(token)
    click.echo(f"Puis : export {TOKEN_VARIABLE}=…")


@api_token.command("revoke")
@click.argument("name")
@click.pass_context
def api_token_revoke(ctx: click.Context, name: str) -> None:
    """Révoque un jeton d'API (par son nom)."""
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
    """Liste tous les jetons d'API (jamais le jeton lui-même)."""
    settings = settings_of(ctx)
    now = datetime.now(UTC)

    async def run() -> list[str]:
        async with database(settings) as sessions:
            return [
                f"n° {record.id} {record.name} : {username}, "
                f"créé le {_day(record.created_at)}, expire le {_day(record.expires_at)}, "
                f"dernier usage : {_day(record.last_used_at)}"
                + (
                    " (révoqué)"
                    if record.revoked_at
                    else " (expiré)"
                    if now >= record.expires_at
                    else ""
                )
                for record, username in await ApiTokenRepository(sessions).list_all()
            ]

    for line in asyncio.run(run()) or ["Aucun jeton."]:
        click.echo(line)


@api_token.command("mine")
@api_options
@click.pass_context
def api_token_mine(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste mes jetons d'API (ceux du compte du jeton donné), via le service."""
    with client(ctx, url, token) as api:
        rows = api.items("/tokens")
    for row in rows:
        state = "révoqué" if row["revoked_at"] else "valable" if row["valid"] else "expiré"
        click.echo(
            f"n° {row['id']} {row['name']} : créé le {_day(_moment(row['created_at']))}, "
            f"expire le {_day(_moment(row['expires_at']))}, "
            f"dernier usage : {_day(_moment(row['last_used_at']))} ({state})"
        )
    if not rows:
        click.echo("Aucun jeton.")


@api_token.command("revoke-mine")
@click.argument("token_id", type=int)
@api_options
@click.pass_context
def api_token_revoke_mine(
    ctx: click.Context, token_id: int, url: str | None, token: str | None
) -> None:
    """Révoque un de mes jetons d'API (par son numéro, voir « mine »), via le service."""
    with client(ctx, url, token) as api:
        row = api.call("DELETE", f"/tokens/{token_id}")
    click.echo(f"Jeton n° {row['id']} « {row['name']} » révoqué.")


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
