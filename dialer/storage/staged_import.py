"""Applying a register import's staging file (:mod:`dialer.storage.staging`) to the
database: a copy of what is stored goes in, the people to add, change and remove come out.

SQLite attaches the staging file and copies with ``INSERT ... SELECT`` (a million people
in seconds, no row crossing into Python); PostgreSQL gets the same rows as encoded
batches through :func:`~dialer.storage.people.write_encoded`. Either way the whole write
is one transaction (:meth:`StagedImport.apply`): all of it, or nothing.
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
from dialer.storage.list_rows import DEFAULT_LIST, known_list_id, list_id
from dialer.storage.people import (
    EncodedBatch,
    PersonRepository,
    create_number_index,
    driver_values,
    drop_number_index,
    flag_shared_numbers,
    remove_people,
    write_encoded,
)
from dialer.storage.staging import (
    ADDED,
    CHANGED,
    PERSON_COLUMNS,
    STORED_SCHEMA,
    Staging,
)
from dialer.storage.staging import connect as connect_staging

#: lines of the file per batch (one transaction holds them all)
BATCH_LINES = 20_000
#: people taken off the register per transaction
REMOVALS_PER_BATCH = 5_000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format of DateTime on SQLite


class StagedImport:
    """The database side of one import (``staging``: the staging file's path; ``parts``:
    the part files of the checked rows, none needed to copy what is stored)."""

    def __init__(
        self,
        sessions: SessionFactory,
        staging: Path,
        parts: Sequence[Path] = (),
        *,
        list_name: str = DEFAULT_LIST,
    ) -> None:
        self._sessions = sessions
        #: the list the file is imported under (:mod:`dialer.storage.list_rows`)
        self.list_name = list_name
        self.people = PersonRepository(sessions)
        self.staging = staging
        self.parts = tuple(parts)

    async def copy_stored(self) -> None:
        """Every stored person's external id, fingerprint and whether on the list imported
        (and on the register), into the staging file's ``stored`` table."""
        async with transaction(self._sessions) as session:
            listed = await known_list_id(await session.connection(), self.list_name)
        active = (
            "removed_at IS NULL AND EXISTS (SELECT 1 FROM list_memberships m "
            f"WHERE m.person_id = persons.id AND m.list_id = {listed or 0} "
            "AND m.removed_at IS NULL)"
        )
        if await self.people.dialect() == "sqlite":
            # statements of their own (no BEGIN IMMEDIATE): they only read the register
            async with self._attached() as connection:
                driver = await _driver(connection)
                await driver.execute(
                    f"CREATE TABLE IF NOT EXISTS staging.stored ({STORED_SCHEMA}) WITHOUT ROWID"
                )
                await driver.execute(
                    f"INSERT INTO staging.stored SELECT external_id, fingerprint, {active} "
                    "FROM persons"
                )
            return
        statement = text(f"SELECT external_id, fingerprint, {active} FROM persons")
        with closing(connect_staging(self.staging)) as scratch:
            scratch.execute(f"CREATE TABLE IF NOT EXISTS stored ({STORED_SCHEMA}) WITHOUT ROWID")
            async with transaction(self._sessions) as session:
                rows = await session.stream(statement.execution_options(yield_per=20_000))
                async for partition in rows.partitions():
                    scratch.executemany(
                        "INSERT INTO stored VALUES (?, ?, ?)",
                        [(key, fingerprint, int(active)) for key, fingerprint, active in partition],
                    )

    async def apply(
        self,
        *,
        now: datetime,
        many: bool = False,
        on_batch: Callable[[int], None] | None = None,
        on_finish: Callable[[], None] | None = None,
    ) -> None:
        """Everything the import writes, in ONE transaction: the people the staging
        file's ``todo`` adds or changes, with their numbers (those of a changed person
        replaced), in batches of :data:`BATCH_LINES` lines of the file; the people of
        ``absent`` taken off the register; the shared-number flags worked out again. A
        failure anywhere (the database refusing a row, a lost connection, a cancel)
        leaves the register as it was: a broken import writes nothing.

        ``many``: a large share of the register is written (SQLite drops its index of
        numbers meanwhile, see :func:`drop_number_index`). ``on_batch`` is told, after
        each batch, how many people it wrote; ``on_finish``, when the removals and flags
        start. On SQLite the import holds the database's one connection while it writes
        (a 10,500-person register: about a second)."""
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now.isoformat()}: pass an aware datetime")
        with closing(Staging(self.staging, self.parts)) as staging:
            total = staging.last_line() + 1
        sqlite = await self.people.dialect() == "sqlite"
        try:
            if sqlite:
                attached = self._attached(with_parts=True)
                async with attached as connection, connection.begin():
                    listed = await list_id(connection, self.list_name, now=now)
                    await self._apply_sqlite(connection, total, now, many, on_batch, listed=listed)
                    _tell(on_finish)
                    await self._finish_sqlite(connection, now, listed)
            else:
                engine: AsyncEngine = self._sessions.kw["bind"]
                async with engine.connect() as connection, connection.begin():
                    await self._apply_postgresql(connection, total, now, on_batch)
                    _tell(on_finish)
                    await self._finish_postgresql(connection, now)
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise _write_failed(exc) from exc

    async def _apply_sqlite(
        self,
        connection: AsyncConnection,
        total: int,
        now: datetime,
        many: bool,
        on_batch: Callable[[int], None] | None,
        *,
        listed: int,
    ) -> None:
        stamp = now.astimezone(UTC).strftime(_SQLITE_TIME)
        if many:
            await drop_number_index(connection)
        base = await _next_id(connection)
        parts = [*(f"p{index}" for index in range(len(self.parts))), "main"]
        for low in range(0, total, BATCH_LINES):
            lines = _Lines(low, low + BATCH_LINES, base, listed)
            written = 0
            for part in parts:
                written += await _copy_lines(connection, part, lines, stamp)
            if on_batch is not None:
                on_batch(written)

    async def _finish_sqlite(self, connection: AsyncConnection, now: datetime, listed: int) -> None:
        """The absent people off the list, and off the register those on no list."""
        stamp = now.astimezone(UTC).strftime(_SQLITE_TIME)
        await connection.exec_driver_sql(
            "UPDATE list_memberships SET removed_at = ? WHERE list_id = ? "
            "AND removed_at IS NULL AND person_id IN (SELECT id FROM persons "
            "WHERE external_id IN (SELECT external_id FROM staging.absent))",
            (stamp, listed),
        )
        await connection.exec_driver_sql(
            "UPDATE persons SET removed_at = ?, updated_at = ? WHERE removed_at IS NULL "
            "AND external_id IN (SELECT external_id FROM staging.absent) "
            "AND NOT EXISTS (SELECT 1 FROM list_memberships m "
            "WHERE m.person_id = persons.id AND m.removed_at IS NULL)",
            (stamp, stamp),
        )
        await create_number_index(connection)
        await flag_shared_numbers(connection)

    async def _apply_postgresql(
        self,
        connection: AsyncConnection,
        total: int,
        now: datetime,
        on_batch: Callable[[int], None] | None,
    ) -> None:
        utc = now.astimezone(UTC)
        for low in range(0, total, BATCH_LINES):
            batch = await asyncio.to_thread(self._encoded, low, low + BATCH_LINES, utc)
            await write_encoded(connection, batch)
            if on_batch is not None:
                on_batch(len(batch.added) + len(batch.changed))

    async def _finish_postgresql(self, connection: AsyncConnection, now: datetime) -> None:
        offset = 0
        while True:
            with closing(Staging(self.staging, self.parts)) as staging:
                chunk = staging.absent(offset, REMOVALS_PER_BATCH)
            if not chunk:
                break
            offset += len(chunk)
            await remove_people(
                connection, chunk, now=now.astimezone(UTC), list_name=self.list_name
            )
        await flag_shared_numbers(connection)

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
        return EncodedBatch("postgresql", added, changed, phones, False, now, self.list_name)

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
            raise _write_failed(exc) from exc


def _tell(listener: Callable[[], None] | None) -> None:
    if listener is not None:
        listener()


def _write_failed(exc: BaseException) -> StorageError:
    """The database's own words (never the statement nor its values: personal data)."""
    cause = getattr(exc, "orig", None) or exc
    return StorageError(
        "registre : la base de données a refusé l'import, rien n'a été enregistré "
        f"({type(cause).__name__} : {str(cause).splitlines()[0] if str(cause) else ''})"
    )


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
    #: the list they go on
    listed: int


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
    await execute(
        "INSERT INTO list_memberships (person_id, list_id, added_at, removed_at) "
        f"SELECT p.id, ?, ?, NULL FROM {changed} AND t.action IN ({ADDED}, {CHANGED}) "
        "AND NOT EXISTS (SELECT 1 FROM list_memberships m WHERE m.person_id = p.id "
        "AND m.list_id = ? AND m.removed_at IS NULL)",
        (lines.listed, stamp, *bounds, lines.listed),
    )
    return added.rowcount + changed_rows.rowcount
