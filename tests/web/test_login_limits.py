"""Logging in under attack, through the login form (``POST /connexion``), on SQLite and
PostgreSQL: attempts counted before the password is verified, per (username, address),
with doubling waits; per-address and global rate limits; the password threads' bounds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from starlette.applications import Starlette

from dialer.core.login_limits import LoginRates
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.desk.passwords import BACKLOG_PER_WORKER, Passwords
from dialer.storage import SessionFactory, create_engine, create_session_factory, migrate_engine
from dialer.testing import Clock
from dialer.web.app import create_app
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.web.conftest import LOGIN_CSRF
from tests.web.support import PASSWORD, SECRET_KEY, T0, catalog_in, fast_passwords

pytestmark = pytest.mark.asyncio

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url()


@pytest_asyncio.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    await migrate_engine(engine)
    factory = create_session_factory(engine)
    await create_account(factory, "agent1", PASSWORD, Role.AGENT, passwords=fast_passwords())
    await create_account(factory, "agent2", PASSWORD, Role.AGENT, passwords=fast_passwords())
    yield factory
    await engine.dispose()


def build_app(
    sessions: SessionFactory,
    clock: Clock,
    tmp_path: Path,
    *,
    rates: LoginRates | None = None,
    passwords: Passwords | None = None,
) -> Starlette:
    return create_app(
        sessions=sessions,
        engine=None,
        questionnaires=catalog_in(tmp_path / "questionnaires"),
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=passwords or fast_passwords(),
        login_rates=rates,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def app(sessions: SessionFactory, clock: Clock, tmp_path: Path) -> Starlette:
    return build_app(sessions, clock, tmp_path)


class Browser:
    """One browser at one network address, with its login form's CSRF token."""

    def __init__(self, app: Starlette, address: str) -> None:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.csrf = ""

    async def open_form(self) -> None:
        page = await self.http.get("/connexion")
        found = LOGIN_CSRF.search(page.text)
        assert found is not None
        self.csrf = found.group(1)

    async def log_in(self, username: str, password: str) -> httpx.Response:
        response = await self.http.post(
            "/connexion",
            data={"identifiant": username, "mot_de_passe": password, "csrf": self.csrf},
        )
        renewed = LOGIN_CSRF.search(response.text)  # a refusal shows a new form
        if renewed is not None:
            self.csrf = renewed.group(1)
        return response

    async def close(self) -> None:
        await self.http.aclose()


@pytest_asyncio.fixture
async def attacker(app: Starlette) -> AsyncIterator[Browser]:
    browser = Browser(app, ATTACKER)
    await browser.open_form()
    yield browser
    await browser.close()


@pytest_asyncio.fixture
async def owner(app: Starlette) -> AsyncIterator[Browser]:
    browser = Browser(app, OWNER)
    await browser.open_form()
    yield browser
    await browser.close()


async def test_guesses_sent_at_once_get_no_more_tries_than_one_after_the_other(
    attacker: Browser,
) -> None:
    guesses = [f"mauvais mot de passe {n:02d}" for n in range(30)] + [PASSWORD]
    answers = await asyncio.gather(*(attacker.log_in("agent1", guess) for guess in guesses))
    statuses = [answer.status_code for answer in answers]
    assert 303 not in statuses  # the right password, sent with 30 wrong ones, did not log in
    assert "dialer_session" not in attacker.http.cookies
    assert sorted(statuses) == [401] + [429] * 30  # one password verified, 30 refused first
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["retry-after"] == "1"
    assert "Trop de tentatives de connexion. Réessayez dans une seconde." in refused.text


async def test_the_wait_doubles_after_each_attempt_until_one_succeeds(
    attacker: Browser, clock: Clock
) -> None:
    for wait in (1, 2, 4, 8):
        assert (await attacker.log_in("agent1", "mauvais mot de passe")).status_code == 401
        refused = await attacker.log_in("agent1", PASSWORD)  # even the right one, too soon
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(wait)
        assert ("une seconde" if wait == 1 else f"{wait} secondes") in refused.text
        clock.advance(wait - 0.5)
        assert (await attacker.log_in("agent1", PASSWORD)).status_code == 429
        clock.advance(0.5)
    assert (await attacker.log_in("agent1", PASSWORD)).status_code == 303
    await attacker.open_form()
    assert (await attacker.log_in("agent1", "mauvais mot de passe")).status_code == 401
    assert (await attacker.log_in("agent1", PASSWORD)).headers["retry-after"] == "1"  # afresh


