"""A caller waiting holds the dials and offers of the campaigns that could take them only:
a caller on a campaign's register holds that campaign; a number on no register holds the
campaigns whose agents take such callers, never a veille-sociale one, and is never given to
a volunteer (they have no form for it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.campaigns import CampaignKind
from dialer.core.pacing_reasons import Clause
from dialer.core.volunteer_desk import NO_CAMPAIGN
from dialer.engine.engine import DialingEngine
from dialer.engine.inbound import CLOSED_CONTEXT, UNKNOWN_CONTEXT
from dialer.telephony.port import CallInbound, NodeConnected
from dialer.testing import Clock, FakeNode, MemoryAttemptLog
from tests.unit.test_engine_campaigns import dials, one_per_own_ready
from tests.unit.test_engine_inbound import HELENE, InboundQueue

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
HEATWAVE, VEILLE = 7, 9
KINDS = {HEATWAVE: CampaignKind.HEATWAVE, VEILLE: CampaignKind.VEILLE_SOCIALE}
STRANGER = "+33699999999"


async def rig(
    ready: list[str],
    *,
    campaigns: tuple[int, ...] = (HEATWAVE, VEILLE),
    veille_people: dict[str, int] | None = None,
) -> tuple[DialingEngine, FakeNode, Clock]:
    """a1 serves the heatwave, the volunteer v1 the veille sociale; ``ready`` are ready,
    the others logged in but not ready; the campaigns assigned in the order of
    ``campaigns``."""
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    for agent in ("a1", "v1"):
        await engine.log_in(agent, agent)
        if agent in ready:
            engine.go_ready(agent)
        clock.advance(1)
    setups = {HEATWAVE: (70, "h"), VEILLE: (90, "v")}
    for campaign_id in campaigns:
        cycle_id, prefix = setups[campaign_id]
        queue = InboundQueue(ledger, dials(prefix, range(1, 4), cycle_id))
        if campaign_id == VEILLE:
            queue.inbound.people = veille_people or {"+33612345699": 99}
        engine.assign(
            queue,
            one_per_own_ready,
            caller_id="+33100000001",
            answering_machine_detection=False,
            campaign_id=campaign_id,
            cycle_id=cycle_id,
        )
    engine.set_serving(
        {"a1": {HEATWAVE: 1}, "v1": {VEILLE: 1, NO_CAMPAIGN: 1}}, volunteers=["v1"], kinds=KINDS
    )
    return engine, node, clock


@pytest.mark.asyncio
async def test_a_caller_of_one_campaign_holds_its_dials_only() -> None:
    engine, node, clock = await rig(ready=["v1"])
    await engine.handle(CallInbound("1790000000.1", HELENE, clock.now), node)
    assert node.joins == []  # the heatwave's agent is not ready; the volunteer is not theirs
    assert engine.inbound.holding(HEATWAVE, every=False) == 1
    assert engine.inbound.holding(VEILLE, every=False) == 0
    await engine.tick()
    assert engine.plan_of(HEATWAVE).facts[0].clause is Clause.INBOUND_WAITING
    assert [p.attempt_id[0] for p in node.placed] == ["v"]  # the veille sociale goes on


@pytest.mark.asyncio
async def test_an_unknown_caller_is_never_given_to_a_volunteer_nor_holds_their_campaign() -> None:
    engine, node, clock = await rig(ready=["v1"])
    await engine.handle(CallInbound("1790000000.2", STRANGER, clock.now), node)
    assert node.sent == [("1790000000.2", UNKNOWN_CONTEXT)]
    assert node.joins == []  # v1 is ready but a volunteer: the caller waits for an agent
    assert engine.seats.get("v1").state.name == "READY"
    await engine.tick()
    assert engine.plan_of(HEATWAVE).facts[0].clause is Clause.INBOUND_WAITING
    assert [p.attempt_id[0] for p in node.placed] == ["v"]
    engine.go_ready("a1")
    await engine.tick()
    assert node.joins == [("1790000000.2", "a1")]  # the agent takes it


@pytest.mark.asyncio
async def test_an_unknown_caller_with_only_the_volunteers_campaign_hears_the_hours() -> None:
    engine, node, clock = await rig(ready=["v1"], campaigns=(VEILLE,))
    await engine.handle(CallInbound("1790000000.3", STRANGER, clock.now), node)
    assert node.sent == [("1790000000.3", CLOSED_CONTEXT)]
    assert node.joins == []
    assert engine.inbound.holding() == 0
    await engine.tick()
    assert [p.attempt_id[0] for p in node.placed] == ["v"]


@pytest.mark.asyncio
async def test_a_household_on_both_lists_returning_a_call_reaches_the_emergency_agents() -> None:
    """The veille sociale planned first, the heatwave opened later: Hélène, on both
    registers, reaches the heatwave's agent (its questionnaire, its scoring), not the
    volunteer ready longer."""
    engine, node, clock = await rig(
        ready=["v1", "a1"], campaigns=(VEILLE, HEATWAVE), veille_people={HELENE: 99}
    )
    await engine.handle(CallInbound("1790000000.5", HELENE, clock.now), node)
    assert node.joins == [("1790000000.5", "a1")]
