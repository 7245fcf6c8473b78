"""Recovery decisions (issue 24) against a fake node: Asterisk's own record of a call
corrects what the controller's lost or late events said."""

from __future__ import annotations

import asyncio

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.call_states import CallState
from dialer.core.outcomes import CallOutcome
from dialer.core.reconciliation import RecordedEnd, final_outcome
from dialer.engine.engine import DialPlan
from dialer.telephony.port import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallRinging,
    NodeDisconnected,
)
from tests.unit.test_engine import make_engine


def record(dialer_state: str, channel_state: str = "Up") -> RecordedEnd:
    return RecordedEnd("att-0", 16, None, channel_state, dialer_state, None)


@pytest.mark.parametrize(
    ("seen", "dialer_state", "expected"),
    [
        (CallOutcome.HUNG_UP, "joined", CallOutcome.ANSWERED),
        (CallOutcome.HUNG_UP, "abandoned", CallOutcome.ABANDONED),
        (CallOutcome.HUNG_UP, "", CallOutcome.HUNG_UP),
        (CallOutcome.ANSWERED, "", CallOutcome.ANSWERED),
        (CallOutcome.ABANDONED, "joined", CallOutcome.ABANDONED),
        (CallOutcome.MACHINE, "", CallOutcome.MACHINE),
    ],
)
def test_asterisks_record_of_a_join_or_an_abandon_wins_over_a_missed_event(
    seen: CallOutcome, dialer_state: str, expected: CallOutcome
) -> None:
    assert final_outcome(seen, record(dialer_state)) is expected
    assert final_outcome(seen, None) is seen


@pytest.mark.asyncio
async def test_a_join_whose_bridge_event_was_lost_is_answered_and_wrapped_up() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert engine.seats.get("agent-1001").state is AgentState.RESERVED
    # the AMI session was cut after the Redirect: no BridgeEnter ever came
    node.recorded["att-0"] = record("joined")
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(60)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    await engine.finish_wrap_up("agent-1001", "reached")
    assert queue.dispositions["att-0"] == "reached"


@pytest.mark.asyncio
async def test_attempts_taken_but_not_dialled_in_a_tick_go_back_to_the_queue() -> None:
    engine, node, ledger, queue, _ = await make_engine(count=3, agents=1)
    node.channel_limit = 2  # the agent's leg and one call: the tick stops after one dial
    engine.pacer = lambda _engine, _now: DialPlan(3, "three")
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["att-0"]
    assert queue.given_back == ["att-1", "att-2"]
    assert [d.attempt_id for d in queue.pending] == ["att-1", "att-2"]
    assert ledger.entries["att-1"].state == "planned"


@pytest.mark.asyncio
async def test_no_one_is_taken_while_no_node_has_a_free_line() -> None:
    engine, node, _, queue, clock = await make_engine(count=3, agents=1)
    engine.pacer = lambda _engine, _now: DialPlan(3, "three")
    await engine.handle(NodeDisconnected(node.name, "cut", clock.now), node)
    await engine.tick()
    assert len(queue.pending) == 3
    assert queue.taken == {}


@pytest.mark.asyncio
async def test_an_abandon_arriving_with_its_answer_is_applied_after_it() -> None:
    """After a stalled loop the answer and the abandon are read together: the answer is
    handled in a task of its own, the abandon must wait for it, not be dropped."""
    engine, node, _, _, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    node.refuse_join = True  # the dialplan gave up already
    for event in (
        CallRinging("att-0", clock.advance(1)),
        CallAnswered("att-0", clock.advance(1)),
        CallAbandoned("att-0", clock.advance(1.5)),
    ):
        node.events.put_nowait(event)
    listening = asyncio.create_task(engine._listen(node))
    try:
        for _ in range(50):
            await asyncio.sleep(0)
    finally:
        listening.cancel()
    call = engine.calls.get("att-0")
    assert call is not None
    assert call.state is CallState.ABANDONED
