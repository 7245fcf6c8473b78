"""The people of a demo or an end-to-end run: one web account per simulated agent (its SIP
endpoint is the rig's softphone of the same name), a supervisor, and one intervention team
that receives every alert (the default team: every district, every need) with one member.

Idempotent: accounts and the team that already exist are kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.desk.passwords import Passwords
from dialer.errors import NotFoundError
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import TeamRepository
from dialer.storage.database import SessionFactory

SUPERVISOR = "superviseur"
TEAM_NAME = "Équipe d'intervention"
TEAM_MEMBER = "membre.equipe"


async def provision_demo_people(
    sessions: SessionFactory,
    agents: Sequence[str],
    password: str,
    *,
    passwords: Passwords | None = None,
) -> None:
    """Create the agents' accounts (``sip_endpoint`` = the agent's name, e.g.
    ``agent-1001``), :data:`SUPERVISOR`, the default team :data:`TEAM_NAME` covering every
    district and need, and its member :data:`TEAM_MEMBER`, all with ``password``."""
    hasher = passwords or Passwords()
    teams = TeamRepository(sessions)
    try:
        await teams.by_name(TEAM_NAME)
    except NotFoundError:
        await teams.add(name=TEAM_NAME, is_default=True, now=datetime.now(UTC))
    accounts = AccountRepository(sessions)
    wanted: list[tuple[str, Role, str | None, str | None]] = [
        *((agent, Role.AGENT, None, agent) for agent in agents),
        (SUPERVISOR, Role.SUPERVISOR, None, None),
        (TEAM_MEMBER, Role.TEAM_MEMBER, TEAM_NAME, None),
    ]
    for username, role, team, endpoint in wanted:
        if await accounts.by_username(username) is not None:
            continue
        await create_account(sessions, username, password, role, team, endpoint, passwords=hasher)
