"""API tokens: bearer tokens for scripts calling the REST API, one account each.

The token is shown once, when an administrator creates it (``dialer api-token create``);
the database keeps only its SHA-256 digest (a 256-bit random token needs no slow hash).
A token acts with its account's role; deactivating the account or revoking the token
ends it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base

TOKEN_PREFIX = "dlr_"  # noqa: S105 - a prefix, not a secret


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id}, name={self.name!r})"


@dataclass(frozen=True)
class TokenOwner:
    """Who a valid token acts as."""

    token_name: str
    account: Account


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def create(
        self, *, name: str, username: str, created_by: str, now: datetime
    ) -> tuple[ApiToken, str]:
        """A new token for the active account ``username``: (record, the token itself,
        which is not stored and cannot be shown again)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InputError("champ « name » : nom de jeton requis (100 caractères au plus)")
        token = new_token()
        async with transaction(self._sessions) as session:
            account = await session.scalar(select(Account).where(Account.username == username))
            if account is None or not account.active:
                raise NotFoundError(f"champ « user » : compte {username!r} inconnu ou désactivé")
            if await session.scalar(select(ApiToken.id).where(ApiToken.name == name)):
                raise ConflictError(f"champ « name » : le jeton {name!r} existe déjà")
            record = ApiToken(
                name=name,
                account_id=account.id,
                token_digest=token_digest(token),
                created_by=created_by,
                created_at=now,
            )
            session.add(record)
        return record, token

    async def owner(self, token: str, *, now: datetime) -> TokenOwner | None:
        """The account a token acts as, or ``None`` (unknown, revoked, inactive account)."""
        async with transaction(self._sessions) as session:
            row = (
                await session.execute(
                    select(ApiToken, Account)
                    .join(Account, Account.id == ApiToken.account_id)
                    .where(ApiToken.token_digest == token_digest(token))
                )
            ).first()
            if row is None:
                return None
            record, account = row
            if record.revoked_at is not None or not account.active:
                return None
            record.last_used_at = now
        return TokenOwner(record.name, account)

    async def revoke(self, name: str, *, now: datetime) -> None:
        async with transaction(self._sessions) as session:
            record = await session.scalar(select(ApiToken).where(ApiToken.name == name))
            if record is None:
                raise NotFoundError(f"champ « name » : jeton {name!r} inconnu")
            record.revoked_at = now

    async def list_all(self) -> list[tuple[ApiToken, str]]:
        """Every token with its account's username, by name."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(ApiToken, Account.username)
                .join(Account, Account.id == ApiToken.account_id)
                .order_by(ApiToken.name)
            )
            return [(record, username) for record, username in rows.all()]
