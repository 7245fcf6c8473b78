"""The supervisor's register and team pages: a dry run that writes nothing, then the
import with its report line by line; a team created and its members set; all audited."""

from __future__ import annotations

import pytest

from dialer.storage.alerts import TeamRepository
from dialer.storage.staff import team_members
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

__all__ = ["steer"]

REGISTER = (
    "N° dossier;Nom;Prénom;Téléphone\r\n"
    "P1;Lefèvre;Hélène;01 45 67 89 11\r\n"
    "P2;Martin;Jean;06.12.34.56.78\r\n"
    "P3;Roux;Odette;12 34\r\n"
).encode()


@pytest.mark.asyncio
async def test_a_register_is_dry_run_then_imported_from_the_page(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "superviseur")
    page = await steer.http.get("/supervision/registre")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    files = {"fichier": ("registre.csv", REGISTER, "text/csv")}

    refused = await steer.http.post("/supervision/registre", files=files)
    assert refused.status_code == 403  # no CSRF field
    dry = await steer.http.post(
        "/supervision/registre", files=files, data={"csrf": csrf, "simulation": "on"}
    )
    assert dry.status_code == 200
    assert "Simulation : registre.csv" in dry.text
    assert "<td>4</td>" in dry.text  # the bad number's line, reported with its reason
    assert await steer.audit("register.import") == []

    real = await steer.http.post("/supervision/registre", files=files, data={"csrf": csrf})
    assert real.status_code == 200
    assert "Import : registre.csv" in real.text
    [entry] = await steer.audit("register.import")
    assert (entry.actor, entry.details["added"], entry.details["rejected"]) == (
        "superviseur",
        2,
        1,
    )

    wrong = await steer.http.post(
        "/supervision/registre",
        files={"fichier": ("photo.png", b"x", "image/png")},
        data={"csrf": csrf},
    )
    assert wrong.status_code == 422
    assert "« file »" in wrong.text or "registre CSV ou XLSX" in wrong.text


@pytest.mark.asyncio
async def test_a_supervisor_cannot_manage_teams_through_the_pages(steer: SteerRig) -> None:
    """Issue 16, defect 7: the pages refuse what the API refuses (one permission table)."""
    csrf = await log_in(steer.http, "superviseur")
    page = await steer.http.get("/supervision/equipes")
    assert page.status_code == 200
    assert 'action="/supervision/equipes"' not in page.text
    assert "/membres" not in page.text
    refused = await steer.http.post(
        "/supervision/equipes", data={"csrf": csrf, "nom": "Équipe pirate", "quartiers": ""}
    )
    assert refused.status_code == 403
    team_id = (await TeamRepository(steer.sessions).by_name("Urgences")).team.id
    moved = await steer.http.post(
        f"/supervision/equipes/{team_id}/membres", data={"csrf": csrf, "membres": ""}
    )
    assert moved.status_code == 403
    assert (await team_members(steer.sessions, team_id)) == ["membre.urgences"]
    assert [e.action for e in await steer.audit("team.")] == []
    assert (
        await steer.http.post("/api/v1/teams", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    ).status_code == 403


@pytest.mark.asyncio
async def test_a_team_is_created_and_given_members_from_the_page(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "admin")
    created = await steer.http.post(
        "/supervision/equipes",
        data={"csrf": csrf, "nom": "Équipe du 12e", "quartiers": "12e", "courriel": ""},
    )
    assert created.status_code == 303
    record = await TeamRepository(steer.sessions).by_name("Équipe du 12e")
    assert list(record.team.districts) == ["12e"]

    page = await steer.http.get(created.headers["location"])
    assert "Équipe « Équipe du 12e » créée." in page.text
    team_id = record.team.id
    unknown = await steer.http.post(
        f"/supervision/equipes/{team_id}/membres", data={"csrf": csrf, "membres": "personne"}
    )
    assert unknown.status_code in (404, 409)
    assert "Urgences" in (await steer.http.get("/supervision/equipes")).text
    # membre.urgences (of « Urgences ») joins the new team
    moved = await steer.http.post(
        f"/supervision/equipes/{team_id}/membres",
        data={"csrf": csrf, "membres": "membre.urgences"},
    )
    assert moved.status_code == 303, moved.text
    listing = await steer.http.get(moved.headers["location"])
    assert 'value="membre.urgences"' in listing.text
    actions = [entry.action for entry in await steer.audit()]
    assert actions.count("team.create") == 1
    assert actions.count("team.members") == 1

    await log_in(steer.http, "agent1")
    assert (await steer.http.get("/supervision/equipes")).status_code == 403
