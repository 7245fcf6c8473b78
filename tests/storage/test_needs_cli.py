"""``dialer report needs CAMPAIGN``: the needs analysis written as CSV, XLSX or PDF, over
the campaign or a period, its small cells suppressed and the export in the audit log; a
bad period or another kind of campaign refused, nothing written. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.core.campaigns import CampaignKind
from dialer.errors import ConflictError
from dialer.storage import (
    CampaignRepository,
    CycleRepository,
    PacingMode,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from tests.needs_scene import JULY, needs_scene
from tests.storage.conftest import reset_postgres
from tests.storage.test_results_cli import _cli_audit
from tests.web.test_needs_report import assert_nothing_small, sections


async def _close_cycles(url: str, campaign_id: int) -> None:
    engine = create_engine(url)
    try:
        cycles = CycleRepository(create_session_factory(engine))
        cycle = await cycles.current(campaign_id)
        assert cycle is not None
        await cycles.close(cycle.id, at=JULY + timedelta(days=31))
    finally:
        await engine.dispose()


async def _database(url: str) -> tuple[int, int]:
    if url.startswith("postgresql"):
        await reset_postgres(url)
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        sessions = create_session_factory(engine)
        scene = await needs_scene(sessions)
        other = await CampaignRepository(sessions).create(
            name="Canicule",
            kind=CampaignKind.HEATWAVE,
            questionnaire_id="canicule",
            questionnaire_version="1",
            caller_id="+33140000000",
            pacing_mode=PacingMode.PROGRESSIVE,
            calling_windows={},
            retry_policy={},
            now=JULY,
        )
        return scene.campaign_id, other.id
    finally:
        await engine.dispose()


def test_the_command_writes_the_analysis_and_records_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, heatwave = asyncio.run(_database(database_url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    runner = CliRunner()
    done = runner.invoke(cli, ["report", "needs", str(campaign), "--format", "csv"])
    assert done.exit_code == 0, done.output
    # its cycle still open: a provisional analysis, named and said so, not to be published
    written = tmp_path / f"besoins-campagne-{campaign}-provisoire.csv"
    assert str(written.name) in done.output
    assert "ANALYSE PROVISOIRE, À NE PAS PUBLIER" in written.read_text(encoding="utf-8-sig")
    tables = sections(written.read_bytes())
    assert_nothing_small(tables)
    rows = {row[0]: row[1:] for row in tables["Besoins exprimés, par type et par quartier"][1:]}
    assert rows["logement"][0] == "secret"

    workbook = tmp_path / "juillet.xlsx"
    args = ["report", "needs", str(campaign), "--from", "2026-07", "--to", "2026-07"]
    done = runner.invoke(cli, [*args, "--format", "xlsx", "--out", str(workbook)])
    assert done.exit_code == 0, done.output
    assert "août 2026" not in str(
        [c.value for c in openpyxl.load_workbook(workbook)["Besoins exprimés, par type et p"][1]]
    )
    pdf = tmp_path / "besoins.pdf"
    done = runner.invoke(cli, ["report", "needs", str(campaign), "--out", str(pdf)])
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes().startswith(b"%PDF")

    backwards = runner.invoke(
        cli, ["report", "needs", str(campaign), "--from", "2026-08-01", "--to", "2026-07-01"]
    )
    assert backwards.exit_code != 0
    assert "« to »" in str(backwards.exception)
    garbled = runner.invoke(cli, ["report", "needs", str(campaign), "--from", "hier"])
    assert garbled.exit_code == 2
    assert "AAAA-MM-JJ" in garbled.output
    by_day = runner.invoke(cli, ["report", "needs", str(campaign), "--from", "2026-07-02"])
    assert by_day.exit_code != 0
    assert "« from »" in str(by_day.exception)
    refused = runner.invoke(cli, ["report", "needs", str(heatwave), "--format", "csv"])
    assert isinstance(refused.exception, ConflictError)
    assert not (tmp_path / f"besoins-campagne-{heatwave}.csv").exists()

    asyncio.run(_close_cycles(database_url, campaign))  # its cycle closed: final, publishable
    final = runner.invoke(cli, ["report", "needs", str(campaign), "--format", "csv"])
    assert final.exit_code == 0, final.output
    published = tmp_path / f"besoins-campagne-{campaign}.csv"
    assert "PROVISOIRE" not in published.read_text(encoding="utf-8-sig")

    audit = asyncio.run(_cli_audit(database_url))
    assert sorted((action, details["format"], details["from"]) for action, _, details in audit) == [
        ("export.csv", "csv", ""),
        ("export.csv", "csv", ""),
        ("export.pdf", "pdf", ""),
        ("export.xlsx", "xlsx", "2026-07-01"),
    ]
    assert {target for _, target, _ in audit} == {f"campaign:{campaign}"}
