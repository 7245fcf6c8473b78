"""The engine's reaction to an answered person under a login flood:
``.venv/bin/python -m bench.login_flood``.

One process, one event loop, as ``dialer serve`` runs them: the dialing engine (the fake
telephony node of :mod:`dialer.testing`, an in-memory ledger, one agent) and the real web
application served by uvicorn on 127.0.0.1, with real Argon2 costs. Another process runs
``--clients`` (40) clients posting wrong passwords to ``/connexion`` in a loop, each with
a new username every time (an unknown username costs the same verification, against a
decoy). Meanwhile, every ``--gap-ms``, a call is answered: measured is the time from the
answer reaching the engine to the engine asking the node to join the person to the agent
(the join window is 1.5 s: beyond it the person hears the information message).

Rows: without any flood; under the flood with the default login limits; under the flood
with the global and per-address limits lifted (every attempt runs Argon2, in the password
threads); and, for reference, under the flood with Argon2 run on the event loop as before
issue 16 (limits lifted too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import uvicorn

from dialer.clock import utcnow
from dialer.core.agent_states import AgentState
from dialer.core.login_limits import LoginRates
from dialer.core.pacing import PacingDecision
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.desk.passwords import Passwords
from dialer.engine.engine import DialingEngine
from dialer.engine.ports import NoScreens, PlannedDial
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.service import freeze_startup_objects, start_serving
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.telephony.port import (
    CallAnswered,
    CallEnded,
    CallJoined,
    DialRequest,
    NodeConnected,
)
from dialer.testing import FakeNode, MemoryAttemptLog, MemoryQueue
from dialer.web.app import create_app

AGENT = "agent1"
PASSWORD = "le bon mot de passe de l'agent"  # noqa: S105 - the bench's own account
LOGIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NO_LIMITS = LoginRates(
    per_second=1e6, burst=1_000_000, per_address_per_minute=1e8, per_address_burst=1_000_000
)


class OnLoopPasswords(Passwords):
    """Argon2 verified on the event loop, as before issue 16 (for the reference row)."""

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return self._verify(password_hash, password)


class TimedNode(FakeNode):
    """Notes when the engine places a call and when it asks for a join."""

    def __init__(self) -> None:
        super().__init__()
        self.placed_event = asyncio.Event()
        self.joined_at: dict[str, float] = {}
        self.joined_event = asyncio.Event()

    async def place_call(self, request: DialRequest) -> None:
        await super().place_call(request)
        self.placed_event.set()

    async def join(self, attempt_id: str, agent: str, leg_id: str) -> bool:
        self.joined_at[attempt_id] = time.perf_counter()
        self.joined_event.set()
        return await super().join(attempt_id, agent, leg_id)


class EndedCalls(NoScreens):
    """The engine's screen notifier: notes when a call has ended (the agent wraps up)."""

    def __init__(self) -> None:
        self.call_ended = asyncio.Event()

    async def ended(self, agent: str, attempt_id: str) -> None:
        self.call_ended.set()


