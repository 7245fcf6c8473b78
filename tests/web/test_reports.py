"""The report pages, downloads and JSON: who may see them, and what they hand out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import openpyxl  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.storage import SessionFactory
from dialer.web.reports import configure_reports
from tests.report_scene import Scene, build_scene
from tests.web.conftest import log_in
from tests.web.support import World

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def scene(sessions: SessionFactory, world: World) -> Scene:
    return await build_scene(sessions, people=12)


URLS = [
    "/rapports",
    "/rapports/{c}",
    "/rapports/{c}/rapport.pdf",
    "/rapports/{c}/rapport.xlsx",
    "/rapports/{c}/tableaux/issues.csv",
    "/rapports/{c}/tableaux/issues.xlsx",
    "/api/v1/reports",
    "/api/v1/reports/{c}",
    "/api/v1/reports/{c}/billing",
]


@pytest.mark.parametrize("username", ["agent1", "membre.nord"])
async def test_agents_and_team_members_are_refused(
    client: httpx.AsyncClient, scene: Scene, username: str
) -> None:
    await log_in(client, username)
    for url in URLS:
        response = await client.get(url.format(c=scene.campaign_id))
        assert response.status_code == 403, url


async def test_logged_out(client: httpx.AsyncClient, scene: Scene) -> None:
    page = await client.get(f"/rapports/{scene.campaign_id}")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/connexion")
    api = await client.get(f"/api/v1/reports/{scene.campaign_id}")
    assert api.status_code == 401


async def test_the_list_and_the_report_page(
    client: httpx.AsyncClient, scene: Scene, world: World
) -> None:
    await log_in(client, "superviseur")
    listing = await client.get("/rapports")
    assert listing.status_code == 200
    assert "Rapports de campagne" in listing.text
    assert f'href="/rapports/{scene.campaign_id}?cycle=2"' in listing.text
    assert f'href="/rapports/{world.campaign_id}"' in listing.text
    page = await client.get(f"/rapports/{scene.campaign_id}", params={"cycle": "1"})
    assert page.status_code == 200
    for title in (
        "Rapport : Canicule rapport — cycle 1",
        "Issues des appels",
        "Tentatives par personne",
        "Taux de réponse par heure",
        "DMT par agent",
        "Personnes jamais jointes (suivi terrain)",
        "Journal des alertes",
        "Entonnoir",
        "Facturation (EUR)",
    ):
        assert title in page.text, title
    assert f"/rapports/{scene.campaign_id}/rapport.pdf?cycle=1" in page.text


async def test_downloads(client: httpx.AsyncClient, scene: Scene) -> None:
    await log_in(client, "admin")
    base = f"/rapports/{scene.campaign_id}"
    figures = (await client.get(f"/api/v1/reports/{scene.campaign_id}")).json()

    csv_response = await client.get(f"{base}/tableaux/issues.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert read[0] == ["Issue", "Appels", "Part (%)"]
    assert read[1][:2] == ["décroché", str(figures["outcomes"]["answered"])]
    assert read[-1][:2] == ["Total", str(figures["dialled"])]

    xlsx = await client.get(f"{base}/rapport.xlsx", params={"cycle": 2})
    assert xlsx.status_code == 200
    assert "rapport-campagne" in xlsx.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert "Chiffres clés" in workbook.sheetnames
    assert "Personnes jamais jointes (suivi" in workbook.sheetnames

    one = await client.get(f"{base}/tableaux/jamais_joints.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(one.content)).sheetnames == [
        "Personnes jamais jointes (suivi"
    ]

    pdf = await client.get(f"{base}/rapport.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")

    assert (await client.get(f"{base}/tableaux/inconnu.csv")).status_code == 404
    assert (await client.get(base, params={"cycle": "x"})).status_code == 422
    assert (await client.get(base, params={"cycle": "9"})).status_code == 404
    assert (await client.get(f"/rapports/{scene.campaign_id + 50}")).status_code == 404


async def test_the_json_api(client: httpx.AsyncClient, scene: Scene) -> None:
    await log_in(client, "superviseur")
    campaigns = (await client.get("/api/v1/reports")).json()["items"]
    mine = next(c for c in campaigns if c["id"] == scene.campaign_id)
    assert [c["number"] for c in mine["cycles"]] == [1, 2]
    figures = (await client.get(f"/api/v1/reports/{scene.campaign_id}?cycle=1")).json()
    assert figures["cycle"] == 1
    assert figures["register"] == 12
    assert sum(figures["attempts_per_person"].values()) == 12
    assert sum(figures["outcomes"].values()) == figures["dialled"]
    assert figures["funnel"]["register"] == 12
    assert set(figures["tables"]) >= {"issues", "jamais_joints", "alertes", "facturation"}
    billing = (await client.get(f"/api/v1/reports/{scene.campaign_id}/billing")).json()
    rec = billing["reconciliation"]
    assert billing["contacts"] == rec["billed"] == len(billing["billed_contacts"])
    assert {issue["kind"] for issue in rec["issues"]} == {"duplicate_person", "not_bridged"}
    assert rec["balanced"] is False
    assert all(len(c["attempt_id"]) == 36 for c in billing["billed_contacts"])


async def test_a_configured_price_grid(
    app: Starlette, client: httpx.AsyncClient, scene: Scene, tmp_path: Path
) -> None:
    grid = tmp_path / "grille.toml"
    grid.write_text(
        '[[contacts]]\nunit_price = "10"\n[[dmt]]\npercent = "0"\n'
        '[[setup]]\nname = "unique"\nprice = "0"\n',
        encoding="utf-8",
    )
    configure_reports(app, price_grid_file=grid)
    await log_in(client, "superviseur")
    billing = (await client.get(f"/api/v1/reports/{scene.campaign_id}/billing")).json()
    assert billing["contacts_amount"] == f"{billing['contacts'] * 10}.00"
    grid.write_text("[[contacts]]\nunit_price = 'x'\n", encoding="utf-8")
    broken = await client.get(f"/api/v1/reports/{scene.campaign_id}/billing")
    assert broken.status_code == 500
