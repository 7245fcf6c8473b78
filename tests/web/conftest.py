"""Web tests: a temporary SQLite database migrated to head, seeded; the app on it with a
fake engine (a real seat board) and a fake clock; an httpx client in the same event loop."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.alerts.dispatcher import AlertDispatcher
from dialer.alerts.raising import AlertRaiser
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.testing import Clock
from dialer.web.app import create_app, screens_of
from tests.web.support import (
    PASSWORD,
    SECRET_KEY,
    T0,
    FakeDesk,
    World,
    catalog_in,
    fast_passwords,
    open_database,
    seed,
)
from tests.web.typed_answers import answer_checker


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def catalog(tmp_path: Path) -> QuestionnaireCatalog:
    return catalog_in(tmp_path / "questionnaires")


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine, factory = await open_database(tmp_path / "web.db")
    yield factory
    await engine.dispose()


@pytest_asyncio.fixture
async def world(sessions: SessionFactory, clock: Clock) -> World:
    return await seed(sessions, now=clock())


@pytest.fixture
def desk(clock: Clock) -> FakeDesk:
    return FakeDesk(clock)


@pytest.fixture
def dispatcher(sessions: SessionFactory, clock: Clock) -> AlertDispatcher:
    return AlertDispatcher(sessions, clock=clock)


@pytest.fixture
def app(
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    catalog: QuestionnaireCatalog,
    clock: Clock,
    dispatcher: AlertDispatcher,
) -> Starlette:
    application = create_app(
        sessions=sessions,
        engine=desk,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        alerts=AlertRaiser(sessions, clock=clock, dispatcher=dispatcher),
        dispatcher=dispatcher,
        secure_cookies=False,
        passwords=fast_passwords(),
    )
    desk.screens = screens_of(application)
    return application


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [answer_checker(app)]},
    )


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
LOGIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token (from the home page)."""
    page = await client.get("/connexion")
    token = LOGIN_CSRF.search(page.text)
    assert token is not None
    response = await client.post(
        "/connexion",
        data={"identifiant": username, "mot_de_passe": password, "csrf": token.group(1)},
    )
    assert response.status_code == 303, response.text
    landing = await client.get(response.headers["location"])
    assert landing.status_code == 200, landing.text
    found = CSRF_META.search(landing.text)
    assert found is not None
    return found.group(1)
