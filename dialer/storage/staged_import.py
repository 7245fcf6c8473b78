"""Applying a register import's staging file (:mod:`dialer.storage.staging`) to the
database: a copy of what is stored goes in, the people to add, change and remove come out.

SQLite attaches the staging file and copies with ``INSERT ... SELECT`` (a million people
in seconds, no row crossing into Python); PostgreSQL gets the same rows as encoded
batches through :meth:`PersonRepository.write_encoded`. Either way each batch of
:data:`BATCH_LINES` lines of the file is one transaction, so the dialer is never locked
out of the database for long.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dialer.errors import StorageError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.people import EncodedBatch, PersonRepository, driver_values
from dialer.storage.staging import (
    ADDED,
    CHANGED,
    PERSON_COLUMNS,
    STORED_SCHEMA,
    Staging,
)
from dialer.storage.staging import connect as connect_staging

#: lines of the file per transaction
BATCH_LINES = 20_000
#: people taken off the register per transaction
REMOVALS_PER_BATCH = 5_000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format of DateTime on SQLite


class StagedImport:
    """The database side of one import (``staging``: the staging file's path; ``parts``:
    the part files of the checked rows, none needed to copy what is stored)."""

    def __init__(self, sessions: SessionFactory, staging: Path, parts: Sequence[Path] = ()) -> None:
        self._sessions = sessions
        self.people = PersonRepository(sessions)
        self.staging = staging
        self.parts = tuple(parts)

    async def copy_stored(self) -> None:
        """Every stored person's external id, fingerprint and whether on the register,
        into the staging file's ``stored`` table."""
        if await self.people.dialect() == "sqlite":
            # statements of their own (no BEGIN IMMEDIATE): they only read the register
            async with self._attached() as connection:
                driver = await _driver(connection)
                await driver.execute(
                    f"CREATE TABLE IF NOT EXISTS staging.stored ({STORED_SCHEMA}) WITHOUT ROWID"
                )
                await driver.execute(
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

    async def write_people(
        self, *, now: datetime, on_batch: Callable[[int], None] | None = None
    ) -> None:
        """Add and change the people the staging file's ``todo`` marks so, with their
        numbers (those of a changed person replaced), in batches of :data:`BATCH_LINES`
        lines of the file. ``on_batch`` is told, after each, how many people it wrote."""
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now.isoformat()}: pass an aware datetime")
        with closing(Staging(self.staging, self.parts)) as staging:
            total = staging.last_line() + 1
        sqlite = await self.people.dialect() == "sqlite"
        stamp = now.astimezone(UTC).strftime(_SQLITE_TIME)
        for low in range(0, total, BATCH_LINES):
            if sqlite:
                # attached per batch: the pool's one connection is free between batches
                async with self._attached(with_parts=True) as connection, connection.begin():
                    lines = _Lines(low, low + BATCH_LINES, await _next_id(connection) - low)
                    written = 0
                    for part in [*(f"p{index}" for index in range(len(self.parts))), "main"]:
                        written += await _copy_lines(connection, part, lines, stamp)
            else:
                batch = await asyncio.to_thread(
                    self._encoded, low, low + BATCH_LINES, now.astimezone(UTC)
                )
                await self.people.write_encoded(batch)
                written = len(batch.added) + len(batch.changed)
            if on_batch is not None:
                on_batch(written)

    async def remove_absent(self, *, now: datetime) -> int:
        """Take off the register the people of the staging file's ``absent``."""
        done = offset = 0
        while True:
            with closing(Staging(self.staging, self.parts)) as staging:
                chunk = staging.absent(offset, REMOVALS_PER_BATCH)
            if not chunk:
                return done
            offset += len(chunk)
            done += await self.people.remove(chunk, now=now)

    def _encoded(self, low: int, high: int, now: datetime) -> EncodedBatch:
        """Lines ``low`` to ``high`` (excluded) as a batch for PostgreSQL."""
        with closing(Staging(self.staging, self.parts)) as staging:
            people = staging.todo(low, high)
        added: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        phones: list[tuple[tuple[str, str], ...]] = []
        for wanted in (ADDED, CHANGED):
            for _line, external_id, action, *staged, numbers in people:
                if action != wanted:
                    continue
                values = driver_values(staged, sqlite=False)
                row = (external_id, *values, None, now)  # removed_at, updated_at
                if action == ADDED:
                    added.append((*row, now))  # created_at
                else:
                    changed.append(row)
                phones.append(numbers)
        return EncodedBatch("postgresql", added, changed, phones, False)

    @asynccontextmanager
    async def _attached(self, *, with_parts: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection of the application's SQLite database with the staging file
        attached as ``staging`` and the parts as ``p0``, ``p1``... (attached outside any
        transaction, as SQLite requires)."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        names = {"staging": self.staging}
        if with_parts:
            names |= {f"p{index}": part for index, part in enumerate(self.parts)}
        try:
            async with engine.connect() as connection:
                driver = await _driver(connection)
                attached: list[str] = []
                try:
                    for name, path in names.items():
                        await driver.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
                        attached.append(name)
                    yield connection
                finally:
                    if connection.in_transaction():
                        await connection.rollback()
                    for name in attached:
                        await driver.execute(f"DETACH DATABASE {name}")
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise StorageError(f"database error while importing the register: {exc}") from exc


async def _driver(connection: AsyncConnection) -> Any:
    """The driver's own connection (aiosqlite), for statements outside SQLAlchemy's
    transactions (which begin with BEGIN IMMEDIATE on SQLite)."""
    raw = await connection.get_raw_connection()
    return raw.driver_connection


@dataclass(frozen=True, slots=True)
class _Lines:
    """Lines ``low`` to ``high`` (excluded) of the file, in one transaction. A person
    added from line L gets the id ``base + L``: unique (a line is one person), above
    every id stored (``base`` is taken under the write lock), and known beforehand, so
    their numbers are inserted without looking the person up."""

    low: int
    high: int
    base: int


async def _next_id(connection: AsyncConnection) -> int:
    result = await connection.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM persons")
    return int(result.scalar_one())


async def _copy_lines(connection: AsyncConnection, part: str, lines: _Lines, stamp: str) -> int:
    """One part's people of ``lines`` (``main``: the merged people); how many."""
    source = "staging" if part == "main" else part
    columns = ", ".join(PERSON_COLUMNS)
    assignments = ", ".join(f"{name} = r.{name}" for name in PERSON_COLUMNS)
    todo = f"staging.todo t WHERE t.part = '{part}' AND t.line >= ? AND t.line < ?"
    rows = todo.replace(" WHERE ", f" JOIN {source}.rows r ON r.line = t.line WHERE ")
    bounds = (lines.low, lines.high)
    execute = connection.exec_driver_sql
    added = await execute(
        "INSERT INTO persons "
        f"(id, external_id, {columns}, removed_at, created_at, updated_at) "
        f"SELECT ? + t.line, r.key, {', '.join('r.' + c for c in PERSON_COLUMNS)}, NULL, ?, ? "
        f"FROM {rows} AND t.action = {ADDED} ORDER BY t.line",
        (lines.base, stamp, stamp, *bounds),
    )
    changed_rows = await execute(
        f"UPDATE persons SET {assignments}, removed_at = NULL, updated_at = ? "
        f"FROM {rows} AND t.action = {CHANGED} AND r.key = persons.external_id",
        (stamp, *bounds),
    )
    changed = rows.replace(" WHERE ", " JOIN persons p ON p.external_id = r.key WHERE ")
    await execute(
        "DELETE FROM phone_numbers WHERE person_id IN "
        f"(SELECT p.id FROM {changed} AND t.action = {CHANGED})",
        bounds,
    )
    phones = (
        "INSERT INTO phone_numbers (person_id, position, e164, kind, shared_with_other_person) "
    )
    with_phones = f" JOIN {source}.phones ph ON ph.line = t.line WHERE "
    await execute(
        f"{phones} SELECT ? + t.line, ph.position, ph.e164, ph.kind, 0 "
        f"FROM {todo.replace(' WHERE ', with_phones)} "
        f"AND t.action = {ADDED} ORDER BY t.line, ph.position",
        (lines.base, *bounds),
    )
    await execute(
        f"{phones} SELECT p.id, ph.position, ph.e164, ph.kind, 0 "
        f"FROM {changed.replace(' WHERE ', with_phones)} "
        f"AND t.action = {CHANGED} ORDER BY t.line, ph.position",
        bounds,
    )
    return added.rowcount + changed_rows.rowcount
