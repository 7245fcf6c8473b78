"""Applying a register import's staging file (:mod:`dialer.storage.staging`) to the
database: a copy of what is stored goes in, the people to add, change and remove come out.

SQLite attaches the staging file and copies with ``INSERT ... SELECT`` (a million people
in seconds, no row crossing into Python); PostgreSQL gets the same rows as encoded
batches through :meth:`PersonRepository.write_encoded`. Either way each batch of
:data:`BATCH_LINES` lines of the file is one transaction, so the dialer is never locked
out of the database for long.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dialer.errors import StorageError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.people import EncodedBatch, PersonRepository
from dialer.storage.staging import ADDED, CHANGED, PERSON_COLUMNS, STORED_SCHEMA
from dialer.storage.staging import connect as connect_staging

#: lines of the file per transaction
BATCH_LINES = 20_000
#: people taken off the register per transaction
REMOVALS_PER_BATCH = 5_000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format of DateTime on SQLite


class StagedImport:
    """The database side of one import (``staging``: the staging file's path)."""

    def __init__(self, sessions: SessionFactory, staging: Path) -> None:
        self._sessions = sessions
        self._people = PersonRepository(sessions)
        self.staging = staging

    async def copy_stored(self) -> None:
        """Every stored person's external id, fingerprint and whether on the register,
        into the staging file's ``stored`` table."""
        if await self._people.dialect() == "sqlite":
            async with self._attached() as connection, connection.begin():
                await connection.exec_driver_sql(
                    f"CREATE TABLE IF NOT EXISTS staging.stored ({STORED_SCHEMA}) WITHOUT ROWID"
                )
                await connection.exec_driver_sql(
                    "INSERT INTO staging.stored SELECT external_id, fingerprint, "
                    "removed_at IS NULL FROM persons"
                )
            return
        statement = text("SELECT external_id, fingerprint, removed_at IS NULL FROM persons")
        with closing(connect_staging(self.staging)) as scratch:
            scratch.execute(f"CREATE TABLE IF NOT EXISTS stored ({STORED_SCHEMA}) WITHOUT ROWID")
            async with transaction(self._sessions) as session:
                rows = await session.stream(statement.execution_options(yield_per=20_000))
                async for partition in rows.partitions():
                    scratch.executemany(
                        "INSERT INTO stored VALUES (?, ?, ?)",
                        [(key, fingerprint, int(active)) for key, fingerprint, active in partition],
                    )

    async def write_people(self, *, now: datetime) -> None:
        """Add and change the people the staging file's ``people`` marks so, with their
        numbers (those of a changed person replaced)."""
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now.isoformat()}: pass an aware datetime")
        last = await self._last_line()
        if await self._people.dialect() == "sqlite":
            stamp = now.astimezone(UTC).strftime(_SQLITE_TIME)
            async with self._attached() as connection:
                for low in range(0, last + 1, BATCH_LINES):
                    async with connection.begin():
                        await _copy_lines(connection, low, low + BATCH_LINES, stamp)
            return
        for low in range(0, last + 1, BATCH_LINES):
            batch = self._encoded(low, low + BATCH_LINES, now.astimezone(UTC))
            await self._people.write_encoded(batch)

    async def remove_absent(self, *, now: datetime) -> int:
        """Take off the register the people of the staging file's ``absent``."""
        done = 0
        offset = 0
        while True:
            with closing(connect_staging(self.staging)) as scratch:
                chunk = [
                    key
                    for (key,) in scratch.execute(
                        "SELECT external_id FROM absent WHERE rowid > ? ORDER BY rowid LIMIT ?",
                        (offset, REMOVALS_PER_BATCH),
                    )
                ]
            if not chunk:
                return done
            offset += len(chunk)
            done += await self._people.remove(chunk, now=now)

    async def _last_line(self) -> int:
        with closing(connect_staging(self.staging)) as scratch:
            last = scratch.execute("SELECT max(line) FROM people").fetchone()[0]
        return int(last or 0)

    def _encoded(self, low: int, high: int, now: datetime) -> EncodedBatch:
        """Lines ``low`` to ``high`` (excluded) as a batch for PostgreSQL."""
        selected = ", ".join(PERSON_COLUMNS)
        added: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        phones: dict[int, list[tuple[str, str]]] = {}
        with closing(connect_staging(self.staging)) as scratch:
            people = scratch.execute(
                f"SELECT line, external_id, action, {selected} FROM people "
                "WHERE action != 0 AND line >= ? AND line < ? ORDER BY line",
                (low, high),
            ).fetchall()
            for line, position, e164, kind in scratch.execute(
                "SELECT ph.line, ph.position, ph.e164, ph.kind FROM people_phones ph "
                "JOIN people p ON p.line = ph.line "
                "WHERE p.action != 0 AND ph.line >= ? AND ph.line < ? "
                "ORDER BY ph.line, ph.position",
                (low, high),
            ):
                del position  # in order already
                phones.setdefault(line, []).append((e164, kind))
        ordered: list[tuple[tuple[str, str], ...]] = []
        for wanted in (ADDED, CHANGED):
            for line, external_id, action, *values in people:
                if action != wanted:
                    continue
                birth = values[2]
                values[2] = date.fromisoformat(birth) if birth else None
                values[7], values[8] = bool(values[7]), bool(values[8])
                row = (external_id, *values, None, now)  # removed_at, updated_at
                if action == ADDED:
                    added.append((*row, now))  # created_at
                else:
                    changed.append(row)
                ordered.append(tuple(phones.get(line, ())))
        return EncodedBatch("postgresql", added, changed, ordered, False)

    @asynccontextmanager
    async def _attached(self) -> AsyncIterator[AsyncConnection]:
        """A connection of the application's SQLite database with the staging file
        attached as ``staging`` (attached outside any transaction, as SQLite requires)."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        try:
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                await driver.execute("ATTACH DATABASE ? AS staging", (str(self.staging),))
                try:
                    yield connection
                finally:
                    if connection.in_transaction():
                        await connection.rollback()
                    await driver.execute("DETACH DATABASE staging")
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise StorageError(f"database error while importing the register: {exc}") from exc


async def _copy_lines(connection: AsyncConnection, low: int, high: int, stamp: str) -> None:
    columns = ", ".join(PERSON_COLUMNS)
    assignments = ", ".join(f"{name} = s.{name}" for name in PERSON_COLUMNS)
    lines = "s.line >= ? AND s.line < ?"
    execute = connection.exec_driver_sql
    await execute(
        f"INSERT INTO persons (external_id, {columns}, removed_at, created_at, updated_at) "
        f"SELECT s.external_id, {columns}, NULL, ?, ? FROM staging.people s "
        f"WHERE s.action = {ADDED} AND {lines} ORDER BY s.line",
        (stamp, stamp, low, high),
    )
    await execute(
        f"UPDATE persons SET {assignments}, removed_at = NULL, updated_at = ? "
        f"FROM staging.people s WHERE s.external_id = persons.external_id "
        f"AND s.action = {CHANGED} AND {lines}",
        (stamp, low, high),
    )
    await execute(
        "DELETE FROM phone_numbers WHERE person_id IN (SELECT p.id FROM staging.people s "
        f"JOIN persons p ON p.external_id = s.external_id WHERE s.action = {CHANGED} AND {lines})",
        (low, high),
    )
    await execute(
        "INSERT INTO phone_numbers (person_id, position, e164, kind, shared_with_other_person) "
        "SELECT p.id, ph.position, ph.e164, ph.kind, 0 FROM staging.people s "
        "JOIN staging.people_phones ph ON ph.line = s.line "
        "JOIN persons p ON p.external_id = s.external_id "
        f"WHERE s.action != 0 AND {lines} ORDER BY s.line, ph.position",
        (low, high),
    )
