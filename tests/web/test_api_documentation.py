"""The REST API's contract through the HTTP application: typed answers and parameters in
the OpenAPI document, its documentation page, and the lists' pages."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route

from dialer.reports.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from dialer.web.api import ENDPOINTS
from dialer.web.api_responses import CampaignCyclesPage
from dialer.web.openapi import openapi_path
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

pytestmark = pytest.mark.asyncio

__all__ = ["steer"]
PDF = "application/pdf"


async def test_every_answer_and_parameter_is_typed_in_the_document(steer: SteerRig) -> None:
    document = (await steer.http.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = operation["responses"].get("201") or operation["responses"]["200"]
            content = success["content"]
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                assert schema, f"{method} {path}: answer without a schema"
            else:  # a file (the results' CSV, XLSX, the needs analysis' PDF): typed as that file
                ((media, file),) = content.items()
                assert media in (CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, PDF), f"{method} {path}"
                assert file["schema"] == {"type": "string", "contentMediaType": media}
            for parameter in operation.get("parameters", []):
                assert parameter["schema"].get("type") or parameter["schema"].get("anyOf")
            # a summary is whole: never a sentence cut at a line's end
            assert not operation["summary"].endswith((",", " de", " du", " le", " la"))
    for endpoint in ENDPOINTS:
        operation = document["paths"][openapi_path(endpoint.path)][endpoint.method.lower()]
        success = "201" if endpoint.created else "200"
        answer = operation["responses"][success]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{endpoint.response.__name__}"}
        assert schemas[endpoint.response.__name__]["properties"]
    audit = document["paths"]["/api/v1/audit"]["get"]["parameters"]
    by_name = {p["name"]: p for p in audit}
    assert by_name["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
    }
    assert by_name["offset"]["schema"]["type"] == "integer"
    assert by_name["person"]["schema"]["anyOf"][0]["type"] == "integer"
    assert by_name["since"]["schema"]["anyOf"][0]["format"] == "date-time"
    listed = schemas["CampaignPage"]
    assert set(listed["required"]) == {"items", "limit", "offset", "next_offset"}
    assert listed["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Campaign"}
    # the agent's screen is in the one versioned API, documented from its handlers
    call = document["paths"]["/api/v1/agent/offer/call"]["post"]
    assert call["summary"].startswith("« Appeler »")


async def test_the_documentation_page_lists_every_operation(steer: SteerRig) -> None:
    page = await steer.http.get("/api/v1/docs")  # public, like the document
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    document = (await steer.http.get("/api/v1/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert f"<code>{method.upper()} {path}</code>" in text
            assert operation["summary"].replace("'", "&#39;") in text
    assert "limit (query)" in text
    assert 'id="schema-CampaignPage"' in text
    assert "<script" not in text
    # nothing from another site: every link and stylesheet is local
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', text)


async def test_lists_come_in_pages(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    campaign = steer.world.campaign_id
    for action in ("start", "pause", "resume", "pause", "resume"):
        response = await steer.http.post(f"/api/v1/campaigns/{campaign}/{action}", headers=sup)
        assert response.status_code == 200, response.text
    whole = (await steer.http.get("/api/v1/audit", headers=sup)).json()
    assert (whole["limit"], whole["offset"], whole["next_offset"]) == (100, 0, None)
    assert len(whole["items"]) == 5
    seen = []
    offset: int | None = 0
    while offset is not None:
        page = await steer.http.get(
            "/api/v1/audit", params={"limit": "2", "offset": str(offset)}, headers=sup
        )
        body = page.json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        offset = body["next_offset"]
    assert seen == whole["items"]
    past = await steer.http.get("/api/v1/audit", params={"offset": "50"}, headers=sup)
    assert past.json()["items"] == []
    assert past.json()["next_offset"] is None
    first = (await steer.http.get("/api/v1/templates", params={"limit": "1"}, headers=sup)).json()
    assert len(first["items"]) == 1
    assert first["next_offset"] == 1
    second = await steer.http.get(
        "/api/v1/templates", params={"limit": "1", "offset": "1"}, headers=sup
    )
    assert second.json()["items"] != first["items"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("limit=1e3", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999999", "offset"),
    ],
)
async def test_a_bad_page_is_refused_naming_the_parameter(
    steer: SteerRig, query: str, named: str
) -> None:
    for path in ("/api/v1/campaigns", "/api/v1/audit", "/api/v1/agents", "/api/v1/teams"):
        response = await steer.http.get(f"{path}?{query}", headers=steer.auth("admin"))
        if response.status_code == 403:
            continue  # a list this role may not read
        assert response.status_code == 422, (path, query, response.text)
        assert f"« {named} »" in response.json()["erreur"]


async def test_the_agent_screen_is_under_the_versioned_api(steer: SteerRig) -> None:
    """No unversioned ``/api/...`` route is left; the agent's own token works there too."""
    unversioned = [
        route.path
        for route in steer.app.routes
        if isinstance(route, Route)
        and route.path.startswith("/api/")
        and not route.path.startswith("/api/v1/")
    ]
    assert unversioned == []
    state = await steer.http.get("/api/v1/agent/state", headers=steer.auth("agent1"))
    assert state.status_code == 200
    assert state.json()["state"] == "logged_out"
    refused = await steer.http.get("/api/v1/agent/state", headers=steer.auth("superviseur"))
    assert refused.status_code == 403
    assert (await steer.http.get("/api/agent/etat")).status_code == 404
    # the team's inbox summary, with a team member's session
    await log_in(steer.http, "membre.nord")
    summary = await steer.http.get("/api/v1/alerts/summary")
    assert summary.status_code == 200
    assert set(summary.json()) == {"open", "newest"}


async def test_another_module_s_list_is_typed_and_paged_too(steer: SteerRig) -> None:
    """``/api/v1/reports`` (the reports' module): its answer's model and page parameters are
    in the document, and its answer is that model."""
    document = (await steer.http.get("/api/v1/openapi.json")).json()
    operation = document["paths"]["/api/v1/reports"]["get"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/CampaignCyclesPage"}
    assert {p["name"] for p in operation["parameters"]} == {"limit", "offset"}
    listed = await steer.http.get(
        "/api/v1/reports", params={"limit": "1"}, headers=steer.auth("superviseur")
    )
    assert listed.status_code == 200
    page = CampaignCyclesPage.model_validate(listed.json())
    assert len(page.items) == 1
    assert page.items[0].id == steer.world.campaign_id
