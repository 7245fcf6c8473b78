"""The register of people: bulk writes for the import, and look-ups for the rest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from operator import itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Result,
    String,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import selectinload

from dialer.core.phones import PhoneKind
from dialer.errors import NotFoundError, StorageError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.list_rows import DEFAULT_LIST, join_list, leave_list, list_id
from dialer.storage.models import Base, Person
from dialer.storage.staging import PERSON_COLUMNS

_T = TypeVar("_T")
_PERSONS = Base.metadata.tables["persons"]
_PHONES = Base.metadata.tables["phone_numbers"]
#: the index on phone_numbers.e164 (only the shared-number check uses it)
_NUMBER_INDEX = "ix_phone_numbers_e164"
#: ``json.dumps(..., ensure_ascii=False)`` builds an encoder per call: one, kept
_FLAGS_JSON = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True, slots=True)
class PhoneRecord:
    """A number to store for a person, already in E.164."""

    e164: str
    kind: PhoneKind


@dataclass(slots=True)
class PersonRecord:
    """A person as the register gives them, ready to be stored (phones in order of
    preference)."""

    external_id: str
    last_name: str
    first_name: str = ""
    birth_date: date | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    district: str | None = None
    disabled: bool = False
    medical_flag: bool = False
    register_flags: dict[str, str] = field(default_factory=dict)
    contact_name: str | None = None
    contact_phone: str | None = None
    phones: list[PhoneRecord] = field(default_factory=list)
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    def fingerprint(self) -> str:
        """A digest of every stored field: equal fingerprints mean nothing changed. Computed
        once: do not change the record after asking for it."""
        if self._fingerprint is None:
            self._fingerprint = self._digest()
        return self._fingerprint

    def staged(self) -> tuple[Any, ...]:
        """The values of :data:`~dialer.storage.staging.PERSON_COLUMNS`, as SQLite stores
        them (the staging file of an import)."""
        birth = self.birth_date
        flags = self.register_flags
        return (
            self.last_name,
            self.first_name,
            birth.isoformat() if birth is not None else None,
            self.address,
            self.postcode,
            self.city,
            self.district,
            int(self.disabled),
            int(self.medical_flag),
            _FLAGS_JSON(flags) if flags else "{}",
            self.contact_name,
            self.contact_phone,
            self.fingerprint(),
        )

    @classmethod
    def from_staged(
        cls, external_id: str, values: Sequence[Any], phones: Iterable[tuple[str, str]]
    ) -> PersonRecord:
        """The record :meth:`staged` gave ``values`` for (its fingerprint computed anew)."""
        (last_name, first_name, birth, address, postcode, city, district, disabled,
         medical_flag, flags, contact_name, contact_phone, _fingerprint) = values  # fmt: skip
        return cls(
            external_id=external_id,
            last_name=last_name,
            first_name=first_name,
            birth_date=date.fromisoformat(birth) if birth else None,
            address=address,
            postcode=postcode,
            city=city,
            district=district,
            disabled=bool(disabled),
            medical_flag=bool(medical_flag),
            register_flags=json.loads(flags) if flags else {},
            contact_name=contact_name,
            contact_phone=contact_phone,
            phones=[PhoneRecord(e164, PhoneKind(kind)) for e164, kind in phones],
        )

    def _digest(self) -> str:
        birth = self.birth_date
        parts = [
            self.external_id,
            self.last_name,
            self.first_name,
            birth.isoformat() if birth else "",
            self.address or "",
            self.postcode or "",
            self.city or "",
            self.district or "",
            ("D" if self.disabled else "") + ("M" if self.medical_flag else ""),
            self.contact_name or "",
            self.contact_phone or "",
        ]
        for phone in self.phones:
            parts.append(phone.e164)
            parts.append(phone.kind.value)
        if self.register_flags:
            parts.extend(
                f"{column}={value}" for column, value in sorted(self.register_flags.items())
            )
        # unit separators cannot occur in register cells (they are stripped text)
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """People to write, as the driver of ``dialect`` takes them (plain tuples: cheap to
    send to another process). ``added`` rows are ``(external_id, *updated columns,
    created_at)``, ``changed`` rows ``(external_id, *updated columns)``; ``phones`` lists
    each added then changed person's ``(e164, kind)`` in order of preference."""

    dialect: str
    added: list[tuple[Any, ...]]
    changed: list[tuple[Any, ...]]
    phones: list[tuple[tuple[str, str], ...]]
    not_shared: Any
    #: when they are written, and the list they go on (:mod:`dialer.storage.list_rows`)
    written_at: datetime
    list_name: str = DEFAULT_LIST


