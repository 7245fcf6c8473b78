"""``dialer admin``: what only the server's own operator does, in the database.

``create-first`` makes the first administrator of a new installation (who then creates
every other account from the ``/admin`` page). The password is typed at a hidden prompt
(twice), or read from the first line of standard input with ``--password-stdin``: never
from the command line (other users of the machine see it in the process list), and never
printed.
"""

from __future__ import annotations

import asyncio
import sys

import click

from dialer.cli.context import database, record_cli_change, settings_of
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.errors import InputError


@click.group("admin")
def admin() -> None:
    """Administration du serveur (en base, sur le serveur)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise InputError("entrée standard : mot de passe absent (--password-stdin)")
        return line.rstrip("\r\n")
    password: str = click.prompt(
        "Mot de passe (12 caractères au moins)",
        hide_input=True,
        confirmation_prompt="Le même mot de passe, encore",
    )
    return password


@admin.command("create-first")
@click.option("--name", "username", required=True, help="Identifiant de l'administrateur.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Lire le mot de passe sur la première ligne de l'entrée standard (sinon : invite).",
)
@click.pass_context
def admin_create_first(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Crée le premier administrateur ; refusé si un administrateur actif existe déjà."""
    settings = settings_of(ctx)
    password = _read_password(password_stdin)

    async def create() -> str:
        async with database(settings) as sessions:
            account = await create_account(
                sessions, username, password, Role.ADMINISTRATOR, first_administrator=True
            )
            return account.username

    created = asyncio.run(create())
    asyncio.run(
        record_cli_change(
            settings, "account.create", f"account:{created}", {"role": "administrator"}
        )
    )
    click.echo(f"Administrateur {created} créé : connectez-vous sur /connexion.")
