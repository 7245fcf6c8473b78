"""Calls coming in, in the engine: a registered caller takes a free agent before any dial
(the pacer dials nobody while one waits), is joined and popped as an answered call, and
settles as one; the caller nobody takes is called back; outside calling hours the call
hears the hours; an unknown number is joined to a free agent after the known callers, with
no attempt in the ledger, and is promised no call back; a caller who hangs up while waiting
is a lost call."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.inbound_match import (
    Engagement,
    LineUse,
    attach_refusal,
    holder,
    match_caller,
)
from dialer.core.labels import ATTACH_REFUSAL_LABELS, pacing_text
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.dashboard.live import InboundFigures, build_snapshot, live_figures
from dialer.engine.engine import DialingEngine
from dialer.engine.inbound import CLOSED_CONTEXT, UNKNOWN_CONTEXT
from dialer.engine.ports import PlannedDial
from dialer.engine.stopping import drain
from dialer.errors import ConflictError, NotFoundError
from dialer.telephony.port import (
    CallAnswered,
    CallEnded,
    CallInbound,
    CallJoined,
    CallRinging,
    InboundUnanswered,
    NodeConnected,
    NodeDisconnected,
)
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue
from tests.unit.test_engine import NotedScreens

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
HELENE = "+33612345601"


@dataclass
class FakeDesk:
    """The campaign's side: one registered person, calling hours as set."""

    ledger: MemoryAttemptLog
    people: dict[str, int] = field(default_factory=lambda: {HELENE: 7})
    open: bool = True
    taken: list[tuple[str, str, str]] = field(default_factory=list)
    called_back: list[str] = field(default_factory=list)
    unknown: list[tuple[str, str, str]] = field(default_factory=list)
    #: when set, writing a call waits for it (the database is slow)
    gate: asyncio.Event | None = None
    #: the outbound calls withdrawn because their person called in
    withdrawn: list[str] = field(default_factory=list)
    #: the calls coming in not put through, closed as no call
    released: list[str] = field(default_factory=list)
    #: the people on Hélène's line (a shared line), and the agents' choices among them
    line: tuple[int, ...] = (7, 8)
    reattached: list[tuple[str, int]] = field(default_factory=list)
    #: unknown numbers' calls attached to the person the agent found
    found: list[tuple[str, int]] = field(default_factory=list)

    def open_at(self, now: datetime) -> bool:
        return self.open

    async def knows(self, caller: str) -> bool:
        return caller in self.people

    async def free_line(
        self, caller: str, *, engaged: Mapping[int, Engagement], at: datetime
    ) -> str | None:
        person = self.people.get(caller)
        if person is None:
            return None
        match = match_caller([holder(person, waiting=False, engagement=engaged.get(person))])
        if match is None or match.withdraw is None:
            return None
        self.withdrawn.append(match.withdraw)
        return match.withdraw

    async def take(
        self,
        attempt_id: str,
        caller: str,
        *,
        agent: str,
        node: str,
        arrived_at: datetime,
        engaged: Mapping[int, Engagement] | None = None,
    ) -> PlannedDial | None:
        person = self.people.get(caller)
        if person is None:
            return None
        engagement = (engaged or {}).get(person)
        match = match_caller([holder(person, waiting=True, engagement=engagement)])
        if match is None:  # on the line with us already
            return None
        if match.withdraw is not None:
            self.withdrawn.append(match.withdraw)
        if self.gate is not None:
            await self.gate.wait()
        self.taken.append((attempt_id, caller, agent))
        self.ledger.plan(attempt_id, person, caller)
        await self.ledger.mark_dialing(attempt_id, at=arrived_at, node=node)
        await self.ledger.mark_answered(attempt_id, at=arrived_at)
        return PlannedDial(attempt_id, person, 1, caller)

    async def unknown_taken(
        self, attempt_id: str, caller: str, *, agent: str, node: str, at: datetime
    ) -> None:
        self.unknown.append((attempt_id, caller, agent))

    async def release(self, attempt_id: str, *, at: datetime) -> None:
        self.released.append(attempt_id)

    async def attach_found(
        self,
        attempt_id: str,
        caller: str,
        person_id: int,
        *,
        agent: str,
        node: str,
        answered_at: datetime,
        bridged_at: datetime | None,
        engaged: Mapping[int, Engagement],
    ) -> PlannedDial:
        self.found.append((attempt_id, person_id))
        self.ledger.plan(attempt_id, person_id, caller)
        await self.ledger.mark_dialing(attempt_id, at=answered_at, node=node)
        await self.ledger.mark_answered(attempt_id, at=answered_at)
        return PlannedDial(attempt_id, person_id, 1, caller)

    async def reattach(
        self, attempt_id: str, person_id: int, *, engaged: Mapping[int, Engagement]
    ) -> None:
        engagement = engaged.get(person_id)
        refusal = attach_refusal(
            inbound=True,
            use=engagement.use if engagement else LineUse.FREE,
            holds_number=person_id in self.line,
            disposed=False,
        )
        if refusal is not None:
            raise ConflictError(ATTACH_REFUSAL_LABELS[refusal])
        self.reattached.append((attempt_id, person_id))

    async def call_back(self, caller: str, *, now: datetime) -> bool:
        if caller not in self.people:
            return False
        self.called_back.append(caller)
        return True


