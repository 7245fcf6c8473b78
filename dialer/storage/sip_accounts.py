"""Agents' SIP accounts: the PJSIP endpoint of each agent and its credentials.

Only the digest ``md5(username:realm:password)`` is stored (PJSIP ``auth_type = md5``), so
the database never holds a SIP password: a new one is generated, shown once, and hashed.
``remote`` agents (working from home) get the TLS transport with SRTP and NAT settings;
``browser`` agents the phone in their page (WebRTC), which registers with the digest itself
(JsSIP's ``ha1``), fetched by the logged-in agent from the API, never written in a page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.errors import NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base

#: the realm Asterisk's PJSIP challenges with by default
SIP_REALM = "asterisk"


class SipCredential(Base):
    __tablename__ = "sip_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    endpoint: Mapped[str] = mapped_column(String(100), unique=True)
    md5_cred: Mapped[str] = mapped_column(String(32))
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    browser: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class SipEndpoint:
    """What the Asterisk configuration needs for one agent."""

    username: str  # the endpoint name, also the SIP user name
    md5_cred: str
    remote: bool
    display_name: str
    browser: bool = False


def md5_cred(username: str, password: str, realm: str = SIP_REALM) -> str:
    # PJSIP's md5 auth type takes exactly this digest (RFC 2617 HA1); not a password hash
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def new_sip_password() -> str:
    """Strong and easy to type into a softphone: 24 characters from a safe alphabet."""
    return secrets.token_urlsafe(18)


class SipAccountRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def reset(
        self, username: str, *, remote: bool, now: datetime, browser: bool = False
    ) -> tuple[str, str]:
        """New credentials for the agent ``username``: returns (endpoint, password); the
        password is not stored and cannot be shown again."""
        password = new_sip_password()
        async with transaction(self._sessions) as session:
            account = await session.scalar(select(Account).where(Account.username == username))
            if account is None or account.sip_endpoint is None:
                raise NotFoundError(f"agent {username!r}: no such agent with a SIP endpoint")
            endpoint = account.sip_endpoint
            credential = await session.scalar(
                select(SipCredential).where(SipCredential.account_id == account.id)
            )
            if credential is None:
                credential = SipCredential(account_id=account.id, endpoint=endpoint)
                session.add(credential)
            credential.endpoint = endpoint
            credential.md5_cred = md5_cred(endpoint, password)
            credential.remote = remote
            credential.browser = browser
            credential.updated_at = now
        return endpoint, password

    async def endpoints(self) -> list[SipEndpoint]:
        """Every active agent's endpoint with credentials, by name."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(SipCredential, Account)
                .join(Account, Account.id == SipCredential.account_id)
                .where(Account.active.is_(True))
                .order_by(SipCredential.endpoint)
            )
            return [
                SipEndpoint(c.endpoint, c.md5_cred, c.remote, a.username, c.browser)
                for c, a in rows.all()
            ]

    async def browser_phone(self, username: str) -> SipEndpoint | None:
        """The endpoint of the active agent ``username`` if it is marked for the phone in
        the page, else None."""
        async with transaction(self._sessions) as session:
            row = (
                await session.execute(
                    select(SipCredential, Account)
                    .join(Account, Account.id == SipCredential.account_id)
                    .where(
                        Account.username == username,
                        Account.active.is_(True),
                        SipCredential.browser.is_(True),
                    )
                )
            ).first()
            if row is None:
                return None
            credential, account = row
            return SipEndpoint(
                credential.endpoint,
                credential.md5_cred,
                credential.remote,
                account.username,
                credential.browser,
            )
