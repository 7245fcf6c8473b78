"""The faults: how many of each kind (:class:`Plan`), when (a seeded schedule), and their
injection, each recorded (:class:`Injected`) with when it hit and when it was lifted."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from dialer.errors import ProvisioningError, RigError
from dialer.rig.asterisk import Rig
from dialer.rig.chaos.processes import (
    AmiRelay,
    Controller,
    SmallDisk,
    ThrowawayPostgres,
    wait_listening,
)
from dialer.rig.chaos.witnesses import ChannelObserver, channels
from dialer.rig.world import SimulatedWorld
from dialer.telephony.ami import AmiClient, AmiCredentials

FREEZE_S = 10.0  # the controller's AMI keep-alive is 2 s (AsteriskNode's default)
DISK_FULL_S = 8.0
PHONE_DEAD_S = 10.0


class Kind(StrEnum):
    AMI_CUT = "ami_cut"
    CONTROLLER_KILL = "controller_kill"
    CONTROLLER_FREEZE = "controller_freeze"
    ASTERISK_RESTART = "asterisk_restart"
    PHONE_KILL = "phone_kill"
    POSTGRES_RESTART = "postgres_restart"
    DISK_FULL = "disk_full"


LABELS = {
    Kind.AMI_CUT: "AMI connection cut (TCP relay aborted)",
    Kind.CONTROLLER_KILL: "controller SIGKILLed and started again",
    Kind.CONTROLLER_FREEZE: f"controller frozen (SIGSTOP) for {FREEZE_S:.0f} s",
    Kind.ASTERISK_RESTART: "Asterisk restarted (core restart now)",
    Kind.PHONE_KILL: f"an agent's softphone killed mid-call (back after {PHONE_DEAD_S:.0f} s)",
    Kind.POSTGRES_RESTART: "PostgreSQL restarted (pg_ctl restart -m fast)",
    Kind.DISK_FULL: f"the SQLite file's disk (tmpfs) full for {DISK_FULL_S:.0f} s",
}


@dataclass(frozen=True)
class Plan:
    """How many faults of each kind over ``span_s`` seconds of campaign."""

    counts: dict[Kind, int]
    span_s: float
    people: int

    def schedule(self, rng: random.Random) -> list[tuple[float, Kind]]:
        """Seeded instants (seconds from the start), the first after 15 s."""
        return sorted(
            (rng.uniform(15, self.span_s), kind)
            for kind, count in self.counts.items()
            for _ in range(count)
        )


def full_plan(database: str) -> Plan:
    """The issue's counts: ≥ 50 AMI cuts, ≥ 20 SIGKILLs, ≥ 3 Asterisk restarts, …"""
    counts = {
        Kind.AMI_CUT: 50,
        Kind.CONTROLLER_KILL: 20,
        Kind.CONTROLLER_FREEZE: 2,
        Kind.ASTERISK_RESTART: 3,
        Kind.PHONE_KILL: 2,
        Kind.POSTGRES_RESTART if database == "postgresql" else Kind.DISK_FULL: 3,
    }
    return Plan(counts, span_s=540.0, people=300)


def short_plan(database: str) -> Plan:
    """A few faults of each kind (CI)."""
    counts = {
        Kind.AMI_CUT: 3,
        Kind.CONTROLLER_KILL: 2,
        Kind.CONTROLLER_FREEZE: 1,
        Kind.ASTERISK_RESTART: 1,
        Kind.PHONE_KILL: 1,
        Kind.POSTGRES_RESTART if database == "postgresql" else Kind.DISK_FULL: 1,
    }
    return Plan(counts, span_s=110.0, people=80)


@dataclass
class Injected:
    kind: Kind
    hit_at: float  # wall clock (epoch seconds)
    lifted_at: float
    detail: str = ""
    in_progress: set[str] = field(default_factory=set)  # outbound calls up when it hit
    dead_legs: set[str] = field(default_factory=set)  # a killed phone's channels


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


@dataclass
class Targets:
    rig: Rig
    world: SimulatedWorld
    controller: Controller
    relay: AmiRelay
    observer: ChannelObserver
    robots: list[str]
    postgres: ThrowawayPostgres | None = None
    disk: SmallDisk | None = None


