"""Recovery on the real rig (issue 24): what the controller finds after it was away, and
what Asterisk does on its own meanwhile.

Each test reproduces one fault the fault probe found: a bridged call that ends while the
controller is dead, planned attempts left behind by a dying controller, a dead agent
softphone, a stalled event loop, a wrap-up in progress at a restart.
"""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from dialer.campaigns.runner import CampaignRun
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptState, CallState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import DialingEngine
from dialer.engine.ports import PlannedDial
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.chaos.faults import phones_back
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode
from dialer.testing import MemoryAttemptLog, MemoryQueue
from tests.asterisk.test_campaign import run_engine, start


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'recovery.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


def write_people(path: Path, callees: Sequence[SimulatedCallee]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        for index, callee in enumerate(callees):
            born = f"{index % 28 + 1:02d}/02/1940"  # distinct people, never merged
            writer.writerow([f"R{index:05d}", "Martin", f"Odette{index}", born, callee.number])


async def attempts_of(sessions: SessionFactory) -> list[Attempt]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Attempt).order_by(Attempt.planned_for)))


async def members_of(sessions: SessionFactory) -> list[CycleMember]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(CycleMember).order_by(CycleMember.id)))


async def wait_for(
    sessions: SessionFactory, states: set[str], count: int, timeout_s: float
) -> list[Attempt]:
    """Poll the ledger until ``count`` attempts are in one of ``states``."""
    attempts: list[Attempt] = []
    for _ in range(int(timeout_s * 10)):
        attempts = await attempts_of(sessions)
        if sum(1 for a in attempts if a.state.value in states) >= count:
            return attempts
        await asyncio.sleep(0.1)
    raise AssertionError(f"not {count} attempts in {states} after {timeout_s} s: {attempts}")


async def wait_gone(ami: AmiClient, channel: str, timeout_s: float) -> None:
    for _ in range(int(timeout_s * 10)):
        replies = await ami.action("CoreShowChannels", expect_list=True)
        if channel not in {r.get("Uniqueid") for r in replies if r.name == "CoreShowChannel"}:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"channel {channel} still up after {timeout_s} s")


