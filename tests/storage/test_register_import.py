"""The import's database side (copy of the stored register, batches, removals) on SQLite
and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dialer.register import ImportProgress, ImportStep, import_register
from dialer.storage import SessionFactory
from tests.register.test_importer import NOW, ROWS, write_csv
from tests.stored import active_people, count_active_people, person_by_external_id


@pytest.mark.asyncio
async def test_an_import_then_a_reimport(sessions: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "registre.csv", ROWS)
    dry = await import_register(sessions, path, now=NOW, dry_run=True)
    assert (dry.added, dry.changed, dry.unchanged, dry.removed) == (5, 0, 0, 0)
    assert await count_active_people(sessions) == 0

    first = await import_register(sessions, path, now=NOW)
    assert (first.added, first.merged_duplicates, first.shared_numbers) == (5, 2, 1)
    stored = {p.external_id: p for p in await active_people(sessions)}
    assert sorted(stored) == ["D001", "D002", "D003", "D005", "D006"]
    assert [n.e164 for n in stored["D001"].phones] == [
        "+33145678910", "+33612345678", "+33770112233",
    ]  # fmt: skip
    assert stored["D002"].phones[0].shared_with_other_person
    assert stored["D003"].register_flags == {"Handicap": "non", "Situation médicale": "oxygène"}
    assert stored["D001"].created_at == NOW

    # D001 moves, D002 loses the number its duplicate brought, D003 and D005 stay, D006
    # leaves the file; the last row is new
    later = NOW + timedelta(days=2)
    changed = [list(row) for row in (ROWS[0], ROWS[1], ROWS[2], ROWS[4])]
    changed[0][4] = "4 rue de la Paix"
    changed.append(["D009", "Roux", "Odette", "", "", "", "", "", "01 47 00 00 09", *[""] * 5])
    progress: list[ImportProgress] = []
    second = await import_register(
        sessions,
        write_csv(tmp_path / "registre-2.csv", changed),
        now=later,
        on_progress=progress.append,
    )
    assert (second.added, second.changed, second.unchanged, second.removed) == (1, 2, 2, 1)
    # the people written, as the database counts them: the one added and the two changed
    writes = [(p.done, p.total) for p in progress if p.step is ImportStep.WRITE]
    assert writes == [(3, 3)]
    stored = {p.external_id: p for p in await active_people(sessions)}
    assert sorted(stored) == ["D001", "D002", "D003", "D005", "D009"]
    assert stored["D001"].address == "4 rue de la Paix"
    assert stored["D001"].updated_at == later
    assert stored["D001"].created_at == NOW
    assert [n.e164 for n in stored["D002"].phones] == ["+33143556677"]
    assert stored["D005"].updated_at == NOW  # unchanged: not rewritten
    removed = await person_by_external_id(sessions, "D006")
    assert removed is not None
    assert removed.removed_at == later

    third = await import_register(sessions, path, now=later + timedelta(days=1))
    assert (third.added, third.changed, third.unchanged, third.removed) == (0, 3, 2, 1)
    back = await person_by_external_id(sessions, "D006")
    assert back is not None
    assert back.removed_at is None