async def test_an_attacker_elsewhere_never_delays_the_owner(
    attacker: Browser, owner: Browser, clock: Clock
) -> None:
    for _ in range(10):
        clock.advance(minutes=15)  # the longest wait
        assert (await attacker.log_in("agent1", "mauvais mot de passe")).status_code == 401
    refused = await attacker.log_in("agent1", "encore faux")
    assert refused.headers["retry-after"] == str(2**9)  # the wait after 10 attempts
    landed = await owner.log_in("agent1", PASSWORD)  # at once, from the owner's address
    assert landed.status_code == 303
    assert landed.headers["location"] == "/agent"
    assert (await attacker.log_in("agent2", PASSWORD)).status_code == 303  # another account


async def test_unknown_usernames_are_counted_and_refused_alike(attacker: Browser) -> None:
    first = await attacker.log_in("personne", "mauvais mot de passe")
    assert first.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in first.text
    assert (await attacker.log_in("personne", "mauvais mot de passe")).status_code == 429
    long_name = "x" * 5000  # longer than any column: counted under its first 50 characters
    assert (await attacker.log_in(long_name, "mauvais")).status_code == 401
    assert (await attacker.log_in(long_name, "mauvais")).status_code == 429


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_one_address_is_limited_and_so_is_the_whole_service(
    sessions: SessionFactory, clock: Clock, tmp_path: Path
) -> None:
    rates = LoginRates(per_second=1, burst=5, per_address_per_minute=6, per_address_burst=3)
    app = build_app(sessions, clock, tmp_path, rates=rates)
    noisy = Browser(app, ATTACKER)
    await noisy.open_form()
    for n in range(3):  # a new username each time: the per-(username, address) wait is moot
        assert (await noisy.log_in(f"essai{n}", "mauvais")).status_code == 401
    refused = await noisy.log_in("essai9", "mauvais")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"  # 6 a minute: one every 10 s
    assert "Réessayez dans 10 secondes" in refused.text
    others = [Browser(app, f"192.0.2.{n}") for n in range(1, 4)]
    for browser in others:
        await browser.open_form()
    assert (await others[0].log_in("agent1", "mauvais")).status_code == 401  # 4th of 5
    assert (await others[1].log_in("agent2", "mauvais")).status_code == 401  # 5th of 5
    full = await others[2].log_in("agent1", PASSWORD)
    assert full.status_code == 429  # the service as a whole takes no more this second
    assert full.headers["retry-after"] == "1"
    clock.advance(1)
    assert (await others[2].log_in("agent1", PASSWORD)).status_code == 303
    for browser in (noisy, *others):
        await browser.close()


class HeldHasher(PasswordHasher):
    """Verifies only once released, noting on which threads and how many at a time."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.release = threading.Event()
        self.threads: set[int] = set()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
        try:
            self.release.wait(10)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_passwords_are_verified_off_the_loop_a_bounded_number_at_once(
    sessions: SessionFactory, clock: Clock, tmp_path: Path
) -> None:
    hasher = HeldHasher()
    passwords = Passwords(hasher, workers=1)
    app = build_app(sessions, clock, tmp_path, passwords=passwords)
    browsers = [Browser(app, f"192.0.2.{n}") for n in range(1, 21)]
    for browser in browsers:
        await browser.open_form()
    tasks = [
        asyncio.create_task(browser.log_in(f"essai{n}", "mauvais"))
        for n, browser in enumerate(browsers)
    ]
    queued = 1 + BACKLOG_PER_WORKER  # one verifying, the others waiting their turn
    waiting: set[asyncio.Task[httpx.Response]] = set(tasks)
    async with asyncio.timeout(10):  # the event loop runs while a password is verified
        while len(waiting) > queued:
            _, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    assert passwords.pending == queued
    hasher.release.set()
    answers = await asyncio.gather(*tasks)
    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [401] * queued + [429] * (20 - queued)
    busy = next(answer for answer in answers if answer.status_code == 429)
    assert "Le serveur vérifie déjà beaucoup de mots de passe" in busy.text
    assert busy.headers["retry-after"] == "1"
    assert hasher.most_at_once == 1
    assert threading.get_ident() not in hasher.threads  # never on the event loop's thread
    assert passwords.pending == 0
    for browser in browsers:
        await browser.close()
