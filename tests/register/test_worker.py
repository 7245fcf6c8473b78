"""The import run in a worker process gives exactly what the import in-process gives."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from dialer.errors import InputError
from dialer.register import ImportProgress, ImportReport, ImportStep, import_register
from dialer.storage import SessionFactory
from tests.register.test_importer import HEADER, NOW, ROWS, write_csv
from tests.stored import active_people


async def contents(sessions: SessionFactory) -> list[tuple[Any, ...]]:
    people = await active_people(sessions)
    return [
        (
            p.external_id,
            p.last_name,
            p.birth_date,
            p.register_flags,
            p.fingerprint,
            p.removed_at,
            [(n.position, n.e164, n.kind, n.shared_with_other_person) for n in p.phones],
        )
        for p in people
    ]


def comparable(report: ImportReport) -> dict[str, Any]:
    fields = asdict(report)
    fields.pop("rejects_path")
    return fields


@pytest.mark.asyncio
async def test_the_worker_imports_and_reimports_like_the_inline_import(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    inline, worker = two_databases
    first = write_csv(tmp_path / "registre.csv", ROWS)
    progress: list[ImportProgress] = []
    expected = await import_register(inline, first, now=NOW, in_worker=False)
    report = await import_register(
        worker, first, now=NOW, in_worker=True, on_progress=progress.append
    )
    assert comparable(report) == comparable(expected)
    assert report.rejects_path is not None
    assert report.rejects_path.is_file()
    assert [p.done for p in progress if p.step is ImportStep.CHECK] == [len(ROWS)]
    assert await contents(worker) == await contents(inline)

    # a re-import: the first row's person (also on line 7) and the postcode changed
    changed = [list(row) for row in ROWS[1:]]
    changed[0][5] = "75012"
    second = write_csv(tmp_path / "registre-2.csv", changed)
    expected = await import_register(inline, second, now=NOW, in_worker=False)
    report = await import_register(worker, second, now=NOW, in_worker=True)
    assert comparable(report) == comparable(expected)
    assert (report.changed, report.unchanged) == (2, 3)
    assert await contents(worker) == await contents(inline)


@pytest.mark.asyncio
async def test_a_dry_run_in_the_worker_writes_nothing(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    _, worker = two_databases
    path = write_csv(tmp_path / "registre.csv", ROWS)
    report = await import_register(worker, path, now=NOW, in_worker=True, dry_run=True)
    assert report.added == 5
    assert await contents(worker) == []


@pytest.mark.asyncio
async def test_a_file_broken_half_way_is_refused_from_the_worker(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    _, worker = two_databases
    path = write_csv(tmp_path / "registre.csv", ROWS)
    with path.open("a", encoding="utf-8") as handle:  # a cell over the CSV field limit
        handle.write("D009;Durand;" + "x" * (1 << 21) + "\n")
    with pytest.raises(InputError, match="CSV illisible"):
        await import_register(worker, path, now=NOW, in_worker=True)
    assert await contents(worker) == []
    assert len(HEADER) == len(ROWS[0])
