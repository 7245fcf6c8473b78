"""``dialer register import`` writes all of it or nothing, on SQLite and PostgreSQL.

A value longer than its column holds is a row rule (the row rejected, reported with its
line and column, the others written); a failure in the database while writing (here a
trigger refusing the file's last row, after a first batch went in) leaves the register as
it was before the import."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from dialer.errors import StorageError, exit_code
from dialer.storage import create_engine, create_session_factory, migrate_engine
from dialer.storage.staged_import import BATCH_LINES
from tests.storage.conftest import reset_postgres
from tests.stored import count_active_people

ROOT = str(Path(__file__).resolve().parents[2])
ROWS = 25_000
_SQLITE_TRIGGER = (
    "CREATE TRIGGER refuse_panne BEFORE INSERT ON persons WHEN NEW.last_name = 'PANNE' "
    "BEGIN SELECT RAISE(ABORT, 'panne injectée'); END"
)
_POSTGRES_TRIGGER = (
    "CREATE FUNCTION refuse_panne() RETURNS trigger AS $$ BEGIN "
    "IF NEW.last_name = 'PANNE' THEN RAISE EXCEPTION 'panne injectée'; END IF; "
    "RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_panne BEFORE INSERT ON persons FOR EACH ROW "
    "EXECUTE FUNCTION refuse_panne()",
)


def register(path: Path, count: int, *, prefix: str = "R", last: str = "Martin") -> Path:
    """``count`` people; the last one named ``last``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["N° dossier", "Nom", "Prénom", "Téléphone"])
        for index in range(count):
            name = last if index == count - 1 else "Martin"
            number = f"01 4{index // 1_000_000} {index // 10_000 % 100:02d} "
            number += f"{index // 100 % 100:02d} {index % 100:02d}"
            writer.writerow([f"{prefix}{index:06d}", name, "Jeanne", number])
    return path


def import_command(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dialer.cli import main; main()", "register", "import",
         str(path)],
        capture_output=True, text=True, check=False,
        env=os.environ | {"PYTHONPATH": ROOT, "DIALER_DATABASE_URL": url},
    )  # fmt: skip


async def prepared(url: str, *, trigger: bool) -> None:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        if trigger:
            statements = (_SQLITE_TRIGGER,) if url.startswith("sqlite") else _POSTGRES_TRIGGER
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def on_the_register(url: str) -> int:
    engine = create_engine(url)
    try:
        return await count_active_people(create_session_factory(engine))
    finally:
        await engine.dispose()


def test_a_failure_in_the_database_mid_write_leaves_the_register_as_it_was(
    database_url: str, tmp_path: Path
) -> None:
    assert ROWS > BATCH_LINES  # a first batch is written before the last row fails
    asyncio.run(prepared(database_url, trigger=True))
    before = import_command(database_url, register(tmp_path / "avant.csv", 3, prefix="A"))
    assert before.returncode == 0, before.stderr
    assert asyncio.run(on_the_register(database_url)) == 3

    path = register(tmp_path / "registre.csv", ROWS, last="PANNE")
    failed = import_command(database_url, path)
    assert failed.returncode == exit_code(StorageError("")), failed.stderr
    assert "la base de données a refusé l'import, rien n'a été enregistré" in failed.stderr
    assert "panne injectée" in failed.stderr
    assert "INSERT" not in failed.stderr  # the database's words, not the statement
    assert "Traceback" not in failed.stderr
    # none of the 25,000 written, the three people before still on the register
    assert asyncio.run(on_the_register(database_url)) == 3


def test_a_name_too_long_for_the_register_is_a_rejected_row(
    database_url: str, tmp_path: Path
) -> None:
    asyncio.run(prepared(database_url, trigger=False))
    path = register(tmp_path / "registre.csv", ROWS, last="N" * 300)
    done = import_command(database_url, path)
    assert done.returncode == 0, done.stderr
    assert (
        f"ligne {ROWS + 1}, colonne « Nom » : ligne rejetée : texte trop long "
        "(300 caractères, au plus 200)"
    ) in done.stdout
    assert f"{ROWS - 1:,} ajoutées".replace(",", " ") in done.stdout
    assert asyncio.run(on_the_register(database_url)) == ROWS - 1


@pytest.mark.parametrize(
    ("column", "value", "most"),
    [("N° dossier", "X" * 101, 100), ("Prénom", "é" * 201, 200)],
)
def test_every_bounded_field_is_checked_with_the_row_rules(
    tmp_path: Path, column: str, value: str, most: int
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"
    path = tmp_path / "registre.csv"
    row = {"N° dossier": "R1", "Nom": "Martin", "Prénom": "Jeanne", "Téléphone": "0145678910"}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(list(row))
        writer.writerow(list(row.values()))
        writer.writerow(list((row | {"N° dossier": "R2", column: value}).values()))
    done = import_command(url, path)
    assert done.returncode == 0, done.stderr
    assert "1 ajoutée" in done.stdout
    assert f"ligne 3, colonne « {column} » : ligne rejetée : texte trop long" in done.stdout
    assert f"({len(value)} caractères, au plus {most})" in done.stdout
