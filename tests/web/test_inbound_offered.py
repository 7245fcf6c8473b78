"""A person offered in preview to one agent (reserved, not dialled) who calls in and is
taken by another agent: the offer is withdrawn (no attempt spent, the first agent freed
and told), the call coming in becomes the person's attempt, its disposition ends their
cycle as reached, and the first agent's « Appeler » afterwards dials nobody. Through the
real path: the dialing engine (a fake telephony node), the campaign's stored queue and
planner, the agents' API."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, AttemptState, CycleResult
from dialer.engine.engine import DialingEngine
from dialer.storage import SessionFactory
from dialer.storage.database import transaction
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import CycleResultRow
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.telephony.port import CallEnded, CallInbound, CallJoined
from dialer.testing import Clock, FakeNode
from tests.web.conftest import log_in
from tests.web.support import World
from tests.web.test_follow_up_offered import wired
from tests.web.test_orientation import catalog

pytestmark = pytest.mark.asyncio
__all__ = ["catalog", "wired"]

JEANNE_LINE = "+33145678910"


async def member(sessions: SessionFactory, person_id: int) -> CycleMember:
    async with transaction(sessions) as session:
        found = await session.scalar(select(CycleMember).where(CycleMember.person_id == person_id))
        assert found is not None
        return found


async def test_an_offered_person_calling_in_is_taken_once_and_never_dialled_after(
    wired: tuple[httpx.AsyncClient, DialingEngine, FakeNode, int],
    sessions: SessionFactory,
    world: World,
    clock: Clock,
) -> None:
    http, engine, node, _ = wired
    headers = {"X-CSRF-Token": await log_in(http, "agent1")}

    async def post(url: str, body: object = None) -> httpx.Response:
        return await http.post(url, json=body or {}, headers=headers)

    assert (await post("/api/v1/agent/phone")).status_code == 200
    assert (await post("/api/v1/agent/ready")).status_code == 200
    await engine.tick()
    offered = engine.offer_of("agent1")  # agent B sees Jeanne, not dialled yet
    assert offered is not None
    assert (await member(sessions, world.jeanne_id)).status is MemberStatus.IN_CALL

    await engine.log_in("agent2", "agent-1002")  # agent A, free
    engine.go_ready("agent2")
    inbound = "1790000000.9"
    await engine.handle(CallInbound(inbound, JEANNE_LINE, clock.advance(5)), node)
    assert node.joins == [(inbound, "agent2")]
    # B's offer is withdrawn: B is free again, told, and the attempt spent nothing
    assert engine.offer_of("agent1") is None
    assert engine.seats.get("agent1").state is AgentState.READY
    ledger = AttemptLedger(sessions)
    withdrawn = await ledger.get(offered)
    assert withdrawn.state is AttemptState.FAILED
    assert withdrawn.placed_at is None
    taken = await member(sessions, world.jeanne_id)
    assert (taken.status, taken.attempt_id) == (MemberStatus.IN_CALL, inbound)

    await engine.handle(CallJoined(inbound, "pont", clock.advance(1)), node)
    await engine.handle(CallEnded(inbound, 16, None, clock.advance(120)), node)
    headers = {"X-CSRF-Token": await log_in(http, "agent2")}  # A's sheet, as the page sends
    calls = f"/api/v1/agent/calls/{inbound}"
    for question, value in (
        ("nouvelles", "bien"),
        ("isolement", "rarement"),
        ("moral", 4),
        ("danger_immediat", False),
        ("besoins", []),
    ):
        answered = await post(f"{calls}/answers", {"question_id": question, "value": value})
        assert answered.status_code == 200, answered.text
    sheet = await post(f"{calls}/sheet", {"disposition": "complete"})
    assert sheet.status_code == 200, sheet.text
    await engine.flush()
    assert (await member(sessions, world.jeanne_id)).status is MemberStatus.DONE
    async with transaction(sessions) as session:
        results = list(await session.scalars(select(CycleResultRow.result)))
    assert results == [CycleResult.REACHED]
    assert (await ledger.get(inbound)).kind is AttemptKind.INBOUND

    # B's « Appeler » now dials nobody
    headers = {"X-CSRF-Token": await log_in(http, "agent1")}
    call = await post("/api/v1/agent/offer/call")
    assert call.status_code == 409
    assert node.placed == []
