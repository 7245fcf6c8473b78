"""The campaign report of a 10,500-person cycle and the event loop: ``python -m
bench.report_stall``.

The report page (``/rapports/…``), its files and the retention purge build the report on
the service's event loop, which also runs the dialling engine. The rows are read a few
hundred per turn of the loop (:mod:`dialer.storage.turns`) and the figures computed in a
worker thread. This measures, on the database of ``bench.person_results`` (10,500 people,
each with a dialled attempt and a complete call sheet, one in ten with an alert), three
builds of the report in one process: the time, the event loop thread's own CPU time and
the longest stall a 1 ms ticker on the loop saw (the first build also compiles the SQL
statements). The objects made before are frozen out of the garbage collector, as the
service does before serving; what stalls the loop now is mostly the collector's full passes
over the report's own rows (measured with ``gc.callbacks``: 12–43 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.reports.service import ReportBuilder
from dialer.service import freeze_startup_objects
from dialer.storage.database import create_engine, create_session_factory

BUILDS = 3


async def measure(database: Path, campaign: int) -> list[str]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    builder = ReportBuilder(
        create_session_factory(engine), catalog=load_questionnaires(SHIPPED_QUESTIONNAIRES)
    )
    freeze_startup_objects()  # as the service does before serving
    lines = []
    for build in range(1, BUILDS + 1):
        stall = 0.0
        done = asyncio.Event()

        async def ticker(done: asyncio.Event) -> None:
            nonlocal stall
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.001)
                stall = max(stall, time.perf_counter() - before - 0.001)

        ticking = asyncio.create_task(ticker(done))
        await asyncio.sleep(0)
        started, cpu = time.perf_counter(), time.thread_time()
        report = await builder.build(campaign, None, now=datetime.now(UTC))
        seconds, loop_cpu = time.perf_counter() - started, time.thread_time() - cpu
        done.set()
        await ticking
        lines.append(
            f"  build {build}: {seconds:.2f} s, event loop CPU {loop_cpu * 1000:.0f} ms, "
            f"longest stall {stall * 1000:.1f} ms "
            f"({report.figures.useful_contacts:,} useful contacts)"
        )
    await engine.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_stall", description=__doc__)
    parser.add_argument("--people", type=int, default=10_500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "bench.db"
        prepared = subprocess.run(
            [sys.executable, "-m", "bench.person_results", "--people", str(args.people),
             "--prepare", str(database)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        campaign = int(prepared.stdout.strip())
        print(f"The campaign report of {args.people:,} people (one cycle), SQLite:")
        print("\n".join(asyncio.run(measure(database, campaign))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
