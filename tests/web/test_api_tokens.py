"""API tokens through the REST API: they expire, and their owner lists and revokes their
own (``GET``/``DELETE /api/v1/tokens``), never seeing a token or another account's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.storage.api_tokens import ApiTokenRepository
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

__all__ = ["steer"]

pytestmark = pytest.mark.asyncio


async def test_an_owner_lists_their_own_tokens_without_any_secret(steer: SteerRig) -> None:
    tokens = ApiTokenRepository(steer.sessions)
    await tokens.create(
        name="script-nuit",
        username="agent1",
        created_by="test",
        now=steer.clock(),
        lifetime=timedelta(days=7),
    )
    steer.clock.advance(60)
    listed = await steer.http.get("/api/v1/tokens", headers=steer.auth("agent1"))
    assert listed.status_code == 200
    rows = listed.json()["items"]
    assert [row["name"] for row in rows] == ["script-nuit", "jeton-agent1"]  # newest first
    assert set(rows[0]) == {
        "id",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "valid",
    }
    assert rows[0]["expires_at"] == (steer.clock.now - timedelta(seconds=60, days=-7)).isoformat()
    assert rows[1]["last_used_at"] == steer.clock.now.isoformat()  # this very request
    assert steer.tokens["agent1"] not in listed.text
    assert "jeton-superviseur" not in listed.text  # another account's token


async def test_an_owner_revokes_their_own_token_and_no_one_elses(steer: SteerRig) -> None:
    mine = (await steer.http.get("/api/v1/tokens", headers=steer.auth("superviseur"))).json()[
        "items"
    ]
    others = (await steer.http.get("/api/v1/tokens", headers=steer.auth("agent1"))).json()["items"]
    stolen = await steer.http.delete(
        f"/api/v1/tokens/{others[0]['id']}", headers=steer.auth("superviseur")
    )
    assert stolen.status_code == 404  # as unknown as a missing one
    assert "jeton" in stolen.json()["erreur"]
    huge = await steer.http.delete(f"/api/v1/tokens/{2**70}", headers=steer.auth("superviseur"))
    assert huge.status_code == 404
    revoked = await steer.http.delete(
        f"/api/v1/tokens/{mine[0]['id']}", headers=steer.auth("superviseur")
    )
    assert revoked.status_code == 200
    assert (revoked.json()["name"], revoked.json()["valid"]) == ("jeton-superviseur", False)
    refused = await steer.http.get("/api/v1/tokens", headers=steer.auth("superviseur"))
    assert refused.status_code == 401
    assert [(e.action, e.actor, e.target) for e in await steer.audit("api_token.revoke")] == [
        ("api_token.revoke", "api:jeton-superviseur", "api_token:jeton-superviseur")
    ]
    still = await steer.http.get("/api/v1/tokens", headers=steer.auth("agent1"))
    assert still.status_code == 200


async def test_a_session_lists_and_revokes_with_its_csrf_token(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "admin")
    rows = (await steer.http.get("/api/v1/tokens")).json()["items"]
    assert [row["name"] for row in rows] == ["jeton-admin"]
    forged = await steer.http.delete(f"/api/v1/tokens/{rows[0]['id']}")
    assert forged.status_code == 403  # no CSRF header: a cross-site request
    done = await steer.http.delete(
        f"/api/v1/tokens/{rows[0]['id']}", headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200
    assert (await steer.http.get("/api/v1/tokens", headers=steer.auth("admin"))).status_code == 401


async def test_an_expired_token_is_refused(steer: SteerRig) -> None:
    steer.clock.advance(days=90, seconds=-1)
    assert (await steer.http.get("/api/v1/tokens", headers=steer.auth("agent1"))).status_code == 200
    steer.clock.advance(1)
    expired = await steer.http.get("/api/v1/campaigns", headers=steer.auth("superviseur"))
    assert expired.status_code == 401
    assert (await steer.http.get("/api/v1/tokens", headers=steer.auth("agent1"))).status_code == 401
