"""Ledger writes under a burst: ``.venv/bin/python -m bench.ledger_burst``.

400 people answer at the same instant (issue 19): on the embedded SQLite default, the
engine's ledger writes (ringing, answered, bridged, then the ends) must never give up and
the ledger must stay within 1 s of the calls. The real engine, campaign control and SQLite
ledger, with a fake telephony node (Asterisk's events pushed at once) and 400 agents ready.

Measured for each write: the time from the engine asking for it to its commit (the
ledger's lag behind the call), p50 / p99 / max, and writes that failed; for the batched
writer (``dialer.storage.ledger_writer``, the product's path) and, for comparison, one
transaction per write (the previous path).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.alert_to_dial import in_window_clock
from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.core.attempts import AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.telephony.port import (
    CallAnswered,
    CallEnded,
    CallJoined,
    CallRinging,
    NodeConnected,
)
from dialer.testing import FakeNode


class OneTransactionEach(StoredAttemptLog):
    """The previous path: each write its own transaction, no batching, no retry."""

    async def mark_ringing(self, attempt_id: str, *, at: Any) -> None:
        await self.attempts.advance(attempt_id, AttemptState.RINGING, at=at)

    async def mark_answered(self, attempt_id: str, *, at: Any) -> None:
        await self.attempts.advance(attempt_id, AttemptState.ANSWERED, at=at)

    async def mark_bridged(self, attempt_id: str, *, at: Any, agent: str, answered_at: Any) -> None:
        await self.attempts.advance(
            attempt_id, AttemptState.BRIDGED, at=at, agent=agent, answered_at=answered_at
        )

    async def close(self, attempt_id: str, outcome: CallOutcome, **kw: Any) -> None:
        await self.attempts.close(
            attempt_id, outcome, at=kw["at"], hangup_cause=kw["cause"],
            sip_status=kw["sip_status"], failed=kw["failed"],
        )  # fmt: skip

    async def wrap_up_done(self, attempt_id: str, *, at: Any, result: CycleResult | None) -> None:
        await self.attempts.wrap_up_done(attempt_id, at=at, result=result)


def timed(
    log: StoredAttemptLog, lags: list[float], expected: int, done: asyncio.Event
) -> StoredAttemptLog:
    """Wrap the progress writes of ``log`` to note each one's time to commit; ``done`` is
    set once ``expected`` writes are."""

    def wrap(write: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def noted(*args: Any, **kwargs: Any) -> None:
            asked = time.monotonic()
            try:
                await write(*args, **kwargs)
            finally:
                lags.append(time.monotonic() - asked)
                if len(lags) >= expected:
                    done.set()

        return noted

    for name in ("mark_ringing", "mark_answered", "mark_bridged", "close", "wrap_up_done"):
        setattr(log, name, wrap(getattr(log, name)))
    return log


class Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "ledger write" in record.getMessage():
            self.count += 1


async def burst(people: int, batched: bool, workdir: Path) -> dict[str, float]:
    database = create_engine(f"sqlite+aiosqlite:///{workdir / 'burst.db'}")
    await migrate_engine(database)
    sessions = create_session_factory(database)
    register = workdir / "registre.csv"
    with register.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        for n in range(people):
            writer.writerow([f"B{n:06d}", "Martin", "Lucienne", f"+3314{n:07d}"])
    base, origin = in_window_clock()

    def clock() -> Any:
        return base + timedelta(seconds=time.monotonic() - origin)

    await import_register(sessions, register, now=clock())
    lags: list[float] = []
    all_written = asyncio.Event()
    log = timed(
        StoredAttemptLog(sessions) if batched else OneTransactionEach(sessions),
        lags,
        4 * people,
        all_written,
    )
    node = FakeNode(channel_limit=people * 3)
    engine = DialingEngine(nodes=[node], attempt_log=log, clock=clock)
    failures = Failures()
    logging.getLogger("dialer").addHandler(failures)
    try:
        await engine.handle(NodeConnected(node.name, clock()), node)
        for n in range(people):
            await engine.log_in(f"agent-{n}", f"agent-{n}")
            engine.go_ready(f"agent-{n}")
        control = CampaignControl(sessions, engine, clock=clock, caller_id="+33140000000")
        await control.start_from_alert("heatwave", actor="bench")
        while len(node.placed) < people:
            await engine.tick()
        ids = [request.attempt_id for request in node.placed]
        await engine.start()  # the engine's own listener reads the events, as in service
        started = time.monotonic()
        at = clock()
        for make in (  # the burst: everyone rings, answers, is joined, then hangs up
            lambda a: CallRinging(a, at),
            lambda a: CallAnswered(a, at),
            lambda a: CallJoined(a, "b", clock()),
            lambda a: CallEnded(a, 16, None, clock()),
        ):
            for attempt in ids:
                node.events.put_nowait(make(attempt))
        await all_written.wait()  # ringing, answered, bridged and close of each
        await engine.flush()
        drained_s = time.monotonic() - started
    finally:
        logging.getLogger("dialer").removeHandler(failures)
        await engine.stop()
        await database.dispose()
    lags.sort()
    return {
        "writes": len(lags),
        "failed": failures.count,
        "p50": lags[len(lags) // 2],
        "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        "max": lags[-1],
        "drained_s": drained_s,
        "transactions": float(
            log.writer.transactions if batched else len(lags)  # one each, unbatched
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_burst", description=__doc__)
    parser.add_argument("--people", type=int, default=400)
    args = parser.parse_args(argv)
    print(
        f"{args.people} people answering at once, SQLite, the real engine and ledger "
        "(fake telephony).\n"
    )
    print(
        "| ledger writes | writes | failed | transactions | lag p50 | lag p99 | lag max "
        "| all written after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for batched, name in ((True, "batched writer (the product)"), (False, "one transaction each")):
        with tempfile.TemporaryDirectory() as scratch:
            r = asyncio.run(burst(args.people, batched, Path(scratch)))
        print(
            f"| {name} | {r['writes']:.0f} | {r['failed']:.0f} | {r['transactions']:.0f} "
            f"| {r['p50'] * 1000:.0f} ms | {r['p99'] * 1000:.0f} ms | {r['max'] * 1000:.0f} ms "
            f"| {r['drained_s']:.2f} s |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
