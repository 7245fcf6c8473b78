"""The needs analysis of a veille-sociale campaign through the web: the report page links
it, supervisors and operations download it (CSV with BOM and ``;``, XLSX, PDF), over the
campaign or a period, each download audited; small cells read « secret » and no published
count is under the threshold; agents, volunteers, team members and administrators get
403; another kind of campaign 409, a period backwards 422 naming the field."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl  # type: ignore[import-untyped]
import pytest

from dialer.core.labels import SUPPRESSED_CELL
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from tests.needs_scene import NeedsScene, needs_scene
from tests.web.conftest import LOGIN_CSRF, log_in
from tests.web.support import PASSWORD, World, fast_passwords

pytestmark = pytest.mark.asyncio


def sections(content: bytes) -> dict[str, list[list[str]]]:
    """The CSV's tables by title (each: its header then its rows)."""
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    found: dict[str, list[list[str]]] = {}
    title = None
    for line in lines[3:]:
        if not line:
            title = None
        elif title is None:
            title = line[0]
            found[title] = []
        else:
            found[title].append(line)
    return found


def assert_nothing_small(tables: dict[str, list[list[str]]], threshold: int = 5) -> None:
    for rows in tables.values():
        for row in rows[1:]:
            for cell in row[1:]:
                assert cell == SUPPRESSED_CELL or int(cell) == 0 or int(cell) >= threshold


async def scene_and_accounts(sessions: SessionFactory) -> NeedsScene:
    scene = await needs_scene(sessions)
    for name, role in (("exploitation", Role.OPERATIONS), ("benevole.ana", Role.VOLUNTEER)):
        await create_account(sessions, name, PASSWORD, role, passwords=fast_passwords())
    return scene


