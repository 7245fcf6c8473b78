"""Accounts (who may log in, with which role) and their server-side web sessions.

Passwords arrive here already hashed (see :mod:`dialer.desk.passwords`); session tokens
arrive as keyed digests: neither a password nor a usable token is ever stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.login_limits import after_failures
from dialer.core.permissions import administrators_left_refusal
from dialer.core.roles import Role
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.account_rows import Account, LoginAttempts, WebSession
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.sip_accounts import SipCredential, md5_cred, new_sip_password
from dialer.storage.team_rows import Team


async def check_free(session: AsyncSession, username: str, sip_endpoint: str | None) -> None:
    """:class:`ConflictError` naming the field when ``username`` or ``sip_endpoint`` already
    belongs to an account (a SIP endpoint drives one agent's phone: never two accounts')."""
    if await session.scalar(select(Account.id).where(Account.username == username)):
        raise ConflictError(f"champ « username » : le compte {username!r} existe déjà")
    if sip_endpoint is None:
        return
    holder = await session.scalar(
        select(Account.username).where(Account.sip_endpoint == sip_endpoint)
    )
    if holder is None:
        holder = await session.scalar(
            select(Account.username)
            .join(SipCredential, SipCredential.account_id == Account.id)
            .where(SipCredential.endpoint == sip_endpoint)
        )
    if holder is not None:
        raise ConflictError(
            f"champ « sip_endpoint » : le compte SIP {sip_endpoint!r} est déjà celui de "
            f"l'agent {holder!r}"
        )


class AccountRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def add(
        self,
        *,
        username: str,
        password_hash: str,
        role: Role,
        team_id: int | None,
        sip_endpoint: str | None,
        now: datetime,
        first_administrator: bool = False,
    ) -> Account:
        """A new active account; :class:`ConflictError` when the username is taken, or
        (``first_administrator``) when an active administrator exists already."""
        account = Account(
            username=username,
            password_hash=password_hash,
            role=role,
            team_id=team_id,
            sip_endpoint=sip_endpoint,
            active=True,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            if first_administrator:
                existing = await session.scalar(
                    select(Account.username)
                    .where(Account.role == Role.ADMINISTRATOR, Account.active.is_(True))
                    .limit(1)
                )
                if existing is not None:
                    raise ConflictError(
                        f"un administrateur existe déjà ({existing!r}) : il crée les autres "
                        "comptes depuis la page /admin"
                    )
            await check_free(session, username, sip_endpoint)
            if team_id is not None and await session.get(Team, team_id) is None:
                raise NotFoundError(f"équipe {team_id} inconnue")
            session.add(account)
        return account

    async def add_agent(
        self, *, username: str, password_hash: str, sip_endpoint: str, remote: bool, now: datetime
    ) -> tuple[Account, str]:
        """A new active agent and its SIP credentials, in one transaction (both or neither):
        (the account, its SIP password, which is not stored and cannot be shown again).
        :class:`ConflictError` naming the field when the username or the endpoint is taken."""
        sip_password = new_sip_password()
        account = Account(
            username=username,
            password_hash=password_hash,
            role=Role.AGENT,
            team_id=None,
            sip_endpoint=sip_endpoint,
            active=True,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            await check_free(session, username, sip_endpoint)
            session.add(account)
            await session.flush()
            session.add(
                SipCredential(
                    account_id=account.id,
                    endpoint=sip_endpoint,
                    md5_cred=md5_cred(sip_endpoint, sip_password),
                    remote=remote,
                    updated_at=now,
                )
            )
        return account, sip_password

    async def remove_new(self, account_id: int) -> None:
        """Take back an account just created whose creation could not be completed (its
        audit entry failed): the account, its SIP credentials, its sessions."""
        async with transaction(self._sessions) as session:
            await session.execute(
                delete(SipCredential).where(SipCredential.account_id == account_id)
            )
            await session.execute(delete(WebSession).where(WebSession.account_id == account_id))
            await session.execute(delete(Account).where(Account.id == account_id))

    async def get(self, account_id: int) -> Account:
        async with transaction(self._sessions) as session:
            account = await session.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"compte {account_id} inconnu")
        return account

    async def by_username(self, username: str) -> Account | None:
        async with transaction(self._sessions) as session:
            return await session.scalar(select(Account).where(Account.username == username))

    async def list_all(self) -> list[Account]:
        async with transaction(self._sessions) as session:
            return list(await session.scalars(select(Account).order_by(Account.username)))

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        async with transaction(self._sessions) as session:
            account = await session.get(Account, account_id)
            if account is None:
                raise NotFoundError(f"compte {account_id} inconnu")
            account.password_hash = password_hash

    async def set_own_phone(self, account_id: int, number: str | None) -> None:
        """The account's own phone as its line (E.164), or None for its softphone."""
        async with transaction(self._sessions) as session:
            account = await _account_to_change(session, account_id)
            account.own_phone = number

    async def set_active(self, account_id: int, active: bool) -> int:
        """Deactivating an account also ends its web sessions (how many: the result);
        :class:`ConflictError` for the last active administrator."""
        ended = 0
        async with transaction(self._sessions) as session:
            account = await _account_to_change(session, account_id)
            await _keep_an_administrator(session, account, account.role, active)
            account.active = active
            if not active:
                result = await session.execute(
                    delete(WebSession).where(WebSession.account_id == account_id)
                )
                ended = int(getattr(result, "rowcount", 0) or 0)
        return ended

    async def set_role(self, account_id: int, role: Role, team_id: int | None) -> Account:
        """A new role (and team: a team member's, else none); the account's web sessions
        end so that its screens are opened again under the new role. :class:`ConflictError`
        when the last active administrator would lose the role."""
        async with transaction(self._sessions) as session:
            account = await _account_to_change(session, account_id)
            await _keep_an_administrator(session, account, role, account.active)
            if team_id is not None and await session.get(Team, team_id) is None:
                raise NotFoundError(f"équipe {team_id} inconnue")
            account.role = role
            account.team_id = team_id
            await session.execute(delete(WebSession).where(WebSession.account_id == account_id))
        return account

    async def replace_password(
        self, account_id: int, password_hash: str, *, keep_session: str | None = None
    ) -> Account:
        """A new password hash; every web session of the account ends but ``keep_session``
        (the digest of the session that changed its own password)."""
        async with transaction(self._sessions) as session:
            account = await _account_to_change(session, account_id)
            account.password_hash = password_hash
            ended = delete(WebSession).where(WebSession.account_id == account_id)
            if keep_session is not None:
                ended = ended.where(WebSession.token_digest != keep_session)
            await session.execute(ended)
        return account


