"""The stored accounts: people who log in, and their server-side sessions (only a keyed
digest of the session token is stored).

The tables are created by the migration ``0003``; ``login_attempts`` by ``0008``;
``own_phone`` by ``0017``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.roles import Role
from dialer.storage.models import Base, stored_enum


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: also the agent's id for the dialing engine
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(stored_enum(Role, 20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    #: the agent's PJSIP endpoint: one account per endpoint (the engine drives the phone
    #: of this endpoint for this agent)
    sip_endpoint: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: the agent's own phone (E.164) when it is their line (« mon téléphone »): the dialer
    #: calls it at log-in through the trunk; None: their softphone (``sip_endpoint``)
    own_phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Account(id={self.id}, username={self.username!r}, role={self.role.value})"


class WebSession(Base):
    """A logged-in browser. ``token_digest`` is an HMAC of the cookie's token."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_account_id", "account_id"),)

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempts(Base):
    """Attempts to log in to one username from one address, counted before each password
    is verified and forgotten at the first success (see :mod:`dialer.core.login_limits`).
    The username is the one typed (it may name no account)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_last_at", "last_at"),)

    username: Mapped[str] = mapped_column(String(50), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    counted: Mapped[int] = mapped_column(Integer)
    #: no attempt for this username from this address before this time
    next_at: Mapped[datetime]
    last_at: Mapped[datetime]
