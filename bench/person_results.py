"""The per-person results export over a big register: ``python -m bench.person_results``.

A first process writes a fresh SQLite database: one campaign, one cycle of N people
(default 10,500, the register's size), each with a dialled attempt and a complete call
sheet of nine answers, one in ten with an alert. Then one process per measure, each its
own peak memory (``ru_maxrss``; the memory when the export is opened, and the peak
after): the baseline (the export opened: its scope and columns,
no row), the CSV streamed to a file, the XLSX. Each export also runs a ticker on the event
loop and reports its longest stall (the rows are built and written in worker threads;
on a busy machine the stall also counts the threads' turns at the GIL), and the event
loop thread's own CPU time reading the largest batch (``time.thread_time``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from dialer.core.attempts import AttemptKind, AttemptState, CycleResult, Disposition
from dialer.core.campaigns import CampaignKind
from dialer.core.outcomes import CallOutcome
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.reports.result_exports import PersonResults
from dialer.storage import Attempt, CampaignRepository, CycleRepository, PacingMode, Person
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import (
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.person_results import ResultScope
from dialer.storage.schedule import CycleMember, MemberStatus

START = datetime(2026, 7, 13, 7, 0, tzinfo=UTC)
ANSWERS = {
    "malaise_maintenant": False,
    "eau_fraiche": True,
    "rafraichir": True,
    "piece_fraiche": False,
    "traitement": True,
    "medicaments_suffisants": True,
    "vit_seul": True,
    "aide_courses": False,
    "souhait_contact": False,
}


async def prepare(database: Path, people: int) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await migrate_engine(engine)
    sessions = create_session_factory(engine)
    campaign = await CampaignRepository(sessions).create(
        name="Canicule (banc)", kind=CampaignKind.HEATWAVE, questionnaire_id="canicule",
        questionnaire_version="1", caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE, calling_windows={}, retry_policy={}, now=START,
    )  # fmt: skip
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=START, deadline=START + timedelta(hours=48)
    )
    at = START + timedelta(hours=2)
    async with transaction(sessions) as session:
        await session.execute(
            insert(Person),
            [
                {
                    "id": i + 1,
                    "external_id": f"B{i:06d}",
                    "last_name": "Durand",
                    "first_name": "Paule",
                    "district": "Nord",
                    "disabled": False,
                    "medical_flag": False,
                    "register_flags": {},
                    "fingerprint": "",
                    "created_at": START,
                    "updated_at": START,
                }
                for i in range(people)
            ],
        )
        await session.execute(
            insert(CycleMember),
            [
                {
                    "cycle_id": cycle.id,
                    "person_id": i + 1,
                    "status": MemberStatus.DONE,
                    "next_kind": AttemptKind.AUTOMATIC,
                }
                for i in range(people)
            ],
        )
        await session.execute(
            insert(Attempt),
            [
                {
                    "id": f"a{i:06d}",
                    "cycle_id": cycle.id,
                    "person_id": i + 1,
                    "number": "+33145678910",
                    "state": AttemptState.ENDED,
                    "kind": AttemptKind.AUTOMATIC,
                    "outcome": CallOutcome.ANSWERED,
                    "planned_for": at,
                    "placed_at": at,
                    "answered_at": at,
                    "bridged_at": at,
                    "ended_at": at + timedelta(minutes=4),
                    "agent": "agent1",
                    "disposition": CycleResult.REACHED,
                }
                for i in range(people)
            ],
        )
        await session.execute(
            insert(CallSheet),
            [
                {
                    "id": i + 1,
                    "attempt_id": f"a{i:06d}",
                    "person_id": i + 1,
                    "cycle_id": cycle.id,
                    "agent": "agent1",
                    "questionnaire_id": "canicule",
                    "questionnaire_version": 1,
                    "note": "",
                    "score": 4.0,
                    "disposition": Disposition.COMPLETE,
                    "risk_level": "modéré",
                    "complete": True,
                    "opened_at": at,
                    "updated_at": at,
                    "submitted_at": at,
                }
                for i in range(people)
            ],
        )
        await session.execute(
            insert(Answer),
            [
                {"sheet_id": i + 1, "question_id": q, "value": v, "answered_at": at}
                for i in range(people)
                for q, v in ANSWERS.items()
            ],
        )
        await session.execute(
            insert(Alert),
            [
                {
                    "sheet_id": i + 1,
                    "key": "eau",
                    "person_id": i + 1,
                    "need": "home_help",
                    "priority": 2,
                    "message": "Livrer de l'eau.",
                    "because": [],
                    "raised_by": "agent1",
                    "raised_at": at,
                    "state": AlertState.OPEN,
                    "escalation_level": 0,
                    "acknowledgement_note": "",
                    "routed_to_default": False,
                }
                for i in range(0, people, 10)
            ],
        )
    await engine.dispose()
    return campaign.id


async def export(database: Path, campaign: int, fmt: str, out: Path) -> dict[str, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = create_session_factory(engine)
    results = PersonResults(sessions, catalog=load_questionnaires(SHIPPED_QUESTIONNAIRES))
    opened = time.monotonic()
    opening = await results.for_campaign(campaign, None)
    open_s = time.monotonic() - opened
    at_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stall = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal stall
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.01)
            stall = max(stall, time.monotonic() - before - 0.01)

    # the event loop's own CPU time reading each batch (the rest runs in threads)
    loop_cpu: list[float] = []
    read = opening.repository.batch

    async def timed_batch(scope: ResultScope, members: Sequence[tuple[int, int]]) -> Any:
        before = time.thread_time()
        rows = await read(scope, members)
        loop_cpu.append(time.thread_time() - before)
        return rows

    opening.repository.batch = timed_batch  # type: ignore[method-assign]
    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    if fmt != "baseline":
        await opening.write(out, fmt)
    seconds = time.monotonic() - started
    done.set()
    await ticking
    await engine.dispose()
    size = await asyncio.to_thread(lambda: out.stat().st_size if out.exists() else 0)
    return {
        "rows": opening.row_count,
        "open_s": round(open_s, 2),
        "seconds": round(seconds, 2),
        "longest_loop_stall_ms": round(stall * 1000, 1),
        "batches": len(loop_cpu),
        "loop_cpu_per_batch_median_ms": round(statistics.median(loop_cpu or [0.0]) * 1000, 1),
        "loop_cpu_per_batch_max_ms": round(max(loop_cpu, default=0.0) * 1000, 1),
        "rss_at_open_mib": round(at_open / 1024, 1),
        "file_kib": round(size / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.person_results", description=__doc__)
    parser.add_argument("--people", type=int, default=10_500)
    parser.add_argument("--child", nargs=4, metavar=("DATABASE", "CAMPAIGN", "FORMAT", "OUT"))
    parser.add_argument("--prepare", metavar="DATABASE")
    args = parser.parse_args(argv)
    if args.prepare:
        print(asyncio.run(prepare(Path(args.prepare), args.people)))
        return 0
    if args.child:
        database, campaign, fmt, out = args.child
        print(json.dumps(asyncio.run(export(Path(database), int(campaign), fmt, Path(out)))))
        return 0
    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "bench.db"
        # written by a process of its own: a child forked from a big parent would count
        # the parent's memory in its own peak
        prepared = subprocess.run(
            [sys.executable, "-m", "bench.person_results", "--people", str(args.people),
             "--prepare", str(database)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        campaign = int(prepared.stdout.strip())
        print(f"Per-person results of {args.people:,} people (one cycle), SQLite:")
        for fmt in ("baseline", "csv", "xlsx"):
            out = Path(directory) / f"resultats.{fmt}"
            child = [sys.executable, "-m", "bench.person_results", "--child"]
            answer = subprocess.run(
                [*child, str(database), str(campaign), fmt, str(out)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            print(f"  {fmt}: {answer.stdout.strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
