"""The agent's API: state, isolation, answers saved one by one, emergencies at once,
submission → score → alerts → inbox → acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.storage import Callback, SessionFactory
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.alerts import AlertRepository, OutboxRepository
from dialer.storage.answers import CallSheetRepository
from dialer.storage.database import transaction
from dialer.testing import Clock
from tests.stored import alerts_of_sheet
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World, place_call

pytestmark = pytest.mark.asyncio


class Agent:
    """An agent's browser session, as the screen's script uses the API."""

    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    async def post(self, url: str, body: object = None) -> httpx.Response:
        return await self.client.post(url, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def answer(self, attempt_id: str, question_id: str, value: object) -> httpx.Response:
        return await self.post(
            f"/api/v1/agent/calls/{attempt_id}/answers",
            {"question_id": question_id, "value": value},
        )


async def agent_on_call(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    *,
    agent: str = "agent1",
    person_id: int | None = None,
    kind: AttemptKind = AttemptKind.AUTOMATIC,
) -> tuple[Agent, str]:
    csrf = await log_in(client, agent)
    me = Agent(client, csrf)
    assert (await me.post("/api/v1/agent/phone")).json()["state"] == "paused"
    assert (await me.post("/api/v1/agent/ready")).json()["state"] == "ready"
    attempt_id = await place_call(
        sessions,
        world,
        person_id=person_id or world.jeanne_id,
        now=clock(),
        number="+33145678910",
        kind=kind,
    )
    desk.reserve(agent, attempt_id)
    desk.join(agent)
    return me, attempt_id


async def test_the_agent_goes_ready_and_pauses_with_a_reason(
    client: httpx.AsyncClient, desk: FakeDesk
) -> None:
    me = Agent(client, await log_in(client, "agent1"))
    assert (await client.get("/api/v1/agent/state")).json()["label"] == "Téléphone non connecté"
    refused = await me.post("/api/v1/agent/ready")
    assert refused.status_code == 409
    assert refused.json()["erreur"] == "Connectez d'abord votre téléphone."
    await me.post("/api/v1/agent/phone")
    assert desk.seats.get("agent1").endpoint == "agent-1001"
    ready = await me.post("/api/v1/agent/ready")
    assert ready.json()["label"] == "Disponible"
    missing = await me.post("/api/v1/agent/pause", {"reason": "Autre"})
    assert missing.status_code == 422
    paused = await me.post("/api/v1/agent/pause", {"reason": "Repas", "detail": "30 min"})
    assert paused.json()["state"] == "paused"
    assert desk.seats.get("agent1").pause_reason == "Repas : 30 min"
    assert (await me.post("/api/v1/agent/pause", {"reason": "Inventé"})).status_code == 422


async def test_an_agent_sees_only_the_person_on_their_current_call(
    client: httpx.AsyncClient,
    app: Starlette,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    _, jeanne_call = await agent_on_call(client, sessions, world, desk, clock)
    view = (await client.get(f"/api/v1/agent/calls/{jeanne_call}")).json()
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert view["person"]["age"] == 85
    assert view["person"]["contact"] == {"name": "Paul Dupont (fils)", "phone": "06 12 34 56 78"}
    assert "Oxygène : oui" in view["person"]["flags"]
    assert view["questionnaire"]["id"] == "veille_test"
    assert (await client.get(f"/api/v1/agent/persons/{world.jeanne_id}")).status_code == 200
    # another person, and another agent's call, do not exist for this agent
    assert (await client.get(f"/api/v1/agent/persons/{world.bob_id}")).status_code == 404
    bob_call = await place_call(
        sessions, world, person_id=world.bob_id, now=clock(), number="+33155555555"
    )
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        csrf = await log_in(other, "agent2")
        agent2 = Agent(other, csrf)
        await agent2.post("/api/v1/agent/phone")
        await agent2.post("/api/v1/agent/ready")
        desk.reserve("agent2", bob_call)
        desk.join("agent2")
        assert (await other.get(f"/api/v1/agent/calls/{jeanne_call}")).status_code == 404
        assert (await other.get(f"/api/v1/agent/persons/{world.jeanne_id}")).status_code == 404
        stolen = await agent2.answer(jeanne_call, "eau", True)
        assert stolen.status_code == 404
        assert stolen.json()["erreur"].startswith("Appel inconnu")
    assert (await client.get(f"/api/v1/agent/calls/{bob_call}")).status_code == 404


async def test_answers_are_saved_one_by_one_and_kept_when_the_call_drops(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    first = await me.answer(attempt_id, "vit_seul", True)
    assert first.status_code == 200
    assert "visites" in first.json()["visible"]
    assert first.json()["complete"] is False
    sheets = CallSheetRepository(sessions)
    sheet = await sheets.by_attempt(attempt_id)
    assert sheet is not None
    assert sheet.questionnaire_id == "veille_test"
    assert sheet.questionnaire_version == 2
    assert await sheets.answers(sheet.id) == {"vit_seul": True}
    hidden = await me.answer(attempt_id, "vit_seul", False)
    assert "visites" not in hidden.json()["visible"]
    invalid = await me.answer(attempt_id, "visites", "parfois")
    assert invalid.status_code == 422
    assert invalid.json()["erreur"] == "Réponse invalide à la question « Qui passe vous voir ? »."
    await me.answer(attempt_id, "eau", False)
    desk.end("agent1")  # the person hangs up mid-questionnaire
    assert await sheets.answers(sheet.id) == {"vit_seul": False, "eau": False}
    incomplete = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet", {"disposition": "complete", "note": ""}
    )
    assert incomplete.status_code == 422
    assert "incomplet" in incomplete.json()["erreur"]
    done = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "interrupted", "note": "a raccroché"},
    )
    assert done.status_code == 200
    assert done.json()["wrap_up"] == "done"
    assert desk.wrapped == [("agent1", None)]
    assert await sheets.answers(sheet.id) == {"vit_seul": False, "eau": False}
    stored = await sheets.get(sheet.id)
    assert stored.disposition is Disposition.INTERRUPTED
    assert stored.complete is False
    assert stored.score == 3.0  # eau = non weighs 3


async def test_an_emergency_answer_shows_instructions_and_raises_a_p1_alert_at_once(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    response = await me.answer(attempt_id, "malaise", True)
    emergency = response.json()["emergency"]
    assert emergency["agent_instructions"].startswith("URGENCE : restez en ligne")
    sheet = await CallSheetRepository(sessions).by_attempt(attempt_id)
    assert sheet is not None
    assert sheet.submitted_at is None  # before any submission
    alerts = await alerts_of_sheet(sessions, sheet.id)
    assert [(a.priority, a.need, a.team_id, a.raised_by) for a in alerts] == [
        (1, "medical_emergency", world.teams["urgences"], "agent1")
    ]
    assert alerts[0].because[0]["answer_label"] == "oui"
    # answering again does not raise it twice, nor does the submission
    await me.answer(attempt_id, "vit_seul", False)
    await me.answer(attempt_id, "eau", True)
    desk.end("agent1")
    await me.post(f"/api/v1/agent/calls/{attempt_id}/sheet", {"disposition": "complete"})
    assert len(await alerts_of_sheet(sessions, sheet.id)) == 1


async def test_the_view_of_a_call_carries_the_servers_skip_logic_and_emergency(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    """The screen applies what the server decides, also when it shows a call again (a
    reload): the visible questions and the emergency instructions of the answers given."""
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    before = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()["sheet"]
    assert (before["visible"], before["emergency"]) == (
        ["malaise", "vit_seul", "eau", "chaleur"],
        None,
    )
    answered = (await me.answer(attempt_id, "vit_seul", True)).json()
    await me.answer(attempt_id, "malaise", True)
    after = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()["sheet"]
    assert after["answers"] == {"vit_seul": True, "malaise": True}
    assert (
        after["visible"]
        == answered["visible"]
        == [
            "malaise",
            "vit_seul",
            "visites",
            "eau",
            "chaleur",
        ]
    )
    assert after["emergency"]["agent_instructions"].startswith("URGENCE : restez en ligne")
    assert after["missing"] == ["visites", "eau"]


async def test_submission_scores_routes_alerts_and_the_team_acknowledges_them(
    client: httpx.AsyncClient,
    app: Starlette,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    for question, value in (("malaise", False), ("vit_seul", True), ("visites", "jamais")):
        assert (await me.answer(attempt_id, question, value)).status_code == 200
    last = await me.answer(attempt_id, "eau", False)
    assert last.json()["complete"] is True  # "chaleur" is optional
    await me.post(f"/api/v1/agent/calls/{attempt_id}/note", {"note": "Voix fatiguée."})
    desk.end("agent1")
    result = (
        await me.post(
            f"/api/v1/agent/calls/{attempt_id}/sheet",
            {"disposition": "complete", "note": "Voix fatiguée."},
        )
    ).json()
    assert (result["score"], result["risk_level"], result["complete"]) == (9, "élevé", True)
    assert result["alerts"] == 2
    assert result["state"]["state"] == "ready"
    assert desk.wrapped == [("agent1", CycleResult.REACHED)]
    async with transaction(sessions) as session:
        alerts = list(await session.scalars(select(Alert).order_by(Alert.priority)))
    assert [(a.priority, a.need, a.team_id, a.routed_to_default) for a in alerts] == [
        (2, "home_help", world.teams["nord"], False),
        (3, "social", world.teams["nord"], False),
    ]
    assert alerts[1].because == [
        {
            "question_id": "visites",
            "question_text": "Qui passe vous voir ?",
            "answer_label": "Jamais",
            "weight": 4,
        }
    ]
    assert alerts[0].next_escalation_at == clock() + timedelta(hours=1)  # P2, team has contacts
    # the team's inbox lists them, highest priority first, and a member acknowledges one
    client.cookies.clear()
    csrf = await log_in(client, "membre.nord")
    inbox = await client.get("/alertes")
    assert inbox.text.index("Pas d&#39;eau fraîche") < inbox.text.index("Isolement")
    assert "Jeanne DUPONT" in inbox.text
    assert "par agent1" in inbox.text
    clock.advance(minutes=5)
    ack = await client.post(
        f"/alertes/{alerts[0].id}/prise-en-charge",
        data={"csrf": csrf, "note": "Livraison d'eau prévue à 14 h."},
    )
    assert ack.status_code == 303
    handled = await AlertRepository(sessions).get(alerts[0].id)
    assert handled.state is AlertState.ACKNOWLEDGED
    assert handled.acknowledged_by == "membre.nord"
    assert handled.acknowledged_at == clock()
    assert handled.acknowledgement_note == "Livraison d'eau prévue à 14 h."
    assert handled.next_escalation_at is None
    again = await client.post(f"/alertes/{alerts[0].id}/prise-en-charge", data={"csrf": csrf})
    assert again.status_code == 409
    page = await client.get("/alertes")
    assert "Prise en charge par <strong>membre.nord</strong>" in page.text
    # another team cannot see or acknowledge it
    client.cookies.clear()
    other_csrf = await log_in(client, "membre.urgences")
    assert "Jeanne" not in (await client.get("/alertes")).text
    denied = await client.post(
        f"/alertes/{alerts[1].id}/prise-en-charge", data={"csrf": other_csrf}
    )
    assert denied.status_code == 404


async def test_an_alert_no_team_covers_goes_to_the_default_team(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(
        client, sessions, world, desk, clock, person_id=world.bob_id
    )
    for question, value in (("malaise", False), ("vit_seul", False), ("eau", False)):
        await me.answer(attempt_id, question, value)
    desk.end("agent1")
    await me.post(f"/api/v1/agent/calls/{attempt_id}/sheet", {"disposition": "complete"})
    async with transaction(sessions) as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    assert (alert.team_id, alert.routed_to_default) == (world.teams["defaut"], True)
    assert alert.next_escalation_at is None  # the default team has no escalation list
    assert await OutboxRepository(sessions).pending_count() == 0  # no channel but the inbox
    # supervisors see every open alert, with its team, and the components' statistics
    client.cookies.clear()
    await log_in(client, "superviseur")
    page = await client.get("/supervision")
    assert "Robert MARTIN" in page.text
    assert "Veille générale" in page.text
    assert "Transmise à l'équipe par défaut" in page.text
    stats = (await client.get("/api/v1/statistics")).json()
    assert stats["screens"]["joined"] == 0
    assert stats["alerts"]["outbox_pending"] == 0


async def test_a_callback_is_scheduled_and_submitting_on_call_wraps_up_at_hang_up(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    past = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "callback", "callback_at": "2026-07-13T08:00"},
    )
    assert past.status_code == 422
    result = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "callback", "callback_at": "2026-07-13T17:30", "note": "rappeler"},
    )
    assert result.json()["wrap_up"] == "after_call"
    assert desk.seats.get("agent1").state is AgentState.ON_CALL
    async with transaction(sessions) as session:
        callback = await session.scalar(select(Callback))
    assert callback is not None
    assert callback.due_at.isoformat() == "2026-07-13T15:30:00+00:00"  # 17:30 in Paris
    assert (callback.agent, callback.number, callback.person_id) == (
        "agent1",
        "+33145678910",
        world.jeanne_id,
    )
    await desk.end_call("agent1")
    assert desk.wrapped == [("agent1", None)]
    assert desk.seats.get("agent1").state is AgentState.READY


async def test_an_agent_records_never_call_again_as_the_calls_result(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    screen = await client.get("/agent")
    assert '<option value="opposed">Ne plus appeler' in screen.text
    desk.end("agent1")
    done = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "opposed", "note": "Ne veut plus être appelée"},
    )
    assert done.status_code == 200, done.text
    # the person's result, distinct from a refusal: the dial queue records her opposition
    # with the call and the agent (tests/storage/test_holds.py)
    assert desk.wrapped == [("agent1", CycleResult.OPPOSED)]


async def test_a_call_coming_in_shows_the_persons_record_and_says_she_called(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    _, attempt_id = await agent_on_call(
        client, sessions, world, desk, clock, kind=AttemptKind.INBOUND
    )
    view = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()
    assert view["inbound_call"] is True
    assert view["relative_call"] is False
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert view["questionnaire"]["questions"]  # the campaign's questionnaire, as on a dial
    page = await client.get("/agent")
    assert "Appel reçu : la personne" in page.text
    assert 'id="appel-recu"' in page.text
