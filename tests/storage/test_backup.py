"""``dialer backup``: a consistent SQLite copy taken while the database is being written,
that opens as the dialer's database again."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.errors import ConfigurationError, ConflictError, exit_code
from dialer.storage.backup import back_up_sqlite
from tests.register.test_importer import ROWS, write_csv

ROOT = str(Path(__file__).resolve().parents[2])


def dialer(*args: str) -> subprocess.CompletedProcess[str]:
    """``dialer ARGS`` as a user runs it (exit codes come from ``main``)."""
    return subprocess.run(
        [sys.executable, "-c", "from dialer.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dialer database holding the register of ``ROWS`` (5 people), through the CLI."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    path = tmp_path / "dialer.db"
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    imported = CliRunner().invoke(
        cli, ["register", "import", str(write_csv(tmp_path / "registre.csv", ROWS))]
    )
    assert imported.exit_code == 0, imported.output
    return path


def test_a_copy_taken_during_a_write_holds_only_what_was_committed(
    database: Path, tmp_path: Path
) -> None:
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the service is mid-transaction, the lock held
    writer.execute("UPDATE persons SET last_name = 'PAS ENCORE VALIDÉ'")
    try:
        copy = back_up_sqlite(database, tmp_path / "copie.db")  # not blocked by the writer
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert (copy.people, copy.attempts) == (5, 0)
    with sqlite3.connect(copy.path) as restored:
        names = {row[0] for row in restored.execute("SELECT last_name FROM persons")}
    assert len(names) > 1
    assert "PAS ENCORE VALIDÉ" not in names


def test_the_backup_command_writes_a_private_copy_that_opens_as_the_database_again(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "sauvegardes" / "dialer-copie.db"
    copy.parent.mkdir()
    done = CliRunner().invoke(cli, ["backup", str(copy)])
    assert done.exit_code == 0, done.output
    assert "5 personne(s), 0 tentative(s)" in done.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it holds the register
    assert not copy.with_name(copy.name + "-wal").exists()
    audited = CliRunner().invoke(cli, ["audit", "verify"])
    assert audited.exit_code == 0, audited.output
    # restored: the copy is the dialer's database again, its audit chain intact
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{copy}")
    verified = CliRunner().invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    imported_again = CliRunner().invoke(
        cli, ["register", "import", "--dry-run", str(write_csv(tmp_path / "r.csv", ROWS))]
    )
    assert imported_again.exit_code == 0, imported_again.output
    assert "0 ajoutée, 0 modifiée, 5 inchangées" in imported_again.output  # all in the copy


def test_an_existing_backup_is_kept_unless_replaced(database: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copie.db"
    copy.write_bytes(b"ancienne sauvegarde")
    kept = dialer("backup", str(copy))
    assert kept.returncode == exit_code(ConflictError("x")), kept.stderr
    assert "existe déjà (--replace pour l'écraser)" in kept.stderr
    assert copy.read_bytes() == b"ancienne sauvegarde"
    replaced = CliRunner().invoke(cli, ["backup", "--replace", str(copy)])
    assert replaced.exit_code == 0, replaced.output
    assert copy.read_bytes().startswith(b"SQLite format 3")
    assert not copy.with_name("copie.db.partielle").exists()


def test_postgresql_is_sent_to_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://dialer:secret@db/dialer")
    refused = dialer("backup", str(tmp_path / "copie.db"))
    assert refused.returncode == exit_code(ConfigurationError("x")), refused.stderr
    assert "pour PostgreSQL, utilisez pg_dump" in refused.stderr
    assert "secret" not in refused.stderr
    assert not (tmp_path / "copie.db").exists()
