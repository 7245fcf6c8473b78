"""Changes to existing accounts, shared by the administration page, the REST API and
``dialer users``: a new role, a password reset by an administrator, a password changed by
its owner, a deactivated account made active again. Each is one audited operation (an
audit entry per change; the password itself never reaches the log or the audit).

Who may do what is :mod:`dialer.core.permissions`'s: the routes check the permission table
before these run, and the storage refuses to leave the installation without an active
administrator. Passwords are hashed and verified off the event loop
(:class:`~dialer.desk.passwords.Passwords`).
"""

from __future__ import annotations

from typing import Any

from dialer.core.agent_states import AgentState
from dialer.core.roles import Role
from dialer.desk.accounts import checked_role
from dialer.desk.operations import Steering, record_change
from dialer.errors import ConflictError, InputError
from dialer.storage.account_rows import Account
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import TeamRepository


async def change_role(
    ops: Steering, *, actor: str, account_id: int, role: str, team: str | None, route: str = ""
) -> Account:
    """Give the account a new role (and team, for a team member). Its web sessions end;
    an agent who stops being one leaves the dialing engine at once. Audited
    (``account.role``)."""
    new_role = checked_role(role, team)
    team_id = (await TeamRepository(ops.sessions).by_name(team)).team.id if team else None
    accounts = AccountRepository(ops.sessions)
    before = await accounts.get(account_id)
    account = await accounts.set_role(account_id, new_role, team_id)
    was = AgentState.LOGGED_OUT
    engine = ops.engine
    if engine is not None and before.role is Role.AGENT and new_role is not Role.AGENT:
        was = await engine.remove_agent(account.username)
    details: dict[str, Any] = {"before": before.role.value, "after": new_role.value}
    if team_id is not None:
        details["team_id"] = team_id
    if was is not AgentState.LOGGED_OUT:
        details["was"] = was.value
    await record_change(
        ops, actor, "account.role", f"account:{account.username}", route=route, **details
    )
    return account


async def reset_password(
    ops: Steering,
    *,
    actor: str,
    account_id: int,
    password: str,
    field: str = "password",
    route: str = "",
) -> Account:
    """An administrator gives the account a new password (to hand over to its owner, who
    then changes it); every web session of the account ends. Audited
    (``account.password_reset``)."""
    password_hash = await ops.passwords.hash(password, field=field)
    account = await AccountRepository(ops.sessions).replace_password(account_id, password_hash)
    await record_change(
        ops, actor, "account.password_reset", f"account:{account.username}", route=route
    )
    return account


async def change_own_password(
    ops: Steering,
    *,
    account_id: int,
    current: str,
    new: str,
    confirmation: str,
    keep_session: str,
) -> Account:
    """The logged-in person changes their own password, knowing the current one; their
    other web sessions end, this one goes on. :class:`InputError` naming the field for a
    wrong current password, a new one that breaks the rule or its mistyped confirmation.
    Audited (``account.password_change``)."""
    accounts = AccountRepository(ops.sessions)
    account = await accounts.get(account_id)
    if not await ops.passwords.verify(account.password_hash, current):
        raise InputError("champ « mot_de_passe_actuel » : ce n'est pas votre mot de passe actuel")
    if new != confirmation:
        raise InputError(
            "champ « confirmation » : les deux saisies du nouveau mot de passe diffèrent"
        )
    if new == current:
        raise InputError(
            "champ « nouveau_mot_de_passe » : le nouveau mot de passe doit différer de l'actuel"
        )
    password_hash = await ops.passwords.hash(new, field="nouveau_mot_de_passe")
    account = await accounts.replace_password(account_id, password_hash, keep_session=keep_session)
    await record_change(
        ops, account.username, "account.password_change", f"account:{account.username}"
    )
    return account


async def reactivate(ops: Steering, *, actor: str, account_id: int, route: str = "") -> Account:
    """A deactivated account may log in again (with its password as it was; its API
    tokens, still unexpired, work again). Audited (``account.reactivate``)."""
    accounts = AccountRepository(ops.sessions)
    account = await accounts.get(account_id)
    if account.active:
        raise ConflictError(f"le compte {account.username!r} est déjà actif")
    await accounts.set_active(account_id, True)
    await record_change(
        ops,
        actor,
        "account.reactivate",
        f"account:{account.username}",
        route=route,
        role=account.role.value,
    )
    return account
