"""How many claims a tick of offers runs, through the real engine (a fake telephony node)
and the cycle's stored queue, on SQLite and PostgreSQL: with nobody claimable, none (not
one per ready agent); an owned call-back whose owner is away is nobody's to claim; once
its owner is ready, they alone are asked and get it, though others were ready longer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.queue import CycleDialQueue
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import DialingEngine
from dialer.storage import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleSchedule
from dialer.telephony.port import NodeConnected
from dialer.testing import Clock, FakeNode
from tests.storage.test_reserved_calls import queue_of, reserved_member

from .conftest import NOW, Scene

pytestmark = pytest.mark.asyncio

VOLUNTEERS = [f"agent-{i}" for i in range(8)]


def preview(engine: DialingEngine, now: datetime) -> PacingDecision:
    """Every ready agent may be offered someone (a veille campaign's pacer)."""
    ready = engine.seats.counts()[AgentState.READY]
    return PacingDecision(0, f"preview: offer {ready}", offers=ready)


def counted_claims(queue: CycleDialQueue, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The agents each claim is asked for, in order (found somebody or not)."""
    asked: list[str] = []
    claim = queue.claims.claim

    async def counted(cycle_id: int, agent: str, **options: Any) -> Attempt | None:
        asked.append(agent)
        return await claim(cycle_id, agent, **options)

    monkeypatch.setattr(queue.claims, "claim", counted)
    return asked


async def engine_with(
    sessions: SessionFactory, queue: CycleDialQueue, clock: Clock, agents: list[str]
) -> DialingEngine:
    node = FakeNode()
    engine = DialingEngine(
        nodes=[node],
        attempt_log=StoredAttemptLog(sessions),
        queue=queue,
        pacer=preview,
        clock=clock,
    )
    await engine.handle(NodeConnected(node.name, clock()), node)
    for agent in agents:
        await engine.log_in(agent, f"{agent}-sip")
        engine.go_ready(agent)
        clock.advance(1)
    return engine


async def test_nobody_claimable_runs_no_claim(
    sessions: SessionFactory, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(NOW)
    queue = queue_of(sessions, scene, preview=True)
    asked = counted_claims(queue, monkeypatch)
    engine = await engine_with(sessions, queue, clock, VOLUNTEERS)
    for _ in range(3):  # an empty queue: ticks after ticks, no claim
        await engine.tick()
        clock.advance(1)
    assert asked == []
    assert all(engine.offer_of(agent) is None for agent in VOLUNTEERS)
    await engine.flush()


async def test_an_owned_call_back_goes_to_its_owner_alone(
    sessions: SessionFactory, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.CALLBACK, agent="owner")
    clock = Clock(NOW + timedelta(seconds=1))
    queue = queue_of(sessions, scene, preview=True)
    asked = counted_claims(queue, monkeypatch)
    engine = await engine_with(sessions, queue, clock, VOLUNTEERS)
    for _ in range(3):  # its owner away, within the grace: nobody else may take it
        await engine.tick()
        clock.advance(1)
    assert asked == []
    assert all(engine.offer_of(agent) is None for agent in VOLUNTEERS)

    await engine.log_in("owner", "owner-sip")
    engine.go_ready("owner")  # ready last: the others have waited longer
    await engine.tick()
    assert asked == ["owner"]
    offered = engine.offer_of("owner")
    assert offered is not None
    attempt = await AttemptLedger(sessions).get(offered)
    assert (attempt.person_id, attempt.kind, attempt.agent) == (
        scene.alice_id,
        AttemptKind.CALLBACK,
        "owner",
    )
    assert all(engine.offer_of(agent) is None for agent in VOLUNTEERS)
    clock.advance(1)
    await engine.tick()  # nobody left to offer: still that one claim
    assert asked == ["owner"]
    await engine.flush()


async def test_one_person_due_is_claimed_once_by_the_agent_ready_longest(
    sessions: SessionFactory, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.PREVIEW)
    clock = Clock(NOW + timedelta(seconds=1))
    queue = queue_of(sessions, scene, preview=True)
    asked = counted_claims(queue, monkeypatch)
    engine = await engine_with(sessions, queue, clock, VOLUNTEERS)
    await engine.tick()
    assert asked == [VOLUNTEERS[0]]
    assert engine.offer_of(VOLUNTEERS[0]) is not None
    schedule = CycleSchedule(sessions)
    assert await schedule.due_count(scene.cycle_id, clock()) == 0
    await engine.flush()
