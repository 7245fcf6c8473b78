"""Alembic environment for the dialer.

Three ways in:

- ``dialer.storage.database.migrate_engine`` (and ``migrate``) hand over an open connection
  in ``config.attributes["connection"]``: migrations run on it, inside its transaction;
- ``alembic -c dialer/storage/migrations/alembic.ini upgrade head``: the URL is
  ``-x url=...``, else the dialer's settings (``DIALER_DATABASE_URL``...). Async URLs
  (aiosqlite, asyncpg) run through Alembic's asyncio recipe; sync URLs through a plain
  engine;
- ``--sql`` (offline): the SQL is printed for the URL's dialect.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from dialer.settings import load_settings
from dialer.storage import (  # noqa: F401 - their tables join Base
    account_rows,
    agent_campaigns,
    alert_rows,
    billing_periods,
    call_help,
    call_sheet_rows,
    campaign_plans,
    consent_rows,
    hold_rows,
    household_rows,
    list_rows,
    never_reached_rows,
    orientation_rows,
    resource_rows,
    schedule,
    seat_sessions,
    sip_accounts,
    team_rows,
    visit_rows,
    volunteer_rows,
)
from dialer.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return str(url)
    return load_settings().database_url


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies tables
        compare_type=True,
        **kwargs,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = _url()
    if make_url(url).get_dialect().is_async:
        asyncio.run(_run_async(url))
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as sync_connection:
        _run_on(sync_connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
