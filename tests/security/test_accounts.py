"""Issue 16, defects 3, 6 and 8: deactivating an account takes an agent out of the engine
at once and is audited; creating an account is all-or-nothing, audited, and a SIP endpoint
drives one account's phone only."""

from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentState
from dialer.errors import StorageError
from dialer.storage.accounts import AccountRepository
from dialer.storage.audit import AuditLog
from tests.web.conftest import client_for, log_in
from tests.web.steering_support import SteerRig, ready_agent

pytestmark = [pytest.mark.security, pytest.mark.asyncio]


async def test_deactivating_an_agent_takes_them_out_of_the_engine_at_once(
    steer: SteerRig,
) -> None:
    await ready_agent(steer.engine, "agent1")
    agent_leg = steer.node.agents[0][2]
    account = await AccountRepository(steer.sessions).by_username("agent1")
    assert account is not None
    async with client_for(steer.app) as agent_client:
        await log_in(agent_client, "agent1")
        assert (await agent_client.get("/agent")).status_code == 200
        csrf = await log_in(steer.http, "admin")
        done = await steer.http.post(f"/admin/comptes/{account.id}/desactiver", data={"csrf": csrf})
        assert done.status_code == 303
        assert "désactivé" in (await steer.http.get(done.headers["location"])).text
        # out of the engine: no call can be joined to them any more, their line is hung up
        assert steer.engine.seats.get("agent1").state is AgentState.LOGGED_OUT
        assert agent_leg in steer.node.hangups
        assert (await steer.engine.tick()).dials == 0
        # their screen and their API token stop working
        assert (await agent_client.get("/agent")).status_code == 303
    token = await steer.http.get("/api/v1/campaigns", headers=steer.auth("agent1"))
    assert token.status_code == 401
    [entry] = await steer.audit("account.deactivate")
    assert (entry.actor, entry.target) == ("admin", "account:agent1")
    assert entry.details == {"role": "agent", "was": "ready", "web_sessions_ended": 1}


async def test_deactivating_an_unknown_account_is_not_found(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "admin")
    response = await steer.http.post("/admin/comptes/999999/desactiver", data={"csrf": csrf})
    assert response.status_code == 404
    assert await steer.audit("account.") == []


async def test_creating_an_account_in_admin_is_audited(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "admin")
    created = await steer.http.post(
        "/admin/comptes",
        data={
            "csrf": csrf,
            "identifiant": "Martin",
            "mot_de_passe": "un mot de passe long",
            "role": "supervisor",
        },
    )
    assert created.status_code == 303, created.text
    [entry] = await steer.audit("account.create")
    assert (entry.actor, entry.target, entry.details["role"]) == (
        "admin",
        "account:martin",
        "supervisor",
    )


async def test_two_accounts_never_share_a_sip_endpoint(steer: SteerRig) -> None:
    taken = await AccountRepository(steer.sessions).by_username("agent2")
    assert taken is not None
    assert taken.sip_endpoint is not None
    api = await steer.http.post(
        "/api/v1/agents",
        json={
            "username": "pirate",
            "password": "un mot de passe long",
            "sip_endpoint": taken.sip_endpoint,
        },
        headers=steer.auth("admin"),
    )
    assert api.status_code == 409
    assert "« sip_endpoint »" in api.json()["erreur"]
    csrf = await log_in(steer.http, "admin")
    page = await steer.http.post(
        "/admin/comptes",
        data={
            "csrf": csrf,
            "identifiant": "pirate",
            "mot_de_passe": "un mot de passe long",
            "role": "agent",
            "sip": taken.sip_endpoint,
        },
    )
    assert page.status_code == 422
    assert "sip_endpoint" in page.text
    assert await AccountRepository(steer.sessions).by_username("pirate") is None
    assert await steer.audit("agent.create") == []
    assert await steer.audit("account.create") == []


async def test_an_agent_whose_creation_fails_leaves_nothing_behind(
    steer: SteerRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(self: AuditLog, **_: object) -> None:
        raise StorageError("disk full")

    monkeypatch.setattr(AuditLog, "record", failing)
    response = await steer.http.post(
        "/api/v1/agents",
        json={"username": "durand", "password": "un mot de passe long"},
        headers=steer.auth("admin"),
    )
    assert response.status_code == 503
    monkeypatch.undo()
    assert await AccountRepository(steer.sessions).by_username("durand") is None
    # and the endpoint is free again: the same creation now succeeds, with its entry
    again = await steer.http.post(
        "/api/v1/agents",
        json={"username": "durand", "password": "un mot de passe long"},
        headers=steer.auth("admin"),
    )
    assert again.status_code == 201, again.text
    [entry] = await steer.audit("agent.create")
    assert entry.target == "agent:durand"
