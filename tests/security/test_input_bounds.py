"""Issue 16, defect 10: ids beyond the databases' integers, deeply nested or oversized JSON
and odd digits get a 404 or a 422 naming the field, never a server error."""

from __future__ import annotations

import pytest

from dialer.web.api_models import MAX_JSON_DEPTH
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig

pytestmark = [pytest.mark.security, pytest.mark.asyncio]

HUGE = str(2**63)  # one beyond the largest 64-bit integer
DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/campaigns/{HUGE}",
        f"/api/v1/reports/{HUGE}",
        f"/api/v1/reports/{HUGE}/billing",
        f"/api/v1/campaigns/{'9' * 40}",
    ],
)
async def test_an_id_beyond_64_bits_is_not_found(steer: SteerRig, path: str) -> None:
    response = await steer.http.get(path, headers=steer.auth("superviseur"))
    assert response.status_code == 404


async def test_an_id_beyond_64_bits_on_a_page_or_a_form_is_not_found(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "admin")
    assert (await steer.http.get(f"/rapports/{HUGE}")).status_code == 404
    response = await steer.http.post(f"/admin/comptes/{HUGE}/desactiver", data={"csrf": csrf})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("cycle=99999999999999999999", "cycle"), ("cycle=²", "cycle")],
)
async def test_a_bad_cycle_is_refused_naming_it(steer: SteerRig, query: str, field: str) -> None:
    response = await steer.http.get(
        f"/api/v1/reports/{steer.world.campaign_id}?{query}", headers=steer.auth("superviseur")
    )
    assert response.status_code == 422
    assert field in response.json()["erreur"]


async def test_a_unicode_digit_limit_is_refused_naming_it(steer: SteerRig) -> None:
    response = await steer.http.get("/api/v1/audit?limit=²", headers=steer.auth("admin"))
    assert response.status_code == 422
    assert "« limit »" in response.json()["erreur"]


@pytest.mark.parametrize("path", ["/api/v1/teams", "/api/v1/agents"])
async def test_json_nested_5000_deep_is_refused(steer: SteerRig, path: str) -> None:
    response = await steer.http.post(
        path, content=DEEP, headers={**steer.auth("admin"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "Corps de la requête" in response.json()["erreur"]


async def test_json_just_past_the_depth_limit_is_refused(steer: SteerRig) -> None:
    nested: object = "x"
    for _ in range(MAX_JSON_DEPTH):
        nested = [nested]
    response = await steer.http.post(
        "/api/v1/teams", json={"name": "Nord", "districts": nested}, headers=steer.auth("admin")
    )
    assert response.status_code == 422
    assert "niveaux" in response.json()["erreur"]


async def test_an_oversized_json_body_is_refused(steer: SteerRig) -> None:
    response = await steer.http.post(
        "/api/v1/teams",
        json={"name": "Nord", "districts": ["x" * 100] * 1000},
        headers=steer.auth("admin"),
    )
    assert response.status_code == 422
    assert "octets" in response.json()["erreur"]


async def test_the_agent_screen_never_fails_on_deep_json(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "agent1")
    response = await steer.http.post(
        "/api/v1/agent/calls/inconnu/answers",
        content=DEEP,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert response.status_code == 404  # not their call: refused before the body is read
