"""The scratch database of a register import: rows on disk, so memory stays flat.

An import first writes each checked row to a *part* file (one per process reading a part
of the register), with nothing indexed: appending is all a row costs. Every check that
spans rows then runs once, as SQL over the whole file, in a *staging* file beside the
parts:

- who each row is (a key met again is the same person; an identity, name and birth,
  met under another key is the person first met with it);
- the people listed more than once, merged in Python (they are few);
- added, changed, unchanged and removed, against a copy of what the database holds
  (``stored``, filled by :class:`~dialer.storage.people.PersonRepository`);
- the numbers two people of the file share.

What the import writes is then read from ``people`` (with ``action``: added, changed,
unchanged), ``people_phones`` and ``absent`` (the external ids to take off the register).
SQLite keeps its page cache and sorts bounded (spilling to temporary files), so a
million-row register costs disk, not memory. These files are private to one import: no
journal, no fsync.

Everything here is synchronous ``sqlite3``; the importer runs it in a worker process or a
thread. Values are stored as the SQLite dialect of the application stores them (ISO dates,
0/1), so an import into SQLite copies them with ``INSERT ... SELECT``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: a checked row: where it is, who it is, and the person's fields when it was accepted
ROW_COLUMNS = (
    "line",
    "key",
    "identity",
    "valid",
    "key_cell",
    "last_name",
    "first_name",
    "birth_date",
    "address",
    "postcode",
    "city",
    "district",
    "disabled",
    "medical_flag",
    "register_flags",
    "contact_name",
    "contact_phone",
    "fingerprint",
)
#: the fields of a person, as :data:`ROW_COLUMNS` and ``people`` hold them
PERSON_COLUMNS = ROW_COLUMNS[5:]
PHONE_COLUMNS = ("line", "position", "e164", "kind")

#: ``people.action``: what the import does with the person
UNCHANGED, ADDED, CHANGED = 0, 1, 2

_PRAGMAS = (
    "PRAGMA journal_mode=OFF",
    "PRAGMA synchronous=OFF",
    "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA temp_store=FILE",
    "PRAGMA cache_size=-32768",  # 32 MiB
)
_INTEGERS = ("identity", "valid", "disabled", "medical_flag")
_ROW_TYPES = {"line": "INTEGER PRIMARY KEY"} | dict.fromkeys(_INTEGERS, "INTEGER")
#: typed columns: an untyped one would not use its index in a join on an INTEGER column
_PHONES = "line INTEGER, position INTEGER, e164 TEXT, kind TEXT, PRIMARY KEY (line, position)"


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a scratch file, tuned for one writer that needs no durability."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in _PRAGMAS:
        connection.execute(pragma)
    return connection


class PartWriter:
    """Appends checked rows and their numbers to a part file, a batch at a time."""

    def __init__(self, path: Path, *, batch: int = 10_000) -> None:
        self._connection = connect(path)
        self._connection.executescript(
            f"""
            CREATE TABLE rows ({_columns(ROW_COLUMNS, _ROW_TYPES)});
            CREATE TABLE phones ({_PHONES}) WITHOUT ROWID;
            """
        )
        self._rows: list[tuple[Any, ...]] = []
        self._phones: list[tuple[Any, ...]] = []
        self._batch = batch
        self._insert_row = _insert("rows", ROW_COLUMNS)
        self._insert_phone = _insert("phones", PHONE_COLUMNS)

    def add(self, row: tuple[Any, ...], phones: Sequence[tuple[Any, ...]] = ()) -> None:
        """``row`` as :data:`ROW_COLUMNS`, ``phones`` as :data:`PHONE_COLUMNS`."""
        self._rows.append(row)
        if phones:
            self._phones.extend(phones)
        if len(self._rows) >= self._batch:
            self.flush()

    def flush(self) -> None:
        connection = self._connection
        connection.execute("BEGIN")
        connection.executemany(self._insert_row, self._rows)
        connection.executemany(self._insert_phone, self._phones)
        connection.execute("COMMIT")
        self._rows.clear()
        self._phones.clear()

    def close(self) -> None:
        self.flush()
        self._connection.close()


@dataclass(slots=True)
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class SharedNumber:
    """A number that the person of ``line`` has, and the person of ``owner_line`` (the
    first of the file to have it) too."""

    line: int
    e164: str
    owner_line: int


class Staging:
    """The staging file, with the part files attached (read only)."""

    def __init__(self, path: Path, parts: Sequence[Path]) -> None:
        self.path = path
        self._connection = connect(path)
        execute = self._connection.execute
        execute(f"CREATE TABLE IF NOT EXISTS stored ({STORED_SCHEMA}) WITHOUT ROWID")
        selects_rows, selects_phones = [], []
        for index, part in enumerate(parts):
            execute(f"ATTACH DATABASE ? AS p{index}", (f"file:{part}?mode=ro",))
            selects_rows.append(f"SELECT * FROM p{index}.rows")
            selects_phones.append(f"SELECT * FROM p{index}.phones")
        execute(f"CREATE TEMP VIEW all_rows AS {' UNION ALL '.join(selects_rows)}")
        execute(f"CREATE TEMP VIEW all_phones AS {' UNION ALL '.join(selects_phones)}")

    def close(self) -> None:
        self._connection.close()

    def resolve_people(self) -> None:
        """Each key's person, and ``people`` / ``people_phones`` for those met once."""
        self._connection.executescript(
            f"""
            -- an identity belongs to the key of the first row that has it
            CREATE TABLE owners (identity INTEGER PRIMARY KEY, key TEXT NOT NULL);
            INSERT OR IGNORE INTO owners
                SELECT identity, key FROM all_rows WHERE identity IS NOT NULL ORDER BY line;
            -- a key is the person its first row's identity belongs to
            CREATE TABLE person_of (key TEXT PRIMARY KEY, person TEXT NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO person_of
                SELECT r.key, coalesce(o.key, r.key)
                FROM all_rows r LEFT JOIN owners o ON o.identity = r.identity
                ORDER BY r.line;
            -- the people of the accepted rows: how many rows, the first, under other keys
            CREATE TABLE groups (
                person TEXT PRIMARY KEY, rows INTEGER, first_line INTEGER, aliased INTEGER
            ) WITHOUT ROWID;
            INSERT INTO groups
                SELECT p.person, count(*), min(r.line), max(r.key != p.person)
                FROM all_rows r JOIN person_of p ON p.key = r.key
                WHERE r.valid GROUP BY p.person;
            CREATE TABLE people (
                line INTEGER PRIMARY KEY, external_id TEXT NOT NULL, action INTEGER NOT NULL,
                {_columns(PERSON_COLUMNS, _ROW_TYPES)}
            );
            CREATE TABLE people_phones ({_PHONES}) WITHOUT ROWID;
            INSERT INTO people
                SELECT r.line, r.key, {_ACTION.format(fingerprint="r.fingerprint")},
                    {", ".join("r." + c for c in PERSON_COLUMNS)}
                FROM all_rows r
                JOIN groups g ON g.person = r.key
                LEFT JOIN stored s ON s.external_id = r.key
                WHERE r.valid AND g.rows = 1 AND NOT g.aliased
                ORDER BY r.line;
            INSERT INTO people_phones
                SELECT ph.* FROM all_phones ph JOIN people p ON p.line = ph.line
                ORDER BY ph.line, ph.position;
            """
        )

    def repeated_rows(self) -> Iterator[tuple[str, tuple[Any, ...], list[tuple[str, str]]]]:
        """The accepted rows of the people listed more than once (or under another key),
        in order of each person's first line then of lines: ``(person, row as
        ROW_COLUMNS, [(e164, kind), ...])``."""
        connection = self._connection
        selected = ", ".join("r." + c for c in ROW_COLUMNS)
        rows = connection.execute(
            f"""
            SELECT p.person, {selected}
            FROM all_rows r
            JOIN person_of p ON p.key = r.key
            JOIN groups g ON g.person = p.person
            WHERE r.valid AND (g.rows > 1 OR g.aliased)
            ORDER BY g.first_line, r.line
            """
        )
        with closing(rows):
            for person, *row in rows:
                phones = connection.execute(
                    "SELECT e164, kind FROM all_phones WHERE line = ? ORDER BY position",
                    (row[0],),
                ).fetchall()
                yield person, tuple(row), phones

    def add_person(
        self,
        line: int,
        external_id: str,
        person: tuple[Any, ...],
        phones: Sequence[tuple[str, str]],
    ) -> None:
        """A merged person (``person`` as :data:`PERSON_COLUMNS`), first listed at ``line``."""
        fingerprint = person[-1]
        execute = self._connection.execute
        action = execute(
            f"SELECT {_ACTION.format(fingerprint='?')} FROM (SELECT 1) "
            "LEFT JOIN stored s ON s.external_id = ?",
            (fingerprint, external_id),
        ).fetchone()[0]
        execute(
            _insert("people", ("line", "external_id", "action", *PERSON_COLUMNS)),
            (line, external_id, action, *person),
        )
        self._connection.executemany(
            _insert("people_phones", PHONE_COLUMNS),
            [(line, position, e164, kind) for position, (e164, kind) in enumerate(phones)],
        )

    def counts(self) -> Counts:
        """What the import does; also lists in ``absent`` the people stored and on the
        register whom no row of the file names (to take off the register)."""
        execute = self._connection.execute
        execute("CREATE TABLE absent (external_id TEXT NOT NULL)")
        execute(
            "INSERT INTO absent SELECT s.external_id FROM stored s WHERE s.active AND NOT EXISTS "
            "(SELECT 1 FROM person_of p WHERE p.key = s.external_id)"
        )
        actions = dict(execute("SELECT action, count(*) FROM people GROUP BY action").fetchall())
        return Counts(
            added=actions.get(ADDED, 0),
            changed=actions.get(CHANGED, 0),
            unchanged=actions.get(UNCHANGED, 0),
            removed=execute("SELECT count(*) FROM absent").fetchone()[0],
        )

    def shared_numbers(self) -> tuple[int, Iterator[SharedNumber]]:
        """How many numbers two people or more of the file have, and each person who has
        one after its first holder, by line."""
        connection = self._connection
        connection.executescript(
            """
            CREATE TABLE shared (e164 TEXT PRIMARY KEY, owner_line INTEGER) WITHOUT ROWID;
            INSERT INTO shared
                SELECT e164, min(line) FROM people_phones GROUP BY e164 HAVING count(*) > 1;
            """
        )
        count = connection.execute("SELECT count(*) FROM shared").fetchone()[0]
        rows = connection.execute(
            "SELECT ph.line, ph.e164, s.owner_line FROM people_phones ph "
            "JOIN shared s ON s.e164 = ph.e164 WHERE ph.line != s.owner_line "
            "ORDER BY ph.line, ph.position"
        )
        return count, (SharedNumber(*row) for row in rows)


#: the people of the register as the database holds them (see ``PersonRepository``)
STORED_SCHEMA = "external_id TEXT PRIMARY KEY, fingerprint TEXT, active INTEGER"
_ACTION = (
    f"CASE WHEN s.external_id IS NULL THEN {ADDED} "
    f"WHEN s.active AND s.fingerprint = {{fingerprint}} THEN {UNCHANGED} ELSE {CHANGED} END"
)


def _columns(names: Sequence[str], types: dict[str, str]) -> str:
    return ", ".join(f"{name} {types.get(name, 'TEXT')}" for name in names)


def _insert(table: str, names: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
