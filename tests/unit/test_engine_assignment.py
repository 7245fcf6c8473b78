"""One engine for the whole service: campaigns are assigned and unassigned while agents'
seats stay; a call settles in the queue it was taken from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import NO_CAMPAIGN, DialingEngine
from dialer.engine.ports import PlannedDial
from dialer.telephony.port import CallAnswered, CallEnded, CallJoined, NodeConnected
from dialer.testing import FakeNode, MemoryAttemptLog, MemoryQueue

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def one_per_ready(engine: DialingEngine, _now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(max(0, ready - len(engine.calls.all())), "test")


@pytest.mark.asyncio
async def test_an_engine_without_campaign_dials_nothing_and_keeps_its_agents() -> None:
    node, ledger = FakeNode(), MemoryAttemptLog()
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=lambda: T0)
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.log_in("a1", "a1")
    engine.go_ready("a1")
    plan = await engine.tick()
    assert (plan.dials, plan.reason) == (0, NO_CAMPAIGN)
    assert engine.statistics()["campaign_assigned"] is False

    first = MemoryQueue(ledger, [PlannedDial("c1-1", 1, 1, "+33910000001")])
    engine.assign(first, one_per_ready, caller_id="+331", answering_machine_detection=True)
    assert (await engine.tick()).dials == 1
    assert (node.placed[0].caller_id, node.placed[0].answering_machine_detection) == ("+331", True)

    # campaign 1 stops while its call goes on; campaign 2 is assigned
    engine.unassign()
    assert engine.seats.get("a1").state is AgentState.READY
    second = MemoryQueue(ledger, [PlannedDial("c2-1", 2, 2, "+33910000002")])
    engine.assign(second, one_per_ready, caller_id="+332", answering_machine_detection=False)
    await engine.handle(CallAnswered("c1-1", T0), node)
    await engine.handle(CallJoined("c1-1", "bridge", T0), node)
    await engine.handle(CallEnded("c1-1", 16, None, T0), node)
    await engine.finish_wrap_up("a1", CycleResult.REACHED)
    assert first.settled_outcomes == {"c1-1": CallOutcome.ANSWERED}
    assert first.results == {"c1-1": CycleResult.REACHED}
    assert second.settled_outcomes == {}
    assert second.results == {}
    assert (await engine.tick()).dials == 1
    assert node.placed[-1].caller_id == "+332"


@pytest.mark.asyncio
async def test_dialing_disabled_means_no_dial() -> None:
    node, ledger = FakeNode(), MemoryAttemptLog()
    queue = MemoryQueue(ledger, [PlannedDial("x", 1, 1, "+33910000001")])
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=lambda: T0)
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.log_in("a1", "a1")
    engine.go_ready("a1")
    engine.assign(
        queue, one_per_ready, caller_id="", answering_machine_detection=False, dialing_enabled=False
    )
    assert (await engine.tick()).dials == 0
    engine.dialing_enabled = True
    assert (await engine.tick()).dials == 1
