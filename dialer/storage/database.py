"""The engine and the session factory from a database URL, and the schema migrations.

- SQLite (``sqlite+aiosqlite:///var/dialer.db``): every connection gets WAL mode, foreign
  keys and a busy timeout, so the dialer and an import can share the file.
- PostgreSQL (``postgresql+asyncpg://user:password@host/db``) through asyncpg.

:func:`migrate` runs ``alembic upgrade head`` with the migrations shipped in the package
(``dialer/storage/migrations``; async URLs are driven through Alembic's asyncio recipe, see
its ``env.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError, ConflictError, StorageError
from dialer.redaction import mask_secrets
from dialer.storage.driver_errors import count_errors_of

#: the Alembic environment, package data of :mod:`dialer.storage`
MIGRATIONS_DIR = Path(str(resources.files("dialer.storage") / "migrations"))

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_POOL_TIMEOUT_S = 180.0
#: page cache per connection (negative: KiB): big enough for the register's indexes, so a
#: bulk import rewrites each index page once per transaction, not once per row
SQLITE_CACHE_KIB = 64 * 1024

SessionFactory = async_sessionmaker[AsyncSession]


def parse_url(url: str) -> URL:
    """The parsed URL; raises :class:`ConfigurationError` for a malformed or unknown one."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        shown = mask_secrets(url)
        raise ConfigurationError(say("database.unparsable", url=shown)) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(say("database.unsupported", backend=parsed.get_backend_name()))
    return parsed


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``. A relative SQLite file path is relative to the current
    directory; its directory is created when missing."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        _make_sqlite_directory(parsed)
        # One connection, shared in turn (FIFO): SQLite has one writer at a time anyway,
        # and waiting in the pool is fair and cheap where competing connections spin in
        # SQLite's busy handler (at 300 calls at once, some waited past the busy timeout).
        # A burst (400 people answering at once) queues a few thousand short transactions:
        # they wait their turn for up to SQLITE_POOL_TIMEOUT_S rather than fail at 30 s.
        engine = _create_async_engine(
            parsed, echo=echo, pool_size=1, max_overflow=0, pool_timeout=SQLITE_POOL_TIMEOUT_S
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        count_errors_of(engine.sync_engine)
        return engine
    engine = _create_async_engine(parsed, echo=echo, pool_pre_ping=True)
    count_errors_of(engine.sync_engine)
    return engine


@asynccontextmanager
async def migrated_database(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the database at ``url``, migrated first; the engine is disposed on exit
    (what a command-line command opens)."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions whose objects stay readable after commit (repositories hand them out)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One committed transaction (rolled back on any error). Database failures become
    :class:`StorageError`, constraint violations :class:`ConflictError`; the dialer's own
    errors pass through unchanged."""
    try:
        async with sessions.begin() as session:
            yield session
    except IntegrityError as exc:
        raise ConflictError(f"the database refused the change: {exc.orig}") from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database error: {exc}") from exc


async def database_reachable(sessions: SessionFactory, *, timeout_s: float = 2.0) -> bool:
    """The database answers a trivial query within ``timeout_s`` (the readiness probe)."""

    async def ask() -> None:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ask(), timeout_s)
    except (TimeoutError, SQLAlchemyError, OSError):
        return False
    return True


def migrate(url: str, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on ``url``. Synchronous, for the command line: from
    async code (a running event loop) use :func:`migrate_engine`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise StorageError("migrate() called from a running event loop: await migrate_engine()")

    async def upgrade() -> None:
        engine = create_engine(url)
        try:
            await migrate_engine(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())


async def migrate_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on an open engine, from async code."""
    try:
        async with engine.begin() as connection:
            await _upgrade_on(connection, revision)
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(
            f"migration to {revision} failed on {engine.url.render_as_string()}: {exc}"
        ) from exc


def alembic_config() -> Config:
    """The Alembic configuration of the shipped migrations, built without reading their
    ``alembic.ini``."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise ConfigurationError(say("database.no_migrations", path=MIGRATIONS_DIR / "env.py"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def _upgrade_on(connection: AsyncConnection, revision: str) -> None:
    config = alembic_config()

    def upgrade(sync_connection: Any) -> None:
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    await connection.run_sync(upgrade)


def _make_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _begin_immediate(connection: Any) -> None:
    """Every SQLite transaction takes the write lock when it begins. With the default
    deferred BEGIN, a transaction that read and then writes after another connection
    committed fails at once with "database is locked" (a stale WAL snapshot: the busy
    timeout does not apply); 200 calls answering at once made that happen. Taking the
    lock up front makes concurrent transactions wait their turn (busy timeout) instead."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # the driver must not open transactions itself: "begin" emits BEGIN IMMEDIATE
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints, safe with WAL
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()
