"""A controller restarted during a transfer (fake node): the person found on hold, with no
transfer known, is taken off hold at the reconciliation: bridged back with the agent's leg
if it lives, else released with the information message (the lost agent's path, the
sheet kept); the third party is hung up. A transfer the service still follows (an AMI
session lost and back, the controller alive) is left alone."""

from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.telephony.port import CallEnded, NodeConnected, NodeDisconnected
from tests.unit.test_engine import make_engine, on_call
from tests.unit.test_engine_recovery import restarted

pytestmark = pytest.mark.asyncio


async def test_a_person_on_hold_after_a_restart_is_bridged_back_with_the_agent() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    leg = engine.seats.get("agent-1001").leg_id
    assert leg is not None
    node.held = {"att-0": "t-1"}  # the warm transfer's consultation when it stopped
    again = await restarted(node, ledger, queue)
    assert ("att-0", f"rejoin {leg}") in node.sent
    assert "xfer-t-1" in node.hangups
    assert node.held == {}
    seat = again.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.ON_CALL, "att-0")
    assert again.statistics()["reconciled_off_hold"] == 1


async def test_a_person_on_hold_whose_agent_is_gone_is_released_and_the_sheet_kept() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    leg = engine.seats.get("agent-1001").leg_id
    assert leg is not None
    node.live.discard(leg)  # the agent's phone died with the controller
    node.held = {"att-0": "t-1"}
    again = await restarted(node, ledger, queue)
    assert ("att-0", "released") in node.sent
    assert all(s.agent != "agent-1001" or s.leg_id is None for s in again.seats.seats())
    # the message heard, the person hangs up: an answered call, settled as one
    await again.handle(CallEnded("att-0", 16, None, clock.advance(10)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert "att-0" not in queue.results  # not closed without its sheet
    # the agent's phone connected again: back on the call's sheet to finish the wrap-up
    await again.log_in("agent-1001", "agent-1001")
    seat = again.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")
    await again.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results == {"att-0": CycleResult.REACHED}


async def test_an_agent_connected_again_before_the_released_person_hangs_up_gets_the_sheet() -> (
    None
):
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    leg = engine.seats.get("agent-1001").leg_id
    assert leg is not None
    node.live.discard(leg)
    node.held = {"att-0": "t-1"}
    again = await restarted(node, ledger, queue)
    await again.log_in("agent-1001", "agent-1001")  # while the person hears the message
    await again.handle(CallEnded("att-0", 16, None, clock.advance(10)), node)
    seat = again.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")
    await again.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results == {"att-0": CycleResult.REACHED}


async def test_a_transfer_the_service_follows_is_left_on_hold_at_a_new_session() -> None:
    engine, node, _, _, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    engine.transfers_under_way = lambda: {"att-0"}
    node.held = {"att-0": "t-1"}
    await engine.handle(NodeDisconnected(node.name, "lost", clock.advance(1)), node)
    await engine.handle(NodeConnected(node.name, clock.advance(2)), node)
    assert node.held == {"att-0": "t-1"}
    assert not [s for s in node.sent if s[0] == "att-0"]
    assert "xfer-t-1" not in node.hangups
