"""The person offered to an agent on their screen: the record pushed over the screen's
socket, « Appeler » and « Passer » with a reason (abuse refused), and the supervisor's list
of reserved calls nobody took."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from dialer.core.attempts import AttemptKind
from dialer.storage import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.testing import Clock
from dialer.web.screens import AgentScreens
from tests.stored import enrol
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World

pytestmark = pytest.mark.asyncio


async def offered(sessions: SessionFactory, world: World, clock: Clock, agent: str) -> str:
    attempt = await AttemptLedger(sessions).record_planned(
        cycle_id=world.cycle_id,
        person_id=world.jeanne_id,
        number="+33145678910",
        kind=AttemptKind.PREVIEW,
        planned_for=clock(),
        agent=agent,
    )
    return attempt.id


async def ready_agent(client: httpx.AsyncClient) -> str:
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/agent/telephone", json={}, headers=headers)
    await client.post("/api/agent/disponible", json={}, headers=headers)
    return csrf


async def test_the_agent_sees_the_person_offered_then_calls_them(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf = await ready_agent(client)
    headers = {"X-CSRF-Token": csrf}
    nothing = await client.post("/api/agent/appeler", json={}, headers=headers)
    assert nothing.status_code == 409
    assert nothing.json()["erreur"] == "Aucune personne ne vous est proposée."

    screens = desk.screens
    assert isinstance(screens, AgentScreens)
    socket = screens.open("agent1")
    attempt_id = await offered(sessions, world, clock, "agent1")
    await desk.offer("agent1", attempt_id)
    message = json.loads(await socket.queue.get())
    assert message["type"] == "offer"
    assert message["attempt_id"] == attempt_id
    assert message["view"]["person"]["name"] == "Jeanne DUPONT"
    assert message["state"]["state"] == "reserved"

    page = await client.get("/agent")
    assert 'id="appeler"' in page.text
    assert "Personne déjà jointe par ailleurs" in page.text
    called = await client.post("/api/agent/appeler", json={}, headers=headers)
    assert called.status_code == 200
    assert called.json()["attempt_id"] == attempt_id
    assert desk.called == [attempt_id]
    again = await client.post("/api/agent/appeler", json={}, headers=headers)
    assert again.status_code == 409  # never dialled twice


async def test_passing_needs_a_reason_from_the_list(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf = await ready_agent(client)
    headers = {"X-CSRF-Token": csrf}
    attempt_id = await offered(sessions, world, clock, "agent1")
    await desk.offer("agent1", attempt_id)
    paused = await client.post("/api/agent/pause", json={"reason": "Pause"}, headers=headers)
    assert paused.status_code == 409
    assert paused.json()["erreur"] == "Appelez ou passez d'abord la personne proposée."
    for body in (
        {},
        {"reason": "Inventé"},
        {"reason": "Autre"},
        {"reason": "Autre", "detail": " "},
    ):
        refused = await client.post("/api/agent/passer", json=body, headers=headers)
        assert refused.status_code == 422, body
    forged = await client.post("/api/agent/passer", json={"reason": "Autre", "detail": "x"})
    assert forged.status_code == 403  # no CSRF token
    assert desk.passed == []
    passed = await client.post(
        "/api/agent/passer",
        json={"reason": "Autre", "detail": "sa fille l'a eue ce matin"},
        headers=headers,
    )
    assert passed.status_code == 200
    assert passed.json()["state"] == "ready"
    assert desk.passed == [(attempt_id, "Autre : sa fille l'a eue ce matin")]


async def test_a_reserved_call_nobody_took_is_on_the_supervisors_page(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, clock: Clock
) -> None:
    schedule = CycleSchedule(sessions)
    await enrol(sessions, world.cycle_id, [(world.jeanne_id, "+33145678910", clock())])
    [taken] = await schedule.take_due(world.cycle_id, 1, now=clock(), planned_ids=["t"])
    member = await schedule.member_of_attempt(taken.id)
    assert member is not None
    await schedule.set_status(
        member.id,
        MemberStatus.WAITING,
        next_due_at=clock(),
        next_number="+33145678910",
        next_kind=AttemptKind.CALLBACK,
        next_agent="agent1",
    )
    await log_in(client, "superviseur")
    page = await client.get("/supervision")
    assert "Aucun rappel en retard." in page.text
    clock.advance(timedelta(minutes=16).total_seconds())
    page = await client.get("/supervision")
    assert 'id="rappels-en-retard"' in page.text
    assert "Jeanne Dupont" in page.text
    assert "Rappel programmé par un agent" in page.text