@pytest.mark.asyncio
async def test_a_bridged_call_ending_while_the_controller_is_dead_is_answered_not_redialled(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    """Defect 2: the join is recorded in Asterisk's own state, so the hang-up handler's
    record says "joined" and the restarted controller closes the call as answered."""
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    write_people(register, [SimulatedCallee(CalleeBehaviour.ANSWERS, 1, 6, serial=1)])
    campaign_id, _ = await start(sessions, register)
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    try:
        (attempt,) = await wait_for(sessions, {"bridged"}, 1, timeout_s=20)
    finally:
        await run.stop()  # the controller dies while the person talks with the agent
        await node.stop()
    await wait_gone(ami, attempt.id, timeout_s=20)  # the person hangs up meanwhile
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    try:
        await wait_for(sessions, {"ended", "failed"}, 1, timeout_s=10)
        await asyncio.sleep(3)  # would be long enough to call the person again
        attempts = await attempts_of(sessions)
        members = await members_of(sessions)
    finally:
        await run.stop()
        await node.stop()
    assert [a.outcome for a in attempts] == [CallOutcome.ANSWERED]
    assert attempts[0].state.value == "ended"
    assert [m.status for m in members] != [MemberStatus.WAITING]
    assert [m.status for m in members] != [MemberStatus.IN_CALL]


@pytest.mark.asyncio
async def test_attempts_planned_by_a_controller_that_died_before_dialling_are_dialled_once(
    sessions: SessionFactory,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defect 3: ``take()`` committed planned attempts (their people in call), then the
    controller died before ``mark_dialing``. The next controller dials those people, once."""
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    callees = [SimulatedCallee(CalleeBehaviour.BUSY, 0, 1, serial=10 + i) for i in range(3)]
    write_people(register, callees)
    campaign_id, _ = await start(sessions, register)
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    run = CampaignRun(sessions, campaign_id, nodes=[node], ring_timeout_s=15, tick_s=0.2)
    engine = await run.start()
    frozen = asyncio.Event()

    async def dies_before_dialling(attempt_id: str, *, at: datetime, node: str | None) -> bool:
        await frozen.wait()  # the process is gone: this never returns
        return False

    async def nothing_more(attempt_ids: Sequence[str], at: datetime) -> None:
        return None  # a killed process cleans nothing up

    monkeypatch.setattr(engine.attempt_log, "mark_dialing", dies_before_dialling)
    monkeypatch.setattr(engine.queue, "give_back", nothing_more, raising=False)
    try:
        await asyncio.sleep(0.5)
        for phone in world.softphones[:3]:
            await engine.log_in(phone.account.username, phone.account.username)
            engine.go_ready(phone.account.username)
        await wait_for(sessions, {"planned"}, 1, timeout_s=10)
    finally:
        await run.stop()  # killed between take() and mark_dialing
        await node.stop()
    stuck = [a.id for a in await attempts_of(sessions) if a.state.value == "planned"]
    assert stuck
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    try:
        for _ in range(300):
            members = await members_of(sessions)
            if all(m.status is MemberStatus.DONE for m in members):
                break
            await asyncio.sleep(0.1)
    finally:
        await run.stop()
        await node.stop()
    attempts = await attempts_of(sessions)
    assert [m.status for m in members] == [MemberStatus.DONE] * 3
    assert not [a for a in attempts if a.state.value == "planned"]
    dialled = [a for a in attempts if a.placed_at is not None]
    # each person dialled (busy, then retried up to the cap), none twice at once, and the
    # abandoned plans are closed without a dial
    assert {a.person_id for a in dialled} == {m.person_id for m in members}
    for attempt in attempts:
        if attempt.id in stuck:
            assert attempt.placed_at is None
            assert attempt.state.value == "failed"


def progressive(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(max(0, ready - len(engine.calls.all())), "test pacer")


@pytest.mark.asyncio
async def test_a_dead_agent_softphone_is_detected_and_nobody_is_joined_to_it(
    rig: Rig, world: SimulatedWorld, ami: AmiClient
) -> None:
    """Defect 1: an agent's baresip killed mid-shift (no BYE). Asterisk ends the agent's
    leg within seconds (RTP timeout), the seat leaves the pool, the screen is told, and
    no later call is joined to the dead leg."""
    await world.wait_registered(ami)
    dead, alive = world.softphones[0], world.softphones[1]
    callees = [SimulatedCallee(CalleeBehaviour.ANSWERS, 1, 2, serial=20 + i) for i in range(4)]
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(
        ledger, [PlannedDial(f"d-{i}", i, 1, c.number) for i, c in enumerate(callees)]
    )
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=progressive, screens=desk, tick_s=0.2
    )
    desk.engine = engine
    engine.dialing_enabled = False
    await engine.start()
    try:
        await asyncio.sleep(0.5)
        for phone in (dead, alive):
            await engine.log_in(phone.account.username, phone.account.username)
            engine.go_ready(phone.account.username)
        dead_leg = engine.seats.get(dead.account.username).leg_id
        await asyncio.sleep(1)
        dead.kill()  # mid-shift, no BYE
        killed = time.monotonic()
        for _ in range(150):
            if engine.seats.get(dead.account.username).state is AgentState.LOGGED_OUT:
                break
            await asyncio.sleep(0.1)
        detected_s = time.monotonic() - killed
        engine.dialing_enabled = True
        for _ in range(600):
            if len(queue.settled_outcomes) == len(callees):
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.stop()
        await node.stop()
        dead.start()
        await world.wait_registered(ami)
    assert engine.seats.get(dead.account.username).state is AgentState.LOGGED_OUT
    assert detected_s < 8  # within seconds (rtp_timeout 4 s)
    assert dead.account.username in desk.phones_lost
    assert dead_leg is not None
    assert set(queue.settled_outcomes.values()) == {CallOutcome.ANSWERED}
    assert {entry.agent for entry in ledger.entries.values()} == {alive.account.username}


@pytest.mark.asyncio
async def test_an_abandon_during_a_stalled_event_loop_is_applied_after_the_answer(
    rig: Rig, world: SimulatedWorld, ami: AmiClient
) -> None:
    """Defect 5: the controller's loop stalls while a person answers; the answer and the
    abandon (the join window ran out) then arrive together. The abandon must be applied
    after the answer (Asterisk's order), not dropped: the call is abandoned at once (the
    pacer's brake counts it) and settles abandoned, never hung up."""
    await world.wait_registered(ami)
    agent = world.softphones[2].account.username
    callee = SimulatedCallee(CalleeBehaviour.ANSWERS, 1, 6, serial=30)
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(ledger, [PlannedDial("stall-1", 1, 1, callee.number)])
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=progressive, tick_s=0.2
    )
    await engine.start()
    try:
        await asyncio.sleep(0.5)
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        for _ in range(100):
            if ledger.entries["stall-1"].state == "ringing":
                break
            await asyncio.sleep(0.05)
        time.sleep(4)  # noqa: ASYNC251 - the loop stalls on purpose while the person answers
        await asyncio.sleep(1.0)  # the backlog of events is handled
        call = engine.calls.get("stall-1")
        assert call is not None
        state_after_stall = call.state
        for _ in range(200):
            if queue.settled_outcomes:
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.stop()
        await node.stop()
    assert state_after_stall is CallState.ABANDONED
    assert queue.settled_outcomes == {"stall-1": CallOutcome.ABANDONED}
    assert engine.seats.get(agent).state is AgentState.READY
    assert engine.statistics()["abandoned"] == 1


@pytest.mark.asyncio
async def test_a_wrap_up_in_progress_survives_a_controller_restart(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    """Defect 4: the call ended, the agent is filling the sheet, the controller dies. After
    the restart the agent's seat is back in wrap-up on that call (the screen's GET and POST
    check exactly this), and the disposition closes the person."""
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    write_people(register, [SimulatedCallee(CalleeBehaviour.ANSWERS, 1, 2, serial=40)])
    campaign_id, _ = await start(sessions, register)
    run, node, engine = await run_engine(sessions, rig, world, campaign_id)
    assert isinstance(engine.screens, AutoWrapUpDesk)
    engine.screens.wrap_up_s = 3600  # the agent takes their time
    try:
        (attempt,) = await wait_for(sessions, {"ended"}, 1, timeout_s=30)
        await asyncio.sleep(0.5)
        agent = attempt.agent
        assert agent is not None
        assert engine.seats.get(agent).state is AgentState.WRAP_UP
    finally:
        await run.stop()  # the controller dies during the wrap-up
        await node.stop()
    run, node, restarted = await run_engine(sessions, rig, world, campaign_id)
    try:
        # the agent's screen is told the sheet is open again; this desk's agent then
        # finishes it (0.2 s): only a seat back in wrap-up on that call can
        for _ in range(100):
            members = await members_of(sessions)
            if members[0].status is MemberStatus.DONE:
                break
            await asyncio.sleep(0.1)
        (after,) = await attempts_of(sessions)
        seat = restarted.seats.get(agent)
    finally:
        await run.stop()
        await node.stop()
    assert seat.state is AgentState.READY
    assert [m.status for m in members] == [MemberStatus.DONE]
    assert after.disposition == "reached"
    assert after.wrap_up_done_at is not None


@pytest.mark.asyncio
async def test_a_call_cut_by_an_asterisk_crash_is_answered_though_its_bridge_write_was_lost(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, tmp_path: Path
) -> None:
    """The controller is killed while the write of a call's bridge waits (its database
    refused it), then Asterisk crashes: no hangup handler runs. The dialplan wrote "joined"
    to AstDB when it decided the join, so the next controller still closes the call as
    answered rather than as a failure."""
    async with AmiClient(rig.ami_credentials()) as ami:
        await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    write_people(register, [SimulatedCallee(CalleeBehaviour.ANSWERS, 1, 60, serial=41)])
    campaign_id, _ = await start(sessions, register)
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    try:
        (attempt,) = await wait_for(sessions, {"bridged"}, 1, timeout_s=20)
    finally:
        await run.stop()  # killed while the person talks with the agent
        await node.stop()
    async with transaction(sessions) as session:  # the bridge's write never landed
        lost = await session.get(Attempt, attempt.id)
        assert lost is not None
        lost.state, lost.bridged_at, lost.agent = AttemptState.ANSWERED, None, None
    await asyncio.sleep(2)  # AstDB commits its writes every second
    pid = rig.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await rig.stop()  # reaps the killed process
    await rig.start()
    await phones_back(world, rig.ami_credentials())
    probe = AsteriskNode("probe", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await probe.start()
    try:
        record = await probe.recorded_end(attempt.id)
    finally:
        await probe.stop()
    assert record is not None
    assert (record.dialer_state, record.ended_at) == ("joined", None)  # no hangup handler
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    try:
        await wait_for(sessions, {"ended", "failed"}, 1, timeout_s=10)
        (after,) = await attempts_of(sessions)
    finally:
        await run.stop()
        await node.stop()
    assert (after.state.value, after.outcome) == ("ended", CallOutcome.ANSWERED)
