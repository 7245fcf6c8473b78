"""The engine on the real rig: agents' phones connected once, answered people joined
without ringing the agent, the information message when nobody is free, and recovery from
a dropped AMI session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio

from dialer.core.agent_states import AgentState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import DialingEngine
from dialer.engine.ports import PlannedDial
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode
from dialer.testing import MemoryAttemptLog, MemoryQueue


def progressive(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(max(0, ready - len(engine.calls.all())), "test pacer")


@pytest_asyncio.fixture
async def node(rig: Rig, world: SimulatedWorld, ami: AmiClient) -> AsyncIterator[AsteriskNode]:
    await world.wait_registered(ami)
    telephony = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await telephony.start()
    yield telephony
    await telephony.stop()


def planned(callees: list[SimulatedCallee]) -> list[PlannedDial]:
    return [PlannedDial(f"t-{c.number}-{i}", i, 1, c.number) for i, c in enumerate(callees)]


async def run_until_settled(
    engine: DialingEngine, queue: MemoryQueue, count: int, timeout_s: float
) -> None:
    for _ in range(int(timeout_s * 10)):
        if len(queue.settled_outcomes) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"{len(queue.settled_outcomes)}/{count} attempts settled in {timeout_s} s: "
        f"{engine.statistics()}"
    )


@pytest.mark.asyncio
async def test_answered_people_are_joined_to_connected_agents(
    node: AsteriskNode, world: SimulatedWorld
) -> None:
    callees = [
        SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=2, serial=i) for i in range(6)
    ]
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(ledger, planned(callees))
    desk = AutoWrapUpDesk(wrap_up_s=0.3)
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=progressive, screens=desk, tick_s=0.2
    )
    desk.engine = engine
    await engine.start()
    try:
        await asyncio.sleep(0.5)  # NodeConnected handled
        agents = [p.account.username for p in world.softphones]
        for agent in agents:
            await engine.log_in(agent, agent)
            engine.go_ready(agent)
        await run_until_settled(engine, queue, len(callees), timeout_s=60)
    finally:
        await engine.stop()
    assert set(queue.settled_outcomes.values()) == {CallOutcome.ANSWERED}
    for entry in ledger.entries.values():
        # "answered" may be carried by the bridged write (answered_at), never come after it;
        # the wrap-up may still be on its way when the last attempt settles
        assert entry.history[:2] == ["dialing", "ringing"]
        assert entry.history.index("bridged") + 1 == entry.history.index("ended")
        assert entry.history[-1] in {"ended", "wrapped"}
    assert sum(len(v) for v in desk.popped.values()) == len(callees)
    stats = engine.statistics()
    assert stats["joined"] == len(callees)
    assert stats["abandoned"] == 0
    latencies = list(engine.join_latencies_ms)
    assert len(latencies) == len(callees)
    assert max(latencies) < 1500  # well inside the dialplan's join window
    # the agents' legs stayed up through every call: still connected, ready again
    await asyncio.sleep(0.5)
    assert {s.state for s in engine.seats.seats()} <= {AgentState.READY, AgentState.WRAP_UP}


@pytest.mark.asyncio
async def test_an_answered_person_with_no_agent_free_hears_the_information_message(
    node: AsteriskNode, ami: AmiClient
) -> None:
    # the message lasts about 30 s: the person listens to its end
    callee = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=45, serial=50)
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(ledger, planned([callee]))
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=lambda e, now: PacingDecision(len(queue.pending), "dial regardless of agents"),
        tick_s=0.2,
    )
    events = ami.subscribe()
    await engine.start()
    played: list[tuple[str, str]] = []
    try:
        await run_until_settled(engine, queue, 1, timeout_s=60)
        # the abandon is known at once; the message then plays to its end
        async with asyncio.timeout(45):
            while not played:
                event = await events.get()
                if (
                    event.name == "UserEvent"
                    and event.get("UserEvent") == "DialerInformationPlayed"
                ):
                    played.append((event.get("Attempt"), event.get("Status")))
    finally:
        await engine.stop()
        ami.unsubscribe(events)
    assert list(queue.settled_outcomes.values()) == [CallOutcome.ABANDONED]
    assert played == [(next(iter(queue.settled_outcomes)), "SUCCESS")]
    assert engine.statistics()["abandoned"] == 1


@pytest.mark.asyncio
async def test_a_dropped_ami_session_loses_no_call_and_dials_nobody_twice(
    node: AsteriskNode, world: SimulatedWorld
) -> None:
    callees = [
        SimulatedCallee(CalleeBehaviour.ANSWERS if i % 3 else CalleeBehaviour.BUSY, 1, 3, 60 + i)
        for i in range(9)
    ]
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(ledger, planned(callees))
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=progressive, screens=desk, tick_s=0.2
    )
    desk.engine = engine
    await engine.start()
    try:
        await asyncio.sleep(0.5)
        for phone in world.softphones:
            await engine.log_in(phone.account.username, phone.account.username)
            engine.go_ready(phone.account.username)
        await asyncio.sleep(2.0)  # calls in progress
        node.drop_session()
        await run_until_settled(engine, queue, len(callees), timeout_s=90)
    finally:
        await engine.stop()
    lost = node.statistics()["lost_sessions"]
    assert isinstance(lost, int)
    assert lost >= 1
    assert len(queue.settled_outcomes) == len(callees)  # every attempt closed
    placed = node.statistics()["calls_placed"]
    assert placed == len(callees)  # and none placed twice
    expected = {
        f"t-{c.number}-{i}": CallOutcome.ANSWERED if i % 3 else CallOutcome.BUSY
        for i, c in enumerate(callees)
    }
    # a call cut mid-way by the drop may have lost its agent (abandoned) but never vanished
    for attempt, outcome in queue.settled_outcomes.items():
        assert outcome in {expected[attempt], CallOutcome.ABANDONED}


@pytest.mark.asyncio
async def test_a_removed_agent_loses_their_line_and_is_offered_no_call(
    node: AsteriskNode, world: SimulatedWorld
) -> None:
    """Issue 16, defect 3: a deactivated agent leaves the engine at once: their phone leg
    is hung up on Asterisk, and an answered person is not joined to them."""
    callee = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=3, serial=60)
    ledger = MemoryAttemptLog()
    queue = MemoryQueue(ledger, planned([callee]))
    desk = AutoWrapUpDesk(wrap_up_s=0.3)
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=lambda e, now: PacingDecision(len(queue.pending), "dial regardless of agents"),
        screens=desk,
        tick_s=0.2,
    )
    desk.engine = engine
    engine.dialing_enabled = False
    await engine.start()
    try:
        await asyncio.sleep(0.5)  # NodeConnected handled
        agent = world.softphones[0].account.username
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        leg = engine.seats.get(agent).leg_id
        assert leg in await node.live_channels()
        assert await engine.remove_agent(agent) is AgentState.READY
        for _ in range(50):
            if leg not in await node.live_channels():
                break
            await asyncio.sleep(0.1)
        assert leg not in await node.live_channels()
        engine.dialing_enabled = True
        await run_until_settled(engine, queue, 1, timeout_s=60)
    finally:
        await engine.stop()
    assert engine.seats.get(agent).state is AgentState.LOGGED_OUT
    assert list(queue.settled_outcomes.values()) == [CallOutcome.ABANDONED]
    assert desk.popped.get(agent, []) == []
