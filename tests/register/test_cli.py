"""``dialer register import``, as a user runs it."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench import hostile_files as hostile
from dialer.cli import cli
from dialer.errors import InputError, exit_code
from tests.register.test_importer import ROWS, write_csv

ROOT = str(Path(__file__).resolve().parents[2])


def test_the_import_command_reports_and_writes_the_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    path = write_csv(tmp_path / "registre.csv", ROWS)
    runner = CliRunner()

    dry = runner.invoke(cli, ["register", "import", "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert "Simulation, rien n'a été enregistré : 9 lignes lues, 5 ajoutées" in dry.output

    done = runner.invoke(cli, ["register", "import", str(path)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[-7:] == [
        "  ligne 4 : numéro partagé avec la personne de la ligne 3 (signalé, gardé) "
        "('+33143556677')",
        "  ligne 5, colonne « Téléphone » : ligne rejetée, aucun numéro valide : numéro "
        "invalide : trop court ('06 12 34')",
        "  ligne 6, colonne « Portable » : numéro ignoré : numéro invalide : ce n'est pas un "
        "numéro de téléphone ('n/a')",
        "  ligne 7, colonne « N° dossier » : doublon fusionné avec la ligne 2 (même "
        "identifiant) ('D001')",
        "  ligne 8, colonne « Date de naissance » : date de naissance ignorée : date invalide "
        "(attendu JJ/MM/AAAA) ('31/02/1930')",
        "  ligne 9, colonne « Nom » : ligne rejetée : nom manquant",
        "  ligne 10, colonne « N° dossier » : doublon fusionné avec la ligne 3 (mêmes nom, "
        "prénom et date de naissance) ('D008')",
    ]
    assert "5 ajoutées" in done.output
    # the progress, on stderr: each step by name, in order; a dry run writes nothing
    steps = [
        "Vérification des lignes",
        "Rapprochement des lignes et du registre",
        "Écriture des personnes",
        "Retraits et numéros partagés",
    ]
    positions = [done.stderr.find(step) for step in steps]
    assert -1 not in positions, done.stderr
    assert positions == sorted(positions)
    assert steps[1] in dry.stderr
    assert steps[2] not in dry.stderr
    assert (tmp_path / "registre-rejets.csv").read_text(encoding="utf-8-sig").count("\n") == 5

    again = runner.invoke(cli, ["register", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 ajoutée, 0 modifiée, 5 inchangées" in again.output

    broken = tmp_path / "vide.csv"
    broken.write_text("Nom;Prénom\nDupont;Jeanne\n", encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-c", "from dialer.cli import main; main()", "register", "import",
         str(broken)],
        capture_output=True, text=True, check=False, env=os.environ | {"PYTHONPATH": ROOT},
    )  # fmt: skip
    assert refused.returncode == exit_code(InputError("")), refused.stderr
    assert f"erreur : {broken} : colonne obligatoire introuvable" in refused.stderr


def test_a_broken_workbook_is_refused_with_its_part_named_and_nothing_written(
    tmp_path: Path,
) -> None:
    """A shared string the sheet points to is missing: exit 65, the file and the part
    named, the database left empty."""
    path = hostile.workbook(
        tmp_path / "registre.xlsx",
        hostile.sheet(
            hostile.row(1, hostile.HEADER)
            + hostile.row(2, ["D1", "Dupont", "Jeanne", "01 45 67 89 10"])
            + '<row r="3"><c r="B3" t="s"><v>12</v></c></row>'
        ),
        hostile.strings(["Martin"]),
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"
    refused = subprocess.run(
        [sys.executable, "-c", "from dialer.cli import main; main()", "register", "import",
         str(path)],
        capture_output=True, text=True, check=False,
        env=os.environ | {"PYTHONPATH": ROOT, "DIALER_DATABASE_URL": url},
    )  # fmt: skip
    assert refused.returncode == exit_code(InputError("")), refused.stderr
    assert (
        f"erreur : {path} : classeur XLSX illisible : partie xl/worksheets/sheet1.xml, "
        "cellule B3 : chaîne partagée n° 12 absente de xl/sharedStrings.xml (1 chaîne)"
    ) in refused.stderr
    assert "Traceback" not in refused.stderr
    people = sqlite3.connect(tmp_path / "dialer.db").execute("SELECT count(*) FROM persons")
    assert people.fetchone() == (0,)


def test_the_rejects_file_holds_no_formula(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A register's rejected rows go back to the office as a CSV: text that a spreadsheet
    would run comes out with a quote before it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    path = tmp_path / "registre.csv"
    path.write_text(
        "N° dossier;Nom;Prénom;Téléphone\r\n"
        "D1;Dupont;Jeanne;01 45 67 89 10\r\n"
        "D2;=HYPERLINK(\"http://x\");@SUM(1+1);+1+cmd|' /C calc'!A0\r\n"
        "D3;   =1+1;-2+3;n/a\r\n",
        encoding="utf-8",
    )
    done = CliRunner().invoke(cli, ["register", "import", str(path)])
    assert done.exit_code == 0, done.output
    rejects = (tmp_path / "registre-rejets.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(rejects), delimiter=";"))
    assert [row[:1] + row[4:] for row in rows[1:]] == [
        ["3", "D2", '\'=HYPERLINK("http://x")', "'@SUM(1+1)", "'+1+cmd|' /C calc'!A0"],
        ["4", "D3", "'=1+1", "'-2+3", "n/a"],
    ]
    assert rows[1][2] == "'+1+cmd|' /C calc'!A0"  # the value column too


def test_a_file_imported_under_a_list_and_the_lists_with_their_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    runner = CliRunner()
    heat = runner.invoke(
        cli, ["register", "import", "--list", "canicule", str(write_csv(tmp_path / "c.csv", ROWS))]
    )
    assert heat.exit_code == 0, heat.output
    flood = runner.invoke(
        cli,
        ["register", "import", "--list", "crue 4e", str(write_csv(tmp_path / "f.csv", ROWS[:1]))],
    )
    assert flood.exit_code == 0, flood.output
    listed = runner.invoke(cli, ["lists"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "canicule : 5 personnes",
        "crue 4e : 1 personne",
        "registre : 0 personne",
    ]
    huge = runner.invoke(cli, ["register", "import", "--list", "x" * 200, str(tmp_path / "c.csv")])
    assert isinstance(huge.exception, InputError)  # exit 65 from ``dialer`` (errors.py)
    assert "nom de liste trop long" in str(huge.exception)
    assert runner.invoke(cli, ["lists"]).output == listed.output
