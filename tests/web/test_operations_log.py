"""Issue 23, logging: the campaign's, the episode's and the agents' state changes are
logged at INFO when they happen through the API and the engine, and every HTTP request
leaves one access line naming its route, never the values in its path or its query."""

from __future__ import annotations

import logging

import pytest

from tests.web.steering_support import SteerRig, ready_agent, steer

__all__ = ["steer"]

pytestmark = pytest.mark.asyncio


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


async def test_state_changes_are_logged_at_info(
    steer: SteerRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    campaign = steer.world.campaign_id
    headers = steer.auth("superviseur")
    for action in ("start", "pause", "resume", "stop"):
        response = await steer.http.post(f"/api/v1/campaigns/{campaign}/{action}", headers=headers)
        assert response.status_code == 200, response.text
    logged = lines(caplog, "dialer.campaigns.control")
    for action in ("start", "pause", "resume", "stop"):
        assert any(
            line.startswith(f"campagne {campaign} « ") and f": campaign.{action} par api:" in line
            for line in logged
        ), (action, logged)
    await ready_agent(steer.engine, "agent1")
    steer.engine.pause("agent1", "pause café")
    await steer.engine.log_out("agent1")
    assert lines(caplog, "dialer.engine.agents") == [
        "agent agent1 : logged_out → paused",
        "agent agent1 : paused → ready",
        "agent agent1 : ready → paused",
        "agent agent1 : paused → logged_out",
    ]
    started = await steer.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=headers
    )
    assert started.status_code == 201, started.text
    episode = started.json()["episode"]["id"]
    ended = await steer.http.post(f"/api/v1/episodes/{episode}/end", headers=headers)
    assert ended.status_code == 200, ended.text
    logged = lines(caplog, "dialer.campaigns.episodes")
    assert any(line.startswith(f"épisode {episode} : episode.start par api:") for line in logged)
    assert any(line.startswith(f"épisode {episode} : episode.end par api:") for line in logged)


async def test_the_access_log_names_routes_without_personal_data(
    steer: SteerRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dialer.access")
    await steer.http.get("/api/v1/persons/4242?nom=Dupont", headers=steer.auth("admin"))
    await steer.http.post("/api/v1/agents/agent2/logout", headers=steer.auth("superviseur"))
    await steer.http.get("/connexion?suivant=/admin&token=abc123")
    await steer.http.get("/wp-admin/martine.durand")
    records = [r for r in caplog.records if r.name == "dialer.access"]
    assert [r.http["route"] for r in records] == [  # type: ignore[attr-defined]
        "/api/v1/persons/{person_id}",
        "/api/v1/agents/{username}/logout",
        "/connexion",
        "(inconnu)",
    ]
    assert [r.http["status"] for r in records] == [404, 200, 200, 404]  # type: ignore[attr-defined]
    text = " ".join(r.getMessage() for r in records)
    assert text.startswith("GET /api/v1/persons/{person_id} 404 ")
    for secret_or_personal in ("4242", "Dupont", "agent2", "abc123", "martine", "Bearer"):
        assert secret_or_personal not in text
