"""The volunteers of the veille sociale through the pages and the API: coordinators record
the training (date, trainer), the coordinator and the slots; an untrained volunteer's
desk is refused with a French message, a trained one's opens; a volunteer has no other
action: every other route, every export first, refuses them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.core.permissions import PERMISSIONS, Action, allowed
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from dialer.testing import Clock
from dialer.web.access import GuardedRoute
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, T0, World, fast_passwords

PAGE = "/supervision/benevoles"
DESK_API = "/api/v1/volunteer/desk"
#: the actions that hand out data in files (results, register changes, reports, a person)
EXPORTS = {
    Action.RESULTS_EXPORT,
    Action.REGISTER_CHANGES_EXPORT,
    Action.REPORTS_VIEW,
    Action.PERSON_RIGHTS,
    Action.AUDIT_VIEW,
}


@pytest_asyncio.fixture
async def volunteer(sessions: SessionFactory, world: World) -> str:
    await create_account(
        sessions, "benevole.ana", PASSWORD, Role.VOLUNTEER, passwords=fast_passwords()
    )
    return "benevole.ana"


def test_a_volunteer_has_their_desk_and_nothing_else() -> None:
    # the call screen the agents use (veille-sociale campaigns only), and their own desk
    assert [a for a in PERMISSIONS if allowed(Role.VOLUNTEER, a)] == [
        Action.AGENT_DESK,
        Action.VOLUNTEER_DESK,
    ]
    assert not allowed(Role.AGENT, Action.VOLUNTEER_DESK)
    assert not allowed(Role.VOLUNTEER, Action.AGENT_HISTORY)  # no earlier answers, scores


@pytest.mark.asyncio
async def test_every_route_but_the_desk_refuses_a_volunteer(
    app: Starlette, client: httpx.AsyncClient, volunteer: str
) -> None:
    csrf = await log_in(client, volunteer)
    refused_exports = []
    checked = 0
    for route in app.routes:
        if not isinstance(route, GuardedRoute) or not isinstance(route.rule, Action):
            continue
        if route.rule in (Action.VOLUNTEER_DESK, Action.AGENT_DESK):
            continue  # the volunteer's call screen: tests/web/test_volunteer_desk.py
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            answer = await client.request(method, path, headers={"X-CSRF-Token": csrf})
            assert answer.status_code == 403, (method, route.path, answer.status_code)
            checked += 1
            if route.rule in EXPORTS:
                refused_exports.append(route.path)
    assert checked > 50
    assert any("export" in path for path in refused_exports), refused_exports
    assert len(refused_exports) >= 5, refused_exports


@pytest.mark.asyncio
async def test_an_untrained_volunteer_cannot_take_calls_until_trained(
    client: httpx.AsyncClient, sessions: SessionFactory, volunteer: str
) -> None:
    csrf = await log_in(client, volunteer)
    headers = {"X-CSRF-Token": csrf}
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/benevole"
    page = await client.get("/benevole")
    assert page.status_code == 200
    assert "votre formation de bénévole n'est pas enregistrée" in html.unescape(page.text)
    refused = await client.post(DESK_API, headers=headers)
    assert refused.status_code == 403
    assert "formation de bénévole n'est pas enregistrée" in refused.json()["erreur"]
    form = await client.post("/benevole/poste", data={"csrf": csrf})
    assert form.status_code == 403
    assert "Vous ne pouvez pas encore prendre d'appels" in html.unescape(form.text)
    # a volunteer cannot record their own training
    own = await client.post(
        f"/api/v1/volunteers/{volunteer}/training",
        json={"trained_by": "superviseur", "trained_on": "2026-07-01"},
        headers=headers,
    )
    assert own.status_code == 403
    await client.post("/deconnexion")

    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}
    url = f"/api/v1/volunteers/{volunteer}"
    bad = {
        "agent1": ({"trained_by": "superviseur", "trained_on": "2026-07-01"}, 422, "username"),
        volunteer: ({"trained_by": "agent1", "trained_on": "2026-07-01"}, 422, "trained_by"),
    }
    for who, (body, status, field) in bad.items():
        answer = await client.post(f"/api/v1/volunteers/{who}/training", json=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert field in answer.json()["erreur"]
    future = (T0 + timedelta(days=3)).date().isoformat()
    later = await client.post(
        url + "/training", json={"trained_by": "superviseur", "trained_on": future},
        headers=headers,
    )  # fmt: skip
    assert later.status_code == 422
    assert "trained_on" in later.json()["erreur"]
    nobody = await client.post(
        "/api/v1/volunteers/personne/training",
        json={"trained_by": "superviseur", "trained_on": "2026-07-01"},
        headers=headers,
    )
    assert nobody.status_code == 404
    trained = await client.post(
        url + "/training",
        json={"trained_by": "superviseur", "trained_on": "2026-07-01"},
        headers=headers,
    )
    assert trained.status_code == 200, trained.text
    assert trained.json()["may_take_calls"] is True
    assert trained.json()["trained_by"] == "superviseur"

    coordinator = await client.put(
        url + "/coordinator", json={"coordinator": "admin"}, headers=headers
    )
    assert coordinator.status_code == 422  # an administrator is not a coordinator
    coordinator = await client.put(
        url + "/coordinator", json={"coordinator": "superviseur"}, headers=headers
    )
    assert coordinator.json()["coordinator"] == "superviseur"
    overlap = await client.put(
        url + "/slots",
        json={"slots": ["lundi 14:00-17:00", "lundi 16:00-18:00"]},
        headers=headers,
    )
    assert overlap.status_code == 422
    assert "chevauchent" in overlap.json()["erreur"]
    wrong = await client.put(url + "/slots", json={"slots": ["lunid 14:00-17:00"]}, headers=headers)
    assert wrong.status_code == 422
    assert "slots" in wrong.json()["erreur"]
    slots = await client.put(
        url + "/slots",
        json={"slots": ["mercredi 10:00-12:00", "lundi 14:00-17:00"]},
        headers=headers,
    )
    assert slots.json()["slots"] == ["lundi 14:00-17:00", "mercredi 10:00-12:00"]
    listed = (await client.get("/api/v1/volunteers")).json()["items"]
    assert [v["username"] for v in listed] == [volunteer]
    await client.post("/deconnexion")

    csrf = await log_in(client, volunteer)
    opened = await client.post(DESK_API, headers={"X-CSRF-Token": csrf})
    assert opened.status_code == 200, opened.text
    assert opened.json() == {
        "username": volunteer,
        "mode": "preview",
        "coordinator": "superviseur",
    }
    form = await client.post("/benevole/poste", data={"csrf": csrf})
    assert form.status_code == 200
    assert "Poste ouvert" in form.text
    entries = await AuditLog(sessions).search(AuditFilter())
    actions = [e.action for e in entries]
    assert {"volunteer.trained", "volunteer.coordinator", "volunteer.slots"} <= set(actions)


@pytest.mark.asyncio
async def test_a_coordinator_records_a_training_on_the_page(
    client: httpx.AsyncClient, volunteer: str
) -> None:
    csrf = await log_in(client, "superviseur")
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "pas encore formé" in page.text
    form = {"csrf": csrf, "benevole": volunteer, "formateur": "superviseur", "date": "x"}
    bad = await client.post(PAGE + "/formation", data=form)
    assert bad.status_code == 422
    assert "date" in bad.text
    forged = await client.post(PAGE + "/formation", data={**form, "csrf": "faux"})
    assert forged.status_code == 403
    done = await client.post(PAGE + "/formation", data={**form, "date": "2026-07-01"})
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "le 01/07/2026 par superviseur" in shown.text
    assert "peut prendre des appels" in shown.text
    slots = {"csrf": csrf, "benevole": volunteer, "creneaux": "mardi 09:00-12:00\n"}
    done = await client.post(PAGE + "/creneaux", data=slots)
    assert done.status_code == 303
    coordinator = {"csrf": csrf, "benevole": volunteer, "coordinateur": "agent1"}
    refused = await client.post(PAGE + "/coordinateur", data=coordinator)
    assert refused.status_code == 422
    assert "n'est pas un superviseur" in html.unescape(refused.text)
    page = await client.get(PAGE)
    assert "mardi 09:00-12:00" in page.text
    # Monday 13/07 11:00 in Paris: the next slot is Tuesday's
    assert "prochain créneau : mardi 14/07 à 09:00" in page.text
    slots = {**slots, "creneaux": "lundi 10:00-12:00\nmardi 09:00-12:00"}
    assert (await client.post(PAGE + "/creneaux", data=slots)).status_code == 303
    assert "disponible maintenant" in (await client.get(PAGE)).text


@pytest.mark.asyncio
async def test_a_training_just_after_midnight_in_paris_is_today_not_the_future(
    client: httpx.AsyncClient, volunteer: str, clock: Clock
) -> None:
    """At 00:30 in Paris (22:30 UTC the day before) a training held today is recorded,
    and the volunteer may take calls at once."""
    clock.now = datetime(2026, 7, 13, 22, 30, tzinfo=UTC)
    csrf = await log_in(client, "superviseur")
    form = {"csrf": csrf, "benevole": volunteer, "formateur": "superviseur", "date": "2026-07-14"}
    done = await client.post(PAGE + "/formation", data=form)
    assert done.status_code == 303, done.text
    shown = await client.get(done.headers["location"])
    assert "le 14/07/2026 par superviseur" in shown.text
    assert "peut prendre des appels" in shown.text
    form["date"] = "2026-07-15"
    refused = await client.post(PAGE + "/formation", data=form)
    assert refused.status_code == 422
    assert "dans le futur" in html.unescape(refused.text)


@pytest.mark.asyncio
async def test_the_api_says_a_volunteer_trained_today_may_take_calls_at_0030_in_paris(
    client: httpx.AsyncClient, volunteer: str, clock: Clock
) -> None:
    """At 00:30 in Paris (22:30 UTC the day before), the API's answers judge
    ``may_take_calls`` on Paris's day: a training held today counts."""
    clock.now = datetime(2026, 7, 13, 22, 30, tzinfo=UTC)
    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}
    url = f"/api/v1/volunteers/{volunteer}"
    trained = await client.post(
        url + "/training", json={"trained_by": "superviseur", "trained_on": "2026-07-14"},
        headers=headers,
    )  # fmt: skip
    assert trained.status_code == 200, trained.text
    assert trained.json()["may_take_calls"] is True
    slots = await client.put(url + "/slots", json={"slots": []}, headers=headers)
    assert slots.status_code == 200, slots.text
    assert slots.json()["may_take_calls"] is True
    coordinator = await client.put(
        url + "/coordinator", json={"coordinator": "superviseur"}, headers=headers
    )
    assert coordinator.status_code == 200, coordinator.text
    assert coordinator.json()["may_take_calls"] is True