def encode_batch(
    dialect: str,
    added: Sequence[PersonRecord],
    changed: Sequence[PersonRecord],
    *,
    now: datetime,
    list_name: str = DEFAULT_LIST,
) -> EncodedBatch:
    """``added`` and ``changed`` encoded for ``dialect`` (``sqlite`` or ``postgresql``),
    to go on the list ``list_name``."""
    encode = _Encoder(dialect, now)
    stamp = encode.now
    return EncodedBatch(
        dialect,
        [(r.external_id, *encode.person(r), stamp) for r in added],
        [(r.external_id, *encode.person(r)) for r in changed],
        [tuple((p.e164, p.kind.value) for p in r.phones) for r in (*added, *changed)],
        encode.boolean(False),
        now,
        list_name,
    )


class PersonRepository:
    """People on the register. Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def get(self, person_id: int) -> Person:
        async with transaction(self._sessions) as session:
            person = await session.scalar(
                select(Person).where(Person.id == person_id).options(selectinload(Person.phones))
            )
        if person is None:
            raise NotFoundError(f"person {person_id}: no such person")
        return person

    async def dialect(self) -> str:
        """The database's dialect name (``sqlite``, ``postgresql``)."""
        async with transaction(self._sessions) as session:
            connection = await session.connection()
            return connection.dialect.name

    async def write_batch(
        self,
        added: Sequence[PersonRecord],
        changed: Sequence[PersonRecord],
        *,
        now: datetime,
    ) -> None:
        """Insert ``added``, overwrite ``changed`` (matched by external id, put back on the
        register if they had been removed) and replace their numbers, in one transaction."""
        if added or changed:
            dialect = await self.dialect()
            await self.write_encoded(encode_batch(dialect, added, changed, now=now))

    async def write_encoded(self, batch: EncodedBatch) -> None:
        """:meth:`write_batch` of a batch already encoded by :func:`encode_batch` (which
        may run in another process)."""
        if not batch.added and not batch.changed:
            return
        async with transaction(self._sessions) as session:
            await write_encoded(await session.connection(), batch)

    async def remove(
        self, external_ids: Iterable[str], *, now: datetime, list_name: str = DEFAULT_LIST
    ) -> int:
        """Take these people off the list ``list_name`` (off the register when they are on
        no other list: ``removed_at``); nothing is deleted."""
        async with transaction(self._sessions) as session:
            connection = await session.connection()
            return await remove_people(connection, external_ids, now=now, list_name=list_name)

    async def flag_shared_numbers(self) -> int:
        """Set ``shared_with_other_person`` on every number that another person still on
        the register has too, clear it elsewhere; return the number of rows changed."""
        async with transaction(self._sessions) as session:
            return await flag_shared_numbers(await session.connection())


def person_field_lengths() -> dict[str, int]:
    """The most characters each text column of a person holds, as the table defines it
    (the one source of truth: an import checks its rows against it)."""
    return {
        column.name: column.type.length
        for column in _PERSONS.columns
        if isinstance(column.type, String) and column.type.length is not None
    }


