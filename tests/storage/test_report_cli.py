"""``dialer report``: show, export (CSV, XLSX, PDF) and billing, on a SQLite ledger."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli import cli, main
from dialer.core.episodes import AlertKind
from dialer.errors import NotFoundError, exit_code
from dialer.storage.episodes import EpisodeRepository
from tests.report_scene import CYCLE1_START, build_scene
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


GRID = """
currency = "EUR"
vat_percent = "20"
[[contacts]]
up_to = 2
unit_price = "10.00"
[[contacts]]
unit_price = "1.00"
[[dmt]]
percent = "0"
[[setup]]
name = "unique"
price = "0"
"""


async def _episode(path: Path) -> tuple[int, int]:
    engine, sessions = await open_database(path)
    try:
        scene = await build_scene(sessions, people=12)
        episodes = EpisodeRepository(sessions)
        episode = await episodes.start(
            kind=AlertKind.HEATWAVE,
            level=3,
            districts=(),
            by="prefecture",
            at=CYCLE1_START,
            campaign_id=scene.campaign_id,
        )
        await episodes.end(episode.id, by="prefecture", at=CYCLE1_START + timedelta(hours=96))
        return episode.id, scene.campaign_id
    finally:
        await engine.dispose()


def test_the_episode_report_follows_the_bands_across_its_cycles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "dialer.db"
    episode, campaign = asyncio.run(_episode(database))
    grid = tmp_path / "grille.toml"
    grid.write_text(GRID, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    runner = CliRunner()

    shown = runner.invoke(cli, ["report", "episode", str(episode), "--price-grid", str(grid)])
    assert shown.exit_code == 0, shown.output
    assert f"Rapport : Épisode n° {episode} — Canicule, niveau 3" in shown.output
    assert "Cycles de l'épisode" in shown.output
    assert "Personnes jamais jointes (suivi terrain)" in shown.output

    out = tmp_path / "episode"
    args = ["report", "episode", str(episode), "--price-grid", str(grid), "--out", str(out)]
    written = runner.invoke(cli, [*args, "--format", "csv"])
    assert written.exit_code == 0, written.output
    lines = (out / f"rapport-episode-{episode}-par_cycle.csv").read_text("utf-8-sig").splitlines()
    header, first, second, whole = (line.split(";") for line in lines)
    assert header[0] == "Cycle"
    billed1, billed2 = int(first[8]), int(second[8])
    assert billed1 >= 2  # cycle 1 fills the first band...
    assert billed2 >= 1  # ...so cycle 2's contacts are all in the second one
    assert first[9] == f"n° 1 à {billed1}"
    assert second[9] == f"n° {billed1 + 1} à {billed1 + billed2}"
    assert first[10] == f"{20 + (billed1 - 2)},00"
    assert second[10] == f"{billed2},00"
    assert whole[0] == "Épisode"
    assert int(whole[8]) == billed1 + billed2
    assert whole[10] == f"{20 + (billed1 - 2) + billed2},00"

    # the cycle's own bill starts where the episode's earlier cycle left off
    bill = runner.invoke(
        cli,
        [
            "report",
            "billing",
            "--campaign",
            str(campaign),
            "--cycle",
            "2",
            "--price-grid",
            str(grid),
        ],
    )
    assert bill.exit_code == 0, bill.output
    assert "tranche 3 et au-delà" in bill.output
    assert "tranche 1 à 2" not in bill.output


def test_an_unknown_episode_is_named_with_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    monkeypatch.setattr(sys, "argv", ["dialer", "report", "episode", "999"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == exit_code(NotFoundError("x"))
    assert "episode 999" in capsys.readouterr().err