async def test_a_supervisor_downloads_the_analysis_with_its_small_cells_suppressed(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    scene = await scene_and_accounts(sessions)
    await log_in(client, "superviseur")
    listed = await client.get("/rapports")
    assert f'href="/rapports/{scene.campaign_id}/besoins.pdf"' in listed.text
    assert f'href="/rapports/{world.campaign_id}/besoins.pdf"' not in listed.text
    page = await client.get(f"/rapports/{scene.campaign_id}")
    assert 'id="analyse-besoins"' in page.text
    assert f'href="/rapports/{scene.campaign_id}/besoins.pdf"' in page.text
    other = await client.get(f"/rapports/{world.campaign_id}")  # a heatwave campaign
    assert 'id="analyse-besoins"' not in other.text

    response = await client.get(f"/rapports/{scene.campaign_id}/besoins.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "besoins-campagne-" in response.headers["content-disposition"]
    tables = sections(response.content)
    by_area = tables["Besoins exprimés, par type et par quartier"]
    assert by_area[0] == ["Besoin", "Nord", "Sud", "quartier non renseigné", "Total"]
    rows = {row[0]: row[1:] for row in by_area[1:]}
    assert rows["alimentation"][1] == "5"  # five households of the Sud: published
    assert rows["logement"][0] == "secret"  # two of the Nord: suppressed
    assert rows["alimentation"][0] == "secret"  # with another, so no total gives it back
    orientations = {
        row[0]: row[1:]
        for row in tables["Orientations faites, par type de ressource et par manière"][1:]
    }
    assert orientations["alimentation"][0] == "6"
    assert orientations["logement"][2] == "secret"
    reached = {
        row[0]: row[1:]
        for row in tables["Ménages joints et non joints, par quartier (par cycle)"][1:]
    }
    assert reached["Joints"][:2] == ["8", "5"]
    assert_nothing_small(tables)
    assert "Foyer" not in response.text
    assert "V01" not in response.text

    workbook = openpyxl.load_workbook(
        io.BytesIO((await client.get(f"/rapports/{scene.campaign_id}/besoins.xlsx")).content)
    )
    assert workbook.sheetnames[0] == "À lire"
    assert len(workbook.sheetnames) == 7
    pdf = await client.get(f"/rapports/{scene.campaign_id}/besoins.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"

    july = await client.get(
        f"/rapports/{scene.campaign_id}/besoins.csv",
        params={"from": "2026-07-01", "to": "2026-07-31"},
    )
    july_tables = sections(july.content)
    months = july_tables["Besoins exprimés, par type et par mois"][0]
    assert months == ["Besoin", "juillet 2026", "Total"]  # August's calls left out
    assert "Période : du 01/07/2026 au 31/07/2026" in july.text

    entries = await AuditLog(sessions).search(AuditFilter(action="export."))
    exported = [(e.action, e.actor, e.target, e.details["table"]) for e in entries]
    target = f"campaign:{scene.campaign_id}"
    for fmt in ("csv", "xlsx", "pdf"):
        assert (f"export.{fmt}", "superviseur", target, "besoins") in exported


async def test_operations_download_through_the_api_and_bad_requests_are_named(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    scene = await scene_and_accounts(sessions)
    await log_in(client, "exploitation")
    api = f"/api/v1/reports/{scene.campaign_id}/needs"
    for fmt in ("csv", "xlsx", "pdf"):
        assert (await client.get(f"{api}.{fmt}")).status_code == 200
    backwards = await client.get(f"{api}.csv", params={"from": "2026-08-01", "to": "2026-07-01"})
    assert backwards.status_code == 422
    assert "« to »" in backwards.json()["erreur"]
    garbled = await client.get(f"{api}.csv", params={"from": "hier"})
    assert garbled.status_code == 422
    assert "from" in garbled.json()["erreur"]
    # whole months only: two analyses a day apart would tell one household's answers
    for params, field in (
        ({"from": "2026-07-02"}, "« from »"),
        ({"to": "2026-07-30"}, "« to »"),
        ({"from": "2026-07-01", "to": "2026-07-30"}, "« to »"),
    ):
        by_day = await client.get(f"{api}.csv", params=params)
        assert by_day.status_code == 422, params
        assert field in by_day.json()["erreur"]
        assert "par différence" in by_day.json()["erreur"]
    for params in (
        {"from": "2026-07-01"},
        {"to": "2026-08-31"},
        {"from": "2026-02-01", "to": "2026-02-28"},
        {"from": "2026-07", "to": "2026-08"},  # months, as the page's month fields send them
        {"to": "2028-02"},
    ):
        assert (await client.get(f"{api}.csv", params=params)).status_code == 200, params
    audit = await AuditLog(sessions).search(AuditFilter(action="export.csv"))
    periods = [(e.details["from"], e.details["to"]) for e in audit]
    assert ("2026-07-01", "2026-08-31") in periods
    assert ("", "2028-02-29") in periods  # a leap year's February
    heatwave = await client.get(f"/api/v1/reports/{world.campaign_id}/needs.csv")
    assert heatwave.status_code == 409
    assert (await client.get("/api/v1/reports/999999/needs.csv")).status_code == 404


async def test_agents_volunteers_team_members_and_administrators_are_refused(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    scene = await scene_and_accounts(sessions)
    for username in ("agent1", "benevole.ana", "membre.nord", "admin"):
        signed = await client.post(
            "/connexion",
            data={
                "identifiant": username,
                "mot_de_passe": PASSWORD,
                "csrf": await _login_token(client),
            },
        )
        assert signed.status_code == 303
        for url in (
            f"/rapports/{scene.campaign_id}/besoins.csv",
            f"/rapports/{scene.campaign_id}/besoins.pdf",
            f"/api/v1/reports/{scene.campaign_id}/needs.xlsx",
        ):
            assert (await client.get(url)).status_code == 403, (username, url)
        client.cookies.clear()
    assert await AuditLog(sessions).search(AuditFilter(action="export.")) == []


async def _login_token(client: httpx.AsyncClient) -> str:
    found = LOGIN_CSRF.search((await client.get("/connexion")).text)
    assert found is not None
    return found.group(1)
