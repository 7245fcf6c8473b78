"""One chaos run: the campaign, the robots, the faults, the quiet end, the verdict."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import secrets
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import httpx

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.csv_output import csv_writer
from dialer.errors import RigError
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.chaos import report
from dialer.rig.chaos.faults import Injected, Plan, Targets, inject, say
from dialer.rig.chaos.processes import (
    HOST,
    AmiRelay,
    Controller,
    SmallDisk,
    ThrowawayPostgres,
    free_port,
    wait_listening,
)
from dialer.rig.chaos.verdict import SURVIVED_AFTER_S, Verdict, judge, read_ledger
from dialer.rig.chaos.witnesses import (
    CDR,
    ChannelObserver,
    WebhookReceiver,
    channels,
    read_callee_log,
    read_cdr,
)
from dialer.rig.demo_accounts import TEAM_NAME, provision_demo_people
from dialer.rig.robot_agents import HandledCall, RobotAgent
from dialer.rig.robot_personas import Health, RandomPersonas
from dialer.rig.world import SimulatedWorld
from dialer.storage.alerts import TeamRepository
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.storage.ledger import AttemptLedger
from dialer.storage.ledger_audit import alert_ids
from dialer.telephony.ami import AmiClient

ROBOTS = 4
ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
RETRIES = RetryPolicy(
    max_attempts=2,
    busy_delay=timedelta(seconds=20),
    no_answer_delay=timedelta(seconds=20),
    failure_delay=timedelta(seconds=20),
    answered_delay=timedelta(seconds=20),
    min_gap_between_attempts=timedelta(seconds=10),
    time_of_day_spread=timedelta(0),
)
MIX = (
    (CalleeBehaviour.ANSWERS, 0.75),
    (CalleeBehaviour.BUSY, 0.10),
    (CalleeBehaviour.RINGS_FOREVER, 0.08),
    (CalleeBehaviour.HANGS_UP_AT_ONCE, 0.07),
)
#: more people at risk than in life, so that alerts are raised and delivered under faults
PERSONAS = RandomPersonas({Health.FINE: 0.55, Health.AT_RISK: 0.40, Health.EMERGENCY: 0.05})
SMALL_DISK_MB = 24


@dataclass(frozen=True)
class RunOptions:
    database: str  # "sqlite" or "postgresql"
    seed: int
    plan: Plan
    short: bool
    report: Path | None  # docs/reliability.md, or nothing


def agent_names() -> list[str]:
    return [f"agent-{1001 + i}" for i in range(ROBOTS)]


# ---- the register and the campaign -----------------------------------------------------------
def write_register(path: Path, people: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_writer(handle, lineterminator="\n")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        behaviours = [behaviour for behaviour, _ in MIX]
        weights = [weight for _, weight in MIX]
        for index in range(people):
            callee = SimulatedCallee(  # ring_s and serial make each number unique (< 1,000)
                rng.choices(behaviours, weights=weights)[0],
                ring_s=index // 100 + 1,
                talk_s=rng.randint(8, 20),
                serial=index % 100,
            )
            born = f"{index % 28 + 1:02d}/{index // 28 % 12 + 1:02d}/1940"
            writer.writerow([f"P{index:05d}", "Martin", f"Odette{index}", born, callee.number])


async def prepare(
    database_url: str,
    *, workdir: Path, people: int, rng: random.Random, password: str,
    receiver: WebhookReceiver,
) -> int:  # fmt: skip
    """The register imported, the accounts and the team (its webhook: ``receiver``), the
    campaign started; its id."""
    register = workdir / "registre.csv"
    write_register(register, people, rng)
    engine = create_engine(database_url)
    await migrate_engine(engine)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    await import_register(sessions, register, now=now)
    await TeamRepository(sessions).add(
        name=TEAM_NAME, is_default=True, webhook_url=receiver.url, webhook_secret=receiver.secret,
        now=now,
    )  # fmt: skip
    await provision_demo_people(sessions, agent_names(), password)
    heatwave = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=RETRIES,
        pacing_mode=PacingMode.PREDICTIVE,
    )
    started = await start_campaign(sessions, heatwave, now=now, name="Chaos")
    await engine.dispose()
    return started.campaign_id


# ---- the robot agents, logging in again after each restart -------------------------------------
async def robot_shift(
    url: str, agent: str, password: str, *, seed: int, stop: asyncio.Event,
    handled: list[HandledCall],
) -> Counter[str]:  # fmt: skip
    """One agent at the screen for the whole run, logging in again whenever the screen is
    lost; its calls are appended to ``handled``; returns why the screen was lost."""
    lost: Counter[str] = Counter()
    while not stop.is_set():
        robot = RobotAgent(
            url, agent, password, rng=random.Random(seed + lost.total()), wrap_up_s=2.0,
            callback_after=timedelta(seconds=30), personas=PERSONAS,
        )  # fmt: skip
        try:
            await robot.run(stop)
        except Exception as exc:
            reason = re.sub(r"[0-9a-f-]{36}", "<id>", f"{type(exc).__name__}: {exc}")[:150]
            if not lost[reason]:
                say(f"{agent}: screen lost: {reason}")
            lost[reason] += 1
            await asyncio.sleep(1.0)
        finally:
            handled.extend(robot.handled)
    return lost


# ---- the quiet end ----------------------------------------------------------------------------
async def ready_again(url: str, timeout_s: float) -> None:
    """Wait (bounded) until the controller answers ``/readyz`` (database and AMI ready)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(1)