def one_per_ready_agent(engine: DialingEngine, _now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    calls = len(engine.calls.all())
    return PacingDecision(max(0, ready - calls), "one call per ready agent")


@dataclass
class Row:
    title: str
    reactions_ms: list[float]
    flood: dict[str, float]


def answer_later(
    loop: asyncio.AbstractEventLoop, node: TimedNode, attempt_id: str, gap_s: float
) -> float:
    """The telephone network, on a thread of its own: the person answers at a random
    moment within ``gap_s`` whatever the event loop is doing (as AMI events arrive on the
    socket); returns when."""
    time.sleep(random.uniform(0, gap_s))
    answered = time.perf_counter()
    loop.call_soon_threadsafe(node.events.put_nowait, CallAnswered(attempt_id, utcnow()))
    return answered


async def one_reaction(
    engine: DialingEngine, node: TimedNode, screens: EndedCalls, gap_s: float
) -> float:
    """Wait for the engine to dial, have the call answered from outside the loop, time
    the join; end the call and the agent's wrap-up."""
    async with asyncio.timeout(30):
        while not node.placed or node.placed[-1].attempt_id in node.joined_at:
            node.placed_event.clear()
            await node.placed_event.wait()
    attempt = node.placed[-1].attempt_id
    node.joined_event.clear()
    loop = asyncio.get_running_loop()
    answered = await asyncio.to_thread(answer_later, loop, node, attempt, gap_s)
    async with asyncio.timeout(30):
        while attempt not in node.joined_at:
            await node.joined_event.wait()
            node.joined_event.clear()
    reaction = (node.joined_at[attempt] - answered) * 1000
    screens.call_ended.clear()
    node.events.put_nowait(CallJoined(attempt, f"bridge-{attempt}", utcnow()))
    node.events.put_nowait(CallEnded(attempt, 16, None, utcnow()))
    async with asyncio.timeout(30):
        await screens.call_ended.wait()
    await engine.finish_wrap_up(AGENT)
    return reaction


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def scenario(
    title: str,
    workdir: Path,
    *,
    flood_clients: int,
    rates: LoginRates | None,
    passwords: Passwords,
    samples: int,
    gap_ms: float,
) -> Row:
    began = time.monotonic()
    database = create_engine(f"sqlite+aiosqlite:///{workdir / (str(free_port()) + '.db')}")
    await migrate_engine(database)
    sessions = create_session_factory(database)
    await create_account(sessions, AGENT, PASSWORD, Role.AGENT, passwords=passwords)
    node = TimedNode()
    screens = EndedCalls()
    ledger = MemoryAttemptLog()
    dials = [
        PlannedDial(f"att-{n}", person_id=n, cycle_id=1, number=f"+3314000{n:04d}")
        for n in range(samples + 50)
    ]
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=MemoryQueue(ledger, dials),
        pacer=one_per_ready_agent,
        screens=screens,
        tick_s=0.02,
    )
    await engine.handle(NodeConnected(node.name, utcnow()), node)
    await engine.log_in(AGENT, AGENT)
    engine.go_ready(AGENT)
    await engine.start()
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=QuestionnaireCatalog(),
        secret_key="b" * 48,
        secure_cookies=False,
        passwords=passwords,
        login_rates=rates,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    freeze_startup_objects()  # as dialer serve does
    serving = await start_serving(server)
    flood: dict[str, float] = {}
    try:
        for _ in range(3):  # warm-up
            await one_reaction(engine, node, screens, gap_ms / 1000)
        flooder = None
        if flood_clients:
            flooder = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.login_flood", "--flood", f"http://127.0.0.1:{port}",
                "--clients", str(flood_clients),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert flooder.stdout is not None
            await flooder.stdout.readline()  # "ready": every client is posting
        reactions = []
        for _ in range(samples):
            reactions.append(await one_reaction(engine, node, screens, gap_ms / 1000))
        if flooder is not None:
            assert flooder.stdin is not None
            flooder.stdin.write(b"stop\n")
            await flooder.stdin.drain()
            assert flooder.stdout is not None
            flood = json.loads(await flooder.stdout.readline())
            flooder.kill()  # its clients' last requests are not waited for
            await flooder.wait()
    finally:
        server.should_exit = True
        await serving
        await engine.stop()
        await database.dispose()
    print(f"{title}: {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
    return Row(title, reactions, flood)


# ---- the flood (a process of its own) ----------------------------------------------------
async def flood_client(url: str, number: int, counts: Counter[int], stop: asyncio.Event) -> None:
    """One browser (its own cookies): the form once, then wrong logins until stopped."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        page = await http.get("/connexion")
        found = LOGIN_CSRF.search(page.text)
        token = found.group(1) if found else ""
        attempt = 0
        while not stop.is_set():
            attempt += 1
            response = await http.post(
                "/connexion",
                data={
                    "identifiant": f"essai-{number}-{attempt}",
                    "mot_de_passe": "pas le bon mot de passe",
                    "csrf": token,
                },
            )
            counts[response.status_code] += 1
            renewed = LOGIN_CSRF.search(response.text)  # a refused login shows a new form
            if renewed is not None:
                token = renewed.group(1)


async def flood(url: str, clients: int) -> None:
    """Post wrong logins from ``clients`` clients until a line arrives on stdin; print the
    counts by status, and the rate, as JSON. At the lowest CPU priority: the attackers'
    own work stands for machines elsewhere, not for the server's."""
    os.nice(19)
    counts: Counter[int] = Counter()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(flood_client(url, n, counts, stop)) for n in range(clients)]
    await asyncio.sleep(1.0)  # every client has its form and posts
    counts.clear()
    started = time.monotonic()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    seconds = time.monotonic() - started
    result = {str(status): float(count) for status, count in sorted(counts.items())}
    result["per_s"] = round(sum(counts.values()) / seconds, 1)
    stop.set()
    print(json.dumps(result), flush=True)
    await asyncio.gather(*tasks, return_exceptions=True)


# ---- the report --------------------------------------------------------------------------
def summary(row: Row) -> str:
    values = sorted(row.reactions_ms)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    flood = row.flood
    if flood:
        answered = ", ".join(
            f"{int(count)}×{status}" for status, count in flood.items() if status != "per_s"
        )
        flood_text = f"{flood['per_s']:.0f}/s ({answered})"
    else:
        flood_text = "—"
    return (
        f"| {row.title} | {statistics.median(values):.2f} | {p95:.2f} | {values[-1]:.2f} "
        f"| {flood_text} |"
    )


async def measure(clients: int, samples: int, gap_ms: float) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pool = Passwords()
        return [
            await scenario(
                "no flood", workdir, flood_clients=0, rates=None, passwords=pool,
                samples=samples, gap_ms=gap_ms,
            ),
            await scenario(
                f"{clients} clients, default login limits", workdir, flood_clients=clients,
                rates=None, passwords=pool, samples=samples, gap_ms=gap_ms,
            ),
            await scenario(
                f"{clients} clients, limits lifted (every attempt runs Argon2, off the loop)",
                workdir, flood_clients=clients, rates=NO_LIMITS, passwords=pool,
                samples=samples, gap_ms=gap_ms,
            ),
            await scenario(
                f"{clients} clients, limits lifted, Argon2 on the event loop (before issue 16)",
                workdir, flood_clients=clients, rates=NO_LIMITS, passwords=OnLoopPasswords(),
                samples=samples, gap_ms=gap_ms,
            ),
        ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--gap-ms", type=float, default=100.0)
    parser.add_argument("--flood", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        asyncio.run(flood(args.flood, args.clients))
        return
    rows = asyncio.run(measure(args.clients, args.samples, args.gap_ms))
    print(
        f"The engine's reaction to an answered person (answer → join asked), {args.samples} "
        f"answers, each at a random moment within {args.gap_ms:.0f} ms, pushed from a thread "
        "(as AMI events arrive whatever the loop is doing). The web app runs on uvicorn in "
        f"the engine's event loop, with real Argon2 ({Passwords().workers} password "
        "thread(s)). The flood: wrong passwords, a new username each time, from another "
        "process on 127.0.0.1 (at nice 19: it stands for machines elsewhere); its rate is "
        "over the measuring window.\n"
    )
    print("| Scenario | median ms | p95 ms | max ms | flood: logins/s (by status) |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(summary(row))


if __name__ == "__main__":
    main()
