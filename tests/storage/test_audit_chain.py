"""The audit log's hash chain (migration 0011): tampering is found and named, concurrent
appends keep one chain, and the retention purge leaves a chain that still verifies."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.cli import cli
from dialer.core.audit_chain import GENESIS
from dialer.storage import SessionFactory, create_session_factory, migrate_engine
from dialer.storage.audit import AuditLog, ChainReport
from dialer.storage.database import transaction
from tests.storage.conftest import NOW
from tests.web.support import open_database


async def _fill(log: AuditLog, count: int) -> None:
    for n in range(count):
        await log.record(
            actor="dupont",
            action="read.person",
            target=f"person:{n}",
            at=NOW + timedelta(minutes=n),
            person_id=n,
            route="/agent",
            details={"n": n, "texte": "é"},
        )


@pytest.mark.asyncio
async def test_each_entry_is_chained_to_the_previous_one(sessions: SessionFactory) -> None:
    log = AuditLog(sessions)
    await _fill(log, 3)
    entries = sorted(await log.search(), key=lambda e: e.id)
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    report = await log.verify()
    assert (report.entries, report.broken) == (3, None)


@pytest.mark.asyncio
async def test_an_entry_edited_in_the_database_breaks_the_chain_there(
    sessions: SessionFactory,
) -> None:
    log = AuditLog(sessions)
    await _fill(log, 4)
    second = sorted(e.id for e in await log.search())[1]
    async with transaction(sessions) as session:
        await session.execute(
            text("UPDATE audit_log SET actor = 'quelquun' WHERE id = :id"), {"id": second}
        )
    report = await log.verify()
    assert report.broken is not None
    assert report.broken.entry_id == second
    assert report.entries == 1


@pytest.mark.asyncio
async def test_a_deleted_entry_or_a_cut_off_end_breaks_the_chain(
    sessions: SessionFactory,
) -> None:
    log = AuditLog(sessions)
    await _fill(log, 4)
    ids = sorted(e.id for e in await log.search())
    async with transaction(sessions) as session:
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    broken = (await log.verify()).broken
    assert broken is not None
    assert broken.entry_id == ids[2]
    async with transaction(sessions) as session:
        await session.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": ids[1]})
    broken = (await log.verify()).broken
    assert broken is not None
    assert broken.entry_id is None  # the head names a newer entry than the last one left


@pytest.mark.asyncio
async def test_concurrent_appends_keep_one_chain(sessions: SessionFactory) -> None:
    logs = [AuditLog(sessions) for _ in range(8)]

    async def writer(log: AuditLog, n: int) -> None:
        for k in range(10):
            await log.record(
                actor=f"agent{n}", action="read.call", target=f"attempt:{n}-{k}", at=NOW
            )

    await asyncio.gather(*(writer(log, n) for n, log in enumerate(logs)))
    report = await AuditLog(sessions).verify()
    assert (report.entries, report.broken) == (80, None)


@pytest.mark.asyncio
async def test_the_retention_purge_keeps_the_rest_verifiable(sessions: SessionFactory) -> None:
    log = AuditLog(sessions)
    await _fill(log, 6)
    deleted = await log.purge_before(NOW + timedelta(minutes=4))
    assert deleted == 4
    assert sorted(e.target for e in await log.search()) == ["person:4", "person:5"]
    await log.record(actor="x", action="read.alerts", target="team:1", at=NOW + timedelta(hours=1))
    report = await log.verify()
    assert (report.entries, report.broken) == (3, None)
    assert await log.purge_before(NOW - timedelta(days=1)) == 0
    assert await log.purge_before(NOW + timedelta(days=1)) == 3
    assert (await log.verify()).broken is None


def test_dialer_audit_verify_names_the_edited_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "dialer.db"

    async def prepare() -> int:
        engine, sessions = await open_database(database)
        try:
            log = AuditLog(sessions)
            await _fill(log, 3)
            return sorted(e.id for e in await log.search())[2]
        finally:
            await engine.dispose()

    last = asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    runner = CliRunner()
    good = runner.invoke(cli, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "3 entrées vérifiées" in good.output

    async def tamper() -> None:
        engine, sessions = await open_database(database)
        try:
            async with transaction(sessions) as session:
                await session.execute(
                    text("UPDATE audit_log SET details = '{}' WHERE id = :id"), {"id": last}
                )
        finally:
            await engine.dispose()

    asyncio.run(tamper())
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code != 0
    assert f"entrée n° {last}" in str(bad.exception) + bad.output


@pytest.mark.asyncio
async def test_migration_0011_chains_the_entries_written_before_it(
    empty_engine: AsyncEngine,
) -> None:
    await migrate_engine(empty_engine, "0007")
    async with empty_engine.begin() as connection:
        for n in range(3):
            await connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, target, details) "
                    "VALUES (:at, 'dupont', 'campaign.start', :target, :details)"
                ),
                {
                    "at": (NOW + timedelta(minutes=n)).replace(tzinfo=None),
                    "target": f"campaign:{n}",
                    "details": json.dumps({"n": n}),
                },
            )
    await migrate_engine(empty_engine)
    log = AuditLog(create_session_factory(empty_engine))
    assert (await log.verify()) == ChainReport(3, None)
    await log.record(actor="x", action="read.person", target="person:1", at=NOW, person_id=1)
    assert (await log.verify()) == ChainReport(4, None)
