"""From the alert to the first dial: ``.venv/bin/python -m bench.alert_to_dial``.

The city's obligation is to start calling within 4 hours of a level-3 alert; the product
promises that a supervisor's one action (« Démarrer depuis l'alerte ») has the first people
dialled in seconds. On the local rig: a register of N people (default 10,500) is imported
into a fresh SQLite database, one agent's phone is connected (a sipp agent-farm endpoint)
and ready, then ``CampaignControl.start_from_alert("heatwave")`` -- what the page's button,
the API and ``dialer campaign start-from-alert`` call -- creates the campaign, snapshots the
register into its 48-hour cycle, attaches it to the engine and paces. Measured: the time
to the first ``Originate`` sent to Asterisk, and to the first person answering and being
bridged with the agent.

The engine's clock is a weekday at 10:00 in Paris (inside the template's calling windows
whatever the hour the benchmark runs); everything else is real.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.telephony import hang_up_everything
from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.core.windows import PARIS
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.telephony.node import AsteriskNode
from dialer.telephony.port import DialRequest

AGENT = "bench-agent-1"


def write_register(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        for index in range(count):
            callee = SimulatedCallee(
                CalleeBehaviour.ANSWERS, ring_s=1, talk_s=20 + index // 100 % 900,
                serial=index % 100,
            )  # fmt: skip
            writer.writerow([f"A{index:06d}", "Martin", "Lucienne", callee.number])


def in_window_clock() -> tuple[datetime, float]:
    """Next Tuesday 10:00 Paris (a working day, never a public holiday in France)."""
    today = datetime.now(PARIS).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    start = datetime(tuesday.year, tuesday.month, tuesday.day, 10, 0, tzinfo=PARIS)
    return start.astimezone(UTC), time.monotonic()


async def measure(rig: Rig, people: int, workdir: Path) -> dict[str, float]:
    database = create_engine(f"sqlite+aiosqlite:///{workdir / 'alert.db'}")
    await migrate_engine(database)
    sessions = create_session_factory(database)
    register = workdir / "registre.csv"
    write_register(register, people)
    imported = time.monotonic()
    await import_register(sessions, register, now=datetime.now(UTC))
    import_s = time.monotonic() - imported
    base, origin = in_window_clock()

    def clock() -> datetime:
        return base + timedelta(seconds=time.monotonic() - origin)

    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    first_originate: list[float] = []
    place_call = node.place_call

    async def timed_place_call(request: DialRequest) -> None:
        first_originate.append(time.monotonic())
        await place_call(request)

    node.place_call = timed_place_call  # type: ignore[method-assign]
    engine = DialingEngine(nodes=[node], attempt_log=StoredAttemptLog(sessions), clock=clock)
    await engine.start()
    control = CampaignControl(sessions, engine, clock=clock, caller_id="+33140000000")
    try:
        await asyncio.sleep(0.5)  # the node's connection is announced to the engine
        await engine.log_in(AGENT, AGENT)
        engine.go_ready(AGENT)
        action = time.monotonic()
        started = await control.start_from_alert("heatwave", actor="bench")
        returned = time.monotonic() - action
        joined_s = float("nan")
        for _ in range(300):
            if int(str(engine.statistics()["joined"])) >= 1:
                joined_s = time.monotonic() - action
                break
            await asyncio.sleep(0.05)
    finally:
        await engine.stop()
        await hang_up_everything(engine, node)
        await node.stop()
        await database.dispose()
    return {
        "people": started.people,
        "import_s": import_s,
        "action_returned_s": returned,
        "first_originate_s": first_originate[0] - action if first_originate else float("nan"),
        "first_join_s": joined_s,
    }


async def run(people: int) -> dict[str, float]:
    rig = Rig(Settings(rig={"agents": 0, "bench_agents": 1}))  # type: ignore[arg-type]
    await asyncio.to_thread(rig.provision)
    started_now = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            return await measure(rig, people, Path(scratch))
    finally:
        world.stop()
        if started_now:
            await rig.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alert_to_dial", description=__doc__)
    parser.add_argument("--people", type=int, default=10_500)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.people))
    print(
        "| people in the cycle | « Démarrer depuis l'alerte » returns | first Originate "
        "| first person bridged with an agent | (register import, before the alert) |"
    )
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {result['people']:,} | {result['action_returned_s']:.2f} s | "
        f"{result['first_originate_s']:.2f} s | {result['first_join_s']:.2f} s | "
        f"{result['import_s']:.1f} s |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
