"""Creating accounts (usable from the command line and the administration page)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from dialer.clock import utcnow
from dialer.core.roles import Role
from dialer.desk.passwords import Passwords
from dialer.errors import InputError
from dialer.storage.account_rows import Account
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import TeamRepository
from dialer.storage.database import SessionFactory

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,49}\Z")
ENDPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")


#: who may have a phone: agents for their calls, supervisors to listen to agents' calls
SIP_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.VOLUNTEER})


async def create_account(  # noqa: PLR0917 - the CLI's positional signature
    sessions: SessionFactory,
    username: str,
    password: str,
    role: Role | str,
    team: str | None = None,
    sip_endpoint: str | None = None,
    *,
    passwords: Passwords | None = None,
    clock: Callable[[], datetime] = utcnow,
    first_administrator: bool = False,
    entry_field: str = "password",
) -> Account:
    """Create an active account. ``team`` is a team name (required for, and only for, an
    intervention team member); ``sip_endpoint`` the PJSIP endpoint of an agent's phone.

    Raises :class:`InputError` (French message) for an invalid username, password, role or
    combination, :class:`NotFoundError` for an unknown team, :class:`ConflictError` when
    the username is taken. The password is hashed (Argon2id) and never stored or logged.
    ``first_administrator``: an administrator, refused (:class:`ConflictError`) when an
    active administrator exists already (``dialer users create --role administrator``).
    """
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InputError(
            f"identifiant {username!r} invalide : 2 à 50 caractères parmi a-z, 0-9, « . », "
            "« _ » et « - », en commençant par une lettre ou un chiffre"
        )
    role = checked_role(role, team)
    if sip_endpoint is not None:
        sip_endpoint = sip_endpoint.strip() or None
    if sip_endpoint is not None and role not in SIP_ROLES:
        raise InputError(
            "seuls les agents d'appel, les bénévoles et les superviseurs (pour écouter les "
            "appels) ont un compte SIP"
        )
    if sip_endpoint is not None and not ENDPOINT.match(sip_endpoint):
        raise InputError(f"compte SIP {sip_endpoint!r} invalide")
    if first_administrator and role is not Role.ADMINISTRATOR:
        raise InputError("le premier compte créé doit être celui d'un administrateur")
    password_hash = await (passwords or Passwords()).hash(password, field=entry_field)
    team_id = None
    if team:
        team_id = (await TeamRepository(sessions).by_name(team)).team.id
    return await AccountRepository(sessions).add(
        username=username,
        password_hash=password_hash,
        role=role,
        team_id=team_id,
        sip_endpoint=sip_endpoint,
        now=clock(),
        first_administrator=first_administrator,
    )


def checked_role(role: Role | str, team: str | None) -> Role:
    """The role named, checked with its team: a team member belongs to a team, nobody
    else does. :class:`InputError` naming the field otherwise."""
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InputError(
            f"champ « role » : rôle {role!r} inconnu (choisir parmi : {choices})"
        ) from None
    if role is Role.TEAM_MEMBER and not team:
        raise InputError(
            "champ « team » : un membre d'équipe d'intervention doit être rattaché à une équipe"
        )
    if role is not Role.TEAM_MEMBER and team:
        raise InputError(
            "champ « team » : seuls les membres d'équipe d'intervention sont rattachés à une équipe"
        )
    return role


async def create_agent_account(
    sessions: SessionFactory,
    username: str,
    password: str,
    *,
    sip_endpoint: str,
    remote: bool,
    passwords: Passwords | None = None,
    clock: Callable[[], datetime] = utcnow,
    entry_field: str = "password",
) -> tuple[Account, str]:
    """An agent's account and SIP credentials, both or neither: (the account, the SIP
    password, shown once). Checked like :func:`create_account`; :class:`ConflictError`
    naming the field when the username or the SIP endpoint is already taken."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InputError(
            f"champ « username » : identifiant {username!r} invalide : 2 à 50 caractères "
            "parmi a-z, 0-9, « . », « _ » et « - », en commençant par une lettre ou un chiffre"
        )
    sip_endpoint = sip_endpoint.strip()
    if not ENDPOINT.match(sip_endpoint):
        raise InputError(f"champ « sip_endpoint » : compte SIP {sip_endpoint!r} invalide")
    password_hash = await (passwords or Passwords()).hash(password, field=entry_field)
    return await AccountRepository(sessions).add_agent(
        username=username,
        password_hash=password_hash,
        sip_endpoint=sip_endpoint,
        remote=remote,
        now=clock(),
    )
