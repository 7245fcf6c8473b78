from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from dialer.core.phones import PhoneKind
from dialer.errors import InputError
from dialer.register import (
    ImportProgress,
    ImportReport,
    ImportStep,
    IssueKind,
    import_register,
)
from dialer.storage import (
    Person,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from tests.stored import active_people

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 6, 20, 8, 0, tzinfo=UTC)
HEADER = [
    "N° dossier",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Adresse",
    "Code postal",
    "Ville",
    "Arrondissement",
    "Téléphone",
    "Portable",
    "Personne à prévenir",
    "Téléphone contact",
    "Handicap",
    "Situation médicale",
]
ROWS = [
    # line 2: the four ways of writing a number, the contact's in 0033 form
    ["D001", "Dupont", "Jeanne", "12/03/1941", "3 rue de la Paix", "75002", "Paris", "2e",
     "01 45 67 89 10", "06.12.34.56.78", "Marc Dupont", "0033 6 11 22 33 44", "", ""],
    # lines 3-4: a couple sharing the landline, written two ways
    ["D002", "Lefèvre", "Françoise", "01/01/1935", "12 rue Oberkampf", "75011", "Paris", "11e",
     "+33 1 43 55 66 77", "", "", "", "fauteuil roulant", ""],
    ["D003", "Garçon", "Étienne", "30/06/1938", "12 rue Oberkampf", "75011", "Paris", "11e",
     "0033 1 43 55 66 77", "07 81 22 33 44", "", "", "non", "oxygène"],
    # line 5: no valid number at all: rejected
    ["D004", "Martin", "Paul", "05/05/1940", "8 place des Vosges", "75004", "Paris", "4e",
     "06 12 34", "", "", "", "", ""],
    # line 6: an invalid secondary number: reported, row kept
    ["D005", "Bernard", "Lucie", "", "1 rue de Rivoli", "75001", "Paris", "1er",
     "01 42 00 00 01", "n/a", "", "", "", ""],
    # line 7: D001 again, with one more number: merged
    ["D001", "Dupont", "Jeanne", "12/03/1941", "", "", "", "",
     "07 70 11 22 33", "06 12 34 56 78", "", "", "", ""],
    # line 8: an impossible birth date: ignored, row kept
    ["D006", "Petit", "Louis", "31/02/1930", "5 rue Mouffetard", "75005", "Paris", "5e",
     "01 47 00 00 02", "", "", "", "", ""],
    # line 9: no last name: rejected
    ["D007", "", "Anne", "", "", "", "", "", "01 47 00 00 03", "", "", "", "", ""],
    # line 10: the same person as D006 (same name and birth... but the date is invalid:
    # not merged), and line 11: same name and birth as D002 under another id: merged
    ["D008", "LEFEVRE", "Françoise", "01/01/1935", "", "", "", "",
     "06 99 88 77 66", "", "", "", "", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'dialer.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def stored(sessions: SessionFactory) -> dict[str, Person]:
    return {p.external_id: p for p in await active_people(sessions)}


def numbers(person: Person) -> list[str]:
    return [phone.e164 for phone in person.phones]


@pytest.mark.asyncio
async def test_a_register_is_imported_with_its_problems_reported(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "registre.csv", ROWS)
    progress: list[ImportProgress] = []
    report = await import_register(sessions, path, now=NOW, on_progress=progress.append)

    assert (report.read, report.added, report.changed, report.unchanged, report.removed) == (
        9, 5, 0, 0, 0,
    )  # fmt: skip
    assert (report.merged_duplicates, report.shared_numbers, report.rejected) == (2, 1, 2)
    assert report.description == "CSV UTF-8, séparateur ;"
    # the rows checked, then each later step; the people written out of all to write
    steps = [(p.step, p.done, p.total) for p in progress]
    assert steps == [
        (ImportStep.CHECK, 9, 0),
        (ImportStep.MATCH, 0, 0),
        (ImportStep.WRITE, 5, 5),
        (ImportStep.FINISH, 0, 0),
    ]
    assert report.summary_fr() == (
        "9 lignes lues, 5 ajoutées, 0 modifiée, 0 inchangée, 0 retirée du registre, "
        "2 doublons fusionnés, 1 numéro partagé, 2 rejetées (voir registre-rejets.csv)."
    )

    people = await stored(sessions)
    assert sorted(people) == ["D001", "D002", "D003", "D005", "D006"]
    dupont = people["D001"]
    assert numbers(dupont) == ["+33145678910", "+33612345678", "+33770112233"]
    assert [p.kind for p in dupont.phones] == [PhoneKind.LANDLINE, PhoneKind.MOBILE] * 1 + [
        PhoneKind.MOBILE
    ]
    assert dupont.contact_name == "Marc Dupont"
    assert dupont.contact_phone == "+33611223344"
    assert dupont.birth_date == date(1941, 3, 12)
    assert (dupont.address, dupont.postcode, dupont.city, dupont.district) == (
        "3 rue de la Paix", "75002", "Paris", "2e",
    )  # fmt: skip
    assert dupont.created_at == NOW

    lefevre, garcon = people["D002"], people["D003"]
    assert numbers(lefevre) == ["+33143556677", "+33699887766"]  # D008 merged into D002
    assert numbers(garcon) == ["+33143556677", "+33781223344"]
    assert lefevre.phones[0].shared_with_other_person
    assert garcon.phones[0].shared_with_other_person
    assert not garcon.phones[1].shared_with_other_person
    assert (lefevre.disabled, lefevre.medical_flag) == (True, False)
    assert (garcon.disabled, garcon.medical_flag) == (False, True)
    assert garcon.register_flags == {"Handicap": "non", "Situation médicale": "oxygène"}
    assert numbers(people["D005"]) == ["+33142000001"]
    assert people["D006"].birth_date is None

    assert [(i.kind, i.line, i.column, i.value) for i in report.issues] == [
        # D003 (line 4) has the number D002 (line 3) has: the later person is reported
        (IssueKind.SHARED_NUMBER, 4, "", "+33143556677"),
        (IssueKind.REJECTED_ROW, 5, "Téléphone", "06 12 34"),
        (IssueKind.IGNORED_VALUE, 6, "Portable", "n/a"),
        (IssueKind.DUPLICATE, 7, "N° dossier", "D001"),
        (IssueKind.IGNORED_VALUE, 8, "Date de naissance", "31/02/1930"),
        (IssueKind.REJECTED_ROW, 9, "Nom", ""),
        (IssueKind.DUPLICATE, 10, "N° dossier", "D008"),
    ]
    reasons = {issue.line: issue.reason for issue in report.issues}
    assert reasons[4] == "numéro partagé avec la personne de la ligne 3 (signalé, gardé)"
    assert reasons[5] == "ligne rejetée, aucun numéro valide : numéro invalide : trop court"
    assert reasons[6] == "numéro ignoré : numéro invalide : ce n'est pas un numéro de téléphone"
    assert reasons[7] == "doublon fusionné avec la ligne 2 (même identifiant)"
    assert reasons[9] == "ligne rejetée : nom manquant"
    assert (
        reasons[10] == "doublon fusionné avec la ligne 3 (mêmes nom, prénom et date de naissance)"
    )


@pytest.mark.asyncio
async def test_the_rejects_csv_lists_line_column_value_reason_and_the_row(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "registre.csv", ROWS)
    report = await import_register(sessions, path, now=NOW)
    assert report.rejects_path == tmp_path / "registre-rejets.csv"
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["line", "column", "value", "reason", *HEADER]
    assert [row[:3] for row in rows[1:]] == [
        ["5", "Téléphone", "06 12 34"],
        ["6", "Portable", "n/a"],
        ["8", "Date de naissance", "31/02/1930"],
        ["9", "Nom", ""],
    ]
    assert rows[1][3].startswith("ligne rejetée")
    assert rows[2][3].startswith("numéro ignoré")
    assert [row[4:] for row in rows[1:]] == [ROWS[3], ROWS[4], ROWS[6], ROWS[7]]

    elsewhere = tmp_path / "out" / "rejets.csv"
    elsewhere.parent.mkdir()
    again = await import_register(sessions, path, now=NOW, rejects_path=elsewhere)
    assert again.rejects_path == elsewhere
    assert elsewhere.read_bytes() == (tmp_path / "registre-rejets.csv").read_bytes()


@pytest.mark.asyncio
async def test_a_clean_register_writes_no_rejects_file(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "registre.csv", [ROWS[0], ROWS[1]])
    report = await import_register(sessions, path, now=NOW)
    assert report.rejects_path is None
    assert report.issues == []
    assert not (tmp_path / "registre-rejets.csv").exists()
    assert report.summary_fr().endswith("0 rejetée.")


@pytest.mark.asyncio
async def test_a_dry_run_reports_everything_and_writes_nothing(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "registre.csv", ROWS)
    dry = await import_register(sessions, path, now=NOW, dry_run=True)
    assert await stored(sessions) == {}
    assert dry.rejects_path is not None
    assert dry.summary_fr().startswith("Simulation, rien n'a été enregistré : 9 lignes lues")

    real = await import_register(sessions, path, now=NOW)
    counts = ("read", "added", "changed", "unchanged", "merged_duplicates", "rejected")
    assert [getattr(dry, name) for name in counts] == [getattr(real, name) for name in counts]
    assert dry.issues == real.issues

    before = await stored(sessions)
    changed = [list(row) for row in ROWS[:3]]
    changed[0][4] = "4 rue de la Paix"
    dry_again = await import_register(
        sessions, write_csv(tmp_path / "v2.csv", changed), now=NOW, dry_run=True
    )
    # D001 moved; D002 lost the number its duplicate (D008, not in v2) brought
    assert (dry_again.changed, dry_again.unchanged, dry_again.removed) == (2, 1, 2)
    after = await stored(sessions)
    assert {k: (p.address, p.updated_at) for k, p in after.items()} == {
        k: (p.address, p.updated_at) for k, p in before.items()
    }


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["N° dossier", "Prénom", "Téléphone"], "nom"),
        (["N° dossier", "Nom", "Prénom", "Adresse"], "au moins un téléphone"),
    ],
)
@pytest.mark.asyncio
async def test_a_file_missing_a_required_column_is_refused_whole(
    sessions: SessionFactory, tmp_path: Path, header: list[str], missing: str
) -> None:
    path = write_csv(tmp_path / "registre.csv", [["D1", "Jeanne", "0145678910"]], header=header)
    with pytest.raises(InputError) as caught:
        await import_register(sessions, path, now=NOW)
    assert str(caught.value).startswith(f"{path} : colonne obligatoire introuvable")
    assert missing in str(caught.value)
    assert await stored(sessions) == {}
    assert not (tmp_path / "registre-rejets.csv").exists()


