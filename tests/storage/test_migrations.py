from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.errors import ConfigurationError, StorageError
from dialer.storage import (
    agent_campaigns,  # noqa: F401 - its table joins Base
    call_help,  # noqa: F401 - its tables join Base
    campaign_plans,  # noqa: F401 - its table joins Base
    consent_rows,  # noqa: F401 - its table joins Base
    hold_rows,  # noqa: F401 - its table joins Base
    household_rows,  # noqa: F401 - its tables join Base
    list_rows,  # noqa: F401 - its tables join Base
    migrate,
    migrate_engine,
    orientation_rows,  # noqa: F401 - its tables join Base
    resource_rows,  # noqa: F401 - its table joins Base
    seat_sessions,  # noqa: F401 - its table joins Base
    visit_rows,  # noqa: F401 - its table joins Base
    volunteer_rows,  # noqa: F401 - its tables join Base
)
from dialer.storage.database import alembic_config, create_engine
from dialer.storage.models import Base

#: the tables of migration 0001 (later migrations add others)
TABLES = {
    "alembic_version",
    "attempts",
    "callbacks",
    "campaigns",
    "cycle_results",
    "cycles",
    "persons",
    "phone_numbers",
}


def _differences(connection: Connection) -> list[Any]:
    """What the models have that the migrated database lacks or has otherwise. Tables,
    columns and indexes only the migrations know ("remove_*": another package's models,
    not imported here) are left out."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        difference
        for difference in compare_metadata(context, Base.metadata)
        if not (isinstance(difference, tuple) and str(difference[0]).startswith("remove_"))
        and not (isinstance(difference, list) and str(difference[0][0]).startswith("remove_"))
    ]


@pytest.mark.asyncio
async def test_migrations_create_every_table_and_match_the_models(engine: AsyncEngine) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        differences = await connection.run_sync(_differences)
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert tables >= TABLES
    assert differences == []
    assert version == head


@pytest.mark.asyncio
async def test_migrating_again_changes_nothing(engine: AsyncEngine) -> None:
    await migrate_engine(engine)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1


@pytest.mark.asyncio
async def test_the_synchronous_migrate_works_on_a_url(
    empty_engine: AsyncEngine, database_url: str
) -> None:
    await asyncio.to_thread(migrate, database_url)
    async with empty_engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    assert tables >= TABLES


@pytest.mark.asyncio
async def test_migrate_refuses_to_block_a_running_event_loop(database_url: str) -> None:
    with pytest.raises(StorageError, match="migrate_engine"):
        migrate(database_url)


@pytest.mark.asyncio
async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'dialer.db'}")
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
    finally:
        await engine.dispose()
    assert (journal, foreign_keys, busy_timeout) == ("wal", 1, 5000)


def test_an_unknown_database_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="mysql"):
        create_engine("mysql://localhost/dialer")
    with pytest.raises(ConfigurationError, match="'not a url' illisible"):
        create_engine("not a url")


@pytest.mark.asyncio
async def test_an_unreachable_database_is_a_storage_error() -> None:
    engine = create_engine("postgresql+asyncpg://nobody:secret@127.0.0.1:9/nothing")
    try:
        with pytest.raises(StorageError, match="migration to head failed") as caught:
            await migrate_engine(engine)
    finally:
        await engine.dispose()
    assert "secret" not in str(caught.value)
