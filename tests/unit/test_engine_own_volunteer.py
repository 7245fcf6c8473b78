"""A household of a veille-sociale campaign that calls in reaches its own volunteer (issue
#21, continuity), through the real engine and the fake telephony: assigned and free, them
(not the volunteer ready longer); assigned and busy, the household waits for them up to the
bound, then any volunteer of the campaign; assigned and off duty, anyone at once; nobody
assigned, the volunteer who last talked to it. Emergency callers keep their way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind
from dialer.core.own_volunteer import own_volunteer
from dialer.core.volunteer_desk import NO_CAMPAIGN
from dialer.engine.engine import DialingEngine
from dialer.engine.inbound_desk import HouseholdVolunteers, desk_of
from dialer.telephony.port import CallEnded, CallInbound, CallJoined, NodeConnected
from dialer.testing import Clock, FakeNode, MemoryAttemptLog
from tests.unit.test_engine_campaigns import dials, one_per_own_ready
from tests.unit.test_engine_inbound import HELENE, FakeDesk, InboundQueue

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
HEATWAVE, VEILLE = 7, 9
KINDS = {HEATWAVE: CampaignKind.HEATWAVE, VEILLE: CampaignKind.VEILLE_SOCIALE}
#: another household of the list, whom nobody has talked to yet
MARCEL = "+33612345688"
OWN_WAIT = timedelta(seconds=20)


@dataclass
class VolunteerDesk(FakeDesk):
    """The veille sociale's side: who each household is assigned to, and who last talked
    to it (the storage look-up, :class:`dialer.campaigns.inbound.CycleInboundDesk`)."""

    assigned: dict[str, str] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)

    async def household_volunteer(self, caller: str, *, at: datetime) -> str | None:
        return own_volunteer(self.assigned.get(caller), self.last.get(caller))


async def veille(
    *,
    assigned: dict[str, str] | None = None,
    last: dict[str, str] | None = None,
    heatwave: bool = False,
) -> tuple[DialingEngine, FakeNode, Clock]:
    """Volunteers v2 (ready the longest) and v1, both serving the veille sociale, logged in
    and ready; Hélène and Marcel on its register (and Hélène on the heatwave's, with its
    agent a1 logged in but paused, when ``heatwave``)."""
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, clock=clock, own_volunteer_wait=OWN_WAIT
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    for agent in ("a1", "v2", "v1"):
        await engine.log_in(agent, agent)
        if agent != "a1":
            engine.go_ready(agent)
        clock.advance(1)
    queues = {}
    for campaign_id, cycle_id in ((VEILLE, 90), *(((HEATWAVE, 70),) if heatwave else ())):
        queue = InboundQueue(ledger, dials("x", range(0), cycle_id))
        if campaign_id == VEILLE:
            queue.inbound = VolunteerDesk(
                ledger,
                people={HELENE: 7, MARCEL: 8},
                assigned=assigned or {},
                last=last or {},
            )
        queues[campaign_id] = queue
        engine.assign(
            queue,
            one_per_own_ready,
            caller_id="+33100000001",
            answering_machine_detection=False,
            campaign_id=campaign_id,
            cycle_id=cycle_id,
        )
    engine.set_serving(
        {
            "a1": {HEATWAVE: 1},
            "v1": {VEILLE: 1, NO_CAMPAIGN: 1},
            "v2": {VEILLE: 1, NO_CAMPAIGN: 1},
        },
        volunteers=["v1", "v2"],
        kinds=KINDS,
    )
    assert isinstance(desk_of(queues[VEILLE]), HouseholdVolunteers)
    return engine, node, clock


async def busy(engine: DialingEngine, node: FakeNode, clock: Clock, volunteer: str) -> str:
    """``volunteer`` takes Marcel's call (nobody's household yet), the other paused."""
    other = "v2" if volunteer == "v1" else "v1"
    engine.pause(other, "café")
    await engine.handle(CallInbound("1790000000.50", MARCEL, clock.now), node)
    assert node.joins[-1] == ("1790000000.50", volunteer)
    await engine.handle(CallJoined("1790000000.50", "bridge-50", clock.now), node)
    assert engine.seats.get(volunteer).state is AgentState.ON_CALL
    engine.go_ready(other)
    return "1790000000.50"


@pytest.mark.asyncio
async def test_the_assigned_volunteer_free_takes_the_household_not_the_one_ready_longer() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v1"})
    await engine.handle(CallInbound("1790000000.1", HELENE, clock.now), node)
    assert node.joins == [("1790000000.1", "v1")]  # v2 is ready since longer


@pytest.mark.asyncio
async def test_the_assigned_volunteer_busy_the_household_waits_then_goes_to_another() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v1"})
    await busy(engine, node, clock, "v1")
    await engine.handle(CallInbound("1790000000.2", HELENE, clock.now), node)
    assert node.joins[-1][0] != "1790000000.2"  # v2 is free, but Hélène waits for v1
    assert engine.inbound.holding(VEILLE, every=False) == 0  # v2 goes on with the others
    assert engine.inbound.holding() == 1
    clock.advance(OWN_WAIT.total_seconds() - 1)
    await engine.tick()
    assert engine.seats.get("v2").state is AgentState.READY
    clock.advance(1)  # the bound reached: any volunteer of the campaign
    await engine.tick()
    assert node.joins[-1] == ("1790000000.2", "v2")
    assert engine.inbound.holding() == 0


@pytest.mark.asyncio
async def test_the_assigned_volunteer_free_again_within_the_bound_takes_the_household() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v1"})
    marcel = await busy(engine, node, clock, "v1")
    await engine.handle(CallInbound("1790000000.3", HELENE, clock.now), node)
    clock.advance(5)
    await engine.handle(CallEnded(marcel, 16, None, clock.now), node)
    assert engine.seats.get("v1").state is AgentState.WRAP_UP  # still busy: she waits
    await engine.tick()
    assert node.joins[-1] == (marcel, "v1")
    clock.advance(5)
    await engine.finish_wrap_up("v1")
    await engine.tick()
    assert node.joins[-1] == ("1790000000.3", "v1")
    assert engine.seats.get("v2").state is AgentState.READY


@pytest.mark.asyncio
async def test_the_assigned_volunteer_off_duty_another_takes_the_household_at_once() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v1"})
    engine.pause("v1", "café")
    await engine.handle(CallInbound("1790000000.4", HELENE, clock.now), node)
    assert node.joins == [("1790000000.4", "v2")]


@pytest.mark.asyncio
async def test_the_volunteer_logged_out_another_takes_the_household_at_once() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v1"})
    await engine.log_out("v1")
    await engine.handle(CallInbound("1790000000.6", HELENE, clock.now), node)
    assert node.joins == [("1790000000.6", "v2")]


@pytest.mark.asyncio
async def test_with_nobody_assigned_the_volunteer_who_last_talked_to_them_takes_it() -> None:
    engine, node, clock = await veille(last={HELENE: "v1"})
    await engine.handle(CallInbound("1790000000.7", HELENE, clock.now), node)
    assert node.joins == [("1790000000.7", "v1")]


@pytest.mark.asyncio
async def test_the_assignment_wins_over_continuity() -> None:
    engine, node, clock = await veille(assigned={HELENE: "v2"}, last={HELENE: "v1"})
    engine.pause("v2", "café")
    engine.go_ready("v2")  # now v1 is ready the longest
    await engine.handle(CallInbound("1790000000.8", HELENE, clock.now), node)
    assert node.joins == [("1790000000.8", "v2")]


@pytest.mark.asyncio
async def test_a_household_of_nobody_goes_to_the_volunteer_ready_longest() -> None:
    engine, node, clock = await veille()
    await engine.handle(CallInbound("1790000000.9", HELENE, clock.now), node)
    assert node.joins == [("1790000000.9", "v2")]  # as before


@pytest.mark.asyncio
async def test_a_household_on_the_heatwave_list_reaches_its_agent_first() -> None:
    """An emergency caller keeps its way: the heatwave's agent first, even when the
    household's own volunteer is free."""
    engine, node, clock = await veille(assigned={HELENE: "v1"}, heatwave=True)
    engine.go_ready("a1")
    await engine.handle(CallInbound("1790000000.10", HELENE, clock.now), node)
    assert node.joins == [("1790000000.10", "a1")]