# ---- what an import writes, on the caller's connection (inside its transaction) --------
async def write_encoded(connection: AsyncConnection, batch: EncodedBatch) -> None:
    """Insert ``batch.added``, overwrite ``batch.changed`` (matched by external id, put
    back on the register if they had been removed) and replace their numbers.

    Bulk path: statements compiled once per dialect and run with the driver's
    ``executemany`` on values encoded beforehand (SQLAlchemy's per-value type processing
    costs about 100 µs a person, ten times the insert itself)."""
    if not batch.added and not batch.changed:
        return
    if connection.dialect.name != batch.dialect:
        raise StorageError(
            f"batch encoded for {batch.dialect}, database is {connection.dialect.name}"
        )
    bulk = _bulk_statements(connection.dialect)
    if batch.added:
        await connection.exec_driver_sql(
            bulk.insert_person.sql, bulk.insert_person.rows(batch.added)
        )
    if batch.changed:
        await connection.exec_driver_sql(
            bulk.update_person.sql, bulk.update_person.rows(batch.changed)
        )
    keys = [row[0] for row in batch.added] + [row[0] for row in batch.changed]
    ids: dict[str, int] = {}
    for chunk in _chunks(keys):
        found = await connection.execute(
            select(_PERSONS.c.external_id, _PERSONS.c.id).where(_PERSONS.c.external_id.in_(chunk))
        )
        ids.update((str(key), int(number)) for key, number in found)
    changed_ids = [ids[row[0]] for row in batch.changed]
    for id_chunk in _chunks(changed_ids):
        await connection.execute(delete(_PHONES).where(_PHONES.c.person_id.in_(id_chunk)))
    not_shared = batch.not_shared
    phone_rows = bulk.insert_phone.rows(
        (ids[key], position, e164, kind, not_shared)
        for key, phones in zip(keys, batch.phones, strict=True)
        for position, (e164, kind) in enumerate(phones)
    )
    if phone_rows:
        await connection.exec_driver_sql(bulk.insert_phone.sql, phone_rows)
    on = await list_id(connection, batch.list_name, now=batch.written_at)
    await join_list(connection, ids.values(), on, now=batch.written_at)


async def remove_people(
    connection: AsyncConnection,
    external_ids: Iterable[str],
    *,
    now: datetime,
    list_name: str = DEFAULT_LIST,
) -> int:
    """Take these people off the list ``list_name``, and off the register (``removed_at``)
    those it leaves on no list; how many were on the list."""
    on = await list_id(connection, list_name, now=now)
    return await leave_list(connection, external_ids, on, now=now)


async def drop_number_index(connection: AsyncConnection) -> None:
    """Before writing a large share of a SQLite register: each batch of random numbers
    would otherwise rewrite most of the index's pages (building it again at the end,
    :func:`create_number_index`, takes about 3.5 s for a million people). Nothing else
    looks numbers up by value. Inside the import's transaction: rolled back with it."""
    await connection.execute(text(f"DROP INDEX IF EXISTS {_NUMBER_INDEX}"))


async def create_number_index(connection: AsyncConnection) -> None:
    await connection.execute(
        text(f"CREATE INDEX IF NOT EXISTS {_NUMBER_INDEX} ON phone_numbers (e164)")
    )


async def flag_shared_numbers(connection: AsyncConnection) -> int:
    """Set ``shared_with_other_person`` on every number that another person still on the
    register has too, clear it elsewhere; return the number of rows changed.

    The numbers held twice are found on the number index alone (no row read), and only
    their rows are looked at: a million people in about 3 s, where a correlated ``EXISTS``
    on every number took 11 s. ``shared_numbers`` keeps, for each number held twice, the
    lowest and highest id of the people on the register who have it."""
    others = (
        "EXISTS (SELECT 1 FROM shared_numbers s WHERE s.e164 = phone_numbers.e164 "
        "AND (s.low != phone_numbers.person_id OR s.high != phone_numbers.person_id))"
    )
    await connection.execute(
        text("CREATE TEMP TABLE shared_numbers (e164 VARCHAR(20), low INTEGER, high INTEGER)")
    )
    await connection.execute(
        text(
            "INSERT INTO shared_numbers SELECT n.e164, min(p.id), max(p.id) "
            "FROM (SELECT e164 FROM phone_numbers GROUP BY e164 HAVING count(*) > 1) c "
            "JOIN phone_numbers n ON n.e164 = c.e164 "
            "JOIN persons p ON p.id = n.person_id "
            "WHERE p.removed_at IS NULL GROUP BY n.e164"
        )
    )
    await connection.execute(text("CREATE INDEX ix_shared_numbers ON shared_numbers (e164)"))
    result = await connection.execute(
        text(
            f"UPDATE phone_numbers SET shared_with_other_person = {others} "  # noqa: S608
            f"WHERE shared_with_other_person != {others}"  # (a constant, no value)
        )
    )
    await connection.execute(text("DROP TABLE shared_numbers"))
    return _rowcount(result)


