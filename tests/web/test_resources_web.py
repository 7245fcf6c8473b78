"""The directory of resources through the API and the administrator's page: the staff
read it (by need), only administrators add and edit, bad fields are named, changes
audited."""

from __future__ import annotations

import html

import httpx
import pytest

from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from tests.web.conftest import log_in
from tests.web.support import World

URL = "/api/v1/resources"
PAGE = "/admin/ressources"
FOOD = {
    "name": "Épicerie solidaire",
    "needs": ["food"],
    "area": "10e arrondissement",
    "contact": "01 40 00 00 01",
    "hours": "mar-sam 14h-18h",
}


@pytest.mark.asyncio
async def test_administrators_add_and_edit_resources_through_the_api(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    csrf = await log_in(client, "superviseur")
    assert (await client.get(URL)).status_code == 200
    refused = await client.post(URL, json=FOOD, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "agent1")
    assert (await client.get(URL)).status_code == 403
    await client.post("/deconnexion")

    csrf = await log_in(client, "admin")
    headers = {"X-CSRF-Token": csrf}
    for field, value in (("needs", []), ("needs", ["cuisine"]), ("name", "  "), ("area", "")):
        bad = await client.post(URL, json={**FOOD, field: value}, headers=headers)
        assert bad.status_code == 422, (field, bad.text)
        assert field in bad.json()["erreur"]
    added = await client.post(URL, json=FOOD, headers=headers)
    assert added.status_code == 201, added.text
    resource = added.json()
    again = await client.post(URL, json=FOOD, headers=headers)
    assert again.status_code == 409
    housing = {**FOOD, "name": "Point d'accès au droit", "needs": ["housing", "money_and_rights"]}
    assert (await client.post(URL, json=housing, headers=headers)).status_code == 201

    by_need = (await client.get(URL, params={"need": "housing"})).json()["items"]
    assert [r["name"] for r in by_need] == ["Point d'accès au droit"]
    assert by_need[0]["needs"] == ["money_and_rights", "housing"]
    bad_need = await client.get(URL, params={"need": "cuisine"})
    assert bad_need.status_code == 422

    edited = await client.put(
        f"{URL}/{resource['id']}", json={**FOOD, "active": False, "hours": "lun"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["active"], edited.json()["hours"]) == (False, "lun")
    clash = await client.put(f"{URL}/{resource['id']}", json=housing, headers=headers)
    assert clash.status_code == 409
    missing = await client.put(f"{URL}/999", json=FOOD, headers=headers)
    assert missing.status_code == 404
    entries = await AuditLog(sessions).search(AuditFilter())
    actions = [e.action for e in entries]
    assert actions.count("resource.added") == 2
    assert actions.count("resource.edited") == 1


@pytest.mark.asyncio
async def test_an_administrator_keeps_the_directory_on_the_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await log_in(client, "superviseur")
    assert (await client.get(PAGE)).status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "admin")
    assert "Aucune ressource." in (await client.get(PAGE)).text
    form = {
        "csrf": csrf,
        "nom": "Centre social Nord",
        "besoins": ["solitude", "numerique"],
        "zone": "Quartier Nord",
        "contact": "cs-nord@ville.test",
        "horaires": "",
    }
    empty = await client.post(PAGE, data={**form, "besoins": []})
    assert empty.status_code == 422
    assert "besoins" in html.unescape(empty.text)
    done = await client.post(PAGE, data=form)
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    text = html.unescape(page.text)
    assert "Ressource « Centre social Nord » ajoutée." in text
    assert "solitude, aide numérique" in text
    found = await client.get(URL)
    resource_id = found.json()["items"][0]["id"]
    edit = {**form, "zone": "Nord et Est", "active": "non"}
    done = await client.post(f"{PAGE}/{resource_id}", data=edit)
    assert done.status_code == 303
    text = html.unescape((await client.get(PAGE)).text)
    assert "(plus proposée)" in text
    assert "Nord et Est" in text
    forged = await client.post(f"{PAGE}/{resource_id}", data={**edit, "csrf": "faux"})
    assert forged.status_code == 403
