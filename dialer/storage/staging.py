"""The scratch database of a register import: rows on disk, so memory stays flat.

An import first writes each checked row to a *part* file (one per process reading a part
of the register), indexed by key, identity and number once the part is complete (in
that process, so the parts' indexes are built side by side). Every check that spans
rows then runs once, as SQL over the parts, in a *staging* file beside them:

- the rows that share a key or an identity (name and birth) with another row, found on
  the parts' indexes: they alone are read into Python, to be told apart (which person
  each is) and merged; the merged people are the staging file's own ``rows`` and
  ``phones``, a part like the others;
- added, changed and unchanged (``todo`` lists the rows to write, with their action),
  against a copy of what the database holds (``stored``, filled by
  :class:`~dialer.storage.staged_import.StagedImport`), and ``absent``: the people
  stored on the register whom no row names;
- the numbers two people of the file share.

SQLite keeps its page cache and sorts bounded (spilling to temporary files), so a
million-row register costs disk, not memory. These files are private to one import: no
journal, no fsync.

Everything here is synchronous ``sqlite3``: the long statements run in a worker process
or a thread; only short reads (a batch of ids, the last line) run on the event loop.
Values are stored as the SQLite dialect of the application stores them (ISO dates, 0/1),
so an import into SQLite copies them with ``INSERT ... SELECT``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
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
#: the fields of a person, as :data:`ROW_COLUMNS` holds them
PERSON_COLUMNS = ROW_COLUMNS[5:]
PHONE_COLUMNS = ("line", "position", "e164", "kind")

#: ``todo.action``: what the import does with the person
UNCHANGED, ADDED, CHANGED = 0, 1, 2
#: the name of the staging file's own part (the merged people) once attached
MERGED = "staging"

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
_ROWS = ", ".join(f"{name} {_ROW_TYPES.get(name, 'TEXT')}" for name in ROW_COLUMNS)
_PART_TABLES = f"""
    CREATE TABLE IF NOT EXISTS rows ({_ROWS});
    CREATE TABLE IF NOT EXISTS phones ({_PHONES}) WITHOUT ROWID;
"""
_PART_INDEXES = """
    CREATE INDEX IF NOT EXISTS rows_key ON rows (key);
    CREATE INDEX IF NOT EXISTS rows_identity ON rows (identity) WHERE identity IS NOT NULL;
    CREATE INDEX IF NOT EXISTS phones_e164 ON phones (e164);
