"""``dialer purge``: per kind of personal data, what is past its retention goes (and
``--dry-run`` only counts it); the bills of every campaign stay the same. Run through the
command itself, on SQLite and on PostgreSQL, on the reports' realistic ledger (July 2026;
the retention is set to the minimum so that all of it is old)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from dialer.cli import cli
from dialer.core.roles import Role
from dialer.reports.service import ReportBuilder
from dialer.storage import Attempt, Cycle, CycleResultRow, SessionFactory, create_engine
from dialer.storage.account_rows import Account, WebSession
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.audit import AuditEntry, AuditLog
from dialer.storage.billing_periods import BillingPeriod
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import create_session_factory, migrate_engine, transaction
from dialer.storage.retention import FOLLOW_UP_RESULTS
from dialer.storage.schedule import CycleMember
from tests.report_scene import CYCLE1_START, Scene, build_scene
from tests.storage.conftest import reset_postgres

T = TypeVar("T")
LONG_AGO = datetime(2025, 1, 2, tzinfo=UTC)


async def _with_sessions(url: str, work: Callable[[SessionFactory], Awaitable[T]]) -> T:
    engine = create_engine(url)
    try:
        return await work(create_session_factory(engine))
    finally:
        await engine.dispose()


async def _prepare(url: str) -> Scene:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    engine = create_engine(url)
    await migrate_engine(engine)
    sessions = create_session_factory(engine)
    try:
        scene = await build_scene(sessions, people=24)
        async with transaction(sessions) as session:
            await session.execute(update(CycleMember).values(next_number="+33145678910"))
            sheets = list(await session.scalars(select(CallSheet).order_by(CallSheet.id)))
            for sheet in sheets:
                sheet.note = "vit seule, diabétique"
                session.add(
                    Answer(
                        sheet_id=sheet.id, question_id="q1", value=True, answered_at=sheet.opened_at
                    )
                )
            account = Account(
                username="agent1",
                password_hash="x",
                role=Role.AGENT,
                team_id=None,
                sip_endpoint=None,
                active=True,
                created_at=LONG_AGO,
            )
            session.add(account)
            await session.flush()
            session.add(
                WebSession(
                    token_digest="d" * 64,
                    account_id=account.id,
                    created_at=LONG_AGO,
                    last_seen_at=LONG_AGO,
                    expires_at=LONG_AGO + timedelta(hours=8),
                )
            )
        await AuditLog(sessions).record(
            actor="admin", action="agent.create", target="agent:x", at=LONG_AGO
        )
        return scene
    finally:
        await engine.dispose()


async def _bills(url: str, scene: Scene) -> list[Any]:
    async def work(sessions: SessionFactory) -> list[Any]:
        builder = ReportBuilder(sessions, catalog=None)
        now = CYCLE1_START + timedelta(days=10)
        return [
            (await builder.build(scene.campaign_id, cycle, now=now)).billing.bill
            for cycle in (None, 1, 2)
        ]

    return await _with_sessions(url, work)


async def _count(url: str, column: InstrumentedAttribute[Any], *where: Any) -> int:
    async def work(sessions: SessionFactory) -> int:
        async with transaction(sessions) as session:
            return int(await session.scalar(select(func.count(column)).where(*where)) or 0)

    return await _with_sessions(url, work)


async def _acknowledge_every_alert(url: str) -> None:
    async def work(sessions: SessionFactory) -> None:
        async with transaction(sessions) as session:
            await session.execute(update(Alert).values(state=AlertState.ACKNOWLEDGED))

    await _with_sessions(url, work)


def _purge(*args: str) -> str:
    result = CliRunner().invoke(cli, ["purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _report(command: str, scene: Scene, cycle: str | None) -> str:
    args = ["report", command, "--campaign", str(scene.campaign_id)]
    result = CliRunner().invoke(cli, [*args, "--cycle", cycle] if cycle else args)
    assert result.exit_code == 0, result.output
    return result.output


def _billing_lines(scene: Scene, cycle: str | None) -> list[str]:
    """The bill's lines as ``dialer report billing`` prints them (up to the total)."""
    lines = _report("billing", scene, cycle).splitlines()
    end = next(index for index, line in enumerate(lines) if "Total TTC" in line)
    return lines[: end + 1]


def _key_figure(scene: Scene, cycle: str | None, label: str) -> str:
    return _line(_report("show", scene, cycle), label)


def _line(output: str, label: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(label))


