"""``dialer users``: accounts of every role, on the server, in the database: the first
administrator of a new installation, the others (an agent gets its SIP credentials too),
a role change, a password reset, a reactivation. The ``/admin`` page does the same for a
logged-in administrator.

Passwords are typed at a hidden prompt (twice), or read from the first line of standard
input with ``--password-stdin``: never from the command line (other users of the machine
see it in the process list), and never printed. Every change is audited (its route is the
command). A role change or a deactivation of an agent logged in to the running service is
the ``/admin`` page's (it also takes them out of the dialing engine).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from dialer.cli.context import cli_actor, cli_route, database, settings_of
from dialer.clock import utcnow
from dialer.core.labels import ROLE_LABELS
from dialer.core.roles import Role
from dialer.desk.account_changes import change_role, reactivate, reset_password
from dialer.desk.operations import Steering, create_agent, create_staff_account
from dialer.desk.passwords import Passwords
from dialer.errors import InputError, NotFoundError
from dialer.settings import Settings
from dialer.storage.accounts import AccountRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditLog
from dialer.storage.sip_accounts import SipAccountRepository

T = TypeVar("T")

TYPED_IN = "mot de passe"
_ROLES = click.Choice([role.value for role in Role])


@click.group("users")
def users() -> None:
    """Les comptes : création (le premier administrateur compris), rôle, mot de passe."""


def read_password(from_stdin: bool) -> str:
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


_password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Lire le mot de passe sur la première ligne de l'entrée standard (sinon : invite).",
)


def _run(settings: Settings, work: Callable[[Steering], Awaitable[T]]) -> T:
    """``work`` on the settings' database, with the steering operations' context."""

    async def run() -> T:
        async with database(settings) as sessions:
            ops = Steering(
                sessions=sessions,
                control=None,
                episodes=None,
                audit=AuditLog(sessions),
                tokens=ApiTokenRepository(sessions),
                passwords=Passwords(),
                clock=utcnow,
            )
            return await work(ops)

    return asyncio.run(run())


async def _account_id(ops: Steering, username: str) -> int:
    account = await AccountRepository(ops.sessions).by_username(username.strip().lower())
    if account is None:
        raise NotFoundError(f"compte {username!r} inconnu")
    return account.id


@users.command("create")
@click.argument("username")
@click.option("--role", type=_ROLES, required=True, help="Rôle du compte.")
@click.option("--team", help="Équipe d'intervention (membres d'équipe seulement).")
@click.option(
    "--sip",
    "sip_endpoint",
    help="Compte SIP d'un agent (défaut : son identifiant) ou du téléphone d'un superviseur "
    "(pour écouter les appels).",
)
@click.option("--remote", is_flag=True, help="Agent ou superviseur à distance : TLS + SRTP.")
@_password_stdin
@click.pass_context
def users_create(  # noqa: PLR0917 - one option each
    ctx: click.Context,
    username: str,
    role: str,
    team: str | None,
    sip_endpoint: str | None,
    remote: bool,
    password_stdin: bool,
) -> None:
    """Crée un compte. Un administrateur n'est créé ainsi que s'il n'en existe aucun
    d'actif (le premier) : il crée ensuite les autres comptes depuis /admin."""
    settings = settings_of(ctx)
    if role == Role.AGENT and team:
        raise InputError("--team : seuls les membres d'équipe d'intervention ont une équipe")
    if remote and not (role == Role.AGENT or (role == Role.SUPERVISOR and sip_endpoint)):
        raise InputError(
            "--remote : seuls les agents d'appel et les superviseurs avec un compte SIP "
            "travaillent à distance"
        )
    password = read_password(password_stdin)
    actor, route = cli_actor(), cli_route()

    async def create(ops: Steering) -> str:
        if role == Role.AGENT:
            created = await create_agent(
                ops,
                actor=actor,
                username=username,
                password=password,
                remote=remote,
                sip_endpoint=sip_endpoint,
                route=route,
                entry_field=TYPED_IN,
            )
            return (
                f"Agent {created.username} créé. Compte SIP : {created.endpoint} / "
                f"mot de passe : {created.password}\n"
                "Ce mot de passe SIP ne sera plus affiché. Puis : dialer asterisk sync"
            )
        account = await create_staff_account(
            ops,
            actor=actor,
            username=username,
            password=password,
            role=role,
            team=team,
            sip_endpoint=sip_endpoint,
            entry_field=TYPED_IN,
            first_administrator=role == Role.ADMINISTRATOR,
            route=route,
        )
        done = (
            f"Compte {account.username} créé ({ROLE_LABELS[account.role]}) : "
            "connexion sur /connexion."
        )
        if account.sip_endpoint is None:
            return done
        endpoint, sip_password = await SipAccountRepository(ops.sessions).reset(
            account.username, remote=remote, now=utcnow()
        )
        return (
            f"{done}\nCompte SIP : {endpoint} / mot de passe : {sip_password}\n"
            "Ce mot de passe SIP ne sera plus affiché. Puis : dialer asterisk sync"
        )

    click.echo(_run(settings, create))


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Liste les comptes, leur rôle et s'ils sont actifs."""

    async def listed(ops: Steering) -> list[str]:
        return [
            f"{account.username} : {ROLE_LABELS[account.role]}"
            + ("" if account.active else " (désactivé)")
            for account in await AccountRepository(ops.sessions).list_all()
        ]

    for line in _run(settings_of(ctx), listed):
        click.echo(line)


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=_ROLES)
@click.option("--team", help="Équipe d'intervention (membres d'équipe seulement).")
@click.pass_context
def users_set_role(ctx: click.Context, username: str, role: str, team: str | None) -> None:
    """Change le rôle d'un compte (ses sessions web se ferment)."""
    actor, route = cli_actor(), cli_route()

    async def change(ops: Steering) -> str:
        account = await change_role(
            ops,
            actor=actor,
            account_id=await _account_id(ops, username),
            role=role,
            team=team,
            route=route,
        )
        return f"Compte {account.username} : {ROLE_LABELS[account.role]}."

    click.echo(_run(settings_of(ctx), change))


@users.command("reset-password")
@click.argument("username")
@_password_stdin
@click.pass_context
def users_reset_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Donne un nouveau mot de passe à un compte (ses sessions web se ferment)."""
    settings = settings_of(ctx)
    password = read_password(password_stdin)
    actor, route = cli_actor(), cli_route()

    async def reset(ops: Steering) -> str:
        account = await reset_password(
            ops,
            actor=actor,
            account_id=await _account_id(ops, username),
            password=password,
            field=TYPED_IN,
            route=route,
        )
        return f"Mot de passe de {account.username} remplacé : sessions web fermées."

    click.echo(_run(settings, reset))


@users.command("reactivate")
@click.argument("username")
@click.pass_context
def users_reactivate(ctx: click.Context, username: str) -> None:
    """Réactive un compte désactivé."""
    actor, route = cli_actor(), cli_route()

    async def done(ops: Steering) -> str:
        account = await reactivate(
            ops, actor=actor, account_id=await _account_id(ops, username), route=route
        )
        return f"Compte {account.username} réactivé."

    click.echo(_run(settings_of(ctx), done))