class InboundQueue(MemoryQueue):
    def __init__(self, ledger: MemoryAttemptLog, dials: list[PlannedDial]) -> None:
        super().__init__(ledger, dials)
        self.inbound = FakeDesk(ledger)


def every_ready_agent(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(max(0, ready - len(engine.calls.all())), f"{ready} ready")


async def engine_with(
    agents: int, automatic: int = 0
) -> tuple[DialingEngine, FakeNode, InboundQueue, NotedScreens, Clock]:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    dials = [PlannedDial(f"auto-{i}", 100 + i, 1, f"+3391010000{i}") for i in range(automatic)]
    queue = InboundQueue(ledger, dials)
    screens = NotedScreens()
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=every_ready_agent,
        clock=clock,
        screens=screens,
    )
    screens.engine = engine
    await engine.handle(NodeConnected(node.name, T0), node)
    for i in range(agents):
        await engine.log_in(f"agent-{i}", f"agent-{i}")
        clock.advance(1)
        engine.go_ready(f"agent-{i}")
    return engine, node, queue, screens, clock


@pytest.mark.asyncio
async def test_a_registered_caller_is_joined_to_the_free_agent_and_settles_as_an_answer() -> None:
    engine, node, queue, screens, clock = await engine_with(agents=1, automatic=3)
    await engine.handle(CallInbound("1790000000.1", HELENE, clock.now), node)
    assert node.joins == [("1790000000.1", "agent-0")]
    assert ("reserved", "agent-0", "1790000000.1") in screens.told
    assert engine.seats.get("agent-0").state is AgentState.RESERVED  # counted busy
    assert (await engine.tick()).dials == 0
    assert node.placed == []  # the agent it took is busy: nobody dialled for them
    await engine.handle(CallJoined("1790000000.1", "bridge-1", clock.now), node)
    assert ("joined", "agent-0", "1790000000.1") in screens.told
    clock.advance(60)
    await engine.handle(CallEnded("1790000000.1", 16, None, clock.now), node)
    assert queue.settled_outcomes["1790000000.1"] is CallOutcome.ANSWERED
    assert engine.seats.get("agent-0").state is AgentState.WRAP_UP
    statistics = engine.statistics()
    assert (statistics["inbound"], statistics["inbound_answered"]) == (1, 1)
    assert statistics["inbound_wait_s_mean"] == 0.0