@pytest.fixture
def shortest_retention(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    for kind in ("ANSWERS", "ALERTS", "NEVER_REACHED", "LEDGER"):
        monkeypatch.setenv(f"DIALER_RETENTION__{kind}_MONTHS", "1")
    monkeypatch.setenv("DIALER_RETENTION__AUDIT_MONTHS", "6")
    return database_url


def test_dry_run_counts_and_purge_deletes_keeping_the_bills(
    shortest_retention: str, tmp_path: Path
) -> None:
    url = shortest_retention
    export_to = tmp_path / "export"
    scene = asyncio.run(_prepare(url))
    first, second = scene.cycle_ids
    bills = asyncio.run(_bills(url, scene))
    printed = {cycle: _billing_lines(scene, cycle) for cycle in ("1", "2", None)}
    key_figures = {c: _key_figure(scene, c, "Contacts facturés") for c in ("1", "2", None)}
    attempts = asyncio.run(_count(url, Attempt.id))
    answers = asyncio.run(_count(url, Answer.id))
    assert answers > 0
    open_alerts = asyncio.run(_count(url, Alert.id, Alert.state == AlertState.OPEN))
    assert open_alerts > 0

    audit_entries = asyncio.run(_count(url, AuditEntry.id))  # the reports' reads are audited
    shown = _purge("--dry-run")
    assert "Simulation : rien n'est supprimé." in shown
    result_notes = asyncio.run(_count(url, CycleResultRow.id, CycleResultRow.note != ""))
    expected = answers * 2 + result_notes  # an answer and a note per sheet, results' notes
    assert f": {expected} ligne(s) seraient supprimées" in _line(shown, "réponses et notes")
    assert "0 ligne(s)" in _line(shown, "journal des appels")  # cycle 1 has open alerts
    assert "1 ligne(s)" in _line(shown, "journal d'audit")
    assert "1 ligne(s)" in _line(shown, "sessions web")
    assert asyncio.run(_count(url, Answer.id)) == answers  # nothing went
    assert asyncio.run(_count(url, AuditEntry.id)) == audit_entries

    done = _purge()
    assert "Purge effectuée." in done
    assert asyncio.run(_count(url, Answer.id)) == 0
    assert asyncio.run(_count(url, CallSheet.id, CallSheet.note != "")) == 0
    assert asyncio.run(_count(url, CycleResultRow.id, CycleResultRow.note != "")) == 0
    assert asyncio.run(_count(url, WebSession.token_digest)) == 0
    # an open alert holds its cycle's ledger: nobody has dealt with it yet
    assert asyncio.run(_count(url, Alert.id)) == open_alerts
    assert asyncio.run(_count(url, Attempt.id)) == attempts
    follow_up = CycleResultRow.result.in_(FOLLOW_UP_RESULTS)
    assert (
        asyncio.run(_count(url, CycleResultRow.id, CycleResultRow.cycle_id == first, follow_up))
        == 0
    )
    # the other results of cycle 1 stay, and the open cycle 2's never-reached list too
    assert asyncio.run(_count(url, CycleResultRow.id, CycleResultRow.cycle_id == first)) > 0
    assert (
        asyncio.run(_count(url, CycleResultRow.id, CycleResultRow.cycle_id == second, follow_up))
        > 0
    )
    entries = asyncio.run(_audit(url))  # the old entry went; the reports' reads are recent
    changes = [e for e in entries if not e.action.startswith(("read.", "export."))]
    assert [(e.action, e.actor.startswith("cli:")) for e in changes] == [("retention.purge", True)]
    assert entries[0].details["audit"]["deleted"] == 1
    assert asyncio.run(_bills(url, scene)) == bills

    asyncio.run(_acknowledge_every_alert(url))
    second_attempts = asyncio.run(_count(url, Attempt.id, Attempt.cycle_id == second))
    again = _purge()
    assert f": {attempts - second_attempts} ligne(s)" in _line(again, "journal des appels")
    assert asyncio.run(_count(url, Attempt.id, Attempt.cycle_id == first)) == 0
    assert asyncio.run(_count(url, CallSheet.id, CallSheet.cycle_id == first)) == 0
    numbers_left = CycleMember.next_number.is_not(None)
    assert (
        asyncio.run(_count(url, CycleMember.id, CycleMember.cycle_id == first, numbers_left)) == 0
    )
    assert (
        asyncio.run(_count(url, CycleMember.id, CycleMember.cycle_id == second, numbers_left)) > 0
    )
    assert asyncio.run(_count(url, Attempt.id, Attempt.cycle_id == second)) == second_attempts
    assert asyncio.run(_count(url, BillingPeriod.cycle_id)) == 1
    assert asyncio.run(_count(url, Cycle.id)) == 2  # the cycles themselves stay
    # the whole campaign's bill, cycle 1's and cycle 2's (whose volume bands continue
    # where cycle 1's contacts left off) are the same as before the purge
    assert asyncio.run(_bills(url, scene)) == bills
    for cycle, lines in printed.items():  # and so is what ``dialer report billing`` prints
        assert _billing_lines(scene, cycle) == lines
        assert _key_figure(scene, cycle, "Contacts facturés") == key_figures[cycle]
    exported = CliRunner().invoke(
        cli, ["report", "export", "--campaign", str(scene.campaign_id), "--cycle", "1",
              "--format", "csv", "--out", str(export_to)],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    billing_csv = export_to / f"rapport-campagne-{scene.campaign_id}-cycle-1-facturation.csv"
    assert "cycle(s) 1 purgé(s) (durée de conservation)" in billing_csv.read_text("utf-8")

    third = _purge()  # nothing left to purge; the kept totals are not counted twice
    assert "0 ligne(s)" in _line(third, "journal des appels")
    assert asyncio.run(_bills(url, scene)) == bills


async def _audit(url: str) -> list[AuditEntry]:
    async def work(sessions: SessionFactory) -> list[AuditEntry]:
        return await AuditLog(sessions).search()

    return await _with_sessions(url, work)


def test_a_retention_below_its_floor_stops_the_command_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An administrator cannot wipe the audit trail by setting a one-month retention."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    monkeypatch.setenv("DIALER_RETENTION__AUDIT_MONTHS", "1")
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code != 0
    assert "retention.audit_months" in str(result.exception)
    assert not (tmp_path / "d.db").exists()  # refused before touching the database
