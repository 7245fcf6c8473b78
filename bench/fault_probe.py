"""Fault probe on the real rig: ``.venv/bin/python -m bench.fault_probe [--seed N]``.

Issue 24's counts, measured. A short predictive campaign (simulated people who answer, are
busy or never answer; robot agents working through the web screens) runs while the
controller, a subprocess serving ``running_service``, is SIGKILLed and restarted, its AMI
connection (through a TCP relay of the probe's own) is cut, it is frozen once with SIGSTOP
for 10 s, and one agent's baresip is killed mid-call. At seeded random instants.

At the end (robots paused, no call in progress, controller stopped) the ledger is compared
with what the controller does not write, Asterisk's CDR (one record per channel, keyed by
the attempt id), and the counts are printed. Exit status 1 if any count is not zero.

Run it alone on the rig: ``flock /tmp/rig.lock .venv/bin/python -m bench.fault_probe``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.templates import template
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.robot_agents import RobotAgent
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings
from dialer.storage.database import (
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleMember
from dialer.telephony.ami import AmiClient, AmiCredentials

HOST = "127.0.0.1"
AGENTS = 5  # the rig's softphones (as the real-rig tests use it)
ROBOTS = 4
CDR = Path("var/log/asterisk/cdr-csv/Master.csv")
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
IN_FLIGHT = {"planned", "dialing", "ringing", "answered", "bridged"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


# ---- the controller, in its own process -------------------------------------------------------
def probe_settings(database: Path, web_port: int) -> Settings:
    return Settings(
        rig={"agents": AGENTS},  # type: ignore[arg-type]
        database_url=f"sqlite+aiosqlite:///{database}",
        web={  # type: ignore[arg-type]
            "host": HOST,
            "port": web_port,
            "secure_cookies": False,
            "public_url": f"http://{HOST}:{web_port}",
        },
    )


async def serve(database: Path, web_port: int, ami_port: int, campaign_id: int) -> None:
    """The controller: the whole service on the probe's database, AMI through the relay."""
    settings = probe_settings(database, web_port)
    rig_ami = Rig(settings).ami_credentials()
    ami = AmiCredentials(HOST, ami_port, rig_ami.username, rig_ami.secret)
    async with running_service(
        settings, campaign_id=campaign_id, ami=ami, secret_key=os.environ["PROBE_SECRET_KEY"],
        ring_timeout_s=15, tick_s=0.5,
    ):  # fmt: skip
        await asyncio.Event().wait()


class Controller:
    def __init__(self, database: Path, web_port: int, ami_port: int, campaign_id: int) -> None:
        self.args = [
            sys.executable, "-m", "bench.fault_probe", "--serve", str(database),
            str(web_port), str(ami_port), str(campaign_id),
        ]  # fmt: skip
        self.log = database.parent / "controller.log"
        self.env = {**os.environ, "PROBE_SECRET_KEY": secrets.token_urlsafe(48)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=log, env=self.env)

    def signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.process is not None
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGINT)  # asyncio.run's KeyboardInterrupt: a clean stop
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


