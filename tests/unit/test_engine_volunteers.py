"""A volunteer's seat is joined to veille-sociale calls only: never to a call whose
campaign is an emergency one or unknown to the engine (stopped while it rang)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind
from dialer.core.volunteer_desk import NO_CAMPAIGN
from dialer.engine.engine import DialingEngine
from dialer.telephony.port import CallAnswered, NodeConnected
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue
from tests.unit.test_engine_campaigns import dials, one_per_own_ready

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
HEATWAVE, VEILLE = 7, 9
KINDS = {HEATWAVE: CampaignKind.HEATWAVE, VEILLE: CampaignKind.VEILLE_SOCIALE}


async def heatwave_and_veille(
    agents: list[str], serving: dict[str, dict[int, int]]
) -> tuple[DialingEngine, FakeNode]:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    for agent in agents:  # the first ready the longest
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        clock.advance(1)
    for campaign_id, cycle_id, prefix in ((HEATWAVE, 70, "h"), (VEILLE, 90, "v")):
        engine.assign(
            MemoryQueue(ledger, dials(prefix, range(1, 4), cycle_id)),
            one_per_own_ready,
            caller_id="+33100000001",
            answering_machine_detection=False,
            campaign_id=campaign_id,
            cycle_id=cycle_id,
        )
    engine.set_serving(serving, volunteers=["v1"], kinds=KINDS)
    engine.pause_campaign(VEILLE)
    return engine, node


SERVING = {"v1": {VEILLE: 1, NO_CAMPAIGN: 1}, "a1": {HEATWAVE: 1}}


@pytest.mark.asyncio
async def test_a_call_whose_campaign_stopped_while_it_rang_goes_to_an_agent_not_a_volunteer() -> (
    None
):
    engine, node = await heatwave_and_veille(["v1", "a1"], SERVING)
    await engine.tick()
    [call] = node.placed
    assert call.attempt_id.startswith("h")
    engine.unassign(HEATWAVE)  # stopped while its call rings: its campaign is gone
    await engine.handle(CallAnswered(call.attempt_id, T0), node)
    assert node.joins == [(call.attempt_id, "a1")]  # v1, ready the longest, is a volunteer


@pytest.mark.asyncio
async def test_a_call_of_an_unknown_campaign_is_never_joined_to_a_volunteer() -> None:
    engine, node = await heatwave_and_veille(["v1", "a1"], SERVING)
    await engine.tick()
    [call] = node.placed
    engine.unassign(HEATWAVE)
    engine.pause("a1", "café")  # only the volunteer is ready
    await engine.handle(CallAnswered(call.attempt_id, T0), node)
    assert node.joins == []
    assert engine.seats.get("v1").state is AgentState.READY


@pytest.mark.asyncio
async def test_an_emergency_call_is_never_joined_to_a_volunteer_even_serving_everything() -> None:
    # a volunteer with every campaign stored by mistake still takes no heatwave call
    engine, node = await heatwave_and_veille(
        ["a1", "v1"], {"v1": {VEILLE: 1, HEATWAVE: 5}, "a1": {HEATWAVE: 1}}
    )
    await engine.tick()
    call = node.placed[0]
    engine.pause("a1", "café")
    await engine.handle(CallAnswered(call.attempt_id, T0), node)
    assert node.joins == []
    assert engine.seats.get("v1").state is AgentState.READY
