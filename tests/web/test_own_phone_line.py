"""« Mon téléphone »: an agent chooses their own phone as their line on the profile page
(the number checked as the register checks French numbers, and by the own-line rule), and
« M'appeler » on their screen makes the real dialing engine call it (fake telephony node).
Abuse: numbers abroad and premium-rate numbers refused; a flood of clicks places one call;
a script clicking again and again is stopped after a few calls."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette

from dialer.core.own_line import CALL_WINDOW, CALLS_PER_WINDOW, OwnLineCall
from dialer.storage import SessionFactory
from dialer.storage.accounts import AccountRepository
from dialer.testing import Clock
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer
from tests.web.support import FakeDesk

pytestmark = pytest.mark.asyncio

__all__ = ["steer"]

CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


async def choose(client: httpx.AsyncClient, line: str, number: str) -> httpx.Response:
    profile = await client.get("/agent/profil")
    csrf = CSRF_INPUT.search(profile.text)
    assert csrf is not None
    return await client.post(
        "/agent/profil/ligne",
        data={"ligne": line, "numero": number, "csrf": csrf.group(1)},
        follow_redirects=True,
    )


async def own_phone_of(sessions: SessionFactory, username: str) -> str | None:
    account = await AccountRepository(sessions).by_username(username)
    assert account is not None
    return account.own_phone


async def test_the_profile_page_stores_a_french_number_in_e164(
    client: httpx.AsyncClient, sessions: SessionFactory, desk: FakeDesk
) -> None:
    csrf = await log_in(client, "agent1")
    saved = await choose(client, "telephone", "06.12.34.56.78")
    assert saved.status_code == 200
    assert "Votre choix est enregistré" in saved.text
    assert 'value="06 12 34 56 78"' in saved.text
    assert await own_phone_of(sessions, "agent1") == "+33612345678"
    page = await client.get("/agent")
    assert "M'appeler sur mon" in page.text
    connected = await client.post("/api/v1/agent/phone", json={}, headers={"X-CSRF-Token": csrf})
    assert connected.json()["state"] == "paused"
    assert desk.own_phones_called == [("agent1", "+33612345678")]
    # back to the softphone: the number is forgotten
    assert (await choose(client, "logiciel", "")).status_code == 200
    assert await own_phone_of(sessions, "agent1") is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("0892 68 01 22", "surtaxé"),  # premium rate
        ("0810 12 34 56", "surtaxé"),  # shared cost
        ("0800 12 34 56", "surtaxé"),  # toll free: not a person's phone
        ("+44 20 7946 0958", "métropole"),  # abroad
        ("+262 262 12 34 56", "métropole"),  # overseas department
        ("3615", "trop court"),
        ("06 12 34", "trop court"),
        ("pas un numéro", "numéro"),
    ],
)
async def test_numbers_that_may_not_be_a_line_are_refused_naming_the_field(
    client: httpx.AsyncClient, sessions: SessionFactory, number: str, reason: str
) -> None:
    await log_in(client, "agent1")
    refused = await choose(client, "telephone", number)
    assert refused.status_code == 422
    assert "champ « numero »" in refused.text.lower()
    assert reason in refused.text
    assert await own_phone_of(sessions, "agent1") is None


async def test_an_unknown_line_choice_and_a_forged_form_are_refused(
    client: httpx.AsyncClient, sessions: SessionFactory, app: Starlette
) -> None:
    await log_in(client, "agent1")
    unknown = await choose(client, "satellite", "06 12 34 56 78")
    assert unknown.status_code == 422
    assert "champ « ligne »" in unknown.text.lower()
    forged = await client.post(
        "/agent/profil/ligne", data={"ligne": "telephone", "numero": "0612345678"}
    )
    assert forged.status_code == 403
    assert await own_phone_of(sessions, "agent1") is None


async def set_own_phone(rig: SteerRig, username: str, number: str) -> dict[str, str]:
    csrf = await log_in(rig.http, username)
    assert (await choose(rig.http, "telephone", number)).status_code == 200
    return {"X-CSRF-Token": csrf}


async def test_a_flood_of_call_me_clicks_places_one_call(steer: SteerRig) -> None:
    headers = await set_own_phone(steer, "agent1", "06 12 34 56 78")
    steer.node.own_line_gate = asyncio.Event()  # the phone rings until the gate opens
    clicks = [
        asyncio.create_task(steer.http.post("/api/v1/agent/phone", json={}, headers=headers))
        for _ in range(20)
    ]
    for _ in range(1000):  # the 19 other clicks are answered while the phone rings
        await asyncio.sleep(0.01)
        if steer.node.agents and sum(task.done() for task in clicks) == 19:
            break
    assert sum(task.done() for task in clicks) == 19
    steer.node.own_line_gate.set()
    answers = await asyncio.gather(*clicks)
    assert len(steer.node.agents) == 1  # one call placed
    assert steer.node.agents[0][1] == "tel:+33612345678"
    refused = [a for a in answers if a.status_code == 409]
    assert len(refused) == 19
    assert all("déjà en cours" in a.json()["erreur"] for a in refused)
    (accepted,) = [a for a in answers if a.status_code == 200]
    assert accepted.json()["state"] == "paused"
    # once the line is up, « M'appeler » places no call
    again = await steer.http.post("/api/v1/agent/phone", json={}, headers=headers)
    assert again.json()["state"] == "paused"
    assert len(steer.node.agents) == 1


async def test_a_line_never_confirmed_is_not_made_ready_and_calls_are_capped(
    steer: SteerRig, clock: Clock
) -> None:
    headers = await set_own_phone(steer, "agent1", "01 45 67 89 10")
    steer.node.own_line_answer = OwnLineCall.NOT_CONFIRMED
    for _ in range(CALLS_PER_WINDOW):
        refused = await steer.http.post("/api/v1/agent/phone", json={}, headers=headers)
        assert refused.status_code == 409
        assert "pas appuyé sur 1" in refused.json()["erreur"]
        ready = await steer.http.post("/api/v1/agent/ready", json={}, headers=headers)
        assert ready.status_code == 409
        state = await steer.http.get("/api/v1/agent/state")
        assert state.json()["state"] == "logged_out"
    capped = await steer.http.post("/api/v1/agent/phone", json={}, headers=headers)
    assert capped.status_code == 409
    assert "trop d'appels" in capped.json()["erreur"].lower()
    assert len(steer.node.agents) == CALLS_PER_WINDOW
    # later, they may be called again; this time they press 1
    clock.advance((CALL_WINDOW + timedelta(seconds=1)).total_seconds())
    steer.node.own_line_answer = OwnLineCall.CONFIRMED
    accepted = await steer.http.post("/api/v1/agent/phone", json={}, headers=headers)
    assert accepted.json()["state"] == "paused"
    assert len(steer.node.agents) == CALLS_PER_WINDOW + 1