async def _account_to_change(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise NotFoundError(f"compte {account_id} inconnu")
    return account


async def _keep_an_administrator(
    session: AsyncSession, account: Account, role_after: Role, active_after: bool
) -> None:
    """:class:`ConflictError` when the change would leave no active administrator. The
    other administrators' rows are locked (PostgreSQL) so that two administrators removing
    each other at once cannot both succeed."""
    others = (
        select(Account.id)
        .where(
            Account.role == Role.ADMINISTRATOR,
            Account.active.is_(True),
            Account.id != account.id,
        )
        .with_for_update()
    )
    count = len(list(await session.scalars(others)))
    refusal = administrators_left_refusal(
        role_before=account.role,
        active_before=account.active,
        role_after=role_after,
        active_after=active_after,
        other_active_administrators=count,
    )
    if refusal is not None:
        raise ConflictError(refusal)


class WebSessionRepository:
    """Server-side sessions, looked up by the keyed digest of the cookie's token."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def open(
        self, *, token_digest: str, account_id: int, now: datetime, expires_at: datetime
    ) -> WebSession:
        record = WebSession(
            token_digest=token_digest,
            account_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
        async with transaction(self._sessions) as session:
            session.add(record)
        return record

    async def find(self, token_digest: str) -> tuple[WebSession, Account] | None:
        async with transaction(self._sessions) as session:
            row = (
                await session.execute(
                    select(WebSession, Account)
                    .join(Account, Account.id == WebSession.account_id)
                    .where(WebSession.token_digest == token_digest)
                )
            ).first()
        if row is None:
            return None
        return row[0], row[1]

    async def touch(self, token_digest: str, now: datetime) -> None:
        async with transaction(self._sessions) as session:
            record = await session.get(WebSession, token_digest)
            if record is not None:
                record.last_seen_at = now

    async def close(self, token_digest: str) -> None:
        async with transaction(self._sessions) as session:
            await session.execute(delete(WebSession).where(WebSession.token_digest == token_digest))

    async def purge_expired(
        self, *, now: datetime, idle_before: datetime, opened_before: datetime | None = None
    ) -> int:
        """Delete sessions past their absolute expiry, idle since ``idle_before``, or
        opened before ``opened_before`` (the retention of web sessions)."""
        async with transaction(self._sessions) as session:
            result = await session.execute(
                delete(WebSession).where(stale_session(now, idle_before, opened_before))
            )
        return int(getattr(result, "rowcount", 0) or 0)


def stale_session(
    now: datetime, idle_before: datetime, opened_before: datetime | None = None
) -> ColumnElement[bool]:
    """A session past its absolute expiry, idle since ``idle_before``, or opened before
    ``opened_before``."""
    stale = (WebSession.expires_at <= now) | (WebSession.last_seen_at <= idle_before)
    if opened_before is not None:
        stale = stale | (WebSession.created_at < opened_before)
    return stale


class LoginAttemptRepository:
    """Counts login attempts per (username, address), atomically on SQLite (one writer at
    a time) and PostgreSQL (compare-and-set on the count, a unique key on the pair)."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def reserve(self, username: str, address: str, *, now: datetime) -> datetime | None:
        """Count one attempt before its password is verified: ``None`` when it may go on,
        else the time from which the next one may be made. Of attempts made at once, one
        goes on and the others are refused."""
        key = (username[:50], address[:64])
        try:
            async with transaction(self._sessions) as session:
                row = await session.get(LoginAttempts, key)
                if row is None:
                    session.add(
                        LoginAttempts(
                            username=key[0],
                            address=key[1],
                            counted=1,
                            next_at=now + after_failures(1),
                            last_at=now,
                        )
                    )
                    return None
                if row.next_at > now:
                    return row.next_at
                counted = row.counted
                result = await session.execute(
                    update(LoginAttempts)
                    .where(
                        LoginAttempts.username == key[0],
                        LoginAttempts.address == key[1],
                        LoginAttempts.counted == counted,
                    )
                    .values(
                        counted=counted + 1,
                        next_at=now + after_failures(counted + 1),
                        last_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if int(getattr(result, "rowcount", 0) or 0) == 1:
                    return None
        except ConflictError:  # another attempt inserted the pair first
            pass
        return now + after_failures(1)

    async def forget(self, username: str, address: str) -> None:
        """A success: the pair starts afresh."""
        async with transaction(self._sessions) as session:
            await session.execute(
                delete(LoginAttempts).where(
                    LoginAttempts.username == username[:50], LoginAttempts.address == address[:64]
                )
            )

    async def purge(self, *, before: datetime) -> int:
        """Forget the pairs not tried since ``before``."""
        async with transaction(self._sessions) as session:
            result = await session.execute(
                delete(LoginAttempts).where(LoginAttempts.last_at < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
