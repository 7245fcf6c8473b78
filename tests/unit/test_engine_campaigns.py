"""Several campaigns dialled by one engine: each paced against its own agents, with its
own caller id; a call joins only an agent serving its campaign; a shared agent goes to
their higher-priority campaign; never two calls to one person across campaigns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CycleResult
from dialer.core.campaign_pacing import MIN_OWN_DIALS
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision, decide
from dialer.core.pacing_reasons import Clause
from dialer.core.pacing_settings import PacingConfig, PacingMode
from dialer.engine.assignments import Assignment, CampaignPacer
from dialer.engine.engine import DialingEngine
from dialer.engine.pacing_view import snapshot
from dialer.engine.ports import PlannedDial
from dialer.telephony.port import CallAnswered, CallEnded, CallJoined, NodeConnected
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
HEATWAVE, FLOOD = 7, 8


def _one_per_own_ready(
    engine: DialingEngine, now: datetime, campaign: Assignment | None
) -> PacingDecision:
    """One call per ready agent of the campaign paced, less its calls ringing."""
    seen = snapshot(engine, now, now + timedelta(hours=8), campaign)
    ready = sum(1 for agent in seen.agents if agent.state is AgentState.READY)
    return PacingDecision(max(0, ready - len(seen.dialing) - seen.answered_waiting), "test")


one_per_own_ready = CampaignPacer(_one_per_own_ready)


def dials(prefix: str, people: range, cycle: int) -> list[PlannedDial]:
    return [PlannedDial(f"{prefix}-{p}", p, cycle, f"+339100000{p:02d}") for p in people]


async def two_campaigns(
    agents: list[str], serving: dict[str, dict[int, int]], *, same_people: bool = False
) -> tuple[DialingEngine, FakeNode, MemoryQueue, MemoryQueue, Clock]:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    for agent in agents:
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
        clock.advance(1)
    heatwave = MemoryQueue(ledger, dials("h", range(1, 6), 70))
    flood = MemoryQueue(ledger, dials("f", range(1, 6) if same_people else range(11, 16), 80))
    engine.assign(
        heatwave,
        one_per_own_ready,
        caller_id="+33100000001",
        answering_machine_detection=False,
        campaign_id=HEATWAVE,
        cycle_id=70,
    )
    engine.assign(
        flood,
        one_per_own_ready,
        caller_id="+33100000002",
        answering_machine_detection=True,
        ring_timeout_s=20,
        campaign_id=FLOOD,
        cycle_id=80,
    )
    engine.set_serving(serving)
    return engine, node, heatwave, flood, clock


@pytest.mark.asyncio
async def test_each_campaign_is_paced_against_its_own_agents_with_its_own_settings() -> None:
    engine, node, heatwave, flood, _clock = await two_campaigns(
        ["a1", "a2", "a3"], {"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}, "a3": {FLOOD: 1}}
    )
    await engine.tick()
    placed = {(r.attempt_id[0], r.caller_id, r.answering_machine_detection, r.ring_timeout_s)
              for r in node.placed}  # fmt: skip
    assert len(heatwave.taken) == 1
    assert len(flood.taken) == 2
    assert placed == {("h", "+33100000001", False, 30), ("f", "+33100000002", True, 20)}
    assert engine.plan_of(HEATWAVE).dials == 1
    assert engine.plan_of(FLOOD).dials == 2
    assert engine.last_plan.dials == 3  # both together
    per_campaign = engine.statistics()["campaigns"]
    assert isinstance(per_campaign, dict)
    assert (per_campaign["7"]["agents_ready"], per_campaign["8"]["agents_ready"]) == (1, 2)
    assert (per_campaign["7"]["calls"], per_campaign["8"]["calls"]) == (1, 2)
    pacing = engine.statistics()["pacing"]  # the dashboard's line: each campaign's
    assert pacing == (
        "campagne n° 7 : 1 appel à composer — décroché – (ensemble), abandons – (ensemble) ; "
        "campagne n° 8 : 2 appels à composer — décroché – (ensemble), abandons – (ensemble)"
    )
    await engine.tick()  # each campaign's calls ringing cover its own agents
    assert len(node.placed) == 3


@pytest.mark.asyncio
async def test_a_call_joins_only_an_agent_serving_its_campaign_and_settles_in_its_queue() -> None:
    # a1 is ready the longest but serves only the heatwave
    engine, node, heatwave, flood, _clock = await two_campaigns(
        ["a1", "a2"], {"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}}
    )
    engine.pause_campaign(HEATWAVE)
    await engine.tick()
    [call] = node.placed
    assert call.attempt_id.startswith("f")
    await engine.handle(CallAnswered(call.attempt_id, T0), node)
    assert node.joins == [(call.attempt_id, "a2")]
    await engine.handle(CallJoined(call.attempt_id, "bridge", T0), node)
    await engine.handle(CallEnded(call.attempt_id, 16, None, T0), node)
    await engine.finish_wrap_up("a2", CycleResult.REACHED)
    assert flood.settled_outcomes == {call.attempt_id: CallOutcome.ANSWERED}
    assert flood.results == {call.attempt_id: CycleResult.REACHED}
    assert heatwave.settled_outcomes == {}


@pytest.mark.asyncio
async def test_an_answered_call_never_takes_an_agent_who_does_not_serve_its_campaign() -> None:
    engine, node, _heatwave, flood, _clock = await two_campaigns(
        ["a1", "a2"], {"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}}
    )
    engine.pause_campaign(HEATWAVE)
    await engine.tick()
    [call] = node.placed
    engine.pause("a2", "café")  # the flood's only agent leaves before the answer
    await engine.handle(CallAnswered(call.attempt_id, T0), node)
    assert node.joins == []  # a1 is ready but serves only the heatwave
    assert engine.seats.get("a1").state is AgentState.READY
    assert engine.calls.get(call.attempt_id) is not None
    assert flood.taken


@pytest.mark.asyncio
async def test_a_shared_agent_goes_to_the_higher_priority_campaign() -> None:
    engine, node, heatwave, flood, _clock = await two_campaigns(
        ["a1"], {"a1": {HEATWAVE: 1, FLOOD: 5}}
    )
    await engine.tick()
    assert (len(heatwave.taken), len(flood.taken)) == (0, 1)
    [call] = node.placed
    await engine.handle(CallEnded(call.attempt_id, 19, None, T0), node)  # no answer

    engine.pause_campaign(FLOOD)  # the flood paused: the heatwave has them
    await engine.tick()
    assert (len(heatwave.taken), len(flood.taken)) == (1, 1)

    engine.resume_campaign(FLOOD)
    engine.set_serving({"a1": {HEATWAVE: 9, FLOOD: 5}})  # the supervisor changed it
    await engine.handle(CallEnded(node.placed[-1].attempt_id, 19, None, T0), node)
    await engine.tick()
    assert (len(heatwave.taken), len(flood.taken)) == (2, 1)


@pytest.mark.asyncio
async def test_agents_serving_nothing_stored_are_shared_between_the_campaigns() -> None:
    engine, node, heatwave, flood, _clock = await two_campaigns(["a1", "a2", "a3", "a4"], {})
    await engine.tick()
    assert (len(heatwave.taken), len(flood.taken)) == (2, 2)
    assert len(node.placed) == 4


@pytest.mark.asyncio
async def test_two_campaigns_taking_the_same_person_in_one_tick_call_them_once() -> None:
    engine, node, heatwave, flood, _clock = await two_campaigns(
        ["a1", "a2", "a3", "a4"],
        {"a1": {HEATWAVE: 1}, "a2": {HEATWAVE: 1}, "a3": {FLOOD: 1}, "a4": {FLOOD: 1}},
        same_people=True,
    )
    await engine.tick()
    persons = [call.person_id for call in engine.calls.all() if call.person_id is not None]
    assert sorted(persons) == [1, 2]  # the flood took persons 1 and 2 too: given back
    assert len(node.placed) == 2
    assert sorted(flood.given_back) == ["f-1", "f-2"]
    assert [d.person_id for d in flood.pending[:2]] == [1, 2]
    assert heatwave.given_back == []


@pytest.mark.asyncio
async def test_a_campaign_attached_while_anothers_calls_ring_does_not_dial_for_their_agents() -> (
    None
):
    # the shared agents count for the heatwave until the flood (their first) is attached
    engine, node, heatwave, flood, _clock = await two_campaigns(
        ["a1", "a2"], {"a1": {HEATWAVE: 1, FLOOD: 5}, "a2": {HEATWAVE: 1, FLOOD: 5}}
    )
    flood_assignment = engine.campaign_assignments.remove(FLOOD)
    assert flood_assignment is not None
    await engine.tick()
    assert len(heatwave.taken) == 2  # ringing: no agent yet
    engine.campaign_assignments.put(flood_assignment)
    await engine.tick()
    assert len(flood.taken) == 0  # its agents are the ones the heatwave's calls wait for
    await engine.handle(CallAnswered(node.placed[0].attempt_id, T0), node)
    await engine.handle(CallAnswered(node.placed[1].attempt_id, T0), node)
    assert sorted(agent for _, agent in node.joins) == ["a1", "a2"]


class HeldQueue(MemoryQueue):
    """A dial queue whose :meth:`take` waits until the test lets it go (the database's
    round trip, during which other campaigns' work runs)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.gate = asyncio.Event()
        self.taking = asyncio.Event()

    async def take(self, count: int, now: datetime) -> list[PlannedDial]:
        self.taking.set()
        await self.gate.wait()
        return await super().take(count, now)


@pytest.mark.asyncio
async def test_an_own_phone_call_made_while_another_campaign_ticks_shows_its_campaigns_number() -> (
    None
):
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock, caller_id="")
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.log_in("a1", "a1")
    engine.go_ready("a1")
    heatwave = HeldQueue(ledger, dials("h", range(1, 3), 70))
    flood = MemoryQueue(ledger, dials("f", range(11, 13), 80))
    engine.assign(heatwave, one_per_own_ready, caller_id="+33100000001",
                  answering_machine_detection=False, campaign_id=HEATWAVE, cycle_id=70)  # fmt: skip
    engine.assign(flood, one_per_own_ready, caller_id="+33100000002",
                  answering_machine_detection=True, ring_timeout_s=20, campaign_id=FLOOD,
                  cycle_id=80)  # fmt: skip
    engine.set_serving({"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}, "a3": {HEATWAVE: 1, FLOOD: 5}})

    # no tick running: each agent's phone shows the number of the campaign they serve first
    await engine.call_own_phone("a2", "+33611111111")
    # the heatwave's tick waits on its queue: the flood agent's phone is not the heatwave's
    tick = asyncio.create_task(engine.tick())
    await heatwave.taking.wait()
    await engine.call_own_phone("a3", "+33622222222")
    heatwave.gate.set()
    await tick
    assert node.own_line_caller_ids == [("a2", "+33100000002"), ("a3", "+33100000002")]
    # and the heatwave's call, placed after that wait, carries the heatwave's settings
    assert [(r.attempt_id, r.caller_id, r.answering_machine_detection, r.ring_timeout_s)
            for r in node.placed] == [("h-1", "+33100000001", False, 30)]  # fmt: skip


@pytest.mark.asyncio
async def test_a_campaign_paced_while_another_waits_on_its_queue_dials_with_its_own_settings() -> (
    None
):
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.log_in("a1", "a1")
    await engine.log_in("a2", "a2")
    engine.go_ready("a2")
    heatwave = HeldQueue(ledger, dials("h", range(1, 3), 70))
    flood = MemoryQueue(ledger, [], reserved=dials("f", range(11, 12), 80))
    engine.assign(heatwave, one_per_own_ready, caller_id="+33100000001",
                  answering_machine_detection=False, campaign_id=HEATWAVE, cycle_id=70)  # fmt: skip
    engine.assign(flood, one_per_own_ready, caller_id="+33100000002",
                  answering_machine_detection=True, ring_timeout_s=20, campaign_id=FLOOD,
                  cycle_id=80)  # fmt: skip
    engine.set_serving({"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}})
    await engine.tick()  # the flood's reserved person is offered to a2 (a1 is paused)
    assert engine.offer_of("a2") == "f-11"
    engine.go_ready("a1")
    tick = asyncio.create_task(engine.tick())
    await heatwave.taking.wait()  # the heatwave's tick is under way
    await engine.call_offer("a2")  # « Appeler » on the flood's offer meanwhile
    heatwave.gate.set()
    await tick
    flood_call = next(r for r in node.placed if r.attempt_id == "f-11")
    assert (flood_call.caller_id, flood_call.answering_machine_detection) == ("+33100000002", True)
    assert flood_call.ring_timeout_s == 20
    assert engine.calls.get("f-11").campaign_id == FLOOD  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_two_campaigns_answering_very_differently_are_each_paced_on_their_own_rate() -> None:
    """The heatwave's people answer nine times in ten, the flood's once in ten: after
    enough calls each campaign's pacer reads its own answer rate (not the pooled half)."""
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=ledger, clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    for agent in ("a1", "a2"):
        await engine.log_in(agent, agent)
        engine.go_ready(agent)
    rounds = MIN_OWN_DIALS
    heatwave = MemoryQueue(ledger, dials("h", range(1, rounds + 1), 70))
    flood = MemoryQueue(ledger, dials("f", range(101, 101 + rounds), 80))
    one_each = CampaignPacer(lambda _e, _n, _c: PacingDecision(1, "test"))
    engine.assign(heatwave, one_each, caller_id="+33100000001",
                  answering_machine_detection=False, campaign_id=HEATWAVE, cycle_id=70)  # fmt: skip
    engine.assign(flood, one_each, caller_id="+33100000002",
                  answering_machine_detection=False, campaign_id=FLOOD, cycle_id=80)  # fmt: skip
    engine.set_serving({"a1": {HEATWAVE: 1}, "a2": {FLOOD: 1}})
    for number in range(rounds):
        await engine.tick()
        for request in node.placed[-2:]:
            attempt, heat = request.attempt_id, request.attempt_id.startswith("h")
            answered = number % 10 != 0 if heat else number % 10 == 0
            clock.advance(1)
            if not answered:
                await engine.handle(CallEnded(attempt, 19, None, clock()), node)
                continue
            await engine.handle(CallAnswered(attempt, clock()), node)
            await engine.handle(CallJoined(attempt, "bridge", clock()), node)
            clock.advance(6 if heat else 12)
            await engine.handle(CallEnded(attempt, 16, None, clock()), node)
            await engine.finish_wrap_up("a1" if heat else "a2", CycleResult.REACHED)
    assert len(node.placed) == 2 * rounds
    now = clock()
    hot = engine.activities.figures(HEATWAVE, now)
    wet = engine.activities.figures(FLOOD, now)
    assert "answer_rate" in hot.own
    assert "answer_rate" in wet.own
    assert hot.figures.answer_rate == pytest.approx(0.9)
    assert wet.figures.answer_rate == pytest.approx(0.1)
    assert engine.activities.pooled.figures(now).answer_rate == pytest.approx(0.5)

    # each campaign's predictive pacer, fed its own snapshot, with one ready agent each
    # (30 live answers today leave no room for a predictive line under the abandon cap:
    # the decision stays progressive; its answer-rate fact is the campaign's own)
    config = PacingConfig(
        mode=PacingMode.PREDICTIVE, max_abandon_rate=0.03, max_lines_per_agent=3.0, spare_abandons=1
    )
    decided: dict[int, int] = {}
    rates: dict[int, float] = {}
    for campaign in (HEATWAVE, FLOOD):
        assignment = engine.campaign_assignments.get(campaign)
        assert assignment is not None
        seen = snapshot(engine, now, now + timedelta(hours=8), assignment)
        assert seen.recent_dials == rounds
        plan = decide(seen, config)
        decided[campaign] = plan.dials
        [answer_rate] = [f.values[0] for f in plan.facts if f.clause is Clause.ANSWER_RATE]
        rates[campaign] = answer_rate
    assert rates[HEATWAVE] > 0.5 > rates[FLOOD]  # each its own (smoothed) answer rate
    assert decided[FLOOD] >= 1
    assert decided[HEATWAVE] >= 1

    stats = engine.statistics()
    per_campaign = stats["campaigns"]
    assert isinstance(per_campaign, dict)
    assert per_campaign["7"]["pacing_figures"]["answer_rate"] == pytest.approx(0.9)
    assert per_campaign["8"]["pacing_figures"]["answer_rate"] == pytest.approx(0.1)
    assert "answer_rate" in per_campaign["8"]["pacing_figures"]["own"]
    assert "décroché 90,0 % (propre)" in str(stats["pacing"])
    assert "décroché 10,0 % (propre)" in str(stats["pacing"])
