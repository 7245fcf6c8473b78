"""``dialer report``: show, export (CSV, XLSX, PDF) and billing, on a SQLite ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli import cli
from tests.report_scene import build_scene
from tests.web.support import open_database


async def _ledger(path: Path) -> int:
    engine, sessions = await open_database(path)
    try:
        return (await build_scene(sessions, people=12)).campaign_id
    finally:
        await engine.dispose()


def test_report_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "dialer.db"
    campaign = asyncio.run(_ledger(database))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    runner = CliRunner()

    shown = runner.invoke(cli, ["report", "show", "--campaign", str(campaign), "--cycle", "1"])
    assert shown.exit_code == 0, shown.output
    assert "Rapport : Canicule rapport — cycle 1" in shown.output
    assert "Issues des appels" in shown.output

    out = tmp_path / "export"
    args = ["report", "export", "--campaign", str(campaign), "--out", str(out)]
    exported = runner.invoke(cli, [*args, "--format", "csv", "--format", "pdf"])
    assert exported.exit_code == 0, exported.output
    names = sorted(path.name for path in out.iterdir())
    assert f"rapport-campagne-{campaign}-tous-cycles.pdf" in names
    assert f"rapport-campagne-{campaign}-tous-cycles-jamais_joints.csv" in names
    assert not any(name.endswith(".xlsx") for name in names)
    assert (out / f"rapport-campagne-{campaign}-tous-cycles.pdf").read_bytes()[:5] == b"%PDF-"

    billing = runner.invoke(cli, ["report", "billing", "--campaign", str(campaign)])
    assert billing.exit_code == 0, billing.output
    assert "Total TTC" in billing.output
    assert "doublon" in billing.output
    # --check: the planted anomalies make the reconciliation fail (ConflictError)
    checked = runner.invoke(cli, ["report", "billing", "--campaign", str(campaign), "--check"])
    assert checked.exit_code != 0
    clean = runner.invoke(
        cli, ["report", "billing", "--campaign", str(campaign), "--cycle", "2", "--check"]
    )
    assert clean.exit_code == 0, clean.output
    assert "conforme" in clean.output
