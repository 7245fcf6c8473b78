"""The engine against a fake telephony node and an in-memory ledger: the call lifecycle,
agent seats, abandonment, and reconciliation after a reconnect."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.core.reconciliation import RecordedEnd
from dialer.engine.engine import DialingEngine
from dialer.engine.ports import PlannedDial
from dialer.engine.wrap_ups import WrapUp
from dialer.errors import DialerError
from dialer.telephony.port import (
    AgentLegEnded,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallJoined,
    CallMachine,
    CallRinging,
    NodeConnected,
    NodeDisconnected,
    OriginateResult,
)
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def one_per_ready_agent(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    ringing = len(engine.calls.all())
    return PacingDecision(max(0, ready - ringing), f"{ready} ready, {ringing} in progress")


def dials(count: int) -> list[PlannedDial]:
    return [
        PlannedDial(f"att-{i}", person_id=i, cycle_id=1, number=f"+3391010000{i}")
        for i in range(count)
    ]


async def make_engine(
    count: int = 5, agents: int = 2
) -> tuple[DialingEngine, FakeNode, MemoryAttemptLog, MemoryQueue, Clock]:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    queue = MemoryQueue(ledger, dials(count))
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=one_per_ready_agent, clock=clock
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    for i in range(agents):
        await engine.log_in(f"agent-{1001 + i}", f"agent-{1001 + i}")
        clock.advance(1)
        engine.go_ready(f"agent-{1001 + i}")
    return engine, node, ledger, queue, clock


@pytest.mark.asyncio
async def test_progressive_dials_one_call_per_ready_agent() -> None:
    engine, node, ledger, _, _ = await make_engine(count=5, agents=2)
    plan = await engine.tick()
    assert plan.dials == 2
    assert [r.attempt_id for r in node.placed] == ["att-0", "att-1"]
    assert ledger.entries["att-0"].state == "dialing"
    assert (await engine.tick()).dials == 0  # both agents have a call in progress


@pytest.mark.asyncio
async def test_an_answered_call_is_joined_to_the_agent_ready_longest() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=2)
    await engine.tick()
    await engine.handle(CallRinging("att-0", clock.advance(1)), node)
    answered = clock.advance(5)
    await engine.handle(CallAnswered("att-0", answered), node)
    assert node.joins == [("att-0", "agent-1001")]  # agent-1001 was ready first
    assert engine.seats.get("agent-1001").state is AgentState.RESERVED
    await engine.handle(CallJoined("att-0", "bridge-1", answered + timedelta(milliseconds=4)), node)
    assert engine.seats.get("agent-1001").state is AgentState.ON_CALL
    assert engine.join_latencies_ms[-1] == pytest.approx(4.0)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(120)), node)
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    assert ledger.entries["att-0"].history == ["dialing", "ringing", "answered", "bridged", "ended"]
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    clock.advance(40)
    await engine.finish_wrap_up("agent-1001")
    assert engine.seats.get("agent-1001").state is AgentState.READY
    timing = engine.finished[-1]
    assert (timing.talk_s, timing.wrap_up_s) == pytest.approx((120.0, 40.0), abs=0.01)


class NotedScreens:
    """A screen notifier that notes what the engine tells it, in order."""

    def __init__(self, engine: DialingEngine | None = None) -> None:
        self.engine = engine
        self.told: list[tuple[str, str, str]] = []

    async def reserved(self, agent: str, attempt_id: str) -> None:
        self.told.append(("reserved", agent, attempt_id))

    async def joined(self, agent: str, attempt_id: str) -> None:
        self.told.append(("joined", agent, attempt_id))

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        self.told.append(("offered", agent, attempt_id))

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        self.told.append(("withdrawn", agent, attempt_id))

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        self.told.append(("unknown_caller", agent, number))

    async def phone_lost(self, agent: str) -> None:
        self.told.append(("phone_lost", agent, ""))

    async def ended(self, agent: str, attempt_id: str) -> None:
        assert self.engine is not None
        state = self.engine.seats.get(agent).state  # the screen reads the seat as told
        self.told.append(("ended", agent, state.value))

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        assert self.engine is not None
        state = self.engine.seats.get(agent).state
        self.told.append(("wrapped_up", agent, state.value))


async def on_call(engine: DialingEngine, node: FakeNode, clock: Clock) -> None:
    await engine.tick()
    answered = clock.advance(5)
    await engine.handle(CallAnswered("att-0", answered), node)
    await engine.handle(CallJoined("att-0", "bridge-1", answered + timedelta(milliseconds=4)), node)
    assert engine.seats.get("agent-1001").state is AgentState.ON_CALL


@pytest.mark.asyncio
async def test_a_disposition_given_on_call_ends_the_wrap_up_when_the_call_ends() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    screens = NotedScreens(engine)
    engine.screens = screens
    await on_call(engine, node, clock)
    clock.advance(60)
    given = await engine.give_disposition("agent-1001", "att-0", CycleResult.REACHED)
    assert given is WrapUp.AFTER_CALL
    assert engine.seats.get("agent-1001").state is AgentState.ON_CALL  # the call goes on
    assert queue.results == {}
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(30)), node)
    assert engine.seats.get("agent-1001").state is AgentState.READY
    assert screens.told[-2:] == [
        ("ended", "agent-1001", "wrap_up"),  # told of the end while still in wrap-up
        ("wrapped_up", "agent-1001", "ready"),  # then of the wrap-up the engine ended
    ]
    assert ledger.entries["att-0"].history[-2:] == ["ended", "wrapped"]  # close first
    assert ledger.entries["att-0"].result is CycleResult.REACHED
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert queue.results == {"att-0": CycleResult.REACHED}
    timing = engine.finished[-1]
    assert (timing.talk_s, timing.wrap_up_s) == pytest.approx((90.0, 0.0), abs=0.01)
    assert len(engine.finished) == 1


@pytest.mark.asyncio
async def test_a_disposition_given_in_wrap_up_ends_it_at_once() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    screens = NotedScreens(engine)
    engine.screens = screens
    await on_call(engine, node, clock)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(60)), node)
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    assert await engine.give_disposition("agent-1001", "att-1", None) is WrapUp.NONE
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP  # not that call
    clock.advance(20)
    assert await engine.give_disposition("agent-1001", "att-0", CycleResult.REFUSED) is WrapUp.DONE
    assert engine.seats.get("agent-1001").state is AgentState.READY
    assert ledger.entries["att-0"].result is CycleResult.REFUSED  # written before it returns
    assert queue.results == {"att-0": CycleResult.REFUSED}
    assert [told[0] for told in screens.told] == ["reserved", "joined", "ended"]
    assert await engine.give_disposition("agent-1001", "att-0", None) is WrapUp.NONE
    assert await engine.give_disposition("nobody", "att-0", None) is WrapUp.NONE


@pytest.mark.asyncio
async def test_the_pacing_loop_ticks_every_tick_s_of_the_injected_clock() -> None:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    ticks: list[datetime] = []

    def one_a_tick(_engine: DialingEngine, now: datetime) -> PacingDecision:
        ticks.append(now)
        return PacingDecision(1, "one a tick")

    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=MemoryQueue(ledger, dials(5)),
        pacer=one_a_tick,
        clock=clock,
        tick_s=2.0,
        sleep=clock.sleep,
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.start()
    try:
        await clock.wait_for_sleepers(2)  # the pacing loop and the wrap-up watch
        assert ticks == [T0]  # the first tick at once
        clock.advance(1.9)
        await asyncio.sleep(0)
        assert ticks == [T0]
        clock.advance(0.1)
        await clock.wait_for_sleepers(2)  # the pacing loop and the wrap-up watch
        assert ticks == [T0, T0 + timedelta(seconds=2)]
        clock.advance(60)  # one sleep ends, however far the clock jumps: one tick
        await clock.wait_for_sleepers(2)  # the pacing loop and the wrap-up watch
        assert len(ticks) == 3
        assert [r.attempt_id for r in node.placed] == ["att-0", "att-1", "att-2"]
    finally:
        await engine.stop()
    assert clock.sleeping == 0


@pytest.mark.asyncio
async def test_nobody_free_means_abandoned_by_the_dialplan() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    engine.pause("agent-1001", "pause café")
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert node.joins == []
    await engine.handle(CallAbandoned("att-0", clock.advance(1.5)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(8)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ABANDONED
    assert engine.statistics()["abandoned"] == 1


@pytest.mark.asyncio
async def test_a_join_refused_by_the_dialplan_frees_the_agent() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    node.refuse_join = True
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert engine.seats.get("agent-1001").state is AgentState.READY
    await engine.handle(CallAbandoned("att-0", clock.advance(1.5)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(8)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ABANDONED


@pytest.mark.asyncio
async def test_a_person_hanging_up_inside_the_join_window_is_no_abandon() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    engine.pause("agent-1001", "pause café")
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(0.4)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.HUNG_UP
    assert engine.statistics()["abandoned"] == 0


@pytest.mark.asyncio
async def test_unanswered_outcomes_use_asterisks_record() -> None:
    engine, node, _, queue, clock = await make_engine(count=2, agents=2)
    await engine.tick()
    node.recorded["att-0"] = RecordedEnd("att-0", 19, 180, "Ringing", "", None)
    node.recorded["att-1"] = RecordedEnd("att-1", 19, 480, "Down", "", None)
    await engine.handle(OriginateResult("att-0", 3, clock.advance(30)), node)
    await engine.handle(CallEnded("att-0", 19, 480, clock.now), node)
    await engine.handle(CallEnded("att-1", 19, 480, clock.now), node)
    assert queue.settled_outcomes == {
        "att-0": CallOutcome.NO_ANSWER,
        "att-1": CallOutcome.UNREACHABLE,
    }
    assert node.recorded == {}  # AstDB cleaned after use


@pytest.mark.asyncio
async def test_a_person_is_never_in_two_calls() -> None:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    same_person = [
        PlannedDial("att-a", 7, 1, "+33910100000"),
        PlannedDial("att-b", 7, 1, "+33910100001"),
    ]
    queue = MemoryQueue(ledger, same_person)
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=lambda e, now: PacingDecision(2, "test"),
        clock=clock,
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["att-a"]


@pytest.mark.asyncio
async def test_an_attempt_already_dialled_is_not_placed_again() -> None:
    engine, node, ledger, _, _ = await make_engine(count=1, agents=1)
    ledger.entries["att-0"].state = AttemptState.DIALING  # e.g. another controller got it first
    await engine.tick()
    assert node.placed == []


@pytest.mark.asyncio
async def test_no_dialling_on_a_disconnected_node() -> None:
    engine, node, _, _, _ = await make_engine(count=3, agents=2)
    await engine.handle(NodeDisconnected(node.name, "lost", T0), node)
    await engine.tick()
    assert node.placed == []


@pytest.mark.asyncio
async def test_reconnect_reconciles_in_flight_attempts() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=3, agents=2)
    await engine.tick()  # att-0 and att-1 in flight
    # While disconnected: att-0 ended busy (Asterisk recorded it); att-1 still rings.
    await engine.handle(NodeDisconnected(node.name, "lost", clock.now), node)
    node.live.discard("att-0")
    node.recorded["att-0"] = RecordedEnd("att-0", 17, 486, "Ringing", "", clock.now)
    await engine.handle(NodeConnected(node.name, clock.advance(3)), node)
    assert queue.settled_outcomes == {"att-0": CallOutcome.BUSY}
    assert ledger.entries["att-0"].state == "ended"
    assert ledger.entries["att-1"].state == "dialing"
    assert engine.calls.get("att-1") is not None
    assert engine.statistics()["reconciled_resumed"] == 1


@pytest.mark.asyncio
async def test_a_restarted_controller_resumes_and_closes_from_the_ledger() -> None:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    ledger.plan("att-x", 1, "+33900100100")
    ledger.plan("att-y", 2, "+33900100101")
    ledger.plan("att-z", 3, "+33900100102")
    for attempt in ("att-x", "att-y", "att-z"):
        await ledger.mark_dialing(attempt, at=T0, node=node.name)
    node.live = {"att-x"}
    node.recorded["att-y"] = RecordedEnd("att-y", 16, None, "Up", "abandoned", T0)
    queue = MemoryQueue(ledger, [])
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=one_per_ready_agent, clock=clock
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    assert engine.calls.get("att-x") is not None
    assert queue.settled_outcomes == {
        "att-y": CallOutcome.ABANDONED,
        "att-z": CallOutcome.FAILED,  # never reached Asterisk: nobody was called
    }


@pytest.mark.asyncio
async def test_losing_the_agents_phone_logs_the_agent_out() -> None:
    engine, node, _, _, clock = await make_engine(count=0, agents=1)
    leg = node.agents[0][2]
    await engine.handle(AgentLegEnded("agent-1001", leg, 16, clock.now), node)
    assert engine.seats.get("agent-1001").state is AgentState.LOGGED_OUT


def test_ring_timeout_under_15_s_is_refused() -> None:
    node, ledger = FakeNode(), MemoryAttemptLog()
    with pytest.raises(DialerError, match="15"):
        DialingEngine(
            nodes=[node],
            attempt_log=ledger,
            queue=MemoryQueue(ledger, []),
            pacer=one_per_ready_agent,
            ring_timeout_s=10,
        )


@pytest.mark.asyncio
async def test_answering_machine_detection_is_asked_for_when_the_campaign_wants_it() -> None:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    queue = MemoryQueue(ledger, dials(1))
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=lambda e, now: PacingDecision(1, "test"),
        answering_machine_detection=True,
        clock=clock,
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.tick()
    assert node.placed[0].answering_machine_detection is True
    await engine.handle(CallMachine("att-0", clock.advance(25)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(1)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.MACHINE


@pytest.mark.asyncio
async def test_removing_an_agent_on_call_hangs_up_their_line_and_offers_them_nothing() -> None:
    """Issue 16, defect 3: a deactivated agent leaves the engine at once, even mid-call."""
    engine, node, _, _, clock = await make_engine(count=3, agents=1)
    await on_call(engine, node, clock)
    agent_leg = node.agents[0][2]
    assert await engine.remove_agent("agent-1001") is AgentState.ON_CALL
    assert engine.seats.get("agent-1001").state is AgentState.LOGGED_OUT
    assert agent_leg in node.hangups
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(30)), node)
    assert engine.seats.get("agent-1001").state is AgentState.LOGGED_OUT
    assert (await engine.tick()).dials == 0  # nobody to offer a call to
    assert await engine.remove_agent("agent-1001") is AgentState.LOGGED_OUT


@pytest.mark.asyncio
async def test_removing_an_agent_in_wrap_up_closes_it() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(30)), node)
    assert await engine.remove_agent("agent-1001") is AgentState.WRAP_UP
    await engine.flush()
    assert engine.seats.get("agent-1001").state is AgentState.LOGGED_OUT
    assert queue.results == {"att-0": None}  # closed without a disposition