@pytest.mark.asyncio
async def test_while_a_caller_waits_nobody_is_dialled_and_the_next_free_agent_is_theirs() -> None:
    engine, node, _, _, clock = await engine_with(agents=0, automatic=3)
    await engine.handle(CallInbound("1790000000.2", HELENE, clock.now), node)
    clock.advance(4)
    await engine.log_in("agent-0", "agent-0")
    engine.go_ready("agent-0")
    plan = await engine.tick()
    assert node.joins == [("1790000000.2", "agent-0")]  # the caller first
    assert plan.dials == 0
    assert node.placed == []
    statistics = engine.statistics()
    assert statistics["inbound_waiting"] == 0
    assert statistics["inbound_wait_s_mean"] == 4.0


@pytest.mark.asyncio
async def test_a_waiting_caller_holds_the_dials_with_a_french_reason() -> None:
    engine, node, _, _, clock = await engine_with(agents=0, automatic=3)
    await engine.handle(CallInbound("1790000000.3", HELENE, clock.now), node)
    plan = await engine.tick()
    assert plan.dials == 0
    assert pacing_text(plan) == "1 appel reçu attend un agent : aucun appel composé avant"
    assert engine.statistics()["inbound_waiting"] == 1


@pytest.mark.asyncio
async def test_a_waiting_call_whose_end_was_lost_stops_holding_the_dials() -> None:
    """Its InboundUnanswered or its hang-up lost (AMI cut): forgotten after the dialplan's
    wait and a margin, and called back; before, nobody was ever dialled again."""
    engine, node, queue, _, clock = await engine_with(agents=0, automatic=3)
    await engine.handle(CallInbound("1790000000.8", HELENE, clock.now), node)
    clock.advance(55)  # 30 s wait + less than the margin (a turn of the waiting loop)
    assert (await engine.tick()).dials == 0
    assert engine.statistics()["inbound_waiting"] == 1
    clock.advance(10)
    await engine.log_in("agent-0", "agent-0")
    engine.go_ready("agent-0")
    plan = await engine.tick()
    assert node.joins == []  # the caller is gone: not joined to the agent
    assert plan.dials == 1  # the dials go on
    assert queue.inbound.called_back == [HELENE]
    assert engine.statistics()["inbound_lost"] == 1


@pytest.mark.asyncio
async def test_a_node_lost_forgets_its_waiting_callers_and_calls_them_back() -> None:
    engine, node, queue, _, clock = await engine_with(agents=0, automatic=3)
    await engine.handle(CallInbound("1790000000.9", HELENE, clock.now), node)
    await engine.handle(NodeDisconnected(node.name, "AMI coupé", clock.now), node)
    assert engine.statistics()["inbound_waiting"] == 0
    assert queue.inbound.called_back == [HELENE]


@pytest.mark.asyncio
async def test_nobody_free_in_time_the_caller_is_called_back() -> None:
    engine, node, queue, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.4", HELENE, clock.now), node)
    clock.advance(30)
    await engine.handle(InboundUnanswered("1790000000.4", HELENE, clock.now), node)
    assert queue.inbound.called_back == [HELENE]
    statistics = engine.statistics()
    assert (statistics["inbound_waiting"], statistics["inbound_lost"]) == (0, 1)
    assert statistics["inbound_calls_back"] == 1


@pytest.mark.asyncio
async def test_outside_calling_hours_the_caller_hears_the_hours_and_is_called_back() -> None:
    engine, node, queue, _, clock = await engine_with(agents=1)
    queue.inbound.open = False
    await engine.handle(CallInbound("1790000000.5", HELENE, clock.now), node)
    assert node.sent == [("1790000000.5", CLOSED_CONTEXT)]
    assert node.joins == []  # the free agent is not given the call
    assert queue.inbound.called_back == [HELENE]
    assert engine.statistics()["inbound_closed"] == 1


