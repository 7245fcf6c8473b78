"""The controller's memory with a big register: ``.venv/bin/python -m bench.controller_memory``.

A first process writes a register of N people (default 100,000), imports it into a fresh
SQLite database and starts a heatwave campaign (its cycle snapshots all N people). A second
process, the one measured, is the controller as ``dialer serve`` runs it: the whole
service (``running_service``: engine with the campaign attached, agents' screens, alert
dispatcher, web app) against the local rig's Asterisk, for ``--seconds`` seconds, building
the live dashboard's snapshot (its campaign counts over the whole cycle) every second. No
agent is logged in, so nothing is dialled: what is measured is holding the campaign.

Reports the measured process's peak resident memory (``ru_maxrss``) and its CPU use while
it ran (start-up excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.dashboard.board import LiveDashboard
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.service import running_service
from dialer.settings import Settings
from dialer.storage.database import create_engine, create_session_factory, migrate_engine

ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
PORT = 8097


def write_register(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Adresse", "Téléphone"])
        for index in range(count):
            callee = SimulatedCallee(
                CalleeBehaviour.ANSWERS, ring_s=1 + index % 9, talk_s=index // 100 % 1000,
                serial=index % 100,
            )  # fmt: skip
            writer.writerow(
                [f"M{index:07d}", "Durand", "Paul", f"{index} rue de la Roquette", callee.number]
            )


async def prepare(database: Path, count: int) -> int:
    register = database.with_suffix(".csv")
    write_register(register, count)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await migrate_engine(engine)
    sessions = create_session_factory(engine)
    await import_register(sessions, register, now=datetime.now(UTC))
    heatwave = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
    )
    started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
    await engine.dispose()
    return started.campaign_id


async def hold(database: Path, campaign_id: int, seconds: float) -> dict[str, float]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        web={"host": "127.0.0.1", "port": PORT, "secure_cookies": False},  # type: ignore[arg-type]
        rig={"agents": 0},  # type: ignore[arg-type]
    )
    async with running_service(
        settings,
        campaign_id=campaign_id,
        ami=Rig(settings).ami_credentials(),
        secret_key=secrets.token_urlsafe(48),
    ) as service:
        board = LiveDashboard(service.sessions, lambda: service.engine, cache_s=0)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        snapshots = 0
        register = 0
        while time.monotonic() - started < seconds:
            snapshot = await board.snapshot()
            snapshots += 1
            if snapshot.funnel is not None:
                register = max(register, snapshot.funnel.register)
            await asyncio.sleep(1.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - started
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "people_in_cycle": register,
        "seconds": round(wall, 1),
        "dashboard_snapshots": snapshots,
        "controller_cpu_pct": round(100 * cpu / wall, 1),
        "controller_peak_rss_mib": round(after.ru_maxrss / 1024, 1),
    }


def measured_child(database: Path, campaign_id: int, seconds: float) -> None:
    print(json.dumps(asyncio.run(hold(database, campaign_id, seconds))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.controller_memory", description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--child", nargs=3, metavar=("DATABASE", "CAMPAIGN", "SECONDS"))
    args = parser.parse_args(argv)
    if args.child:
        measured_child(Path(args.child[0]), int(args.child[1]), float(args.child[2]))
        return 0
    rig = Rig(Settings(rig={"agents": 0}))  # type: ignore[arg-type]
    rig.provision()
    started_now = asyncio.run(rig.start())
    try:
        with tempfile.TemporaryDirectory() as scratch:
            database = Path(scratch) / "controller.db"
            prepared = time.monotonic()
            campaign_id = asyncio.run(prepare(database, args.people))
            prepare_s = time.monotonic() - prepared
            done = subprocess.run(
                [sys.executable, "-m", "bench.controller_memory", "--child", str(database),
                 str(campaign_id), str(args.seconds)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if started_now:
            asyncio.run(rig.stop())
    print(f"Register of {args.people:,} people imported and campaign started in {prepare_s:.0f} s.")
    print()
    print("| people in the cycle | held for | dashboard snapshots | controller CPU "
          "| controller peak RSS |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {result['people_in_cycle']:,} | {result['seconds']} s | "
        f"{result['dashboard_snapshots']} | {result['controller_cpu_pct']} % | "
        f"{result['controller_peak_rss_mib']} MiB |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