async def inject(plan: list[tuple[float, Kind]], targets: Targets) -> list[Injected]:
    """Each fault at its instant (or as soon as the previous one is lifted)."""
    began = time.monotonic()
    done: list[Injected] = []
    for at, kind in plan:
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        hit = time.time()
        fault = Injected(kind, hit, hit, in_progress=targets.observer.up_at(hit))
        await _apply(fault, targets)
        fault.lifted_at = time.time()
        say(f"{LABELS[kind]}: {fault.detail} ({len(fault.in_progress)} calls up)")
        done.append(fault)
    return done


async def _apply(fault: Injected, t: Targets) -> None:
    match fault.kind:
        case Kind.AMI_CUT:
            fault.detail = f"{t.relay.cut()} session(s) cut"
        case Kind.CONTROLLER_KILL:
            t.controller.kill()
            t.controller.start()
            fault.detail = "restarted"
            await wait_listening(t.controller.web_port)
        case Kind.CONTROLLER_FREEZE:
            t.controller.signal(signal.SIGSTOP)
            await asyncio.sleep(FREEZE_S)
            t.controller.signal(signal.SIGCONT)
            fault.detail = f"{FREEZE_S:.0f} s"
        case Kind.ASTERISK_RESTART:
            await _restart_asterisk(fault, t)
        case Kind.PHONE_KILL:
            await _kill_a_phone_mid_call(fault, t)
        case Kind.POSTGRES_RESTART:
            if t.postgres is None:
                raise RigError("a PostgreSQL restart without the run's PostgreSQL")
            await asyncio.to_thread(t.postgres.restart)
            fault.detail = "restarted"
        case Kind.DISK_FULL:
            if t.disk is None:
                raise RigError("a full disk without the run's small disk")
            filled = await asyncio.to_thread(t.disk.fill)
            await asyncio.sleep(DISK_FULL_S)
            t.disk.free()
            fault.detail = f"{filled // 1024} KiB written to fill it"


async def _restart_asterisk(fault: Injected, t: Targets) -> None:
    fault.detail = await restart_asterisk(t.rig, t.world, t.observer.credentials)


async def restart_asterisk(rig: Rig, world: SimulatedWorld, credentials: AmiCredentials) -> str:
    """``core restart now``; then wait for Asterisk to boot and the phones to register.
    Returns what happened, for the report."""
    before = await _uptime(rig)
    with contextlib.suppress(ProvisioningError):  # the CLI may lose Asterisk as it goes
        await asyncio.to_thread(rig.cli, "core restart now")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until it runs again, freshly started
        uptime = await _uptime(rig)
        if uptime is not None and (before is None or uptime < before):
            break
        await asyncio.sleep(0.5)
    if not rig.is_running():
        await rig.start()
    await rig.wait_ready()
    return await phones_back(world, credentials)


async def phones_back(world: SimulatedWorld, credentials: AmiCredentials) -> str:
    """After Asterisk started again: the softphones registered again, or restarted."""
    try:
        async with AmiClient(credentials) as ami:
            await world.wait_registered(ami, timeout_s=30)
        return "booted again, phones registered"
    except Exception as exc:
        for phone in world.softphones:
            phone.stop()
            phone.start()
        return f"booted again; softphones restarted ({type(exc).__name__})"


async def _uptime(rig: Rig) -> int | None:
    """Asterisk's uptime in seconds; None while it does not answer."""
    try:
        text = await asyncio.to_thread(rig.cli, "core show uptime seconds")
    except ProvisioningError:
        return None
    found = re.search(r"System uptime:\s*(\d+)", text)
    return int(found.group(1)) if found else None


async def _kill_a_phone_mid_call(fault: Injected, t: Targets) -> None:
    """Wait (at most 20 s) for a robot agent's phone in a call, kill it, start it again."""
    deadline = time.monotonic() + 20
    robots = set(t.robots)
    async with AmiClient(t.observer.credentials) as ami:
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
    phone = next(p for p in t.world.softphones if p.account.username == victim)
    fault.dead_legs = {c["Channel"] for c in up if c["Channel"].startswith(f"PJSIP/{victim}-")}
    fault.hit_at = time.time()
    phone.kill()
    fault.detail = f"{victim} ({'in a call' if in_call else 'idle'})"
    await asyncio.sleep(PHONE_DEAD_S)
    phone.start()
