"""Fixtures shared by the register tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from dialer.storage import SessionFactory, create_engine, create_session_factory, migrate_engine


@pytest_asyncio.fixture
async def two_databases(tmp_path: Path) -> AsyncIterator[tuple[SessionFactory, SessionFactory]]:
    """Two empty databases, migrated, to import the same file into two ways."""
    engines = [
        create_engine(f"sqlite+aiosqlite:///{tmp_path / name / 'dialer.db'}")
        for name in ("first", "second")
    ]
    for engine in engines:
        await migrate_engine(engine)
    yield create_session_factory(engines[0]), create_session_factory(engines[1])
    for engine in engines:
        await engine.dispose()