#: what an import writes of a person: their fields, and on the register since now
_UPDATED_COLUMNS = (*PERSON_COLUMNS, "removed_at", "updated_at")


@dataclass(frozen=True, slots=True)
class _Statement:
    """SQL in the dialect's parameter style, taking value tuples in the order of ``keys``
    (reordered to the statement's own parameter order when it differs)."""

    sql: str
    keys: tuple[str, ...]
    reorder: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None

    def rows(self, values: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.reorder is None:
            return list(values)
        return [self.reorder(row) for row in values]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect, keys: Sequence[str]) -> _Statement:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
        if compiled.positiontup is None:
            raise StorageError(f"{dialect.name}: bulk writes need a positional parameter style")
        order = tuple(compiled.positiontup)
        if order == tuple(keys):
            return cls(compiled.string, tuple(keys), None)
        if len(order) < 2:
            raise StorageError(f"{dialect.name}: unexpected bulk statement {compiled.string}")
        return cls(compiled.string, tuple(keys), itemgetter(*(keys.index(k) for k in order)))


@dataclass(frozen=True, slots=True)
class _BulkStatements:
    insert_person: _Statement
    update_person: _Statement
    insert_phone: _Statement


@cache
def _bulk_statements(dialect: Dialect) -> _BulkStatements:
    return _BulkStatements(
        insert_person=_Statement.compile(
            insert(_PERSONS), dialect, ("external_id", *_UPDATED_COLUMNS, "created_at")
        ),
        update_person=_Statement.compile(
            update(_PERSONS)
            .where(_PERSONS.c.external_id == bindparam("key"))
            .values({name: bindparam(name) for name in _UPDATED_COLUMNS}),
            dialect,
            ("key", *_UPDATED_COLUMNS),
        ),
        insert_phone=_Statement.compile(
            insert(_PHONES),
            dialect,
            ("person_id", "position", "e164", "kind", "shared_with_other_person"),
        ),
    )


class _Encoder:
    """Values as the driver takes them: SQLite gets text dates and naive UTC timestamps in
    SQLAlchemy's own storage format, and 0/1; PostgreSQL gets the Python objects."""

    def __init__(self, dialect_name: str, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now.isoformat()}: pass an aware datetime")
        self.sqlite = dialect_name == "sqlite"
        utc = now.astimezone(UTC)
        self.now: Any = utc.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else utc

    def boolean(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def person(self, record: PersonRecord) -> tuple[Any, ...]:
        """The values of ``_UPDATED_COLUMNS``, in that order."""
        values = driver_values(record.staged(), sqlite=self.sqlite)
        return (*values, None, self.now)  # removed_at (on the register), updated_at


def driver_values(staged: Sequence[Any], *, sqlite: bool) -> list[Any]:
    """:meth:`PersonRecord.staged` values as the driver takes them: SQLite as they are,
    PostgreSQL with a date and booleans."""
    values = list(staged)
    if not sqlite:
        birth = values[_BIRTH]
        values[_BIRTH] = date.fromisoformat(birth) if birth else None
        for index in _BOOLEANS:
            values[index] = bool(values[index])
    return values


_BIRTH = PERSON_COLUMNS.index("birth_date")
_BOOLEANS = tuple(PERSON_COLUMNS.index(name) for name in ("disabled", "medical_flag"))


def _chunks(values: list[_T], size: int = 5000) -> Iterator[list[_T]]:
    """Slices small enough for an ``IN (...)`` on any backend (SQLite and PostgreSQL allow
    about 32,000 parameters)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rowcount(result: Result[Any]) -> int:
    return int(cast("CursorResult[Any]", result).rowcount)