@pytest.mark.asyncio
async def test_an_unknown_number_is_joined_to_the_free_agent_with_no_attempt_written() -> None:
    engine, node, queue, screens, clock = await engine_with(agents=1, automatic=1)
    await engine.handle(CallInbound("1790000000.6", "+33699999999", clock.now), node)
    assert node.sent == [("1790000000.6", UNKNOWN_CONTEXT)]
    assert node.joins == [("1790000000.6", "agent-0")]  # the same join as a known caller
    assert queue.inbound.unknown == [("1790000000.6", "+33699999999", "agent-0")]  # audited
    # the screen is told the number (no record to load, no questionnaire), never "reserved"
    assert ("unknown_caller", "agent-0", "+33699999999") in screens.told
    assert ("reserved", "agent-0", "1790000000.6") not in screens.told
    assert engine.seats.get("agent-0").state is AgentState.RESERVED
    assert (await engine.tick()).dials == 0  # its agent is busy: nobody dialled
    await engine.handle(CallJoined("1790000000.6", "bridge-6", clock.now), node)
    assert engine.seats.get("agent-0").state is AgentState.ON_CALL
    clock.advance(60)
    assert ("joined", "agent-0", "1790000000.6") not in screens.told  # no record to pop
    await engine.handle(CallEnded("1790000000.6", 16, None, clock.now), node)
    await engine.flush()
    # no sheet to fill: the agent is ready again at the call's end, not held in wrap-up
    assert engine.seats.get("agent-0").state is AgentState.READY
    assert ("wrapped_up", "agent-0", "ready") in screens.told
    assert "1790000000.6" not in queue.ledger.entries  # an attempt needs a person
    statistics = engine.statistics()
    assert (statistics["inbound_unknown"], statistics["inbound_answered"]) == (1, 1)
    assert statistics["inbound_calls_back"] == 0
    await engine.tick()
    assert [p.attempt_id for p in node.placed] == ["auto-0"]  # the agent free again


@pytest.mark.asyncio
async def test_a_known_caller_takes_the_free_agent_before_an_unknown_number() -> None:
    engine, node, queue, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.10", "+33699999999", clock.now), node)
    clock.advance(5)
    await engine.handle(CallInbound("1790000000.11", HELENE, clock.now), node)
    assert engine.inbound.holding() == 2  # both hold the dials
    await engine.log_in("agent-0", "agent-0")
    engine.go_ready("agent-0")
    await engine.tick()
    assert node.joins == [("1790000000.11", "agent-0")]  # the known caller, though later
    await engine.log_in("agent-1", "agent-1")
    engine.go_ready("agent-1")
    await engine.tick()
    assert node.joins[1:] == [("1790000000.10", "agent-1")]
    assert queue.inbound.unknown == [("1790000000.10", "+33699999999", "agent-1")]


@pytest.mark.asyncio
async def test_an_unknown_number_with_every_agent_busy_is_promised_no_call_back() -> None:
    engine, node, queue, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.8", "+33699999999", clock.now), node)
    await engine.handle(CallInbound("1790000000.9", HELENE, clock.now), node)
    # found on no register although nobody is free: it waits where, unanswered, it hears
    # the hours and the emergency numbers; the registered caller keeps the usual path
    assert node.sent == [("1790000000.8", UNKNOWN_CONTEXT)]
    assert engine.inbound.holding() == 2  # both wait for an agent
    await engine.tick()
    assert node.sent == [("1790000000.8", UNKNOWN_CONTEXT)]  # sent there once
    await engine.handle(InboundUnanswered("1790000000.8", "+33699999999", clock.now), node)
    await engine.handle(InboundUnanswered("1790000000.9", HELENE, clock.now), node)
    assert queue.inbound.called_back == [HELENE]
    statistics = engine.statistics()
    assert (statistics["inbound_unknown"], statistics["inbound_lost"]) == (1, 2)


@pytest.mark.asyncio
async def test_a_caller_who_hangs_up_while_waiting_is_lost() -> None:
    engine, node, _, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.7", HELENE, clock.now), node)
    await engine.handle(CallEnded("1790000000.7", 16, None, clock.now), node)
    statistics = engine.statistics()
    assert (statistics["inbound_waiting"], statistics["inbound_lost"]) == (0, 1)


