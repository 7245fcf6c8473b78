"""The information message's promise on the real rig: a person who answers while the only
agent is busy hears the message, then is called back by an agent reserved for them first
(never abandoned again), within the campaign's set delay; the ledger shows both attempts."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.campaigns.runner import CampaignRun
from dialer.campaigns.start import start_campaign
from dialer.campaigns.templates import template
from dialer.core.attempts import AttemptKind
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.engine.engine import DialingEngine, Pacer
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode
from tests.asterisk.test_campaign import stored_attempts

ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)
#: the set delay, in seconds on the rig (15 minutes in a campaign)
CALL_BACK_WITHIN = timedelta(seconds=90)


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'call-back.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


def write_register(path: Path, callees: list[SimulatedCallee]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        for index, callee in enumerate(callees):
            writer.writerow([f"A{index}", "Martin", "Odette", callee.number])


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


@pytest.mark.asyncio
async def test_an_abandoned_person_is_called_back_by_a_reserved_agent(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    busy = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=0, talk_s=8, serial=71)
    # answers a bit later, finds the agent busy, listens to the whole message (~30 s)
    abandoned = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=38, serial=72)
    register = tmp_path / "registre.csv"
    write_register(register, [busy, abandoned])
    report = await import_register(sessions, register, now=datetime.now(UTC))
    assert report.rejected == 0
    campaign = replace(
        template("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=RetryPolicy(abandon_callback_within=CALL_BACK_WITHIN),
    )
    started = await start_campaign(sessions, campaign, now=datetime.now(UTC))

    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    run = CampaignRun(
        sessions, started.campaign_id, nodes=[node], ring_timeout_s=15, screens=desk, tick_s=0.2
    )
    engine = await run.start()
    desk.engine = engine
    events = ami.subscribe()
    played: list[str] = []
    try:
        await asyncio.sleep(0.5)
        agent = world.softphones[0].account.username
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        engine.pacer = two_lines_for_one_agent()
        async with asyncio.timeout(120):
            while True:
                attempts = await stored_attempts(sessions)
                theirs = [a for a in attempts if a.number == abandoned.number]
                if len(theirs) == 2 and theirs[1].outcome is not None:
                    break
                while not events.empty():
                    event = events.get_nowait()
                    if event.name == "UserEvent" and (
                        event.get("UserEvent") == "DialerInformationPlayed"
                    ):
                        played.append(event.get("Attempt"))
                await asyncio.sleep(0.5)
    except TimeoutError:
        found = [
            (a.number, a.kind, a.state, a.outcome, a.agent) for a in await stored_attempts(sessions)
        ]
        raise AssertionError(
            f"no call-back: {found}, {engine.statistics()}, {engine.last_plan}"
        ) from None
    finally:
        await engine.stop()
        await node.stop()
        ami.unsubscribe(events)

    first, call_back = sorted(theirs, key=lambda a: a.placed_at or a.planned_for)
    assert (first.kind, first.outcome) == (AttemptKind.AUTOMATIC, CallOutcome.ABANDONED)
    assert played == [first.id]  # they heard the information message, once
    assert call_back.kind is AttemptKind.PREVIEW
    assert call_back.agent == agent  # the agent reserved before the dial took the call
    assert call_back.outcome is CallOutcome.ANSWERED
    assert call_back.bridged_at is not None
    assert first.answered_at is not None
    assert call_back.placed_at is not None
    assert call_back.placed_at - first.answered_at <= CALL_BACK_WITHIN
    stats = engine.statistics()
    assert stats["abandoned"] == 1  # the call-back was not abandoned
    assert stats["offered"] == 1
    assert stats["offers_called"] == 1
