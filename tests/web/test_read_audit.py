"""Who read what: views of a person's record, a call's answers, alerts, reports and every
export, through the pages, the agent's screen and the API, each leave an audit entry
(who, what, when, from which route), searchable by person on the journal page and API."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from starlette.applications import Starlette

from dialer.storage.audit import AuditEntry, AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from dialer.testing import Clock
from dialer.web.app import screens_of
from tests.report_scene import build_scene
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World, place_call

pytestmark = pytest.mark.asyncio


async def _entries(sessions: SessionFactory, action: str, wanted: int = 1) -> list[AuditEntry]:
    """The entries of ``action``, waiting a little for those written by a task."""
    log = AuditLog(sessions)
    for _ in range(200):
        found = await log.search(AuditFilter(action=action))
        if len(found) >= wanted:
            return found
        await asyncio.sleep(0.01)
    return await log.search(AuditFilter(action=action))


async def test_the_agent_screen_records_each_view_of_the_person(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    screens = screens_of(app)
    socket = screens.open("agent1")
    desk.reserve("agent1", attempt_id)
    await screens.reserved("agent1", attempt_id)
    desk.join("agent1")
    await screens.joined("agent1", attempt_id)
    popped = json.loads(await asyncio.wait_for(socket.queue.get(), 5))
    assert popped["type"] == "call"
    [pop] = await _entries(sessions, "read.call")
    assert (pop.actor, pop.person_id, pop.route) == ("agent1", world.jeanne_id, "WS /ws/agent")
    assert pop.target == f"attempt:{attempt_id}"

    assert (await client.get(f"/api/v1/agent/calls/{attempt_id}")).status_code == 200
    assert (await client.get(f"/api/v1/agent/persons/{world.jeanne_id}")).status_code == 200
    calls = await _entries(sessions, "read.call", 2)
    assert calls[0].route == f"GET /api/v1/agent/calls/{attempt_id}"
    [person] = await _entries(sessions, "read.person")
    assert (person.actor, person.person_id, person.at) == ("agent1", world.jeanne_id, clock())
    # someone else's record: refused, and nothing recorded as read
    assert (await client.get(f"/api/v1/agent/persons/{world.bob_id}")).status_code == 404
    assert len(await _entries(sessions, "read.person")) == 1

    assert (await client.get("/agent/historique")).status_code == 200
    [history] = await _entries(sessions, "read.sheets")
    assert history.target == "agent:agent1"
    screens.close(socket)

    # the administrator finds them all by person, on the page and through the API
    await client.post("/deconnexion", data={"csrf": csrf})
    await log_in(client, "admin")
    page = await client.get("/supervision/journal", params={"personne": str(world.jeanne_id)})
    assert page.status_code == 200
    assert page.text.count("read.call") == 2
    assert "read.person" in page.text
    assert f"GET /api/v1/agent/persons/{world.jeanne_id}" in page.text
    api = await client.get("/api/v1/audit", params={"person": str(world.jeanne_id)})
    assert api.status_code == 200
    assert {row["action"] for row in api.json()["items"]} == {"read.call", "read.person"}
    assert all(row["person"] == world.jeanne_id for row in api.json()["items"])
    bad = await client.get("/api/v1/audit", params={"person": "x' or 1=1"})
    assert bad.status_code == 422
    assert "person" in bad.text
    bad_page = await client.get("/supervision/journal", params={"personne": "abc"})
    assert "Personne : indiquez son numéro" in bad_page.text


async def test_report_views_and_every_export_are_recorded(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    scene = await build_scene(sessions, people=6)
    c = scene.campaign_id
    await log_in(client, "superviseur")
    for url in (
        f"/rapports/{c}",
        f"/rapports/{c}/tableaux/jamais_joints.csv",
        f"/rapports/{c}/rapport.xlsx",
        f"/api/v1/reports/{c}?cycle=1",
        f"/api/v1/reports/{c}/billing",
    ):
        assert (await client.get(url)).status_code == 200, url
    log = AuditLog(sessions)
    entries = {(e.action, e.route): e for e in await log.search(AuditFilter(actor="superviseur"))}
    assert set(entries) == {
        ("read.alerts", "GET /supervision"),  # the landing page lists the open alerts
        ("read.report", f"GET /rapports/{c}"),
        ("export.csv", f"GET /rapports/{c}/tableaux/jamais_joints.csv"),
        ("export.xlsx", f"GET /rapports/{c}/rapport.xlsx"),
        ("export.json", f"GET /api/v1/reports/{c}"),
        ("export.json", f"GET /api/v1/reports/{c}/billing"),
    }
    assert entries["export.csv", f"GET /rapports/{c}/tableaux/jamais_joints.csv"].details == {
        "table": "jamais_joints",
        "cycle": "tous",
    }
    assert entries["export.json", f"GET /api/v1/reports/{c}"].details["cycle"] == "1"
    assert all(e.target == f"campaign:{c}" for e in entries.values() if e.action != "read.alerts")
    assert (await log.verify()).broken is None


async def test_alert_lists_are_recorded(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await log_in(client, "membre.nord")
    assert (await client.get("/alertes")).status_code == 200
    # the landing page after the login is the inbox too: two views, two entries
    inbox, _ = await _entries(sessions, "read.alerts", 2)
    assert (inbox.actor, inbox.target, inbox.route) == (
        "membre.nord",
        f"team:{world.teams['nord']}",
        "GET /alertes",
    )
    assert inbox.details == {"alerts": [], "persons": []}