@pytest.mark.asyncio
async def test_with_no_campaign_ever_the_call_is_left_to_the_dialplan() -> None:
    node, clock = FakeNode(), Clock(T0)
    engine = DialingEngine(nodes=[node], attempt_log=MemoryAttemptLog(), clock=clock)
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.handle(CallInbound("1790000000.8", HELENE, clock.now), node)
    assert node.joins == []
    assert node.sent == []
    assert engine.statistics()["inbound"] == 1


@pytest.mark.asyncio
async def test_after_the_campaign_stops_callers_hear_the_hours_and_are_called_back() -> None:
    """A stopped campaign routes nobody to its agents: the caller waiting then, and those
    who call after, hear the hours and the emergency numbers, called back at the opening."""
    engine, node, queue, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.40", HELENE, clock.now), node)
    engine.unassign()  # the campaign stopped
    await engine.log_in("agent-0", "agent-0")
    engine.go_ready("agent-0")
    await engine.tick()
    assert node.sent == [("1790000000.40", CLOSED_CONTEXT)]
    assert engine.inbound.holding() == 0
    await engine.handle(CallInbound("1790000000.41", HELENE, clock.now), node)
    assert node.sent[1:] == [("1790000000.41", CLOSED_CONTEXT)]
    assert node.joins == []  # the ready agent is not given them
    assert queue.inbound.called_back == [HELENE, HELENE]
    assert engine.statistics()["inbound_closed"] == 2
    # started again: callers reach the agents again
    engine.assign(queue, every_ready_agent, caller_id="", answering_machine_detection=False)
    await engine.handle(CallInbound("1790000000.42", HELENE, clock.now), node)
    assert node.joins == [("1790000000.42", "agent-0")]


@pytest.mark.asyncio
async def test_after_the_service_stops_callers_hear_the_hours_and_are_called_back() -> None:
    engine, node, queue, _, clock = await engine_with(agents=1, automatic=1)
    engine.pause("agent-0", "Autre")
    await engine.handle(CallInbound("1790000000.43", HELENE, clock.now), node)
    drained = await drain(engine, bound_s=0)
    assert drained.lines_released == 1
    assert node.sent == [("1790000000.43", CLOSED_CONTEXT)]
    await engine.log_in("agent-0", "agent-0")  # an agent still there: not given callers
    engine.go_ready("agent-0")
    await engine.handle(CallInbound("1790000000.44", HELENE, clock.now), node)
    await engine.tick()
    assert node.sent[1:] == [("1790000000.44", CLOSED_CONTEXT)]
    assert node.joins == []
    assert queue.inbound.called_back == [HELENE, HELENE]


@pytest.mark.asyncio
async def test_a_call_coming_in_counts_in_no_dial_figure() -> None:
    engine, node, _, _, clock = await engine_with(agents=1)
    await engine.handle(CallInbound("1790000000.9", HELENE, clock.now), node)
    clock.advance(3)
    await engine.handle(CallJoined("1790000000.9", "bridge-9", clock.now), node)
    clock.advance(30)
    await engine.handle(CallEnded("1790000000.9", 16, None, clock.now), node)
    assert engine.activity.today(clock.now) == (0, 0)  # not in the abandon budget
    assert list(engine.join_latencies_ms) == []  # nor in the 2-second promise's measure
    assert engine.statistics()["joined"] == 1


@pytest.mark.asyncio
async def test_the_dashboard_shows_the_calls_coming_in() -> None:
    engine, node, _, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.10", HELENE, clock.now), node)
    await engine.handle(CallInbound("1790000000.11", HELENE, clock.now), node)
    await engine.handle(CallEnded("1790000000.11", 16, None, clock.now), node)
    await engine.log_in("agent-0", "agent-0")
    clock.advance(6)
    engine.go_ready("agent-0")
    await engine.tick()
    await engine.handle(CallInbound("1790000000.12", HELENE, clock.now), node)
    figures = live_figures(engine, clock.now).inbound
    assert figures == InboundFigures(waiting=1, answered=1, lost=1, closed=0, wait_s_mean=6.0)
    assert build_snapshot(clock.now, live_figures(engine), None).to_json()["live"]["inbound"] == {
        "waiting": 1,
        "answered": 1,
        "lost": 1,
        "closed": 0,
        "wait_s_mean": 6.0,
    }


