"""``dialer report results``: the per-person results of a cycle, a campaign or an episode
written to a file (CSV, XLSX), each export in the audit log; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.errors import NotFoundError
from dialer.storage import create_engine, create_session_factory, migrate_engine
from dialer.storage.audit import AuditFilter, AuditLog
from tests.storage.conftest import reset_postgres
from tests.web.test_person_results import results_scene


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def _cli_database(url: str) -> int:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        return (await results_scene(create_session_factory(engine))).campaign_id
    finally:
        await engine.dispose()


async def _cli_audit(url: str) -> list[tuple[str, str, dict[str, object]]]:
    engine = create_engine(url)
    try:
        entries = await AuditLog(create_session_factory(engine)).search(
            AuditFilter(action="export.")
        )
        return [(e.action, e.target, e.details) for e in entries]
    finally:
        await engine.dispose()


def test_the_command_writes_and_records(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url
    campaign = asyncio.run(_cli_database(url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", url)
    runner = CliRunner()
    out = tmp_path / "resultats.csv"
    args = ["report", "results", "--campaign", str(campaign), "--cycle", "2", "--out", str(out)]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "12 ligne(s)" in done.output
    assert len(read_csv(out.read_bytes())) == 13
    workbook = tmp_path / "resultats.xlsx"
    done = runner.invoke(
        cli,
        [
            "report",
            "results",
            "--campaign",
            str(campaign),
            "--format",
            "xlsx",
            "--out",
            str(workbook),
        ],
    )
    assert done.exit_code == 0, done.output
    assert openpyxl.load_workbook(workbook).active.max_row == 25
    refused = runner.invoke(cli, ["report", "results", "--out", str(out)])
    assert refused.exit_code == 2
    assert "--campaign ou --episode" in refused.output
    unknown = runner.invoke(cli, ["report", "results", "--campaign", "999999", "--out", str(out)])
    assert unknown.exit_code != 0
    assert isinstance(unknown.exception, NotFoundError)
    assert "999999" in str(unknown.exception)
    assert sorted(asyncio.run(_cli_audit(url))) == [
        (
            "export.csv",
            f"campaign:{campaign}",
            {"table": "resultats", "cycle": "2", "format": "csv", "rows": 12},
        ),
        (
            "export.xlsx",
            f"campaign:{campaign}",
            {"table": "resultats", "cycle": "tous", "format": "xlsx", "rows": 24},
        ),
    ]
