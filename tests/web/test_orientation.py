"""The « Orienter » panel of a veille-sociale call sheet, through the agent's API: the
directory's active resources that answer the needs ticked at the second level (and the
household's district), an orientation recorded (information, mise en relation,
rendez-vous with its date) and audited, bad input refused naming the field; the follow-up
call is an owned call-back, and the household's cycle waits for it. Other roles get 403,
a call of another kind of campaign 409."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from dialer.core.resources import checked_resource
from dialer.core.roles import Role
from dialer.core.volunteers import parse_slot
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import transaction
from dialer.storage.models import Callback
from dialer.storage.orientation_rows import OrientationRow
from dialer.storage.resources import ResourceDirectory
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from tests.needs_scene import volunteer_cycle
from tests.web.conftest import log_in
from tests.web.support import T0, FakeDesk, World, catalog_in
from tests.web.test_agent_api import Agent, agent_on_call

pytestmark = pytest.mark.asyncio

RESOURCES = [
    {
        "nom": "Épicerie solidaire Nord",
        "besoins": "alimentation",
        "zone": "Nord",
        "contact": "01 40 00 00 01",
    },
    {
        "nom": "Banque alimentaire",
        "besoins": "alimentation",
        "zone": "Ville",
        "contact": "01 40 00 00 02",
    },
    {"nom": "Épicerie Sud", "besoins": "alimentation", "zone": "Sud", "contact": "01 40 00 00 03"},
    {
        "nom": "ADIL",
        "besoins": "logement, argent_droits",
        "zone": "toute la ville",
        "contact": "adil@ville.test",
    },
    {"nom": "Centre de santé", "besoins": "sante", "zone": "Ville", "contact": "01 40 00 00 05"},
    {"nom": "Ancienne permanence", "besoins": "logement", "zone": "Nord", "contact": "-"},
]


@pytest.fixture
def catalog(tmp_path: Path) -> QuestionnaireCatalog:
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(SHIPPED_QUESTIONNAIRES / "veille_sociale.yaml", directory / "veille_sociale.yaml")
    return catalog_in(directory)


async def directory(sessions: SessionFactory) -> dict[str, int]:
    book = ResourceDirectory(sessions)
    await book.import_entries([checked_resource(r) for r in RESOURCES], actor="admin", now=T0)
    ids = {row.name: row.id for row in await book.list()}
    old = ids["Ancienne permanence"]
    entry = checked_resource(RESOURCES[-1])
    await book.edit(old, entry, active=False, actor="admin", now=T0)
    return ids


async def volunteer_world(sessions: SessionFactory, world: World) -> World:
    """The seeded world with a veille-sociale campaign's open cycle (a week long)."""
    campaign, cycle = await volunteer_cycle(
        sessions, "Veille sociale fêtes", T0 - timedelta(hours=1), days=7
    )
    return dataclasses.replace(world, campaign_id=campaign, cycle_id=cycle)


async def on_volunteer_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> tuple[Agent, str]:
    me, attempt_id = await agent_on_call(
        client, sessions, await volunteer_world(sessions, world), desk, clock
    )
    saved = await me.answer(attempt_id, "besoins", ["alimentation", "logement"])
    assert saved.status_code == 200, saved.text
    return me, attempt_id