@pytest.mark.asyncio
async def test_a_caller_who_hangs_up_while_the_call_is_written_is_closed_not_joined() -> None:
    engine, node, queue, _, clock = await engine_with(agents=1)
    queue.inbound.gate = asyncio.Event()
    arriving = asyncio.create_task(
        engine.handle(CallInbound("1790000000.13", HELENE, clock.now), node)
    )
    await asyncio.sleep(0)
    await engine.handle(CallEnded("1790000000.13", 16, None, clock.now), node)
    queue.inbound.gate.set()
    await arriving
    await engine.flush()
    assert node.joins == []
    assert engine.calls.get("1790000000.13") is None
    assert engine.seats.get("agent-0").state is AgentState.READY
    assert queue.ledger.entries["1790000000.13"].outcome is CallOutcome.HUNG_UP
    assert queue.settled_outcomes["1790000000.13"] is CallOutcome.HUNG_UP
    assert engine.statistics()["inbound_lost"] == 1


@pytest.mark.asyncio
async def test_a_waiting_call_served_by_the_tick_and_a_new_call_at_once_is_taken_once() -> None:
    engine, node, queue, _, clock = await engine_with(agents=2)
    queue.inbound.people["+33612345602"] = 8
    queue.inbound.gate = asyncio.Event()
    first = asyncio.create_task(
        engine.handle(CallInbound("1790000000.14", HELENE, clock.now), node)
    )
    await asyncio.sleep(0)
    ticking = asyncio.create_task(engine.tick())
    second = asyncio.create_task(
        engine.handle(CallInbound("1790000000.15", "+33612345602", clock.now), node)
    )
    await asyncio.sleep(0)
    queue.inbound.gate.set()
    await asyncio.gather(first, ticking, second)
    assert sorted(a for a, _, _ in queue.inbound.taken) == ["1790000000.14", "1790000000.15"]
    assert sorted(node.joins) == [("1790000000.14", "agent-0"), ("1790000000.15", "agent-1")]


@pytest.mark.asyncio
async def test_a_call_coming_in_resumed_after_a_restart_stays_out_of_the_dial_figures() -> None:
    engine, node, queue, _, clock = await engine_with(agents=0)
    ledger = queue.ledger
    ledger.plan("1790000000.16", 7, HELENE)
    await ledger.mark_dialing("1790000000.16", at=clock.now, node=node.name)
    await ledger.mark_answered("1790000000.16", at=clock.now)
    ledger.entries["1790000000.16"].inbound = True
    node.live.add("1790000000.16")
    await engine.handle(NodeConnected(node.name, clock.now), node)  # a new session
    resumed = engine.calls.get("1790000000.16")
    assert resumed is not None
    assert resumed.inbound
    await engine.handle(CallEnded("1790000000.16", 16, None, clock.now), node)
    assert engine.activity.today(clock.now) == (0, 0)


async def dialling_helene(agents: int) -> tuple[DialingEngine, FakeNode, InboundQueue, Clock]:
    """Hélène (person 7) dialled by an automatic call, which rings."""
    engine, node, queue, _, clock = await engine_with(agents=agents)
    queue.pending.append(PlannedDial("out-7", 7, 1, HELENE))
    queue.ledger.plan("out-7", 7, HELENE)
    engine.pacer = lambda _e, _n: PacingDecision(1, "one")
    await engine.tick()
    assert [p.attempt_id for p in node.placed] == ["out-7"]
    await engine.handle(CallRinging("out-7", clock.advance(1)), node)
    return engine, node, queue, clock