# ---- the AMI relay ------------------------------------------------------------------------------
class AmiRelay:
    """127.0.0.1:port → Asterisk's AMI; :meth:`cut` closes every connection (the controller
    reconnects through the relay)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            ami_r, ami_w = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers |= {client_w, ami_w}

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await reader.read(65536):
                    writer.write(data)
            writer.close()

        await asyncio.gather(pump(client_r, ami_w), pump(ami_r, client_w))
        self._writers -= {client_w, ami_w}

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


# ---- the robot agents, logging in again after each restart -------------------------------------
async def robot_shift(
    url: str, agent: str, password: str, seed: int, stop: asyncio.Event
) -> Counter[str]:
    """One agent at the screen for the whole probe, logging in again whenever the screen
    is lost; returns why it was lost (the controller's restarts, mostly)."""
    lost: Counter[str] = Counter()
    while not stop.is_set():
        robot = RobotAgent(
            url, agent, password, rng=random.Random(seed + lost.total()), wrap_up_s=2.0,
            callback_after=timedelta(seconds=30),
        )  # fmt: skip
        try:
            await robot.run(stop)
        except Exception as exc:  # the controller died under it: log in again
            reason = re.sub(r"[0-9a-f-]{36}", "<id>", f"{type(exc).__name__}: {exc}")[:150]
            if not lost[reason]:
                say(f"{agent}: screen lost: {reason}")
            lost[reason] += 1
            await asyncio.sleep(1.0)
    return lost


# ---- the register and the campaign -----------------------------------------------------------
def write_register(path: Path, people: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        behaviours = [behaviour for behaviour, _ in MIX]
        weights = [weight for _, weight in MIX]
        for index in range(people):
            callee = SimulatedCallee(
                rng.choices(behaviours, weights=weights)[0],
                ring_s=rng.randint(1, 4),
                talk_s=rng.randint(8, 20),
                serial=index % 100,
            )
            born = f"{index % 28 + 1:02d}/{index // 28 % 12 + 1:02d}/1940"
            writer.writerow([f"P{index:05d}", "Martin", f"Odette{index}", born, callee.number])


async def prepare(database: Path, people: int, rng: random.Random, password: str) -> int:
    register = database.parent / "registre.csv"
    write_register(register, people, rng)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await migrate_engine(engine)
    sessions = create_session_factory(engine)
    await import_register(sessions, register, now=datetime.now(UTC))
    await provision_demo_people(sessions, agent_names(), password)
    heatwave = replace(
        template("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=RETRIES,
        pacing_mode=PacingMode.PREDICTIVE,
    )
    started = await start_campaign(sessions, heatwave, now=datetime.now(UTC), name="Sonde")
    await engine.dispose()
    return started.campaign_id


def agent_names() -> list[str]:
    return [f"agent-{1001 + i}" for i in range(ROBOTS)]


# ---- the faults -------------------------------------------------------------------------------
@dataclass
class Faults:
    kills: list[float]
    cuts: list[float]
    freeze_at: float
    phone_kill_at: float
    dead_legs: set[str] = field(default_factory=set)  # the killed phone's channel names
    up_at_phone_kill: set[str] = field(default_factory=set)  # channels up then (unique ids)
    phone_killed: str = ""
    phone_killed_at: datetime | None = None


def schedule(rng: random.Random, kills: int, cuts: int, span_s: float) -> Faults:
    def instants(count: int) -> list[float]:
        return sorted(rng.uniform(15, span_s) for _ in range(count))

    return Faults(instants(kills), instants(cuts), rng.uniform(20, span_s), rng.uniform(20, span_s))


async def wait_listening(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the controller did not listen on {port} within {timeout_s} s")


async def channels(ami: AmiClient) -> list[dict[str, str]]:
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return [dict(r.headers) for r in replies if r.name == "CoreShowChannel"]


async def kill_a_phone_mid_call(
    world: SimulatedWorld, ami: AmiClient, faults: Faults, deadline: float
) -> None:
    """Wait (until ``deadline``) for a robot agent's phone in a call, and kill it."""
    robots = set(agent_names())
    while True:
        up = await channels(ami)
        bridged = {
            c["Channel"].rsplit("-", 1)[0].removeprefix("PJSIP/")
            for c in up
            if c["Channel"].startswith("PJSIP/agent-") and c.get("BridgeId")
        }
        in_call = sorted(bridged & robots)
        if in_call or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    victim = in_call[0] if in_call else sorted(robots)[0]
    phone = next(p for p in world.softphones if p.account.username == victim)
    faults.phone_killed = victim
    faults.dead_legs = {c["Channel"] for c in up if c["Channel"].startswith(f"PJSIP/{victim}-")}
    faults.up_at_phone_kill = {c.get("Uniqueid", "") for c in up}
    phone.kill()
    faults.phone_killed_at = datetime.now(UTC).replace(microsecond=0)
    say(f"baresip of {victim} killed ({'in a call' if in_call else 'idle'}): {faults.dead_legs}")
    await asyncio.sleep(10)
    phone.start()


async def inject(
    faults: Faults,
    *,
    controller: Controller,
    relay: AmiRelay,
    world: SimulatedWorld,
    ami: AmiClient,
    web_port: int,
) -> None:
    began = time.monotonic()
    events = sorted(
        [(t, "kill") for t in faults.kills]
        + [(t, "cut") for t in faults.cuts]
        + [(faults.freeze_at, "freeze"), (faults.phone_kill_at, "phone")]
    )
    for at, kind in events:
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        if kind == "kill":
            controller.kill()
            say("controller SIGKILLed; restarting")
            controller.start()
            await wait_listening(web_port)
        elif kind == "cut":
            relay.cut()
            say("AMI connection cut")
        elif kind == "freeze":
            controller.signal(signal.SIGSTOP)
            say("controller SIGSTOPped for 10 s")
            await asyncio.sleep(10)
            controller.signal(signal.SIGCONT)
        else:
            await kill_a_phone_mid_call(world, ami, faults, time.monotonic() + 20)


# ---- the verdict ------------------------------------------------------------------------------
@dataclass
class CdrCall:
    """Asterisk's records of one outbound channel (one attempt)."""

    start: datetime
    end: datetime
    answered: bool = False
    bridged_to: set[str] = field(default_factory=set)
    reached_join: bool = False  # the controller moved it to [dialer-join]
    information: bool = False  # the information message was played (or begun)


def read_cdr(path: Path, offset: int) -> dict[str, CdrCall]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        rows = list(csv.reader(handle))
    calls: dict[str, CdrCall] = {}
    for row in rows:
        if len(row) < 17 or not row[5].startswith("PJSIP/carrier-"):
            continue
        start = datetime.fromisoformat(row[9]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(row[11]).replace(tzinfo=UTC)
        call = calls.setdefault(row[16], CdrCall(start, end))
        call.start, call.end = min(call.start, start), max(call.end, end)
        call.answered |= row[14] == "ANSWERED"
        if row[7] == "Bridge" and row[6]:
            call.bridged_to.add(row[6])
        call.reached_join |= row[3] == "dialer-join"
        # the message, then Hangup(16) (the probe never turns AMD on, whose Hangup is another)
        call.information |= (row[7] == "Playback" and row[8] == "dialer/information") or (
            row[7] == "Hangup" and row[3] in {"dialer-answered", "dialer-join"}
        )
    return calls


async def ledger(database: Path) -> tuple[list[Attempt], list[CycleMember]]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        attempts = list(await session.scalars(select(Attempt)))
        members = list(await session.scalars(select(CycleMember)))
    await engine.dispose()
    return attempts, members


def attempt_faults(a: Attempt, call: CdrCall | None, faults: Faults) -> list[tuple[str, str]]:
    """What is wrong with one attempt, checked against its CDR: (count, detail)."""
    tag = f"{a.id} person {a.person_id} {a.state.value}/{a.outcome.value if a.outcome else None}"
    found: list[tuple[str, str]] = []
    if a.state.value in IN_FLIGHT:
        found.append(("people stuck", f"attempt {tag} never closed"))
    if a.bridged_at is not None and a.wrap_up_done_at is None:
        found.append(("wrap-ups never closed", tag))
    if call is None:
        if a.placed_at is not None:
            found.append(("attempts dialled without a CDR entry", tag))
        return found
    outcome = a.outcome.value if a.outcome else None
    if call.bridged_to and outcome != "answered":
        found.append(("wrong outcomes", f"{tag}: bridged in the CDR"))
    elif outcome == "hung_up" and a.bridged_at is not None:
        found.append(("wrong outcomes", f"{tag}: hung_up with bridged_at"))
    elif outcome == "answered" and not call.bridged_to and not call.reached_join:
        found.append(("wrong outcomes", f"{tag}: answered, never bridged in the CDR"))
    if call.information and not call.bridged_to and outcome != "abandoned":
        found.append(("lost abandons", f"{tag}: information played in the CDR"))
    killed = faults.phone_killed_at
    if (
        killed is not None
        and call.bridged_to & faults.dead_legs
        and call.start >= killed
        and a.id not in faults.up_at_phone_kill
    ):
        found.append(("calls joined to a dead agent leg", f"{tag}: {sorted(call.bridged_to)}"))
    return found


def dialled_twice_at_once(attempts: list[Attempt], cdr: dict[str, CdrCall]) -> list[str]:
    """People with two outbound channels up at the same time (CDR, 1-s resolution)."""
    person_of = {a.id: a.person_id for a in attempts}
    spans: dict[int, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for unique_id, call in cdr.items():
        if unique_id in person_of:
            spans[person_of[unique_id]].append((call.start, call.end, unique_id))
    return [
        f"person {person}: {first} {second}"
        for person, person_spans in spans.items()
        for (_, end, first), (start, _, second) in itertools.pairwise(sorted(person_spans))
        if start < end
    ]


async def verdict(database: Path, cdr: dict[str, CdrCall], faults: Faults) -> dict[str, list[str]]:
    attempts, members = await ledger(database)
    found: dict[str, list[str]] = defaultdict(list)
    for member in members:
        if member.status.value in {"in_call", "wrap_up"}:
            found["people stuck"].append(f"person {member.person_id} {member.status.value}")
    for a in attempts:
        for name, detail in attempt_faults(a, cdr.get(a.id), faults):
            found[name].append(detail)
    found["CDR calls without an attempt"] = sorted(set(cdr) - {a.id for a in attempts})
    found["people dialled twice at once"] = dialled_twice_at_once(attempts, cdr)
    outcomes: dict[str, int] = defaultdict(int)
    for a in attempts:
        outcomes[a.outcome.value if a.outcome else a.state.value] += 1
    say(f"ledger: {len(attempts)} attempts {dict(outcomes)}; CDR: {len(cdr)} outbound channels")
    return found


COUNTS = (
    "people stuck",
    "wrap-ups never closed",
    "wrong outcomes",
    "lost abandons",
    "calls joined to a dead agent leg",
    "attempts dialled without a CDR entry",
    "CDR calls without an attempt",
    "people dialled twice at once",
)


async def settle(ami: AmiClient, timeout_s: float) -> None:
    """Wait until no outbound call is up (the agents' legs stay)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not [c for c in await channels(ami) if c["Channel"].startswith("PJSIP/carrier-")]:
            return
        await asyncio.sleep(1)
    say(f"outbound calls still up after {timeout_s:.0f} s")


async def campaign_under_faults(
    rig: Rig, world: SimulatedWorld, relay: AmiRelay, workdir: Path, options: argparse.Namespace
) -> Faults:
    """The campaign, the faults at their instants, then a quiet end: robots paused, no
    call up, the controller stopped."""
    rng = random.Random(options.seed)
    database = workdir / "probe.db"
    password = secrets.token_urlsafe(12)
    web_port = free_port()
    async with AmiClient(rig.ami_credentials()) as ami:
        await world.wait_registered(ami)
        campaign_id = await prepare(database, options.people, rng, password)
        controller = Controller(database, web_port, relay.port, campaign_id)
        controller.start()
        try:
            await wait_listening(web_port)
            url = f"http://{HOST}:{web_port}"
            say(f"{options.people} people, {ROBOTS} robots, controller at {url}, in {workdir}")
            stop = asyncio.Event()
            shifts = [
                asyncio.create_task(robot_shift(url, agent, password, options.seed + i, stop))
                for i, agent in enumerate(agent_names())
            ]
            faults = schedule(rng, options.kills, options.ami_cuts, options.span)
            await inject(
                faults, controller=controller, relay=relay, world=world, ami=ami, web_port=web_port
            )
            await asyncio.sleep(20)  # the campaign goes on without faults
            stop.set()
            say("robots finishing their calls and pausing")
            lost = sum(await asyncio.wait_for(asyncio.gather(*shifts), 90), Counter[str]())
            say(f"robots lost their screen {lost.total()} times: {lost.most_common(5)}")
            await settle(ami, 60)
            await asyncio.sleep(3)
        finally:
            controller.stop()
    return faults


async def probe(options: argparse.Namespace) -> int:
    rig = Rig(Settings(rig={"agents": AGENTS}))  # type: ignore[arg-type]
    await asyncio.to_thread(rig.provision)
    started_rig = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    cdr_path = rig.root / "asterisk-root" / CDR
    cdr_offset = cdr_path.stat().st_size if cdr_path.exists() else 0
    workdir = Path(tempfile.mkdtemp(prefix="fault-probe-"))
    relay = AmiRelay(rig.settings.ami.port)
    await relay.start()
    try:
        faults = await campaign_under_faults(rig, world, relay, workdir, options)
    finally:
        await relay.stop()
        world.stop()
        if started_rig:
            await rig.stop()
    found = await verdict(workdir / "probe.db", read_cdr(cdr_path, cdr_offset), faults)
    print(f"Fault probe (seed {options.seed}): {options.people} people, {ROBOTS} robot agents;")
    print(f"controller SIGKILLed {options.kills}x, AMI cut {options.ami_cuts}x, SIGSTOPped 10 s")
    print(f"once, baresip of {faults.phone_killed} killed once; ledger vs Asterisk's CDR.\n")
    for name in COUNTS:
        print(f"  {name:<38} {len(found.get(name, []))}")
        for detail in found.get(name, [])[:10]:
            print(f"      {detail}")
    return 1 if any(found.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fault_probe", description=__doc__)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--people", type=int, default=80)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--ami-cuts", type=int, default=5)
    parser.add_argument("--span", type=float, default=150.0, help="seconds of faults")
    parser.add_argument("--serve", nargs=4, metavar=("DB", "WEB", "AMI", "CAMPAIGN"))
    args = parser.parse_args()
    if args.serve:
        db, web, ami, campaign = args.serve
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(Path(db), int(web), int(ami), int(campaign)))
        return 0
    return asyncio.run(probe(args))


if __name__ == "__main__":
    raise SystemExit(main())
