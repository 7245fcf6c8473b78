"""Changes to accounts that steering needs beyond :mod:`dialer.storage.accounts`: ending
an account's web sessions (a forced logout) and setting an intervention team's members."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from dialer.core.roles import Role
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.account_rows import Account, WebSession
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.team_rows import Team


async def end_web_sessions(sessions: SessionFactory, username: str) -> int:
    """Delete every web session of ``username``; how many there were."""
    async with transaction(sessions) as session:
        account_id = await session.scalar(select(Account.id).where(Account.username == username))
        if account_id is None:
            raise NotFoundError(f"compte {username!r} inconnu")
        result = await session.execute(
            delete(WebSession).where(WebSession.account_id == account_id)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def team_members(sessions: SessionFactory, team_id: int) -> list[str]:
    async with transaction(sessions) as session:
        return list(
            await session.scalars(
                select(Account.username)
                .where(Account.team_id == team_id)
                .order_by(Account.username)
            )
        )


async def set_team_members(
    sessions: SessionFactory, team_id: int, usernames: Sequence[str]
) -> list[str]:
    """Make ``usernames`` (intervention team members' accounts) exactly the team's members.
    Listed members of another team move here; a member left out would belong to no team,
    which is refused (:class:`ConflictError`): move them to their new team first."""
    wanted = sorted({name.strip().lower() for name in usernames if name.strip()})
    async with transaction(sessions) as session:
        if await session.get(Team, team_id) is None:
            raise NotFoundError(f"équipe {team_id} inconnue")
        accounts = {
            account.username: account
            for account in await session.scalars(
                select(Account).where(Account.username.in_(wanted) | (Account.team_id == team_id))
            )
        }
        for name in wanted:
            account = accounts.get(name)
            if account is None:
                raise NotFoundError(f"champ « members » : compte {name!r} inconnu")
            if account.role is not Role.TEAM_MEMBER:
                raise InputError(
                    f"champ « members » : {name!r} n'est pas un membre d'équipe d'intervention"
                )
        dropped = sorted(n for n, a in accounts.items() if a.team_id == team_id and n not in wanted)
        if dropped:
            raise ConflictError(
                f"champ « members » : {', '.join(dropped)} ne serai(en)t plus dans aucune équipe ; "
                "rattachez-les d'abord à leur nouvelle équipe"
            )
        for name in wanted:
            accounts[name].team_id = team_id
    return wanted
