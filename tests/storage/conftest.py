"""Storage tests run on SQLite (a temporary file) always, and on PostgreSQL too when
``DIALER_TEST_POSTGRES_URL`` is set (``scripts/postgres-up`` prints it). Without it the
PostgreSQL cases are skipped on a developer's machine and FAIL under CI (``CI`` set), so CI
never silently skips them. Each test gets a fresh schema built by the migrations."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.core.campaigns import CampaignKind
from dialer.core.phones import PhoneKind
from dialer.storage import (
    CampaignRepository,
    CycleRepository,
    PacingMode,
    PersonRecord,
    PersonRepository,
    PhoneRecord,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from tests.stored import person_by_external_id

POSTGRES_URL_VARIABLE = "DIALER_TEST_POSTGRES_URL"
NOW = datetime(2025, 7, 1, 9, 30, tzinfo=UTC)


def postgres_url() -> str:
    """The PostgreSQL test URL; skips the test, or fails it under CI, when unset."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        message = (
            f"{POSTGRES_URL_VARIABLE} is not set: run scripts/postgres-up and export "
            "the URL it prints last"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL storage tests: {message}")
        pytest.skip(message)
    return url


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'dialer.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return postgres_url()


async def reset_postgres(url: str) -> None:
    """Drop everything in the test database (a fresh ``public`` schema)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def empty_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database (no tables)."""
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def engine(empty_engine: AsyncEngine) -> AsyncEngine:
    """An engine on a database migrated to head."""
    await migrate_engine(empty_engine)
    return empty_engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@dataclass(frozen=True)
class Scene:
    """A campaign with an open cycle and two people on the register."""

    campaign_id: int
    cycle_id: int
    alice_id: int
    bob_id: int


def person(key: str, last_name: str, *numbers: str) -> PersonRecord:
    return PersonRecord(
        external_id=key,
        last_name=last_name,
        first_name="Jeanne",
        phones=[PhoneRecord(number, PhoneKind.LANDLINE) for number in numbers],
    )


@pytest_asyncio.fixture
async def scene(sessions: SessionFactory) -> Scene:
    people = PersonRepository(sessions)
    await people.write_batch(
        [person("A1", "Dupont", "+33145678910"), person("B2", "Lefèvre", "+33612345678")],
        [],
        now=NOW,
    )
    campaign = await CampaignRepository(sessions).create(
        name="Canicule 2025",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows={"week": [["09:00-19:00"]] * 6 + [[]], "holiday": []},
        retry_policy={"max_attempts": 3},
        now=NOW,
    )
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=NOW, deadline=NOW + timedelta(days=1)
    )
    alice = await person_by_external_id(sessions, "A1")
    bob = await person_by_external_id(sessions, "B2")
    assert alice is not None
    assert bob is not None
    return Scene(campaign.id, cycle.id, alice.id, bob.id)
