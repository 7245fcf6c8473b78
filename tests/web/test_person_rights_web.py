"""A person's rights through the real entry points: the administrator's pages, the REST
API and ``dialer person``; other roles are refused, bad input names the field, and each
action leaves its audit entry."""

from __future__ import annotations

import asyncio
import json
import re
import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from tests.web.conftest import log_in
from tests.web.support import World, open_database, seed

PAGE_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def _actions(sessions: SessionFactory, person_id: int) -> list[str]:
    entries = await AuditLog(sessions).search(AuditFilter(person_id=person_id))
    return [e.action for e in reversed(entries)]


@pytest.mark.asyncio
async def test_the_api_exports_corrects_and_erases(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    url = f"/api/v1/persons/{world.jeanne_id}"
    await log_in(client, "superviseur")
    assert (await client.get(url)).status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "admin")
    headers = {"X-CSRF-Token": csrf}

    exported = await client.get(url)
    assert exported.status_code == 200
    assert exported.json()["person"]["last_name"] == "Dupont"
    assert exported.json()["phones"][0]["e164"] == "+33145678910"
    assert (await client.get("/api/v1/persons/99999")).status_code == 404
    assert (await client.get(f"/api/v1/persons/{2**64}")).status_code == 404

    assert (await client.patch(url, json={"city": "Lyon"})).status_code == 403  # no CSRF
    bad = await client.patch(url, json={"birth_date": "31/02/1940"}, headers=headers)
    assert bad.status_code == 422
    assert "birth_date" in bad.json()["erreur"]
    unknown = await client.patch(url, json={"ssn": "1"}, headers=headers)
    assert unknown.status_code == 422
    assert "ssn" in unknown.json()["erreur"]
    fixed = await client.patch(
        url, json={"city": "Lyon", "phones": ["06 12 34 56 78"]}, headers=headers
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["corrected"] == ["city", "phones"]

    erased = await client.delete(url, headers=headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"]["phones"] == 1
    assert any("facturation" in item for item in erased.json()["kept"])
    again = await client.delete(url, headers=headers)
    assert again.status_code == 409
    after = (await client.get(url)).json()
    assert (after["person"]["last_name"], after["person"]["city"], after["phones"]) == (
        "[effacé]",
        None,
        [],
    )
    assert await _actions(sessions, world.jeanne_id) == [
        "person.export",
        "person.correct",
        "person.erase",
        "person.export",
    ]


@pytest.mark.asyncio
async def test_the_pages_search_show_correct_and_erase(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await log_in(client, "superviseur")
    assert (await client.get("/admin/personnes?q=Dupont")).status_code == 403
    await client.post("/deconnexion")
    await log_in(client, "admin")
    found = await client.get("/admin/personnes", params={"q": "dup"})
    assert found.status_code == 200
    assert f'href="/admin/personnes/{world.jeanne_id}"' in found.text
    assert "Martin" not in found.text

    page_url = f"/admin/personnes/{world.jeanne_id}"
    page = await client.get(page_url)
    assert page.status_code == 200
    assert "12 rue des Lilas" in page.text
    assert "Télécharger tout (JSON)" in page.text
    csrf_match = PAGE_CSRF.search(page.text)
    assert csrf_match is not None
    csrf = csrf_match.group(1)

    download = await client.get(page_url + "/export.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.json()["person"]["id"] == world.jeanne_id

    form = {"csrf": csrf, "city": "Paris", "avant_city": "Paris", "postcode": "7519"}
    form["avant_postcode"] = "75019"
    corrected = await client.post(page_url + "/corriger", data=form)
    assert corrected.status_code == 303
    assert "postcode" in corrected.headers["location"]
    bad = await client.post(
        page_url + "/corriger", data={"csrf": csrf, "last_name": "", "avant_last_name": "Dupont"}
    )
    assert bad.status_code == 422
    assert "Champ « last_name » : le nom est obligatoire." in bad.text

    refused = await client.post(page_url + "/effacer", data={"csrf": csrf, "confirmation": "oui"})
    assert refused.status_code == 422
    assert "tapez EFFACER" in refused.text
    forged = await client.post(page_url + "/effacer", data={"confirmation": "EFFACER"})
    assert forged.status_code == 403
    done = await client.post(page_url + "/effacer", data={"csrf": csrf, "confirmation": "EFFACER"})
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "Personne effacée." in shown.text
    assert "12 rue des Lilas" not in shown.text
    actions = await _actions(sessions, world.jeanne_id)
    assert actions.count("read.person") == 4  # the page, shown again after each action
    assert {"person.export", "person.correct", "person.erase"} <= set(actions)
    searches = await AuditLog(sessions).search(AuditFilter(action="read.person.search"))
    assert searches[0].details == {"persons": [world.jeanne_id]}


def test_dialer_person_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "dialer.db"

    async def prepare() -> int:
        engine, sessions = await open_database(database)
        try:
            return (await seed(sessions)).jeanne_id
        finally:
            await engine.dispose()

    jeanne = asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    runner = CliRunner()
    out = tmp_path / "jeanne.json"
    exported = runner.invoke(cli, ["person", "export", str(jeanne), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["person"]["first_name"] == "Jeanne"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    bad = runner.invoke(cli, ["person", "correct", str(jeanne), "--set", "city"])
    assert bad.exit_code != 0
    assert "champ=valeur" in str(bad.exception)
    wrong = runner.invoke(cli, ["person", "correct", str(jeanne), "--set", "phones=123"])
    assert "champ « phones » (n° 1)" in str(wrong.exception)
    fixed = runner.invoke(cli, ["person", "correct", str(jeanne), "--set", "city=Lyon"])
    assert fixed.exit_code == 0, fixed.output
    assert "corrigée : city" in fixed.output

    unconfirmed = runner.invoke(cli, ["person", "erase", str(jeanne)])
    assert "--yes" in str(unconfirmed.exception)
    erased = runner.invoke(cli, ["person", "erase", str(jeanne), "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "Conservé" in erased.output
    missing = runner.invoke(cli, ["person", "export", "99999"])
    assert "personne 99999 inconnue" in str(missing.exception)

    async def entries() -> list[tuple[str, str, str]]:
        engine, sessions = await open_database(database)
        try:
            found = await AuditLog(sessions).search(AuditFilter(person_id=jeanne))
            return [(e.action, e.actor.split(":")[0], e.route) for e in reversed(found)]
        finally:
            await engine.dispose()

    assert [(a, who) for a, who, _ in asyncio.run(entries())] == [
        ("person.export", "cli"),
        ("person.correct", "cli"),
        ("person.erase", "cli"),
    ]
    assert asyncio.run(entries())[2][2].endswith("person erase")
