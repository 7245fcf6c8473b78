"""Re-importing an updated register: added, changed, removed (soft), unchanged; the history
of a person taken off the register stays."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.outcomes import CallOutcome
from dialer.errors import InputError
from dialer.register import import_register
from dialer.storage import (
    AttemptLedger,
    CampaignRepository,
    CycleRepository,
    CycleResultRepository,
    PacingMode,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from tests.stored import active_people, count_active_people, person_by_external_id

FIRST_IMPORT = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
SECOND_IMPORT = FIRST_IMPORT + timedelta(days=14)
HEADER = ["Identifiant", "Nom", "Prénom", "Date de naissance", "Adresse", "Téléphone", "Portable"]
JUNE = [
    ["A1", "Dupont", "Jeanne", "12/03/1941", "3 rue de la Paix", "01 45 67 89 10", ""],
    ["A2", "Lefèvre", "Hélène", "02/09/1936", "7 rue de l'Église", "04 78 42 11 22", ""],
    ["A3", "Garçon", "Cécile", "30/06/1938", "15 quai Saint-Vincent", "04 78 42 11 22", ""],
    ["A4", "Martin", "Paul", "05/05/1940", "8 place des Vosges", "01 42 00 00 01", ""],
]
JULY = [
    ["A1", "Dupont", "Jeanne", "12/03/1941", "3 rue de la Paix", "01 45 67 89 10", ""],
    # A2 has a new mobile, A3 left the register, A4 is unchanged but written differently
    ["A2", "Lefèvre", "Hélène", "02/09/1936", "7 rue de l'Église", "04 78 42 11 22",
     "06 12 34 56 78"],
    ["A4", "Martin", "Paul", "5/5/1940", "8 place des Vosges", "+33 1 42 00 00 01", ""],
    ["A5", "Bœuf", "François", "14/07/1932", "2 place Bellecour", "04 72 00 11 22", ""],
]  # fmt: skip


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.mark.asyncio
async def test_a_reimport_applies_the_diff_and_keeps_history(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    first = await import_register(sessions, write(tmp_path / "juin.csv", JUNE), now=FIRST_IMPORT)
    assert (first.added, first.shared_numbers) == (4, 1)

    garcon = await person_by_external_id(sessions, "A3")
    assert garcon is not None
    assert garcon.phones[0].shared_with_other_person
    campaign = await CampaignRepository(sessions).create(
        name="Canicule juin",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="2025.1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows={},
        retry_policy={},
        now=FIRST_IMPORT,
    )
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=FIRST_IMPORT, deadline=FIRST_IMPORT + timedelta(days=1)
    )
    ledger = AttemptLedger(sessions)
    attempt = await ledger.record_planned(
        cycle_id=cycle.id,
        person_id=garcon.id,
        number=garcon.phones[0].e164,
        kind=AttemptKind.AUTOMATIC,
        planned_for=FIRST_IMPORT,
    )
    assert await ledger.mark_dialing(attempt.id, at=FIRST_IMPORT)
    await ledger.close(attempt.id, CallOutcome.NO_ANSWER, at=FIRST_IMPORT)
    await CycleResultRepository(sessions).record(
        cycle_id=cycle.id,
        person_id=garcon.id,
        result=CycleResult.NEVER_REACHED,
        decided_at=FIRST_IMPORT,
    )

    second = await import_register(
        sessions, write(tmp_path / "juillet.csv", JULY), now=SECOND_IMPORT
    )
    assert (second.read, second.added, second.changed, second.unchanged, second.removed) == (
        4, 1, 1, 2, 1,
    )  # fmt: skip
    assert second.summary_fr() == (
        "4 lignes lues, 1 ajoutée, 1 modifiée, 2 inchangées, 1 retirée du registre, "
        "0 doublon fusionné, 0 numéro partagé, 0 rejetée."
    )

    active = {p.external_id: p for p in await active_people(sessions)}
    assert sorted(active) == ["A1", "A2", "A4", "A5"]
    assert [n.e164 for n in active["A2"].phones] == ["+33478421122", "+33612345678"]
    assert active["A2"].updated_at == SECOND_IMPORT
    assert active["A1"].updated_at == FIRST_IMPORT  # unchanged: not rewritten
    assert active["A5"].created_at == SECOND_IMPORT
    # A3 left: A2's number is no longer shared with anyone on the register
    assert not active["A2"].phones[0].shared_with_other_person

    removed = await person_by_external_id(sessions, "A3")
    assert removed is not None
    assert removed.id == garcon.id
    assert removed.removed_at == SECOND_IMPORT
    assert [a.id for a in await ledger.for_person(garcon.id)] == [attempt.id]
    follow_up = await CycleResultRepository(sessions).never_reached(cycle.id)
    assert [p.external_id for p in follow_up] == ["A3"]

    # the same file again: nothing to do
    third = await import_register(
        sessions, write(tmp_path / "juillet.csv", JULY), now=SECOND_IMPORT + timedelta(days=1)
    )
    assert (third.added, third.changed, third.unchanged, third.removed) == (0, 0, 4, 0)

    # A3 comes back: the same person, with their history
    back = await import_register(
        sessions, write(tmp_path / "aout.csv", [*JULY, JUNE[2]]), now=SECOND_IMPORT
    )
    assert (back.added, back.changed, back.unchanged) == (0, 1, 4)
    returned = await person_by_external_id(sessions, "A3")
    assert returned is not None
    assert returned.removed_at is None
    assert returned.id == garcon.id


@pytest.mark.asyncio
async def test_a_file_that_names_nobody_is_refused_and_removes_nobody(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    await import_register(sessions, write(tmp_path / "juin.csv", JUNE), now=FIRST_IMPORT)
    with pytest.raises(InputError, match="aucune ligne ne désigne une personne"):
        await import_register(sessions, write(tmp_path / "vide.csv", []), now=SECOND_IMPORT)
    nameless = [["", "", "Jeanne", "", "", "01 45 67 89 10", ""]]
    with pytest.raises(InputError, match="aucune ligne ne désigne une personne"):
        await import_register(
            sessions, write(tmp_path / "sans-nom.csv", nameless), now=SECOND_IMPORT
        )
    assert await count_active_people(sessions) == 4


@pytest.mark.asyncio
async def test_a_row_rejected_for_its_name_keeps_the_person_of_its_id(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    await import_register(sessions, write(tmp_path / "juin.csv", JUNE), now=FIRST_IMPORT)
    nameless = [list(row) for row in JUNE]
    nameless[0][1] = ""  # the last name is missing: rejected, yet the id names the person
    report = await import_register(
        sessions, write(tmp_path / "juillet.csv", nameless), now=SECOND_IMPORT
    )
    assert (report.rejected, report.unchanged, report.removed) == (1, 3, 0)
    assert await count_active_people(sessions) == 4


@pytest.mark.asyncio
async def test_a_rejected_row_merges_nobody_into_its_id(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    # line 2 is rejected (no valid number); line 3, the same name and birth date under
    # another id, is stored under its own id, not the rejected row's
    rows = [
        ["R1", "Martin", "Paul", "05/05/1940", "", "06 12 34", ""],
        ["R2", "Martin", "Paul", "05/05/1940", "", "06 12 34 56 78", ""],
    ]
    report = await import_register(sessions, write(tmp_path / "a.csv", rows), now=FIRST_IMPORT)
    assert (report.added, report.rejected, report.merged_duplicates) == (1, 1, 0)
    assert [p.external_id for p in await active_people(sessions)] == ["R2"]

    # the rejected row's identity was its id's: B, who has it too, was merged into A
    rows = [
        ["A", "Roux", "Odette", "01/02/1931", "", "06 00", ""],  # rejected, identity X
        ["B", "Roux", "Odette", "01/02/1931", "", "06 22 22 22 22", ""],  # X
        ["A", "Roux", "Odile", "03/04/1932", "", "06 11 11 11 11", ""],  # identity Z
    ]
    report = await import_register(sessions, write(tmp_path / "c.csv", rows), now=FIRST_IMPORT)
    assert (report.rejected, report.merged_duplicates) == (1, 0)
    assert sorted(p.external_id for p in await active_people(sessions)) == ["A", "B"]

    # B's first row shares A's identity (merged into A, said so), B's second row has the
    # rejected row's identity: B's, so A's too. B, on the register, is taken off it: A
    # stands for B now (else the same person would be called twice)
    rows = [
        ["A", "Roux", "Odette", "01/02/1931", "", "06 00", ""],  # rejected, identity X
        ["A", "Roux", "Odile", "03/04/1932", "", "06 11 11 11 11", ""],  # identity Y
        ["B", "Roux", "Odile", "03/04/1932", "", "06 22 22 22 22", ""],  # Y: A's
        ["B", "Roux", "Odette", "01/02/1931", "", "06 33 33 33 33", ""],  # X
    ]
    report = await import_register(sessions, write(tmp_path / "b.csv", rows), now=SECOND_IMPORT)
    assert (report.changed, report.removed) == (1, 1)
    assert (report.rejected, report.merged_duplicates) == (1, 2)
    [person] = await active_people(sessions)
    assert person.external_id == "A"
    assert [n.e164 for n in person.phones] == ["+33611111111", "+33622222222", "+33633333333"]
    assert [(i.line, i.reason.split(" (")[0]) for i in report.issues if i.line > 2] == [
        (4, "doublon fusionné avec la ligne 3"),
        (5, "doublon fusionné avec la ligne 3"),
    ]


@pytest.mark.asyncio
async def test_an_import_run_again_repairs_the_shared_number_flags(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    path = write(tmp_path / "juin.csv", JUNE)
    await import_register(sessions, path, now=FIRST_IMPORT)

    async def flagged() -> list[str]:
        return [
            p.external_id
            for p in await active_people(sessions)
            for n in p.phones
            if n.shared_with_other_person
        ]

    assert await flagged() == ["A2", "A3"]
    async with sessions.begin() as session:  # as if the first run had stopped before them
        await session.execute(text("UPDATE phone_numbers SET shared_with_other_person = false"))
    report = await import_register(sessions, path, now=SECOND_IMPORT)
    assert report.unchanged == 4
    assert await flagged() == ["A2", "A3"]
