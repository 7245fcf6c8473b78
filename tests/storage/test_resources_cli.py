"""``dialer resources import`` / ``list`` through the command line's entry point, on
SQLite and PostgreSQL: a bad line is named ``file:line:field`` and nothing is written; a
good file adds, a second one updates by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.storage.test_account_cli import database, run_main

__all__ = ["database"]

HEADER = "nom;besoins;zone;contact;horaires\n"
GOOD = (
    HEADER + "Épicerie solidaire du Faubourg;alimentation;10e arrondissement;01 40 00 00 01;"
    "mar-sam 14h-18h\n"
    + "Point d'accès au droit;argent_droits, logement;Paris Centre;pad@ville.test;\n"
)


def test_a_directory_is_imported_all_or_nothing(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = {
        "Sans besoin;;10e;01 40 00 00 02;\n": "ressources.csv:4:besoins",
        "Besoin faux;cuisine;10e;01 40 00 00 02;\n": "ressources.csv:4:besoins",
        ";sante;10e;01 40 00 00 02;\n": "ressources.csv:4:nom",
        "Sans zone;sante;;01 40 00 00 02;\n": "ressources.csv:4:zone",
        "Sans contact;sante;10e;;\n": "ressources.csv:4:contact",
        "Point d'accès au droit;sante;10e;x;\n": "ressources.csv:4:nom",  # twice
        f"{'N' * 201};sante;10e;x;\n": "ressources.csv:4:nom",
    }
    path = tmp_path / "ressources.csv"
    for line, named in cases.items():
        path.write_text(GOOD + line, encoding="utf-8")
        code, out = run_main(monkeypatch, capsys, "resources", "import", str(path))
        assert code == 65, (line, out)
        assert named in out, (line, out)
    code, out = run_main(monkeypatch, capsys, "resources", "list")
    assert (code, out.strip()) == (0, "Aucune ressource.")

    path.write_text(GOOD, encoding="utf-8-sig")
    code, out = run_main(monkeypatch, capsys, "resources", "import", str(path))
    assert (code, out.strip()) == (0, "2 ressource(s) ajoutée(s), 0 mise(s) à jour.")
    changed = GOOD.replace("mar-sam 14h-18h", "lun-sam 10h-18h")
    path.write_text(changed, encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "resources", "import", str(path))
    assert (code, out.strip()) == (0, "0 ressource(s) ajoutée(s), 2 mise(s) à jour.")
    code, out = run_main(monkeypatch, capsys, "resources", "list", "--besoin", "logement")
    assert out.strip() == (
        "Point d'accès au droit (argent et droits, logement) — Paris Centre — pad@ville.test"
    )
    code, out = run_main(monkeypatch, capsys, "resources", "list")
    assert "lun-sam 10h-18h" in out
    code, out = run_main(monkeypatch, capsys, "resources", "list", "--besoin", "cuisine")
    assert code == 65
    assert "--besoin" in out
