"""A consistent copy of the SQLite database while the service runs (``dialer backup``).

SQLite's online backup API copies the database as one read transaction: in WAL mode the
service keeps writing meanwhile, and the copy holds every transaction committed before the
copy began, none half-written. The copy is checked (``integrity_check``) before it takes
its final name, is a single file (no WAL beside it) and readable by its owner only: it
holds the register. PostgreSQL is copied with ``pg_dump`` (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError, ConflictError, StorageError
from dialer.storage.database import parse_url


@dataclass(frozen=True)
class BackupCopy:
    path: Path
    size_bytes: int
    attempts: int
    people: int
    schema_version: str


def sqlite_file(url: str) -> Path:
    """The SQLite file of ``url``; PostgreSQL is refused with what to use instead."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ConfigurationError(say("backup.not_sqlite"))
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigurationError(say("backup.in_memory"))
    return Path(parsed.database)


def back_up_sqlite(source: Path, destination: Path, *, replace: bool = False) -> BackupCopy:
    """Copy ``source`` to ``destination`` (blocking: run it in a thread)."""
    if not source.is_file():
        raise ConfigurationError(say("backup.no_database", path=source))
    if destination.exists() and not replace:
        raise ConflictError(f"{destination} existe déjà (--replace pour l'écraser)")
    if not destination.parent.is_dir():
        raise ConfigurationError(say("backup.no_folder", path=destination.parent))
    partial = destination.with_name(destination.name + ".partielle")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        _copy(source, partial)
        copy = _check(partial)
        partial.replace(destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupCopy(destination, destination.stat().st_size, *copy)


def _copy(source: Path, target: Path) -> None:
    try:
        reading = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            writing = sqlite3.connect(target)
            try:
                reading.backup(writing)  # one step: one read transaction, writers go on
                writing.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                writing.close()
        finally:
            reading.close()
    except sqlite3.Error as exc:
        raise StorageError(f"sauvegarde de {source} : {exc}") from exc


def _check(path: Path) -> tuple[int, int, str]:
    """The copy opens, is intact and holds the ledger: (attempts, people, schema)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise StorageError(f"sauvegarde {path} : copie abîmée ({verdict})")
            attempts = copy.execute("SELECT count(*) FROM attempts").fetchone()[0]
            people = copy.execute("SELECT count(*) FROM persons").fetchone()[0]
            version = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise StorageError(f"sauvegarde {path} : la copie ne s'ouvre pas ({exc})") from exc
    return int(attempts), int(people), str(version)
