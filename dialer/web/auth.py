"""Logging in, server-side sessions, CSRF tokens and role checks.

- The session cookie holds a random token; the database keeps only
  ``HMAC-SHA256(secret_key, token)``, so neither a database copy nor a log line gives a
  usable session. A session ends after ``idle`` without a request (default 30 min) and in
  any case ``lifetime`` after login (default 8 h). An agent's open screen keeps its session
  alive through its WebSocket (an agent waits for calls without clicking), up to
  ``lifetime``.
- The CSRF token of a session is ``HMAC(secret_key, "csrf:" + token)``: every form carries
  it in a hidden ``csrf`` field and every script request in the ``X-CSRF-Token`` header.
  The login form uses a double-submit cookie.
- Logging in is limited before any password is verified (:mod:`dialer.core.login_limits`):
  globally, per address, and per (username, address) with delays that double after each
  attempt counted until one succeeds; the count is reserved in the database before the
  (slow, off-loop) verification, so guesses sent at once get no extra tries. A refusal is
  :class:`TooManyAttemptsError` (429 with ``Retry-After``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

from dialer.core.labels import too_many_attempts
from dialer.core.login_limits import LoginRateLimits, LoginRates, seconds_until
from dialer.core.operator_messages import say
from dialer.core.roles import Role
from dialer.desk.passwords import Passwords
from dialer.errors import ConfigurationError, TooManyAttemptsError
from dialer.storage.account_rows import Account
from dialer.storage.accounts import (
    AccountRepository,
    LoginAttemptRepository,
    WebSessionRepository,
)
from dialer.storage.database import SessionFactory

SESSION_COOKIE = "dialer_session"
LOGIN_COOKIE = "dialer_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
MIN_SECRET_KEY_LENGTH = 32
#: a session's last-seen time is written at most this often
TOUCH_EVERY = timedelta(seconds=60)
#: login attempts of a (username, address) not repeated for this long are forgotten
FORGET_ATTEMPTS_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=30)
    secure_cookies: bool = True


@dataclass(frozen=True)
class User:
    """The logged-in account, as a request sees it."""

    account_id: int
    username: str
    role: Role
    team_id: int | None
    sip_endpoint: str | None
    csrf_token: str
    token_digest: str

    @classmethod
    def of(cls, account: Account, csrf_token: str, token_digest: str) -> User:
        return cls(
            account.id,
            account.username,
            account.role,
            account.team_id,
            account.sip_endpoint,
            csrf_token,
            token_digest,
        )


class Authenticator:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        secret_key: str,
        clock: Callable[[], datetime],
        policy: SessionPolicy,
        passwords: Passwords,
        rates: LoginRates | None = None,
    ) -> None:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(say("web.short_secret_key", length=MIN_SECRET_KEY_LENGTH))
        self._key = secret_key.encode()
        self._accounts = AccountRepository(sessions)
        self._sessions = WebSessionRepository(sessions)
        self._clock = clock
        self.policy = policy
        self.passwords = passwords
        self.limits = LoginRateLimits(rates or LoginRates())
        self._attempts = LoginAttemptRepository(sessions)

    def _mac(self, purpose: str, token: str) -> str:
        return hmac.new(self._key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def digest(self, token: str) -> str:
        return self._mac("session", token)

    def csrf_token(self, token: str) -> str:
        return self._mac("csrf", token)

    def admit(self, address: str) -> None:
        """Count a login attempt from ``address`` against the global and per-address
        limits, before its form is even read: :class:`TooManyAttemptsError` when over."""
        wait = self.limits.take(address, self._clock())
        if wait is not None:
            raise TooManyAttemptsError(too_many_attempts(wait), retry_after_s=wait)

    async def log_in(self, username: str, password: str, address: str) -> tuple[str, User] | None:
        """A new session token and its user, or ``None`` (wrong credentials or inactive
        account: the caller cannot tell which). :class:`TooManyAttemptsError` when this
        username was tried from ``address`` (the client's network address) too recently.
        The caller has :meth:`admit`-ted the attempt first."""
        now = self._clock()
        username = username.strip().lower()
        refused_until = await self._attempts.reserve(username, address, now=now)
        if refused_until is not None:
            wait = seconds_until(refused_until, now)
            raise TooManyAttemptsError(too_many_attempts(wait), retry_after_s=wait)
        account = await self._accounts.by_username(username)
        stored = account.password_hash if account is not None and account.active else None
        if not await self.passwords.verify(stored, password) or account is None:
            return None
        await self._attempts.forget(username, address)
        await self._attempts.purge(before=now - FORGET_ATTEMPTS_AFTER)
        if self.passwords.needs_rehash(account.password_hash):
            await self._accounts.set_password_hash(account.id, await self.passwords.hash(password))
        # sessions left to expire (nobody came back to them) go at the next login
        await self._sessions.purge_expired(now=now, idle_before=now - self.policy.idle)
        token = secrets.token_urlsafe(32)
        digest = self.digest(token)
        await self._sessions.open(
            token_digest=digest,
            account_id=account.id,
            now=now,
            expires_at=now + self.policy.lifetime,
        )
        return token, User.of(account, self.csrf_token(token), digest)

    async def user_for(self, token: str | None, *, touch: bool = True) -> User | None:
        """The user of a session token, or ``None`` when absent, unknown or expired (an
        expired session is deleted)."""
        if not token:
            return None
        digest = self.digest(token)
        found = await self._sessions.find(digest)
        if found is None:
            return None
        record, account = found
        now = self._clock()
        if (
            not account.active
            or now >= record.expires_at
            or now - record.last_seen_at >= self.policy.idle
        ):
            await self._sessions.close(digest)
            return None
        if touch and now - record.last_seen_at >= TOUCH_EVERY:
            await self._sessions.touch(digest, now)
        return User.of(account, self.csrf_token(token), digest)

    async def log_out(self, token: str | None) -> None:
        if token:
            await self._sessions.close(self.digest(token))


def session_token(connection: HTTPConnection) -> str | None:
    return connection.cookies.get(SESSION_COOKIE)


def same_origin(connection: HTTPConnection) -> bool:
    """A WebSocket opened by a page of this site (or by a program, which sends no Origin):
    cookies ride along on cross-site WebSocket handshakes, so the origin is checked."""
    origin = connection.headers.get("origin")
    host = connection.headers.get("host")
    if origin is None:  # not a browser
        return True
    return host is not None and urlsplit(origin).netloc == host


def check_csrf(user: User, supplied: str | None) -> None:
    if not supplied or not hmac.compare_digest(user.csrf_token, supplied):
        raise HTTPException(403, "Jeton de sécurité (CSRF) absent ou invalide.")


async def form_csrf(request: Request) -> str | None:
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None
