"""A person's opposition (« ne plus appeler ») through the REST API: recorded and lifted by
supervisors and administrators only, idempotent, the field named on bad input, audited,
and the person taken out of the running cycle's queue at once."""

from __future__ import annotations

import httpx
import pytest

from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.results import CycleResultRepository
from dialer.storage.schedule import CycleSchedule, enrol_register
from tests.web.conftest import log_in
from tests.web.support import T0, World

URL = "/api/v1/people/J1/opposition"


async def _actions(sessions: SessionFactory, person_id: int) -> list[str]:
    entries = await AuditLog(sessions).search(AuditFilter(person_id=person_id))
    return [e.action for e in reversed(entries)]


@pytest.mark.asyncio
async def test_unknown_callers_and_other_roles_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.put(URL, json={"reason": "x"})).status_code == 401
    csrf = await log_in(client, "agent1")
    refused = await client.put(URL, json={"reason": "x"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "membre.nord")
    assert (await client.get(URL)).status_code == 403


@pytest.mark.asyncio
async def test_a_supervisor_records_and_lifts_an_opposition(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    assert await enrol_register(sessions, world.cycle_id, due=T0) == 2
    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}
    assert (await client.put(URL, json={"reason": "x"})).status_code == 403  # no CSRF

    missing = await client.put(URL, json={}, headers=headers)
    assert missing.status_code == 422
    assert "reason" in missing.json()["erreur"]
    wrong = await client.put(URL, json={"reason": "x", "on_behalf_of": "voisin"}, headers=headers)
    assert wrong.status_code == 422
    assert "on_behalf_of" in wrong.json()["erreur"]
    blank = await client.put(URL, json={"reason": "   "}, headers=headers)
    assert blank.status_code == 422
    assert "reason" in blank.json()["erreur"]
    unknown = await client.put(
        "/api/v1/people/NOBODY/opposition", json={"reason": "x"}, headers=headers
    )
    assert unknown.status_code == 404
    assert "external_id" in unknown.json()["erreur"]
    too_long = await client.put(
        f"/api/v1/people/{'X' * 101}/opposition", json={"reason": "x"}, headers=headers
    )
    assert too_long.status_code == 422
    assert "external_id" in too_long.json()["erreur"]

    body = {"reason": "Le fils demande qu'on ne l'appelle plus", "on_behalf_of": "relative"}
    recorded = await client.put(URL, json=body, headers=headers)
    assert recorded.status_code == 200, recorded.text
    state = recorded.json()
    assert (state["opposed"], state["changed"]) == (True, True)
    assert state["holds"][0]["recorded_by"].endswith("superviseur")
    assert state["holds"][0]["on_behalf_of"] == "relative"
    # taken out of the running cycle's queue: her cycle ends « opposed », nothing is due
    result = await CycleResultRepository(sessions).get(world.cycle_id, world.jeanne_id)
    assert result is not None
    assert result.result.value == "opposed"
    attempts = await CycleSchedule(sessions).take_due(
        world.cycle_id, 10, now=T0, planned_ids=["a1", "a2"]
    )
    assert [a.person_id for a in attempts] == [world.bob_id]

    again = await client.put(URL, json=body, headers=headers)
    assert again.status_code == 200
    assert (again.json()["opposed"], again.json()["changed"]) == (True, False)
    assert len(again.json()["holds"]) == 1

    no_reason = await client.request("DELETE", URL, json={}, headers=headers)
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["erreur"]
    lifted = await client.request(
        "DELETE", URL, json={"reason": "Elle a rappelé la mairie"}, headers=headers
    )
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["opposed"], lifted.json()["changed"]) == (False, True)
    history = lifted.json()["holds"]
    assert history[0]["lift_reason"] == "Elle a rappelé la mairie"
    assert history[0]["reason"] == body["reason"]
    twice = await client.request("DELETE", URL, json={"reason": "encore"}, headers=headers)
    assert (twice.status_code, twice.json()["changed"]) == (200, False)

    assert await _actions(sessions, world.jeanne_id) == [
        "opposition.recorded",
        "opposition.lifted",
    ]