async def test_the_panel_offers_the_active_resources_for_the_needs_and_district(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await directory(sessions)
    me, attempt_id = await agent_on_call(
        client, sessions, await volunteer_world(sessions, world), desk, clock
    )
    url = f"/api/v1/agent/calls/{attempt_id}/orientation"
    empty = (await client.get(url)).json()
    assert empty["needs"] == []
    assert empty["resources"] == []  # nothing ticked yet: nothing to orient to
    await me.answer(attempt_id, "besoins", ["alimentation", "logement"])
    panel = (await client.get(url)).json()
    assert [n["word"] for n in panel["needs"]] == ["alimentation", "logement"]
    assert panel["district"] == "Nord"
    # Jeanne lives in the Nord: its own resource first, then the city-wide ones; never the
    # Sud's, nor a health one, nor an inactive one
    assert [r["name"] for r in panel["resources"]] == [
        "Épicerie solidaire Nord",
        "ADIL",
        "Banque alimentaire",
    ]
    assert [m["label"] for m in panel["modes"]] == [
        "Information donnée",
        "Mise en relation",
        "Rendez-vous pris",
    ]


async def test_an_orientation_is_recorded_audited_and_bad_input_named(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    ids = await directory(sessions)
    me, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{attempt_id}/orientations"
    adil = ids["ADIL"]
    refusals = [
        ({"resource_id": 9999, "mode": "information"}, "resource_id"),
        ({"resource_id": ids["Ancienne permanence"], "mode": "information"}, "resource_id"),
        ({"resource_id": adil, "mode": "télépathie"}, "mode"),
        ({"resource_id": adil, "mode": "rendez_vous"}, "appointment_at"),
        (
            {"resource_id": adil, "mode": "rendez_vous", "appointment_at": "2026-07-01T10:00"},
            "appointment_at",
        ),
        (
            {"resource_id": adil, "mode": "rendez_vous", "appointment_at": "demain"},
            "appointment_at",
        ),
        (
            {"resource_id": adil, "mode": "information", "appointment_at": "2026-07-20T10:00"},
            "appointment_at",
        ),
        ({"resource_id": adil, "mode": "information", "need": "sante"}, "need"),
        ({"resource_id": adil, "mode": "information", "note": "x" * 2001}, "note"),
        ({"resource_id": "ADIL", "mode": "information"}, "resource_id"),
    ]
    for body, field in refusals:
        refused = await me.post(url, body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.json()["erreur"], (body, refused.json())
    async with transaction(sessions) as session:
        assert await session.scalar(select(OrientationRow)) is None  # nothing written

    done = await me.post(
        url,
        {
            "resource_id": adil,
            "mode": "rendez_vous",
            "appointment_at": "2026-07-20T14:30",
            "note": "rendez-vous pour les impayés de loyer",
        },
    )
    assert done.status_code == 200, done.text
    told = await me.post(url, {"resource_id": ids["Banque alimentaire"], "mode": "information"})
    recorded = told.json()["orientations"]
    assert [(o["resource"], o["need"], o["mode_label"]) for o in recorded] == [
        ("ADIL", "logement", "Rendez-vous pris"),
        ("Banque alimentaire", "alimentation", "Information donnée"),
    ]
    assert recorded[0]["appointment_at"].startswith("2026-07-20T12:30")  # 14:30 in Paris
    entries = await AuditLog(sessions).search(AuditFilter(action="household.oriented"))
    assert len(entries) == 2
    assert {e.actor for e in entries} == {"agent1"}
    assert {e.target for e in entries} == {f"attempt:{attempt_id}"}


async def test_a_follow_up_is_an_owned_callback_and_the_cycle_waits_for_it(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{attempt_id}/follow-up"
    for body, why in (
        ({}, "indiquez"),
        ({"at": "2026-07-01T10:00"}, "dans le futur"),
        ({"at": "2026-07-25T10:00"}, "fin du cycle"),
        ({"at": "lundi"}, "date invalide"),
    ):
        refused = await me.post(url, body)
        assert refused.status_code == 422, refused.text
        assert "« at »" in refused.json()["erreur"]
        assert why in refused.json()["erreur"]
    first = await me.post(url, {"at": "2026-07-15T10:00", "note": "voir si l'aide est arrivée"})
    assert first.status_code == 200, first.text
    moved = await me.post(url, {"at": "2026-07-16T11:00", "note": "voir si l'aide est arrivée"})
    assert moved.json()["follow_up"]["due_at"].startswith("2026-07-16T09:00")
    async with transaction(sessions) as session:
        callbacks = list(await session.scalars(select(Callback)))
    assert [(c.agent, c.done) for c in callbacks] == [("agent1", False)]  # moved, not doubled
    assert callbacks[0].due_at == T0.replace(day=16, hour=9)
    assert len(await AuditLog(sessions).search(AuditFilter(action="household.follow_up"))) == 2
    # the sheet complete: the household stays in the cycle until its follow-up
    for question, value in (
        ("nouvelles", "moyen"),
        ("isolement", "parfois"),
        ("moral", 5),
        ("danger_immediat", False),
        ("alimentation_repas", False),
        ("alimentation_aide", True),
        ("logement_probleme", "insalubre"),
    ):
        assert (await me.answer(attempt_id, question, value)).status_code == 200
    desk.end("agent1")
    submitted = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet", {"disposition": "complete"}
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["complete"] is True
    assert desk.wrapped == [("agent1", None)]  # no result yet: the follow-up is planned


async def test_other_roles_are_refused_and_other_campaigns_have_no_panel(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, heatwave_call = await agent_on_call(client, sessions, world, desk, clock)
    not_here = await client.get(f"/api/v1/agent/calls/{heatwave_call}/orientation")
    assert not_here.status_code == 409
    refused = await me.post(
        f"/api/v1/agent/calls/{heatwave_call}/follow-up", {"at": "2026-07-14T10:00"}
    )
    assert refused.status_code == 409
    await client.post("/deconnexion", headers={"X-CSRF-Token": me.csrf})
    for username in ("superviseur", "membre.nord", "admin"):
        csrf = await log_in(client, username)
        other = Agent(client, csrf)
        assert (
            await client.get(f"/api/v1/agent/calls/{heatwave_call}/orientation")
        ).status_code == 403
        posted = await other.post(
            f"/api/v1/agent/calls/{heatwave_call}/orientations",
            {"resource_id": 1, "mode": "information"},
        )
        assert posted.status_code == 403
        await client.post("/deconnexion", headers={"X-CSRF-Token": csrf})


async def test_the_agent_page_carries_the_panel_and_its_script(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client, "agent1")
    page = await client.get("/agent")
    assert 'id="orienter"' in page.text
    assert '<script src="/static/orientation.js"></script>' in page.text
    script = await client.get("/static/orientation.js")
    assert script.status_code == 200
    assert "/orientation" in script.text


async def test_a_volunteers_panel_names_no_district(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    """A volunteer's screen hides the household's address: their panel names no district
    (the resources near the household are still the ones offered: that is its purpose)."""
    await directory(sessions)
    _, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)
    async with transaction(sessions) as session:
        await session.execute(
            update(Account).where(Account.username == "agent1").values(role=Role.VOLUNTEER)
        )
    panel = await client.get(f"/api/v1/agent/calls/{attempt_id}/orientation")
    assert panel.status_code == 200, panel.text
    assert panel.json()["district"] == ""
    assert next(r["name"] for r in panel.json()["resources"]) == "Épicerie solidaire Nord"


async def test_a_volunteer_is_told_when_a_follow_up_falls_outside_their_slots(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    """Booked all the same (the household may have asked for that hour), with their next
    slot; an agent has no slots and is told nothing."""
    me, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{attempt_id}/follow-up"
    agent = await me.post(url, {"at": "2026-07-16T11:00"})
    assert agent.json()["follow_up"]["outside_slots"] is None
    async with transaction(sessions) as session:
        await session.execute(
            update(Account).where(Account.username == "agent1").values(role=Role.VOLUNTEER)
        )
    await VolunteerRoster(sessions).set_slots(
        "agent1", [parse_slot("jeudi 14:00-17:00")], actor="superviseur", now=T0
    )
    outside = await me.post(url, {"at": "2026-07-16T11:00"})  # Thursday 11:00 in Paris
    assert outside.status_code == 200, outside.text
    assert outside.json()["follow_up"]["outside_slots"] == (
        "Ce suivi tombe en dehors de vos disponibilités ; "
        "votre créneau suivant : jeudi 16/07 à 14:00."
    )
    within = await me.post(url, {"at": "2026-07-16T15:00"})
    assert within.json()["follow_up"]["outside_slots"] is None
    async with transaction(sessions) as session:  # booked each time, never refused
        callbacks = list(await session.scalars(select(Callback)))
    assert [c.due_at for c in callbacks] == [T0.replace(day=16, hour=13)]
