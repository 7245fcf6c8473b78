"""API tokens: bearer tokens for scripts calling the REST API, one account each.

The token is shown once, when an administrator creates it (``dialer api-token create``);
the database keeps only its SHA-256 digest (a 256-bit random token needs no slow hash).
A token acts with its account's role; it ends at its expiry (setting
``web.api_token_days``, 90 days by default), when it is revoked, or when its account is
deactivated. Its owner lists and revokes their own tokens (``GET``/``DELETE
/api/v1/tokens``, ``dialer api-token mine``), never seeing a token again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base

TOKEN_PREFIX = "dlr_"  # noqa: S105 - a prefix, not a secret
#: the longest life a token may be given
LONGEST_LIFE = timedelta(days=366)


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
    expires_at: Mapped[datetime]

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
        self, *, name: str, username: str, created_by: str, now: datetime, lifetime: timedelta
    ) -> tuple[ApiToken, str]:
        """A new token for the active account ``username``, valid for ``lifetime`` (a day
        to :data:`LONGEST_LIFE`): (record, the token itself, which is not stored and
        cannot be shown again)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InputError("champ « name » : nom de jeton requis (100 caractères au plus)")
        if not timedelta(days=1) <= lifetime <= LONGEST_LIFE:
            raise InputError(
                f"champ « expire » : durée de validité entre 1 et {LONGEST_LIFE.days} jours"
            )
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
                expires_at=now + lifetime,
            )
            session.add(record)
        return record, token

    async def owner(self, token: str, *, now: datetime) -> TokenOwner | None:
        """The account a token acts as, or ``None`` (unknown, revoked, expired, inactive
        account)."""
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
            if record.revoked_at is not None or now >= record.expires_at or not account.active:
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

    async def list_own(self, username: str) -> list[ApiToken]:
        """The tokens of the account ``username`` (revoked and expired ones too), newest
        first."""
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(ApiToken)
                    .join(Account, Account.id == ApiToken.account_id)
                    .where(Account.username == username)
                    .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
                )
            )

    async def revoke_own(self, token_id: int, *, username: str, now: datetime) -> ApiToken:
        """Revoke one of the account ``username``'s tokens; another account's token is
        as unknown as a missing one (:class:`NotFoundError`)."""
        if not 0 < token_id < 2**31:
            raise NotFoundError(f"champ « token_id » : jeton {token_id} inconnu")
        async with transaction(self._sessions) as session:
            record = await session.scalar(
                select(ApiToken)
                .join(Account, Account.id == ApiToken.account_id)
                .where(ApiToken.id == token_id, Account.username == username)
            )
            if record is None:
                raise NotFoundError(f"champ « token_id » : jeton {token_id} inconnu")
            if record.revoked_at is None:
                record.revoked_at = now
        return record


def token_json(record: ApiToken, now: datetime) -> dict[str, object]:
    """What an owner sees of a token: never the token, nor its digest."""

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": record.id,
        "name": record.name,
        "created_at": record.created_at.isoformat(),
        "expires_at": record.expires_at.isoformat(),
        "last_used_at": moment(record.last_used_at),
        "revoked_at": moment(record.revoked_at),
        "valid": record.revoked_at is None and now < record.expires_at,
    }