"""


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
        self._connection.executescript(_PART_TABLES)
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
        """Write what is left, index the part, close."""
        try:
            self.flush()
            self._connection.executescript(_PART_INDEXES)
        finally:
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
    """The staging file, with the part files attached as ``p0``, ``p1``... (only read)."""

    def __init__(self, path: Path, parts: Sequence[Path]) -> None:
        self.path = path
        self.parts = [f"p{index}" for index in range(len(parts))]
        self._connection = connect(path)
        execute = self._connection.execute
        execute(f"CREATE TABLE IF NOT EXISTS stored ({STORED_SCHEMA}) WITHOUT ROWID")
        self._connection.executescript(_PART_TABLES)
        for name, part in zip(self.parts, parts, strict=True):
            execute(f"ATTACH DATABASE ? AS {name}", (str(part),))

    def close(self) -> None:
        self._connection.close()

    @property
    def sources(self) -> list[str]:
        """Where the people to write are: the parts, then this file (``main``)."""
        return [*self.parts, "main"]

    def todo(self, low: int, high: int) -> list[tuple[Any, ...]]:
        """The people of lines ``low`` to ``high`` (excluded) to add or change: ``(line,
        external_id, action, *PERSON_COLUMNS, ((e164, kind), ...))``, by line."""
        found: list[tuple[Any, ...]] = []
        selected = ", ".join("r." + c for c in PERSON_COLUMNS)
        todo = "todo t WHERE t.part = ? AND t.action != 0 AND t.line >= ? AND t.line < ?"
        for part in self.sources:
            phones: dict[int, list[tuple[str, str]]] = {}
            for line, e164, kind in self._connection.execute(
                f"SELECT t.line, ph.e164, ph.kind FROM "
                f"{todo.replace(' WHERE ', f' JOIN {part}.phones ph ON ph.line = t.line WHERE ')} "
                "ORDER BY t.line, ph.position",
                (part, low, high),
            ):
                phones.setdefault(line, []).append((e164, kind))
            for person in self._connection.execute(
                f"SELECT t.line, r.key, t.action, {selected} FROM "
                f"{todo.replace(' WHERE ', f' JOIN {part}.rows r ON r.line = t.line WHERE ')}",
                (part, low, high),
            ):
                found.append((*person, tuple(phones.get(person[0], ()))))
        found.sort(key=lambda person: int(person[0]))
        return found

    def last_line(self) -> int:
        return int(self._connection.execute("SELECT max(line) FROM todo").fetchone()[0] or 0)

    def absent(self, after: int, count: int) -> list[str]:
        """``count`` external ids of ``absent`` after the ``after`` first."""
        rows = self._connection.execute(
            "SELECT external_id FROM absent WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, count),
        )
        return [key for (key,) in rows]

    def find_repeated(self) -> None:
        """``involved``: the rows whose key or identity another row has too, and who
        each of them is (``person_of``: key → person, ``person_rows``: the accepted
        rows of each person, ``firsts``: each person's first accepted line).

        Only accepted rows own identities or form people (a rejected row keeps its key's
        person on the register, see :meth:`compare`, but merges nobody). A key is the
        person its first row's identity was first met under, and that key's person in
        turn (an identity first met under a key that is itself another person's). Such
        links point to earlier lines only, so following them ends."""
        script = [
            "CREATE TABLE repeated_keys (key TEXT PRIMARY KEY) WITHOUT ROWID",
            "CREATE TABLE repeated_identities (identity INTEGER PRIMARY KEY)",
            "CREATE TABLE involved (line INTEGER PRIMARY KEY, part TEXT NOT NULL)",
        ]
        for column, table in (("key", "repeated_keys"), ("identity", "repeated_identities")):
            known = "" if column == "key" else " WHERE identity IS NOT NULL"
            both = "" if column == "key" else " AND a.identity IS NOT NULL"
            for index, part in enumerate(self.parts):
                script.append(
                    f"INSERT OR IGNORE INTO {table} SELECT {column} FROM {part}.rows{known} "
                    f"GROUP BY {column} HAVING count(*) > 1"
                )
                for later in self.parts[index + 1 :]:
                    script.append(
                        f"INSERT OR IGNORE INTO {table} SELECT a.{column} FROM {part}.rows a "
                        f"WHERE EXISTS (SELECT 1 FROM {later}.rows b "
                        f"WHERE b.{column} = a.{column}){both}"
                    )
        for part in self.parts:
            script.append(
                f"INSERT OR IGNORE INTO involved SELECT r.line, '{part}' FROM repeated_keys k "
                f"JOIN {part}.rows r ON r.key = k.key"
            )
            script.append(
                f"INSERT OR IGNORE INTO involved SELECT r.line, '{part}' "
                f"FROM repeated_identities i JOIN {part}.rows r ON r.identity = i.identity"
            )
        script.append(
            "CREATE TABLE involved_rows (line INTEGER PRIMARY KEY, key TEXT NOT NULL, "
            "identity INTEGER, valid INTEGER NOT NULL)"
        )
        for part in self.parts:
            script.append(
                "INSERT INTO involved_rows SELECT r.line, r.key, r.identity, r.valid "
                f"FROM involved i JOIN {part}.rows r ON r.line = i.line WHERE i.part = '{part}'"
            )
        script += [
            "CREATE TABLE owners (identity INTEGER PRIMARY KEY, key TEXT NOT NULL)",
            # a rejected row names its key's person but owns no identity: a later row
            # with its name and birth date under another key is not stored under its key
            "INSERT OR IGNORE INTO owners SELECT identity, key FROM involved_rows "
            "WHERE identity IS NOT NULL AND valid ORDER BY line",
            "CREATE TABLE person_of (key TEXT PRIMARY KEY, person TEXT NOT NULL) WITHOUT ROWID",
            "INSERT OR IGNORE INTO person_of SELECT r.key, coalesce(o.key, r.key) "
            "FROM involved_rows r LEFT JOIN owners o ON o.identity = r.identity "
            "WHERE r.valid ORDER BY r.line",
        ]
        connection = self._connection
        connection.executescript(";\n".join(script) + ";")
        onward = "(SELECT o.person FROM person_of o WHERE o.key = person_of.person)"
        while connection.execute(
            f"UPDATE person_of SET person = {onward} WHERE person != key AND person != {onward}"
        ).rowcount:
            pass
        connection.executescript(
            """
            CREATE TABLE person_rows (line INTEGER PRIMARY KEY, person TEXT NOT NULL);
            INSERT INTO person_rows SELECT r.line, p.person FROM involved_rows r
                JOIN person_of p ON p.key = r.key WHERE r.valid;
            CREATE TABLE firsts (person TEXT PRIMARY KEY, first_line INTEGER) WITHOUT ROWID;
            INSERT INTO firsts SELECT person, min(line) FROM person_rows GROUP BY person;
            """
        )

    def repeated_people(
        self,
    ) -> Iterator[tuple[str, list[tuple[tuple[Any, ...], list[tuple[str, str]]]]]]:
        """Each person of :meth:`find_repeated` with their accepted rows, in order of
        first line: ``(person, [(row as ROW_COLUMNS, [(e164, kind), ...]), ...])``. One
        person at a time is in memory."""
        connection = self._connection
        selected = ", ".join("r." + c for c in ROW_COLUMNS)
        lines = connection.execute(
            "SELECT f.person, pr.line, i.part FROM person_rows pr "
            "JOIN firsts f ON f.person = pr.person JOIN involved i ON i.line = pr.line "
            "ORDER BY f.first_line, pr.line"
        )
        person: str | None = None
        rows: list[tuple[tuple[Any, ...], list[tuple[str, str]]]] = []
        for owner, line, part in lines:
            if owner != person:
                if person is not None:
                    yield person, rows
                person, rows = owner, []
            row = connection.execute(
                f"SELECT {selected} FROM {part}.rows r WHERE r.line = ?", (line,)
            ).fetchone()
            phones = connection.execute(
                f"SELECT e164, kind FROM {part}.phones WHERE line = ? ORDER BY position",
                (line,),
            ).fetchall()
            rows.append((tuple(row), phones))
        if person is not None:
            yield person, rows

    def add_person(self, row: tuple[Any, ...], phones: Sequence[tuple[str, str]]) -> None:
        """A person worked out from repeated rows (``row`` as :data:`ROW_COLUMNS`, its
        ``line`` the person's first line, its ``key`` the person's external id)."""
        self._connection.execute(_insert("rows", ROW_COLUMNS), row)
        self._connection.executemany(
            _insert("phones", PHONE_COLUMNS),
            [(row[0], position, e164, kind) for position, (e164, kind) in enumerate(phones)],
        )

    def compare(self) -> Counts:
        """``todo``, ``absent`` and the counts of what the import does (once every
        merged person is added). Absent: the people on the register no row names (a
        rejected row names its key's person too), and those whose rows were merged into
        another person's."""
        self._connection.executescript(_PART_INDEXES)  # the merged people's part
        script = [
            "CREATE TABLE todo (line INTEGER PRIMARY KEY, part TEXT NOT NULL, action INTEGER)",
            "CREATE TABLE absent (external_id TEXT NOT NULL)",
        ]
        for part in [*self.parts, "main"]:
            alone = (
                "" if part == "main" else
                " AND NOT EXISTS (SELECT 1 FROM involved v WHERE v.line = r.line)"
            )  # fmt: skip
            script.append(
                f"INSERT INTO todo SELECT line, '{part}', action FROM (SELECT r.line, "
                f"{_ACTION} AS action FROM {part}.rows r "
                f"LEFT JOIN stored s ON s.external_id = r.key WHERE r.valid{alone})"
            )
        named = " ".join(
            f"AND NOT EXISTS (SELECT 1 FROM {part}.rows r WHERE r.key = s.external_id)"
            for part in self.parts
        )
        script += [
            f"INSERT INTO absent SELECT s.external_id FROM stored s WHERE s.active {named}",
            # a key whose rows were merged into another person's: that person stands for it
            "INSERT INTO absent SELECT s.external_id FROM person_of p "
            "JOIN stored s ON s.external_id = p.key WHERE p.person != p.key AND s.active",
        ]
        self._connection.executescript(";\n".join(script) + ";")
        execute = self._connection.execute
        actions = dict(execute("SELECT action, count(*) FROM todo GROUP BY action").fetchall())
        return Counts(
            added=actions.get(ADDED, 0),
            changed=actions.get(CHANGED, 0),
            unchanged=actions.get(UNCHANGED, 0),
            removed=execute("SELECT count(*) FROM absent").fetchone()[0],
        )

    def shared_numbers(self) -> tuple[int, Iterator[SharedNumber]]:
        """How many numbers two people or more of the file have, and each person who has
        one after its first holder, by line (people: the rows in ``todo``)."""
        script = ["CREATE TABLE candidates (e164 TEXT PRIMARY KEY) WITHOUT ROWID"]
        sources = [*self.parts, "main"]
        for index, part in enumerate(sources):
            script.append(
                f"INSERT OR IGNORE INTO candidates SELECT e164 FROM {part}.phones "
                "GROUP BY e164 HAVING count(*) > 1"
            )
            for later in sources[index + 1 :]:
                script.append(
                    f"INSERT OR IGNORE INTO candidates SELECT a.e164 FROM {part}.phones a "
                    f"WHERE EXISTS (SELECT 1 FROM {later}.phones b WHERE b.e164 = a.e164)"
                )
        script.append("CREATE TABLE holders (e164 TEXT NOT NULL, line INTEGER NOT NULL)")
        for part in sources:
            script.append(
                f"INSERT INTO holders SELECT ph.e164, ph.line FROM candidates c "
                f"JOIN {part}.phones ph ON ph.e164 = c.e164 "
                f"JOIN todo t ON t.line = ph.line AND t.part = '{part}'"
            )
        script.append(
            "CREATE TABLE shared (e164 TEXT PRIMARY KEY, owner_line INTEGER) WITHOUT ROWID"
        )
        script.append(
            "INSERT INTO shared SELECT e164, min(line) FROM holders "
            "GROUP BY e164 HAVING count(*) > 1"
        )
        self._connection.executescript(";\n".join(script) + ";")
        connection = self._connection
        count = connection.execute("SELECT count(*) FROM shared").fetchone()[0]
        rows = connection.execute(
            "SELECT h.line, h.e164, s.owner_line FROM holders h "
            "JOIN shared s ON s.e164 = h.e164 WHERE h.line != s.owner_line "
            "ORDER BY h.line, h.e164"
        )
        return count, (SharedNumber(*row) for row in rows)


#: the people of the register as the database holds them (see ``PersonRepository``)
STORED_SCHEMA = "external_id TEXT PRIMARY KEY, fingerprint TEXT, active INTEGER"
_ACTION = (
    f"CASE WHEN s.external_id IS NULL THEN {ADDED} "
    f"WHEN s.active AND s.fingerprint = r.fingerprint THEN {UNCHANGED} ELSE {CHANGED} END"
)


def _insert(table: str, names: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
