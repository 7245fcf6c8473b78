"""Agent-reserved calls in the engine: the preview pacer's offers are what agents see, a
reserved call is bridged to its agent only (never abandoned), « Passer » gives the person
back, the countdown dials by itself, and automatic dials hold back for a reserved call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import DialingEngine
from dialer.engine.ports import PlannedDial
from dialer.errors import ConflictError
from dialer.telephony.port import CallAnswered, CallEnded, CallJoined, NodeConnected
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue
from tests.unit.test_engine import NotedScreens

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def preview(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(0, f"preview: offer {ready}", offers=ready)


def progressive(engine: DialingEngine, now: datetime) -> PacingDecision:
    ready = engine.seats.counts()[AgentState.READY]
    busy = len(engine.calls.all())
    return PacingDecision(max(0, ready - busy), f"{ready} ready")


def people(first: int, count: int, prefix: str) -> list[PlannedDial]:
    return [
        PlannedDial(f"{prefix}-{i}", person_id=i, cycle_id=1, number=f"+3391010000{i}")
        for i in range(first, first + count)
    ]


async def engine_with(
    *,
    automatic: int,
    reserved: int,
    agents: int,
    pacer: object,
    countdown: timedelta | None = None,
) -> tuple[DialingEngine, FakeNode, MemoryAttemptLog, MemoryQueue, Clock, NotedScreens]:
    node, ledger, clock = FakeNode(), MemoryAttemptLog(), Clock(T0)
    queue = MemoryQueue(ledger, people(0, automatic, "auto"), people(100, reserved, "held"))
    screens = NotedScreens()
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=pacer,  # type: ignore[arg-type]
        clock=clock,
        screens=screens,
        offer_countdown=countdown,
    )
    screens.engine = engine
    await engine.handle(NodeConnected(node.name, T0), node)
    for i in range(agents):
        await engine.log_in(f"agent-{i}", f"agent-{i}")
        clock.advance(1)
        engine.go_ready(f"agent-{i}")
    return engine, node, ledger, queue, clock, screens


@pytest.mark.asyncio
async def test_preview_offers_what_the_pacer_says_and_dials_nobody_by_itself() -> None:
    engine, node, _, queue, _, screens = await engine_with(
        automatic=0, reserved=5, agents=2, pacer=preview
    )
    for _ in range(5):
        await engine.tick()
    assert node.placed == []  # nobody dialled without an agent's « Appeler »
    assert engine.offer_of("agent-0") == "held-100"
    assert engine.offer_of("agent-1") == "held-101"
    assert engine.seats.get("agent-0").state is AgentState.RESERVED
    assert ("offered", "agent-0", "held-100") in screens.told
    assert len(queue.reserved) == 3


@pytest.mark.asyncio
async def test_a_stopped_campaigns_offers_are_given_back_and_its_agents_freed() -> None:
    engine, node, _, _, _, screens = await engine_with(
        automatic=0, reserved=2, agents=1, pacer=preview
    )
    await engine.tick()
    assert engine.offer_of("agent-0") == "held-100"
    engine.unassign()  # the campaign is stopped
    await engine.tick()
    assert engine.offer_of("agent-0") is None
    assert engine.seats.get("agent-0").state is AgentState.READY  # not reserved for ever
    assert ("withdrawn", "agent-0", "held-100") in screens.told
    with pytest.raises(ConflictError):
        await engine.call_offer("agent-0")  # « Appeler » dials nobody for it
    assert node.placed == []


@pytest.mark.asyncio
async def test_appeler_dials_and_the_answer_is_bridged_to_that_agent_only() -> None:
    engine, node, ledger, _, clock, _ = await engine_with(
        automatic=0, reserved=2, agents=2, pacer=preview
    )
    await engine.tick()
    attempt = await engine.call_offer("agent-1")
    assert attempt == "held-101"
    assert [r.attempt_id for r in node.placed] == ["held-101"]
    await engine.handle(CallAnswered(attempt, clock.advance(5)), node)
    assert node.joins == [(attempt, "agent-1")]  # its agent, not the one ready longest
    await engine.handle(CallJoined(attempt, "bridge", clock.advance(0.01)), node)
    await engine.handle(CallEnded(attempt, 16, None, clock.advance(60)), node)
    assert ledger.entries[attempt].outcome is CallOutcome.ANSWERED
    assert engine.seats.get("agent-1").state is AgentState.WRAP_UP
    with pytest.raises(ConflictError):
        await engine.call_offer("agent-1")  # nothing offered any more: never dialled twice


@pytest.mark.asyncio
async def test_passer_gives_the_person_back_with_its_reason() -> None:
    engine, node, _, queue, _, screens = await engine_with(
        automatic=0, reserved=1, agents=1, pacer=preview
    )
    await engine.tick()
    with pytest.raises(ConflictError):
        await engine.pass_offer("agent-0", "  ")  # a reason is required
    await engine.pass_offer("agent-0", "déjà jointe par sa fille")
    assert queue.passed == {"held-100": "déjà jointe par sa fille"}
    assert engine.seats.get("agent-0").state is AgentState.READY
    assert ("withdrawn", "agent-0", "held-100") in screens.told
    await engine.tick()  # the same agent is not offered the person they just passed
    assert engine.offer_of("agent-0") is None
    assert node.placed == []


@pytest.mark.asyncio
async def test_the_countdown_dials_by_itself() -> None:
    engine, node, _, _, clock, _ = await engine_with(
        automatic=0, reserved=1, agents=1, pacer=preview, countdown=timedelta(seconds=10)
    )
    await engine.tick()
    clock.advance(9)
    await engine.tick()
    assert node.placed == []
    clock.advance(1)
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["held-100"]


@pytest.mark.asyncio
async def test_reserved_calls_go_first_and_automatic_dials_wait_for_them() -> None:
    engine, node, _, _, clock, _ = await engine_with(
        automatic=3, reserved=1, agents=1, pacer=progressive
    )
    await engine.tick()
    assert engine.offer_of("agent-0") == "held-100"  # the call-back, not an automatic dial
    assert node.placed == []
    attempt = await engine.call_offer("agent-0")
    await engine.handle(CallEnded(attempt, 19, None, clock.advance(30)), node)  # no answer
    assert engine.seats.get("agent-0").state is AgentState.READY
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["held-100", "auto-0"]


@pytest.mark.asyncio
async def test_automatic_dials_hold_back_while_a_reserved_call_waits_for_an_agent() -> None:
    engine, node, _, queue, clock, _ = await engine_with(
        automatic=3, reserved=1, agents=2, pacer=progressive
    )
    queue.reserved, held = [], queue.reserved
    await engine.tick()  # two automatic calls, both agents will be busy
    assert len(node.placed) == 2
    await engine.handle(CallAnswered("auto-0", clock.advance(3)), node)
    queue.reserved = held  # an abandoned person's call-back becomes due
    await engine.handle(CallEnded("auto-1", 19, None, clock.advance(20)), node)
    await engine.tick()  # agent-1 is free: it is offered the call-back, no automatic dial
    assert engine.offer_of("agent-1") == "held-100"
    assert len(node.placed) == 2
    assert engine.statistics()["offered"] == 1


@pytest.mark.asyncio
async def test_an_agent_logging_out_gives_their_offer_back() -> None:
    engine, _, _, queue, _, _ = await engine_with(automatic=0, reserved=1, agents=1, pacer=preview)
    await engine.tick()
    await engine.log_out("agent-0")
    assert queue.passed == {"held-100": "déconnexion"}
    assert engine.seats.get("agent-0").state is AgentState.LOGGED_OUT


def two_lines(engine: DialingEngine, now: datetime) -> PacingDecision:
    return PacingDecision(2, "predictive: 2 lines")


@pytest.mark.asyncio
async def test_a_predictive_pacer_gives_up_a_line_per_reserved_call_waiting() -> None:
    engine, node, _, _, _, _ = await engine_with(automatic=3, reserved=1, agents=1, pacer=two_lines)
    engine.pause("agent-0", "Pause")
    plan = await engine.tick()
    assert plan.dials == 1
    assert "1 reserved call(s) wait for an agent: 1 held back" in plan.reason
    assert len(node.placed) == 1
    assert engine.statistics()["automatic_held_for_reserved"] == 1


def window_closed(engine: DialingEngine, now: datetime) -> PacingDecision:
    return PacingDecision(0, "calling window closed → dial 0", closed=True)


@pytest.mark.asyncio
async def test_nobody_is_offered_while_the_calling_window_is_closed() -> None:
    engine, _, _, queue, _, _ = await engine_with(
        automatic=0, reserved=1, agents=1, pacer=window_closed
    )
    await engine.tick()
    assert engine.offer_of("agent-0") is None
    assert len(queue.reserved) == 1


@pytest.mark.asyncio
async def test_offers_are_given_back_when_the_calling_window_closes() -> None:
    engine, node, _, queue, _, screens = await engine_with(
        automatic=0, reserved=1, agents=1, pacer=preview
    )
    await engine.tick()
    assert engine.offer_of("agent-0") == "held-100"
    engine.pacer = window_closed
    await engine.tick()
    assert engine.offer_of("agent-0") is None
    assert engine.seats.get("agent-0").state is AgentState.READY
    assert queue.passed == {"held-100": "fenêtre d'appel fermée"}
    assert ("withdrawn", "agent-0", "held-100") in screens.told
    assert node.placed == []


@pytest.mark.asyncio
async def test_an_agent_an_automatic_call_is_ringing_for_is_not_offered_a_person() -> None:
    engine, node, _, queue, clock, _ = await engine_with(
        automatic=1, reserved=1, agents=1, pacer=progressive
    )
    held, queue.reserved = queue.reserved, []
    await engine.tick()  # the automatic call rings for the one ready agent
    assert [r.attempt_id for r in node.placed] == ["auto-0"]
    queue.reserved = held  # a call-back becomes due meanwhile
    await engine.tick()
    assert engine.offer_of("agent-0") is None  # else the ringing call would find nobody
    await engine.handle(CallAnswered("auto-0", clock.advance(2)), node)
    assert node.joins == [("auto-0", "agent-0")]
