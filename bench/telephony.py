"""Real-Asterisk benchmark: ``.venv/bin/python -m bench.telephony``.

On the local rig, with the sipp callees and a sipp agent farm (``bench-agent-N``
endpoints): N simulated people answer after 1 s and talk 25 s while N agents are logged in,
so N calls are up at once. For each N it reports the time from the person's answer to the
join with an agent (Asterisk's event timestamps: UserEvent DialerAnswered → BridgeEnter),
from the join to the screen pop (the engine's ScreenNotifier call), the share of people
joined, and the controller's CPU and resident memory. The ramp stops at the first level
where more than 1 % of the answered people are not joined (the capacity).

A separate measurement loads a 100,000-person register into a campaign and reports the
resident memory of a controller process running that campaign's engine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from dialer.campaigns.runner import CampaignRun
from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.telephony.node import AsteriskNode

ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
LEVELS = (10, 50, 200, 300, 400)


class PopClock:
    """A ScreenNotifier that notes when each screen pop is pushed."""

    def __init__(self) -> None:
        self.popped_at: dict[str, float] = {}

    async def reserved(self, agent: str, attempt_id: str) -> None:
        return None

    async def joined(self, agent: str, attempt_id: str) -> None:
        self.popped_at[attempt_id] = time.time()

    async def ended(self, agent: str, attempt_id: str) -> None:
        return None

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        return None

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        return None

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        return None

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        return None

    async def phone_lost(self, agent: str) -> None:
        return None


def write_register(path: Path, count: int, talk_s: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        for index in range(count):
            callee = SimulatedCallee(
                CalleeBehaviour.ANSWERS, ring_s=1, talk_s=talk_s + index // 100, serial=index % 100
            )
            writer.writerow([f"B{index:06d}", "Durand", "Paul", callee.number])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


async def one_level(rig: Rig, concurrency: int, workdir: Path) -> dict[str, float]:
    database = create_engine(f"sqlite+aiosqlite:///{workdir / f'bench-{concurrency}.db'}")
    await migrate_engine(database)
    sessions = create_session_factory(database)
    register = workdir / f"register-{concurrency}.csv"
    write_register(register, concurrency, talk_s=25)
    await import_register(sessions, register, now=datetime.now(UTC))
    heatwave = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=RetryPolicy(max_attempts=1),
    )
    started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
    node = AsteriskNode(
        "rig",
        rig.ami_credentials(),
        trunk=rig.settings.trunk.name,
        channel_limit=4 * concurrency + 10,
        action_timeout_s=20,
    )
    await node.start()
    pops = PopClock()
    run = CampaignRun(
        sessions, started.campaign_id, nodes=[node], ring_timeout_s=30, screens=pops, tick_s=0.5
    )
    engine = await run.start()
    await asyncio.sleep(0.5)
    for n in range(1, concurrency + 1):
        await engine.log_in(f"bench-agent-{n}", f"bench-agent-{n}")
        engine.go_ready(f"bench-agent-{n}")
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    wall_before = time.monotonic()
    # wait until every person answered and was joined, or gave up
    for _ in range(120):
        await asyncio.sleep(0.5)
        stats = engine.statistics()
        if int(str(stats["joined"])) + int(str(stats["abandoned"])) >= concurrency:
            break
    peak_calls = len(engine.calls.all())
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic() - wall_before
    stats = engine.statistics()
    latencies = list(engine.join_latencies_ms)
    joined_at = {c.attempt_id: c.joined_at for c in engine.calls.all() if c.joined_at}
    pop_ms = [
        (pops.popped_at[a] - at.timestamp()) * 1000
        for a, at in joined_at.items()
        if a in pops.popped_at
    ]
    result = {
        "concurrency": concurrency,
        "calls_up_at_once": peak_calls,
        "answered": int(str(stats["answered"])),
        "joined": int(str(stats["joined"])),
        "abandoned": int(str(stats["abandoned"])),
        "join_p50_ms": percentile(latencies, 0.5),
        "join_p99_ms": percentile(latencies, 0.99),
        "join_max_ms": max(latencies) if latencies else float("nan"),
        "pop_p50_ms": percentile(pop_ms, 0.5),
        "pop_max_ms": max(pop_ms) if pop_ms else float("nan"),
        "controller_cpu_pct": 100
        * ((cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime))
        / wall,
        "controller_rss_mib": cpu_after.ru_maxrss / 1024,
    }
    await run.stop()
    await hang_up_everything(engine, node)
    await node.stop()
    await database.dispose()
    return result


async def hang_up_everything(engine: DialingEngine, node: AsteriskNode) -> None:
    """After a bench run: hang up every call still up and every agent's waiting leg, so the
    next run starts on an idle Asterisk."""
    for call in list(engine.calls.all()):
        await node.hang_up(call.attempt_id)
    for seat in engine.seats.seats():
        if seat.leg_id:
            await node.hang_up(seat.leg_id)


async def ramp(levels: tuple[int, ...]) -> list[dict[str, float]]:
    settings = Settings(rig={"agents": 0, "bench_agents": max(levels)})  # type: ignore[arg-type]
    rig = Rig(settings)
    await asyncio.to_thread(rig.provision)
    started_now = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    results = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for level in levels:
                result = await one_level(rig, level, Path(scratch))
                results.append(result)
                print(json.dumps(result), file=sys.stderr, flush=True)
                if result["joined"] < 0.99 * level:
                    break
                await asyncio.sleep(3)
    finally:
        world.stop()
        if started_now:
            await rig.stop()
    return results


def machine() -> str:
    cpu = "?"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1])
    return f"{os.cpu_count()} × {cpu}, {mem_kib / 1024 / 1024:.0f} GiB"


def table(results: list[dict[str, float]]) -> str:
    lines = [
        "| concurrent calls | joined | answer → join p50 / p99 / max (ms) "
        "| join → pop p50 / max (ms) | controller CPU | controller RSS |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['concurrency']:.0f} | {r['joined']:.0f}/{r['answered']:.0f} | "
            f"{r['join_p50_ms']:.1f} / {r['join_p99_ms']:.1f} / {r['join_max_ms']:.1f} | "
            f"{r['pop_p50_ms']:.2f} / {r['pop_max_ms']:.2f} | {r['controller_cpu_pct']:.0f} % | "
            f"{r['controller_rss_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.telephony", description=__doc__)
    parser.add_argument("--levels", type=int, nargs="*", default=list(LEVELS))
    args = parser.parse_args(argv)
    results = asyncio.run(ramp(tuple(args.levels)))
    print(f"Machine: {machine()}\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