@pytest.mark.asyncio
async def test_a_person_calling_in_while_dialled_has_the_ringing_call_withdrawn() -> None:
    """Never two calls at once: the ringing outbound call is hung up and withdrawn (no
    attempt spent, its end settles nothing), the person's call coming in is joined."""
    engine, node, queue, clock = await dialling_helene(agents=1)
    await engine.handle(CallInbound("1790000000.20", HELENE, clock.now), node)
    assert queue.inbound.withdrawn == ["out-7"]
    assert node.hangups == ["out-7"]
    assert engine.calls.get("out-7") is None
    assert node.joins == [("1790000000.20", "agent-0")]
    await engine.handle(CallEnded("out-7", 16, None, clock.advance(1)), node)
    assert "out-7" not in queue.settled_outcomes  # withdrawn: settled as nothing
    assert engine.calls.get("1790000000.20") is not None
    assert engine.inbound.engaged()[7].use.value == "on_call"


@pytest.mark.asyncio
async def test_a_person_on_an_answered_call_is_not_attached_to_a_call_coming_in() -> None:
    """The outbound call answered: the caller on the same number is not that person
    (already on the line with us); they reach the next agent as an unknown number."""
    engine, node, queue, clock = await dialling_helene(agents=2)
    await engine.handle(CallAnswered("out-7", clock.advance(1)), node)
    assert node.joins == [("out-7", "agent-0")]
    await engine.handle(CallInbound("1790000000.21", HELENE, clock.now), node)
    assert node.hangups == []
    assert queue.inbound.taken == []  # no second call for Hélène
    assert node.sent == [("1790000000.21", UNKNOWN_CONTEXT)]
    assert node.joins[1:] == [("1790000000.21", "agent-1")]
    assert engine.calls.get("out-7") is not None


@pytest.mark.asyncio
async def test_a_failed_join_puts_the_person_back_in_the_queue_with_a_call_back() -> None:
    """The Redirect to the agent failed (their leg gone): the dialplan tells the caller we
    will call back; the call is closed (the person waits again, not left in call) and the
    agent-reserved call back is scheduled, as when no agent is free."""
    engine, node, queue, screens, clock = await engine_with(agents=1)
    node.refuse_join = True
    await engine.handle(CallInbound("1790000000.30", HELENE, clock.now), node)
    assert node.joins == [("1790000000.30", "agent-0")]
    assert engine.calls.get("1790000000.30") is None
    assert queue.inbound.released == ["1790000000.30"]  # no call, the person waits again
    assert "1790000000.30" not in queue.settled_outcomes
    assert queue.inbound.called_back == [HELENE]
    assert engine.seats.get("agent-0").state is AgentState.READY
    # the dialplan's own word of it, then the channel's end: no news, counted once
    await engine.handle(InboundUnanswered("1790000000.30", HELENE, clock.advance(5)), node)
    await engine.handle(CallEnded("1790000000.30", 16, None, clock.now), node)
    assert queue.inbound.called_back == [HELENE]
    assert "1790000000.30" not in queue.settled_outcomes
    statistics = engine.statistics()
    assert (statistics["inbound_lost"], statistics["inbound_calls_back"]) == (1, 1)
    assert statistics["inbound_answered"] == 0
    assert ("withdrawn", "agent-0", "1790000000.30") in screens.told  # the pop is void


@pytest.mark.asyncio
async def test_on_a_shared_line_the_agent_says_who_is_on_the_phone() -> None:
    engine, node, queue, _, clock = await engine_with(agents=1)
    await engine.handle(CallInbound("1790000000.50", HELENE, clock.now), node)
    await engine.handle(CallJoined("1790000000.50", "bridge-50", clock.now), node)
    await engine.attach_inbound("agent-0", "1790000000.50", 8)
    assert queue.inbound.reattached == [("1790000000.50", 8)]
    live = engine.calls.get("1790000000.50")
    assert live is not None
    assert live.person_id == 8
    assert engine.busy_persons() == {8}  # the contact is the chosen person's
    await engine.attach_inbound("agent-0", "1790000000.50", 8)  # the same: nothing to do
    assert len(queue.inbound.reattached) == 1
    with pytest.raises(ConflictError, match="n'a pas le numéro"):
        await engine.attach_inbound("agent-0", "1790000000.50", 99)
    with pytest.raises(NotFoundError):  # another agent's call
        await engine.attach_inbound("agent-1", "1790000000.50", 7)


