"""The supervisor's opposition page and the cycle's register changes download: who may,
bad input named, each action audited."""

from __future__ import annotations

import httpx
import pytest

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import SessionFactory
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, World, fast_passwords

PAGE = "/supervision/opposition"


@pytest.mark.asyncio
async def test_a_supervisor_records_and_lifts_an_opposition_on_the_page(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await log_in(client, "agent1")
    assert (await client.get(PAGE)).status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "superviseur")

    unknown = await client.get(PAGE, params={"identifiant": "PERSONNE"})
    assert unknown.status_code == 404
    assert "personne inconnue" in unknown.text
    page = await client.get(PAGE, params={"identifiant": "J1"})
    assert page.status_code == 200
    assert "pas d'opposition en cours" in page.text

    form = {"csrf": csrf, "identifiant": "J1", "demandeur": "relative", "motif": ""}
    empty = await client.post(PAGE, data=form)
    assert empty.status_code == 422
    assert "motif" in empty.text
    bad = await client.post(PAGE, data={**form, "demandeur": "voisin", "motif": "x"})
    assert bad.status_code == 422
    assert "demandeur" in bad.text
    forged = await client.post(PAGE, data={**form, "csrf": "faux", "motif": "x"})
    assert forged.status_code == 403

    done = await client.post(PAGE, data={**form, "motif": "Sa fille a appelé la mairie"})
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "en opposition, jamais appelée" in shown.text
    assert "Sa fille a appelé la mairie" in shown.text
    assert "un proche, pour la personne" in shown.text

    lift = {"csrf": csrf, "identifiant": "J1", "motif": "Elle souhaite de nouveau être appelée"}
    lifted = await client.post(PAGE + "/levee", data=lift)
    assert lifted.status_code == 303
    after = await client.get(lifted.headers["location"])
    assert "pas d'opposition en cours" in after.text
    assert "Elle souhaite de nouveau être appelée" in after.text  # kept as history

    entries = await AuditLog(sessions).search(AuditFilter(person_id=world.jeanne_id))
    assert [(e.actor, e.action) for e in reversed(entries)] == [
        ("superviseur", "opposition.recorded"),
        ("superviseur", "opposition.lifted"),
    ]


@pytest.mark.asyncio
async def test_the_cycles_register_changes_are_for_supervisors_and_operations(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await create_account(
        sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    url = f"/rapports/{world.campaign_id}/cycles/1/changements-registre.csv"
    assert (await client.get(url)).status_code in {302, 303, 401}
    await log_in(client, "admin")
    assert (await client.get(url)).status_code == 403
    await client.post("/deconnexion")
    csrf = await log_in(client, "superviseur")
    await client.post(PAGE, data={"csrf": csrf, "identifiant": "B2", "motif": "=HYPERLINK()"})
    report = await client.get(f"/rapports/{world.campaign_id}")
    assert "changements-registre.csv" in report.text
    missing = await client.get(f"/rapports/{world.campaign_id}/cycles/9/changements-registre.csv")
    assert missing.status_code == 404
    await client.post("/deconnexion")
    await log_in(client, "exploitation")
    download = await client.get(url)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeffIdentifiant;Nom;Prénom;Changement;")
    [_header, line] = text.strip().split("\r\n")
    assert line.startswith("B2;Martin;Robert;opposition (ne plus appeler);")
    assert line.endswith(";superviseur;'=HYPERLINK()")  # never a formula
    entries = await AuditLog(sessions).search(AuditFilter(action="export.register_changes"))
    assert [(e.actor, e.details["cycle"]) for e in entries] == [("exploitation", 1)]
