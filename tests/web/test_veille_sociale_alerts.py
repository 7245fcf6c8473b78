"""An urgent situation on a veille-sociale call raises an alert to the intervention teams
exactly as the heatwave scoring does: the shipped questionnaire's emergency answer
(« danger immédiat : oui ») shows the caller the instructions and raises a priority-1
medical-emergency alert at once, before any submission, once; the emergency team's inbox
lists it. A fragile situation found at submission raises its social alert."""

from __future__ import annotations

import httpx
import pytest

from dialer.storage import SessionFactory
from dialer.storage.answers import CallSheetRepository
from dialer.testing import Clock
from tests.stored import alerts_of_sheet
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World
from tests.web.test_agent_api import agent_on_call
from tests.web.test_orientation import catalog, volunteer_world

pytestmark = pytest.mark.asyncio
__all__ = ["catalog"]  # the shipped veille-sociale questionnaire, by fixture name


async def test_the_emergency_answer_raises_a_p1_alert_at_once(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await agent_on_call(
        client, sessions, await volunteer_world(sessions, world), desk, clock
    )
    response = await me.answer(attempt_id, "danger_immediat", True)
    assert response.status_code == 200, response.text
    emergency = response.json()["emergency"]
    assert emergency["agent_instructions"].startswith("Restez en ligne avec la personne")
    sheet = await CallSheetRepository(sessions).by_attempt(attempt_id)
    assert sheet is not None
    assert sheet.submitted_at is None
    alerts = await alerts_of_sheet(sessions, sheet.id)
    assert [(a.priority, a.need, a.team_id, a.raised_by) for a in alerts] == [
        (1, "medical_emergency", world.teams["urgences"], "agent1")
    ]
    assert "danger ou en détresse" in alerts[0].message
    await me.answer(attempt_id, "moral", 2)  # answering on raises it no second time
    assert len(await alerts_of_sheet(sessions, sheet.id)) == 1
    await client.post("/deconnexion", headers={"X-CSRF-Token": me.csrf})
    await log_in(client, "membre.urgences")
    inbox = await client.get("/alertes")
    assert "Veille sociale : personne en danger ou en détresse" in inbox.text
    assert "Jeanne DUPONT" in inbox.text


async def test_a_fragile_situation_raises_its_social_alert_at_submission(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await agent_on_call(
        client, sessions, await volunteer_world(sessions, world), desk, clock
    )
    for question, value in (
        ("nouvelles", "pas_bien"),
        ("isolement", "rarement"),
        ("moral", 1),
        ("danger_immediat", False),
        ("besoins", ["logement"]),
        ("logement_probleme", "expulsion"),
    ):
        assert (await me.answer(attempt_id, question, value)).status_code == 200
    desk.end("agent1")
    submitted = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet", {"disposition": "complete"}
    )
    assert submitted.json()["risk_level"] == "prioritaire"
    sheet = await CallSheetRepository(sessions).by_attempt(attempt_id)
    assert sheet is not None
    alerts = await alerts_of_sheet(sessions, sheet.id)
    assert sorted((a.priority, a.need) for a in alerts) == [(2, "housing"), (2, "social")]
    assert all(a.priority > 1 for a in alerts)  # no emergency: none was answered