@pytest.mark.asyncio
async def test_a_shared_line_holder_on_another_call_is_not_chosen() -> None:
    engine, node, queue, clock = await dialling_helene(agents=2)
    queue.inbound.people["+33612345602"] = 8  # Hélène's neighbour on the line
    await engine.handle(CallAnswered("out-7", clock.advance(1)), node)
    await engine.handle(CallInbound("1790000000.51", "+33612345602", clock.now), node)
    with pytest.raises(ConflictError, match="déjà en ligne"):
        await engine.attach_inbound("agent-1", "1790000000.51", 7)
    live = engine.calls.get("1790000000.51")
    assert live is not None
    assert live.person_id == 8


@pytest.mark.asyncio
async def test_an_unknown_numbers_call_attached_to_the_person_found_is_their_contact() -> None:
    """A neighbour calls about Hélène: the agent finds her on the register and attaches
    the call; it is then her call coming in, with its sheet and wrap-up."""
    engine, node, queue, _, clock = await engine_with(agents=1)
    await engine.handle(CallInbound("1790000000.60", "+33699999999", clock.now), node)
    await engine.handle(CallJoined("1790000000.60", "bridge-60", clock.now), node)
    caller = engine.inbound_caller("agent-0", "1790000000.60")
    assert (caller.number, caller.person_id) == ("+33699999999", None)
    await engine.attach_inbound("agent-0", "1790000000.60", 7)
    assert queue.inbound.found == [("1790000000.60", 7)]
    assert engine.inbound_caller("agent-0", "1790000000.60").person_id == 7
    assert engine.busy_persons() == {7}
    clock.advance(60)
    await engine.handle(CallEnded("1790000000.60", 16, None, clock.now), node)
    await engine.flush()
    assert queue.settled_outcomes["1790000000.60"] is CallOutcome.ANSWERED
    assert engine.seats.get("agent-0").state is AgentState.WRAP_UP  # the sheet to fill
    with pytest.raises(NotFoundError):  # the call is over: nothing to attach any more
        engine.inbound_caller("agent-0", "1790000000.60")


@pytest.mark.asyncio
async def test_each_waiting_caller_is_told_their_position_and_told_again_as_the_queue_moves() -> (
    None
):
    engine, node, _, _, clock = await engine_with(agents=0)
    await engine.handle(CallInbound("1790000000.20", "+33699999991", clock.now), node)
    clock.advance(2)
    await engine.handle(CallInbound("1790000000.21", HELENE, clock.now), node)
    clock.advance(2)
    await engine.handle(CallInbound("1790000000.22", "+33699999992", clock.now), node)
    # the registered caller is served first, then the unknown numbers, oldest first
    assert dict(node.positions) == {
        "1790000000.20": "2",
        "1790000000.21": "1",
        "1790000000.22": "3",
    }
    told = len(node.positions)
    await engine.tick()
    assert len(node.positions) == told  # nothing moved: nobody told twice
    await engine.log_in("agent-0", "agent-0")
    engine.go_ready("agent-0")
    await engine.tick()
    assert node.joins == [("1790000000.21", "agent-0")]
    assert node.positions[told:] == [("1790000000.20", "1"), ("1790000000.22", "2")]
    await engine.handle(CallEnded("1790000000.20", 16, None, clock.now), node)  # hung up
    await engine.tick()
    assert node.positions[-1] == ("1790000000.22", "1")
