"""The REST API's agents, teams, register import and audit log, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import re

import pytest
from starlette.routing import Route

from dialer.core.agent_states import AgentState
from dialer.storage.accounts import AccountRepository
from dialer.web.api import ENDPOINTS
from dialer.web.openapi import openapi_path
from tests.web.conftest import client_for, log_in
from tests.web.steering_support import SteerRig, ready_agent, steer

__all__ = ["steer"]


# ---- agents -----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_an_administrator_creates_an_agent_and_resets_its_sip_credentials(
    steer: SteerRig,
) -> None:
    admin = steer.auth("admin")
    created = await steer.http.post(
        "/api/v1/agents",
        json={"username": "Durand", "password": "un mot de passe long", "remote": True},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["username"], body["sip_endpoint"]) == ("durand", "durand")
    assert len(body["sip_password"]) >= 20
    reset = await steer.http.post(
        "/api/v1/agents/durand/sip-reset", json={"remote": False}, headers=admin
    )
    assert reset.status_code == 200
    assert reset.json()["sip_password"] != body["sip_password"]
    listed = await steer.http.get("/api/v1/agents", headers=steer.auth("superviseur"))
    assert {a["username"] for a in listed.json()["items"]} == {"agent1", "agent2", "durand"}
    actions = [(e.action, e.target, e.actor) for e in await steer.audit()]
    assert actions == [
        ("agent.sip_reset", "agent:durand", "api:jeton-admin"),
        ("agent.create", "agent:durand", "api:jeton-admin"),
    ]
    assert "sip_password" not in str([e.details for e in await steer.audit()])


@pytest.mark.asyncio
async def test_agent_validation_names_the_field_and_supervisors_cannot_create(
    steer: SteerRig,
) -> None:
    short = await steer.http.post(
        "/api/v1/agents", json={"username": "x1", "password": "court"}, headers=steer.auth("admin")
    )
    assert short.status_code == 422
    assert "« password »" in short.json()["erreur"]
    taken = await steer.http.post(
        "/api/v1/agents",
        json={"username": "agent1", "password": "un mot de passe long"},
        headers=steer.auth("admin"),
    )
    assert taken.status_code == 409
    refused = await steer.http.post(
        "/api/v1/agents",
        json={"username": "durand", "password": "un mot de passe long"},
        headers=steer.auth("superviseur"),
    )
    assert refused.status_code == 403
    unknown = await steer.http.post(
        "/api/v1/agents/personne/sip-reset", json={}, headers=steer.auth("admin")
    )
    assert unknown.status_code == 404


@pytest.mark.asyncio
async def test_forcing_a_logout_frees_the_seat_and_ends_the_web_sessions(
    steer: SteerRig,
) -> None:
    await ready_agent(steer.engine, "agent1")
    agent_client = client_for(steer.app)
    async with agent_client:
        await log_in(agent_client, "agent1")
        assert (await agent_client.get("/agent")).status_code == 200
        done = await steer.http.post(
            "/api/v1/agents/agent1/logout", headers=steer.auth("superviseur")
        )
        assert done.status_code == 200, done.text
        assert done.json() == {"username": "agent1", "was": "ready", "web_sessions_ended": 1}
        assert steer.engine.seats.get("agent1").state is AgentState.LOGGED_OUT
        assert steer.node.hangups == [steer.node.agents[0][2]]  # the agent's phone leg
        page = await agent_client.get("/agent")
        assert page.status_code == 303  # back to the login form
    [entry] = await steer.audit("agent.logout")
    assert (entry.actor, entry.target, entry.details["was"]) == (
        "api:jeton-superviseur",
        "agent:agent1",
        "ready",
    )
    missing = await steer.http.post(
        "/api/v1/agents/superviseur/logout", headers=steer.auth("superviseur")
    )
    assert missing.status_code == 404


# ---- teams ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_teams_are_created_and_their_members_set(steer: SteerRig) -> None:
    admin = steer.auth("admin")
    created = await steer.http.post(
        "/api/v1/teams",
        json={
            "name": "Équipe Est",
            "districts": ["Est"],
            "needs": ["social"],
            "contacts": [{"name": "Chef Est", "phone": "+33100000009"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    team = created.json()
    assert (team["members"], team["contacts"][0]["name"]) == ([], "Chef Est")
    moved = await steer.http.put(
        f"/api/v1/teams/{team['id']}/members", json={"members": ["membre.nord"]}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["members"] == ["membre.nord"]
    [created_entry] = await steer.audit("team.create")
    assert (created_entry.target, created_entry.actor) == (f"team:{team['id']}", "api:jeton-admin")


@pytest.mark.asyncio
async def test_team_members_move_and_are_validated(steer: SteerRig) -> None:
    admin = steer.auth("admin")
    nord, urgences = steer.world.teams["nord"], steer.world.teams["urgences"]
    moved = await steer.http.put(
        f"/api/v1/teams/{urgences}/members",
        json={"members": ["membre.urgences", "membre.nord"]},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["members"] == ["membre.nord", "membre.urgences"]
    account = await AccountRepository(steer.sessions).by_username("membre.nord")
    assert account is not None
    assert account.team_id == urgences
    dropped = await steer.http.put(
        f"/api/v1/teams/{urgences}/members", json={"members": ["membre.nord"]}, headers=admin
    )
    assert dropped.status_code == 409
    assert "membre.urgences" in dropped.json()["erreur"]
    not_member = await steer.http.put(
        f"/api/v1/teams/{nord}/members", json={"members": ["agent1"]}, headers=admin
    )
    assert not_member.status_code == 422
    assert "« members »" in not_member.json()["erreur"]
    wrong_type = await steer.http.put(
        f"/api/v1/teams/{nord}/members", json={"members": "agent1"}, headers=admin
    )
    assert wrong_type.status_code == 422
    assert "« members »" in wrong_type.json()["erreur"]
    [entry] = await steer.audit("team.members")
    assert entry.details == {
        "before": ["membre.urgences"],
        "after": ["membre.nord", "membre.urgences"],
    }
    teams = await steer.http.get("/api/v1/teams", headers=steer.auth("superviseur"))
    assert {t["name"] for t in teams.json()["items"]} >= {"Équipe Nord", "Urgences"}
    refused = await steer.http.post(
        "/api/v1/teams", json={"name": "X"}, headers=steer.auth("superviseur")
    )
    assert refused.status_code == 403
    bad_url = await steer.http.post(
        "/api/v1/teams", json={"name": "X", "webhook_url": "ftp://x"}, headers=admin
    )
    assert bad_url.status_code == 422
    assert "« webhook_url »" in bad_url.json()["erreur"]


# ---- register ---------------------------------------------------------------------------
def register_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["N° dossier", "Nom", "Prénom", "Téléphone"])
    writer.writerow(["J1", "Dupont", "Jeanne", "01 45 67 89 10"])
    writer.writerow(["C3", "Durand", "Claire", "01 45 00 00 03"])
    writer.writerow(["C4", "", "Sans nom", "01 45 00 00 04"])
    return out.getvalue().encode()


@pytest.mark.asyncio
async def test_a_register_upload_dry_runs_then_imports(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    files = {"file": ("registre.csv", register_csv(), "text/csv")}
    dry = await steer.http.post(
        "/api/v1/registers/import", files=files, data={"dry_run": "true"}, headers=sup
    )
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["read"], report["rejected"]) == (True, 3, 1)
    assert report["summary"].startswith("Simulation")
    assert report["issues"][0]["line"] == 4
    assert await steer.audit() == []

    real = await steer.http.post("/api/v1/registers/import", files=files, headers=sup)
    assert real.status_code == 201, real.text
    assert real.json()["added"] == 1
    [entry] = await steer.audit("register.import")
    assert entry.details["added"] == 1
    assert entry.target == "register:registre.csv"

    wrong = await steer.http.post(
        "/api/v1/registers/import", files={"file": ("photo.png", b"x", "image/png")}, headers=sup
    )
    assert wrong.status_code == 422
    assert "« file »" in wrong.json()["erreur"]
    not_a_form = await steer.http.post("/api/v1/registers/import", json={}, headers=sup)
    assert not_a_form.status_code == 422
    agent = await steer.http.post(
        "/api/v1/registers/import", files=files, headers=steer.auth("agent1")
    )
    assert agent.status_code == 403


@pytest.mark.asyncio
async def test_a_register_upload_goes_under_its_named_list(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    files = {"file": ("crue.csv", register_csv(), "text/csv")}
    flood = await steer.http.post(
        "/api/v1/registers/import", files=files, data={"list": "crue Sud"}, headers=sup
    )
    assert flood.status_code == 201, flood.text
    assert flood.json()["list_name"] == "crue Sud"
    [entry] = await steer.audit("register.import")
    assert entry.details["list"] == "crue Sud"
    counted = await steer.http.get("/api/v1/lists", headers=sup)
    by_name = {row["name"]: row["people"] for row in counted.json()["lists"]}
    assert by_name["crue Sud"] == 2  # the row without a name is rejected

    too_long = await steer.http.post(
        "/api/v1/registers/import", files=files, data={"list": "x" * 101}, headers=sup
    )
    assert too_long.status_code == 422
    assert "list" in too_long.json()["erreur"]
    assert len(await steer.audit("register.import")) == 1  # nothing more written

    csrf = await log_in(steer.http, "superviseur")
    page = await steer.http.post(
        "/supervision/registre",
        files={"fichier": ("crue.csv", register_csv(), "text/csv")},
        data={"csrf": csrf, "liste": "crue Nord"},
    )
    assert page.status_code == 200, page.text
    assert "liste « crue Nord »" in page.text
    bad = await steer.http.post(
        "/supervision/registre",
        files={"fichier": ("crue.csv", register_csv(), "text/csv")},
        data={"csrf": csrf, "liste": "a\x07b"},
    )
    assert bad.status_code == 422
    assert "« liste »" in bad.text


# ---- audit log --------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_the_audit_log_filters(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    campaign_id = steer.world.campaign_id
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=sup)
    await steer.http.post("/api/v1/agents/agent2/logout", headers=sup)
    every = (await steer.http.get("/api/v1/audit", headers=sup)).json()["items"]
    assert [e["action"] for e in every] == ["agent.logout", "campaign.pause", "campaign.start"]
    campaigns = await steer.http.get("/api/v1/audit", params={"action": "campaign."}, headers=sup)
    assert [e["action"] for e in campaigns.json()["items"]] == ["campaign.pause", "campaign.start"]
    one = await steer.http.get(
        "/api/v1/audit", params={"target": "agent:agent2", "limit": "1"}, headers=sup
    )
    assert [e["action"] for e in one.json()["items"]] == ["agent.logout"]
    assert one.json()["next_offset"] is None
    later = await steer.http.get(
        "/api/v1/audit", params={"since": "2030-01-01T00:00:00+00:00"}, headers=sup
    )
    assert later.json()["items"] == []
    naive = await steer.http.get("/api/v1/audit", params={"since": "2030-01-01"}, headers=sup)
    assert naive.status_code == 422
    assert "« since »" in naive.json()["erreur"]
    assert (await steer.http.get("/api/v1/audit", headers=steer.auth("agent1"))).status_code == 403


# ---- OpenAPI ----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_every_api_route_is_in_the_openapi_document(steer: SteerRig) -> None:
    document = (await steer.http.get("/api/v1/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    routes = {
        (method, openapi_path(route.path))
        for route in steer.app.routes
        if isinstance(route, Route)
        and route.path.startswith("/api/v1/")
        and route.path not in ("/api/v1/openapi.json", "/api/v1/docs")
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert routes == documented  # other modules' /api/v1 routes included
    for endpoint in ENDPOINTS:
        operation = document["paths"][openapi_path(endpoint.path)][endpoint.method.lower()]
        assert operation["summary"] == endpoint.summary
        if endpoint.body is not None:
            assert endpoint.body.__name__ in str(operation["requestBody"])
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["summary"]
            assert operation["responses"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
            for ref in re.findall(r"#/components/schemas/(\w+)", str(operation)):
                assert ref in schemas
    pacing = schemas["PacingChange"]["properties"]["max_abandon_rate"]
    assert "0.03" in str(pacing)
    lines = schemas["PacingChange"]["properties"]["max_lines_per_agent"]
    assert "'minimum': 1.0" in str(lines)
    assert "'maximum': 10.0" in str(lines)
    for ref in re.findall(r"#/components/schemas/(\w+)", str(schemas)):
        assert ref in schemas


@pytest.mark.asyncio
async def test_a_city_sized_register_uploads_and_other_big_bodies_are_refused(
    steer: SteerRig,
) -> None:
    """10,500 people (over 1 MB) go through the register import; the same body anywhere
    else is refused with 413 before it is read."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        ["N° dossier", "Nom", "Prénom", "Date de naissance", "Adresse", "Arrondissement",
         "Téléphone", "Personne à prévenir", "Téléphone contact"]
    )  # fmt: skip
    for index in range(10_500):
        writer.writerow(
            [f"R{index:05d}", "Lefèvre", "Hélène", "14/07/1936",
             f"{index} boulevard Voltaire, 75011 Paris", "11e",
             f"01 45 {index // 10_000:02d} {index // 100 % 100:02d} {index % 100:02d}",
             "Sophie Lefèvre (fille)", "06 12 34 56 78"]
        )  # fmt: skip
    body = out.getvalue().encode()
    assert len(body) > 1_000_000
    sup = steer.auth("superviseur")
    dry = await steer.http.post(
        "/api/v1/registers/import",
        files={"file": ("registre.csv", body, "text/csv")},
        data={"dry_run": "true"},
        headers=sup,
    )
    assert dry.status_code == 200, dry.text[:300]
    assert (dry.json()["read"], dry.json()["rejected"]) == (10_500, 0)
    elsewhere = await steer.http.post(
        "/api/v1/teams", content=body, headers={**sup, "content-type": "application/json"}
    )
    assert elsewhere.status_code == 413