async def settle_calls(ami: AmiClient, timeout_s: float) -> None:
    """Wait until no outbound call is up (the agents' legs stay)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not [c for c in await channels(ami) if c["Channel"].startswith("PJSIP/carrier-")]:
            return
        await asyncio.sleep(1)
    say(f"outbound calls still up after {timeout_s:.0f} s")


async def settle_wrap_ups(database_url: str, timeout_s: float) -> None:
    """Wait (bounded) until no handled call waits for its sheet: the robots, logging in
    again after the last restart (at the login rate limits' pace), finish those reopened
    for them."""
    engine = create_engine(database_url)
    ledger = AttemptLedger(create_session_factory(engine))
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if not await ledger.awaiting_wrap_up():
                return
            await asyncio.sleep(2)
        say(f"sheets still open after {timeout_s:.0f} s")
    finally:
        await engine.dispose()


async def settle_alerts(database_url: str, receiver: WebhookReceiver, timeout_s: float) -> None:
    """Wait until every alert in the ledger reached the webhook (the outbox retries)."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            raised = await alert_ids(sessions)
            if raised <= {d.alert_id for d in receiver.deliveries}:
                return
            await asyncio.sleep(2)
        say(f"alerts not delivered after {timeout_s:.0f} s")
    finally:
        await engine.dispose()


# ---- the run -----------------------------------------------------------------------------------
async def run_chaos(rig: Rig, world: SimulatedWorld, options: RunOptions) -> Verdict:
    """The whole run on a started rig and world; writes ``options.report`` if given."""
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{options.database}-"))
    rng = random.Random(options.seed)
    cdr_path = rig.root / "asterisk-root" / CDR
    cdr_offset = cdr_path.stat().st_size if cdr_path.exists() else 0
    callee_log = world.callees.messages_log
    callee_offset = callee_log.stat().st_size if callee_log.exists() else 0
    postgres = ThrowawayPostgres() if options.database == "postgresql" else None
    disk = SmallDisk(SMALL_DISK_MB) if options.database == "sqlite" else None
    relay = AmiRelay(rig.settings.ami.port)
    receiver = WebhookReceiver(secrets.token_urlsafe(32), workdir / "webhook-deliveries.jsonl")
    observer = ChannelObserver(rig.ami_credentials())
    handled: list[HandledCall] = []
    try:
        if postgres is not None:
            await asyncio.to_thread(postgres.start)
            database_url = postgres.url
        else:
            if disk is None:
                raise RigError(f"database {options.database!r}: sqlite or postgresql")
            await asyncio.to_thread(disk.mount)
            database_url = f"sqlite+aiosqlite:///{disk.path / 'chaos.db'}"
        await relay.start()
        await receiver.start()
        observer.start()
        faults = await _campaign(
            options, rig=rig, world=world, database_url=database_url, workdir=workdir, rng=rng,
            relay=relay, receiver=receiver, observer=observer, handled=handled,
            postgres=postgres, disk=disk,
        )  # fmt: skip
        ledger = await read_ledger(database_url)
    finally:
        try:
            await observer.stop()
            await receiver.stop()
            await relay.stop()
        finally:
            if postgres is not None:
                await asyncio.to_thread(postgres.stop)
            if disk is not None:
                disk.unmount()
    _write_robot_log(workdir / "robot-sheets.jsonl", handled)
    verdict = judge(
        ledger, cdr=read_cdr(cdr_path, cdr_offset),
        received=read_callee_log(callee_log, callee_offset), faults=faults, handled=handled,
        deliveries=receiver.deliveries, observer=observer, max_attempts=RETRIES.max_attempts,
    )  # fmt: skip
    facts = report.RunFacts(
        options.database, options.seed, options.plan, options.short, ROBOTS,
        time.monotonic() - began,
    )  # fmt: skip
    print(report.section(facts, verdict))
    say(f"witness logs in {workdir}")
    if options.report is not None:
        report.write(options.report, facts, verdict, SURVIVED_AFTER_S)
    return verdict


async def _campaign(
    options: RunOptions,
    *,
    rig: Rig,
    world: SimulatedWorld,
    database_url: str,
    workdir: Path,
    rng: random.Random,
    relay: AmiRelay,
    receiver: WebhookReceiver,
    observer: ChannelObserver,
    handled: list[HandledCall],
    postgres: ThrowawayPostgres | None,
    disk: SmallDisk | None,
) -> list[Injected]:
    password = secrets.token_urlsafe(12)
    web_port = free_port()
    async with AmiClient(rig.ami_credentials()) as ami:
        await world.wait_registered(ami)
        campaign_id = await prepare(
            database_url, workdir=workdir, people=options.plan.people, rng=rng,
            password=password, receiver=receiver,
        )  # fmt: skip
    controller = Controller(
        database_url, web_port, relay.port, campaign_id, workdir / "controller.log"
    )
    controller.start()
    try:
        await wait_listening(web_port)
        url = f"http://{HOST}:{web_port}"
        say(f"{options.database}: {options.plan.people} people, {ROBOTS} robots, {url}, {workdir}")
        stop = asyncio.Event()
        shifts = [
            asyncio.create_task(
                robot_shift(url, agent, password, seed=options.seed + i, stop=stop, handled=handled)
            )
            for i, agent in enumerate(agent_names())
        ]
        targets = Targets(
            rig, world, controller, relay, observer, agent_names(), postgres=postgres, disk=disk
        )
        faults = await inject(options.plan.schedule(rng), targets)
        # the campaign goes on without faults: from the controller's being ready again (a
        # late SIGKILL's restart can take half a minute), for the robots to log in again and
        # finish the sheets reopened for them before they stop
        await ready_again(url, 90)
        await asyncio.sleep(20)
        await settle_wrap_ups(database_url, 90)
        stop.set()
        say("robots finishing their calls and pausing")
        lost = sum(await asyncio.wait_for(asyncio.gather(*shifts), 120), Counter[str]())
        say(f"robots lost their screen {lost.total()} times: {lost.most_common(5)}")
        async with AmiClient(rig.ami_credentials()) as ami:
            await settle_calls(ami, 60)
        await settle_alerts(database_url, receiver, 60)
        await asyncio.sleep(3)
    finally:
        controller.stop()
    return faults


def _write_robot_log(path: Path, handled: list[HandledCall]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for call in handled:
            document = asdict(call)
            document["popped_at"] = call.popped_at.isoformat()
            handle.write(json.dumps(document, default=str) + "\n")