@pytest.mark.asyncio
async def test_an_unreadable_file_is_refused_and_nothing_is_written(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    write_csv(tmp_path / "registre.csv", ROWS[:2])
    await import_register(sessions, tmp_path / "registre.csv", now=NOW)
    binary = tmp_path / "registre.xlsx.csv"
    binary.write_bytes(b"GIF89a\x01\x00\x01\x00\x00\xff\x00," + bytes(range(256)))
    with pytest.raises(InputError, match="fichier binaire"):
        await import_register(sessions, binary, now=NOW)
    assert sorted(await stored(sessions)) == ["D001", "D002"]  # the earlier import stays


@pytest.mark.asyncio
async def test_a_cp1252_register_with_other_column_names(sessions: SessionFactory) -> None:
    report = await import_register(
        sessions,
        FIXTURES / "registre-cp1252.csv",
        now=NOW,
        rejects_path=Path("/nonexistent/never-written.csv"),
    )
    assert (report.read, report.added, report.rejected) == (3, 3, 0)
    assert report.description == "CSV Windows-1252, séparateur ;"
    people = await stored(sessions)
    assert people["M-0002"].last_name == "Bœuf"
    assert people["M-0002"].register_flags == {"Handicap": "malvoyant"}
    assert numbers(people["M-0002"]) == ["+33472001122", "+33698765432"]
    assert people["M-0001"].first_name == "Hélène"
    assert people["M-0001"].contact_phone == "+33478423344"
    assert people["M-0003"].contact_name == "Noëlle Garçon (fille)"
    assert people["M-0003"].address == "15 quai Saint-Vincent"


@pytest.mark.asyncio
async def test_a_mapping_file_names_unusual_columns(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "ccas.csv"
    path.write_text(
        "Nom de naissance,Prénom usuel,Numéro principal,Autre numéro,Tél. de la fille,Commentaire\n"
        "Roux,Odette,01 45 67 89 10,06 12 34 56 78,07 81 22 33 44,appeler le matin\n",
        encoding="utf-8",
    )
    report = await import_register(
        sessions, path, mapping=FIXTURES / "correspondance.toml", now=NOW
    )
    assert report.added == 1
    assert report.description == "CSV UTF-8, séparateur ,"
    assert report.ignored_columns == ["Commentaire"]
    (roux,) = (await stored(sessions)).values()
    assert (roux.last_name, roux.first_name) == ("Roux", "Odette")
    assert numbers(roux) == ["+33145678910", "+33612345678"]
    assert roux.contact_phone == "+33781223344"
    assert roux.external_id.startswith("auto:")  # no id column: a stable derived key


@pytest.mark.asyncio
async def test_an_xlsx_register(sessions: SessionFactory, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Identifiant", "Nom", "Prénom", "Date de naissance", "Code postal", "Tél"])
    sheet.append(["X1", "Dupont", "Jeanne", date(1941, 3, 12), 1000, 145678910])
    sheet.append(["X2", "Lefèvre", "Hélène", "02/09/1936", "69005", "06 12 34 56 78"])
    sheet.append(["X3", "Martin", "Paul", None, None, "abc"])
    path = tmp_path / "registre.xlsx"
    workbook.save(path)
    report = await import_register(sessions, path, now=NOW)
    assert (report.read, report.added, report.rejected) == (3, 2, 1)
    people = await stored(sessions)
    assert people["X1"].birth_date == date(1941, 3, 12)
    assert people["X1"].postcode == "01000"
    assert numbers(people["X1"]) == ["+33145678910"]
    assert report.rejects_path == tmp_path / "registre-rejets.csv"
    assert report.issues[0].line == 4


@pytest.mark.asyncio
async def test_progress_is_reported_every_thousand_rows(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    rows = [
        [
            f"P{i:05d}",
            "Nom",
            f"Prénom{i}",
            "",
            "",
            "",
            "",
            "",
            f"01 45 {i // 100:02d} {i % 100:02d} 10",
        ]
        + [""] * 5
        for i in range(2500)
    ]
    progress: list[ImportProgress] = []
    report: ImportReport = await import_register(
        sessions, write_csv(tmp_path / "r.csv", rows), now=NOW, on_progress=progress.append
    )
    assert [p.done for p in progress if p.step is ImportStep.CHECK] == [1000, 2000, 2500]
    assert [(p.done, p.total) for p in progress if p.step is ImportStep.WRITE] == [(2500, 2500)]
    assert report.added == 2500
    assert len(await stored(sessions)) == 2500


@pytest.mark.asyncio
async def test_now_must_be_aware(sessions: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "registre.csv", ROWS[:1])
    with pytest.raises(InputError, match="aware"):
        await import_register(sessions, path, now=datetime(2025, 6, 20))  # noqa: DTZ001
