"""The volunteer's desk through the pages and the API: a trained volunteer connects their
phone on the agents' screen (an untrained one is refused, 403 in French), is offered a
veille-sociale household and sees only its first name, name, number and earlier
debriefs; writes the debrief of their call and asks for help after it; their coordinator
sees the calls, the flagged situation and the request on the activity page, answers both
(the answers show on the volunteer's desk) and assigns a household. Wrong roles 403, bad
input 422 naming the field."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from dialer.core.attempts import AttemptKind
from dialer.core.campaigns import CampaignKind
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import CampaignRepository, PacingMode, SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import transaction
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.storage.schedule import open_cycle_with_register
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from dialer.web.screens import AgentScreens
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, FakeDesk, World, fast_passwords, place_call

pytestmark = pytest.mark.asyncio

#: the time now (the tests' clock, or the live server's real one)
Now = Callable[[], datetime]

ANA = "benevole.ana"


async def _veille_cycle(sessions: SessionFactory, clock: Now) -> tuple[int, int]:
    campaign = await CampaignRepository(sessions).create(
        name="Veille fin d'année",
        kind=CampaignKind.VEILLE_SOCIALE,
        questionnaire_id="veille_test",
        questionnaire_version="2",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PREVIEW,
        calling_windows={},
        retry_policy={},
        now=clock(),
    )
    cycle, _ = await open_cycle_with_register(
        sessions, campaign.id, number=1, started_at=clock(),
        deadline=clock() + timedelta(days=7), due=clock(),
    )  # fmt: skip
    return campaign.id, cycle.id


async def _call(sessions: SessionFactory, cycle_id: int, person_id: int, clock: Now) -> str:
    attempt = await AttemptLedger(sessions).record_planned(
        cycle_id=cycle_id, person_id=person_id, number="+33145678910",
        kind=AttemptKind.PREVIEW, planned_for=clock(), agent=ANA,
    )  # fmt: skip
    return attempt.id


async def _placed(sessions: SessionFactory, attempt_id: str, clock: Now) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(placed_at=clock(), bridged_at=clock())
        )


async def test_a_trained_volunteer_calls_debriefs_and_is_answered(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await create_account(
        sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
        passwords=fast_passwords(),
    )  # fmt: skip
    campaign_id, cycle_id = await _veille_cycle(sessions, clock)
    csrf = await log_in(client, ANA)
    headers = {"X-CSRF-Token": csrf}
    # untrained: the phone is refused, in French
    refused = await client.post("/api/v1/agent/phone", json={}, headers=headers)
    assert refused.status_code == 403
    assert "formation de bénévole n'est pas enregistrée" in refused.json()["erreur"]
    assert desk.seats.seats_by_agent().get(ANA) is None
    await VolunteerRoster(sessions).train(
        ANA, trained_by="superviseur", trained_on=date(2026, 6, 1), actor="t", now=clock()
    )
    opened = await client.post("/benevole/poste", data={"csrf": csrf})
    assert opened.status_code == 200
    assert 'href="/agent"' in opened.text
    assert (await client.get("/agent")).status_code == 200
    assert (await client.get("/agent/historique")).status_code == 403  # no earlier answers
    assert (await client.post("/api/v1/agent/phone", json={}, headers=headers)).status_code == 200
    assert (await client.post("/api/v1/agent/ready", json={}, headers=headers)).status_code == 200

    # an earlier call to Jeanne, with its debrief: the volunteer sees it, nothing else
    earlier = await _call(sessions, cycle_id, world.jeanne_id, clock)
    await _placed(sessions, earlier, clock)
    await VolunteerCalls(sessions).write_debrief(
        earlier, ANA, "Va bien, aimerait un atelier numérique", flagged=False, now=clock()
    )
    clock.advance(60)
    screens = desk.screens
    assert isinstance(screens, AgentScreens)
    socket = screens.open(ANA)
    attempt_id = await _call(sessions, cycle_id, world.jeanne_id, clock)
    await desk.offer(ANA, attempt_id)
    message = json.loads(await socket.queue.get())
    assert message["type"] == "offer"
    view = message["view"]
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert [p["e164"] for p in view["person"]["phones"]] == ["+33145678910"]
    person = view["person"]
    assert (person["birth_date"], person["address"], person["flags"]) == (None, None, [])
    assert view["history"] == {"attempts": [], "sheets": []}
    assert [d["text"] for d in view["debriefs"]] == ["Va bien, aimerait un atelier numérique"]
    called = await client.post("/api/v1/agent/offer/call", json={}, headers=headers)
    assert called.status_code == 200
    await _placed(sessions, attempt_id, clock)

    # the debrief: the field named, one per call, only the volunteer's own call
    url = f"/api/v1/volunteer/calls/{attempt_id}"
    for body, field in (({"text": ""}, "text"), ({"text": "x" * 4001}, "text"), ({}, "text")):
        bad = await client.post(url + "/debrief", json=body, headers=headers)
        assert bad.status_code == 422, body
        assert field in bad.json()["erreur"]
    other = await client.post(
        "/api/v1/volunteer/calls/inconnu/debrief", json={"text": "x"}, headers=headers
    )
    assert other.status_code == 404
    form = await client.post(
        f"/benevole/appels/{attempt_id}/bilan",
        data={"csrf": csrf, "bilan": "Très seule depuis le décès de son mari", "signaler": "1"},
    )
    assert form.status_code == 303
    again = await client.post(url + "/debrief", json={"text": "encore"}, headers=headers)
    assert again.status_code == 409
    helped = await client.post(f"/benevole/appels/{attempt_id}/aide", data={"csrf": csrf})
    assert helped.status_code == 303
    mine = (await client.get("/api/v1/volunteer/calls")).json()["calls"]
    assert [c["attempt_id"] for c in mine] == [attempt_id, earlier]
    assert mine[0]["debrief"]["flagged"] is True
    assert len(mine[0]["help_requests"]) == 1
    # a volunteer coordinates nothing
    for path in ("/api/v1/volunteers/activity", "/supervision/benevoles/activite"):
        assert (await client.get(path)).status_code == 403
    await client.post("/deconnexion")

    # an agent has no volunteer desk
    csrf = await log_in(client, "agent1")
    refused = await client.post(
        url + "/debrief", json={"text": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    await client.post("/deconnexion")

    # the coordinator sees the call, the flagged situation and the request, and answers
    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}
    activity = (await client.get("/api/v1/volunteers/activity")).json()
    [flagged] = activity["flagged"]
    assert flagged["debrief"]["text"] == "Très seule depuis le décès de son mari"
    [asking] = activity["open_help"]
    help_id = asking["help_requests"][0]["id"]
    page = await client.get("/supervision/benevoles/activite")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Très seule depuis le décès de son mari" in text
    assert "Situation signalée" in text
    empty = await client.post(
        f"/api/v1/volunteers/help/{help_id}/answer", json={"answer": ""}, headers=headers
    )
    assert empty.status_code == 422
    assert "answer" in empty.json()["erreur"]
    answered = await client.post(
        f"/api/v1/volunteers/help/{help_id}/answer",
        json={"answer": "Je vous appelle dans 5 minutes"},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    debrief_id = flagged["debrief"]["id"]
    form = await client.post(
        f"/supervision/benevoles/activite/bilans/{debrief_id}/reponse",
        data={"csrf": csrf, "reponse": "Orientez-la vers le CCAS, je préviens l'équipe"},
    )
    assert form.status_code == 303
    bad = await client.post(
        "/supervision/benevoles/activite/foyers",
        data={"csrf": csrf, "campagne": "abc", "foyer": "J1", "benevole": ANA},
    )
    assert bad.status_code == 422
    assert "campagne" in html.unescape(bad.text)
    wrong = await client.put(
        f"/api/v1/volunteers/households/{campaign_id}/J1",
        json={"volunteer": "agent1"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert "volunteer" in wrong.json()["erreur"]
    emergency = await client.put(
        f"/api/v1/volunteers/households/{world.campaign_id}/J1",
        json={"volunteer": ANA},
        headers=headers,
    )
    assert emergency.status_code == 422
    assert "campaign_id" in emergency.json()["erreur"]
    taken = await client.post(
        "/supervision/benevoles/activite/foyers",
        data={"csrf": csrf, "campagne": str(campaign_id), "foyer": "J1", "benevole": ""},
    )
    assert taken.status_code == 303  # taken over by the supervisor
    assigned = await client.put(
        f"/api/v1/volunteers/households/{campaign_id}/J1", json={"volunteer": ANA},
        headers=headers,
    )  # fmt: skip
    assert assigned.json()["account"] == ANA
    await client.post("/deconnexion")

    # the answers show on the volunteer's desk
    await log_in(client, ANA)
    desk_page = html.unescape((await client.get("/benevole")).text)
    assert "Je vous appelle dans 5 minutes" in desk_page
    assert "Orientez-la vers le CCAS, je préviens l'équipe" in desk_page
    actions = [e.action for e in await AuditLog(sessions).search(AuditFilter())]
    for action in (
        "volunteer.debrief",
        "call.help_raised",
        "call.help_answered",
        "volunteer.debrief_answered",
        "volunteer.household_assigned",
    ):
        assert action in actions, action


async def test_a_volunteers_screen_has_no_transfer_and_is_never_told_a_score(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    """The agents' screen without what a volunteer may not use or see: the transfer form
    (its API answers 403) and the call's score and risk level once the sheet is given."""
    await create_account(
        sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
        passwords=fast_passwords(),
    )  # fmt: skip
    await VolunteerRoster(sessions).train(
        ANA, trained_by="superviseur", trained_on=date(2026, 6, 1), actor="t", now=clock()
    )
    csrf = await log_in(client, "agent1")
    assert 'id="form-transfert"' in (await client.get("/agent")).text
    await client.post("/deconnexion")
    csrf = await log_in(client, ANA)
    headers = {"X-CSRF-Token": csrf}
    page = await client.get("/agent")
    assert page.status_code == 200
    assert 'id="form-transfert"' not in page.text
    assert "transfers.js" not in page.text
    assert (await client.post("/api/v1/agent/phone", json={}, headers=headers)).status_code == 200
    assert (await client.post("/api/v1/agent/ready", json={}, headers=headers)).status_code == 200
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    desk.reserve(ANA, attempt_id)
    desk.join(ANA)
    refused = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    assert refused.status_code == 403
    desk.end(ANA)
    given = await client.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        json={"disposition": "refused", "note": ""},
        headers=headers,
    )
    assert given.status_code == 200, given.text
    answer = given.json()
    assert (answer["score"], answer["risk_level"]) == (None, None)
    assert answer["alerts"] == 0
