"""A scene on the rig: a person answers while the only agent is busy, hears the information
message, and is called back by the agent reserved for them first (``make demo`` plays it,
the rig test checks it).

Two simulated people are dialled at once for one agent: the first to answer is joined to
the agent, the other finds nobody free (abandoned: the dialplan plays the message). When
that call ends, the planner owes them an agent-reserved call-back; the engine offers it to
the agent as soon as they are free, the desk calls, and the call is bridged to that agent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from dialer.campaigns.runner import CampaignRun
from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.pacing import PacingDecision
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.csv_output import csv_writer
from dialer.engine.engine import DialingEngine, Pacer
from dialer.register.importer import import_register
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.desk import AutoWrapUpDesk
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.telephony.ami import AmiCredentials
from dialer.telephony.node import AsteriskNode

ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)
#: answers at once and talks 8 s: keeps the agent busy
BUSY_ONE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=0, talk_s=8, serial=71)
#: answers a second later, finds the agent busy, listens to the whole message (~30 s)
ABANDONED_ONE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=38, serial=72)


@dataclass(frozen=True)
class CallBackScene:
    """The abandoned person's attempts, oldest first, and the engine's counters."""

    attempts: list[Attempt]
    statistics: dict[str, object]


def two_lines_for_one_agent() -> Pacer:
    """Dials both people at once, then no automatic dial: the second finds no agent."""
    dialled = False

    def pace(_engine: DialingEngine, _now: datetime) -> PacingDecision:
        nonlocal dialled
        if dialled:
            return PacingDecision(0, "no more automatic dials")
        dialled = True
        return PacingDecision(2, "two lines for one agent")

    return pace


def write_register(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        writer.writerow(["RB1", "Girard", "André", BUSY_ONE.number])
        writer.writerow(["RB2", "Martin", "Odette", ABANDONED_ONE.number])


async def play_call_back_scene(
    sessions: SessionFactory,
    *,
    ami: AmiCredentials,
    trunk: str,
    agent: str,
    work_dir: Path,
    call_back_within: timedelta,
    timeout_s: float = 120.0,
) -> CallBackScene:
    """Play the scene on a migrated, empty database; ``agent``'s softphone must be
    registered. Raises :class:`TimeoutError` when no call-back ended in ``timeout_s``."""
    register = work_dir / "registre-rappel.csv"
    write_register(register)
    report = await import_register(sessions, register, now=datetime.now(UTC))
    if report.rejected:
        raise ValueError(f"{register}: {report.issues[:3]}")
    campaign = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=RetryPolicy(abandon_callback_within=call_back_within),
    )
    started = await start_campaign(
        sessions, campaign, now=datetime.now(UTC), name="Rappel après abandon"
    )
    node = AsteriskNode("rig", ami, trunk=trunk)
    await node.start()
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    run = CampaignRun(
        sessions, started.campaign_id, nodes=[node], ring_timeout_s=15, screens=desk, tick_s=0.2
    )
    engine = await run.start()
    desk.engine = engine
    try:
        await asyncio.sleep(0.5)
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        engine.pacer = two_lines_for_one_agent()
        async with asyncio.timeout(timeout_s):
            while True:
                attempts = await AttemptLedger(sessions).every_attempt()
                by_number: dict[str, list[Attempt]] = {}
                for attempt in attempts:
                    by_number.setdefault(attempt.number, []).append(attempt)
                twice = [a for a in by_number.values() if len(a) == 2 and a[1].outcome]
                if twice:
                    return CallBackScene(twice[0], engine.statistics())
                await asyncio.sleep(0.5)
    finally:
        await engine.stop()
        await node.stop()
