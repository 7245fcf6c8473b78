"""The coordinators' to-do list stays whole: a flagged situation or a help request nobody
answered stays on ``/supervision/benevoles/activite`` and ``GET /api/v1/volunteers/activity``
however many calls were made since (the list of calls shows only the latest); and the
coordinators' answer route answers volunteers' requests only (an agent's request during an
emergency call is the supervisors', acknowledged on the dashboard)."""

from __future__ import annotations

import html

import httpx
import pytest
from sqlalchemy import select

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory, volunteer_calls
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_help import CallHelpRepository, HelpRequest
from dialer.storage.database import transaction
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.testing import Clock
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, World, fast_passwords, place_call
from tests.web.test_volunteer_desk import ANA, _call, _placed, _veille_cycle

pytestmark = pytest.mark.asyncio


async def test_old_unanswered_situations_and_requests_stay_on_the_coordinators_list(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(volunteer_calls, "RECENT", 3)  # the latest calls listed: three
    await create_account(sessions, ANA, PASSWORD, Role.VOLUNTEER, passwords=fast_passwords())
    _, cycle_id = await _veille_cycle(sessions, clock)
    store = VolunteerCalls(sessions)
    old = await _call(sessions, cycle_id, world.jeanne_id, clock)
    await _placed(sessions, old, clock)
    await store.write_debrief(old, ANA, "Ne mange plus à sa faim", flagged=True, now=clock())
    await CallHelpRepository(sessions).raise_help(ANA, old, clock())
    clock.advance(60)
    answered = await _call(sessions, cycle_id, world.jeanne_id, clock)
    await _placed(sessions, answered, clock)
    await store.write_debrief(answered, ANA, "Voisin inquiet", flagged=True, now=clock())
    for _ in range(5):  # newer calls push both out of the latest three
        clock.advance(60)
        later = await _call(sessions, cycle_id, world.jeanne_id, clock)
        await _placed(sessions, later, clock)
    csrf = await log_in(client, "superviseur")
    activity = (await client.get("/api/v1/volunteers/activity")).json()
    assert old not in [c["attempt_id"] for c in activity["calls"]]
    assert len(activity["calls"]) == 3
    assert [c["attempt_id"] for c in activity["flagged"]] == [answered, old]  # both unanswered
    assert [c["attempt_id"] for c in activity["open_help"]] == [old]
    page = html.unescape((await client.get("/supervision/benevoles/activite")).text)
    assert "Ne mange plus à sa faim" in page
    assert "Voisin inquiet" in page
    assert page.count('class="demande-aide"') == 1
    reads = await AuditLog(sessions).search(AuditFilter(action="read.volunteer_calls"))
    assert [(r.actor, r.target) for r in reads] == [("superviseur", "volunteers")] * 2
    assert world.jeanne_id in reads[0].details["persons"]
    # answered, the situation leaves the to-do list (it was older than the latest calls)
    debrief_id = activity["flagged"][0]["debrief"]["id"]
    done = await client.post(
        f"/api/v1/volunteers/debriefs/{debrief_id}/answer",
        json={"answer": "Vu avec l'équipe"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200, done.text
    activity = (await client.get("/api/v1/volunteers/activity")).json()
    assert [c["attempt_id"] for c in activity["flagged"]] == [old]


async def test_an_agents_help_request_is_not_answered_from_the_volunteers_route(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, clock: Clock
) -> None:
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    await CallHelpRepository(sessions).raise_help("agent1", attempt_id, clock())
    async with transaction(sessions) as session:
        request_id = await session.scalar(select(HelpRequest.id))
    csrf = await log_in(client, "superviseur")
    refused = await client.post(
        f"/api/v1/volunteers/help/{request_id}/answer",
        json={"answer": "vu"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 404
    async with transaction(sessions) as session:
        row = await session.get(HelpRequest, request_id)
        assert row is not None
        assert (row.acknowledged_at, row.answer) == (None, None)  # still on the dashboard
