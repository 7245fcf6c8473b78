"""Which campaigns an agent serves, through the API, on SQLite and PostgreSQL: a supervisor
sets it (priority, audited), the engine follows at once; abuse is refused with the field
named (401/403/404/422), and nothing is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind
from dialer.storage import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.agent_campaigns import AgentCampaignRepository
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, ready_agent, steer
from tests.web.test_api_campaigns import start_from_alert

__all__ = ["steer"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url()


@pytest_asyncio.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


def path(agent: str, campaign: int | None = None) -> str:
    tail = f"/{campaign}" if campaign is not None else ""
    return f"/api/v1/agents/{agent}/campaigns{tail}"


@pytest.mark.asyncio
async def test_a_supervisor_sets_the_campaigns_an_agent_serves_and_the_engine_follows(
    steer: SteerRig,
) -> None:
    sup = steer.auth("superviseur")
    started = await start_from_alert(steer)
    campaign = started["campaign"]
    assert isinstance(campaign, dict)
    heatwave, flood = int(campaign["id"]), steer.world.campaign_id
    await steer.http.post(f"/api/v1/campaigns/{flood}/start", headers=sup)
    # the engine learns each campaign's kind when it starts (never a volunteer's calls)
    kinds = {steer.engine.campaign_assignments.kind_of(c) for c in (heatwave, flood)}
    assert None not in kinds
    assert CampaignKind.VEILLE_SOCIALE not in kinds

    before = await steer.http.get(path("agent1"), headers=sup)
    assert before.status_code == 200
    assert before.json() == {"username": "agent1", "every_campaign": True, "campaigns": []}

    served = await steer.http.put(path("agent1", heatwave), json={"priority": 5}, headers=sup)
    assert served.status_code == 200, served.text
    await steer.http.put(path("agent1", flood), json={}, headers=sup)  # the default: 1
    await steer.http.put(path("agent2", flood), json={"priority": 3}, headers=sup)
    body = (await steer.http.get(path("agent1"), headers=sup)).json()
    assert body["every_campaign"] is False
    assert [(c["campaign_id"], c["priority"]) for c in body["campaigns"]] == [
        (heatwave, 5),
        (flood, 1),
    ]
    assert steer.engine.campaign_assignments.serving == {
        "agent1": {heatwave: 5, flood: 1},
        "agent2": {flood: 3},
    }
    # the engine counts each agent for their own campaign
    await ready_agent(steer.engine, "agent1")
    await ready_agent(steer.engine, "agent2")
    per_campaign = steer.engine.statistics()["campaigns"]
    assert isinstance(per_campaign, dict)
    assert per_campaign[str(heatwave)]["agents_ready"] == 1
    assert per_campaign[str(flood)]["agents_ready"] == 1

    again = await steer.http.put(path("agent1", heatwave), json={"priority": 2}, headers=sup)
    assert [(c["campaign_id"], c["priority"]) for c in again.json()["campaigns"]] == [
        (heatwave, 2),
        (flood, 1),
    ]
    gone = await steer.http.delete(path("agent1", heatwave), headers=sup)
    assert gone.status_code == 200
    assert [c["campaign_id"] for c in gone.json()["campaigns"]] == [flood]
    assert steer.engine.campaign_assignments.serving["agent1"] == {flood: 1}
    actions = [(e.action, e.actor, e.target) for e in await steer.audit("agent.")]
    assert actions[0] == ("agent.stop_serving", "api:jeton-superviseur", "agent:agent1")
    assert [a for a, _, _ in actions].count("agent.serve") == 4
    assert steer.engine.seats.get("agent1").state is AgentState.READY


@pytest.mark.asyncio
async def test_who_may_not_change_it_and_bad_requests_are_refused_with_the_field_named(
    steer: SteerRig,
) -> None:
    flood = steer.world.campaign_id
    one = path("agent1", flood)
    for headers in ({}, {"Authorization": "Bearer jeton-forge"}, {"Authorization": "Bearer "}):
        for method in ("GET", "PUT", "DELETE"):
            url = path("agent1") if method == "GET" else one
            response = await steer.http.request(method, url, json={}, headers=headers)
            assert response.status_code == 401, (method, headers)
    for who in ("agent1", "admin"):  # agents, and administrators: not supervisors
        for method in ("PUT", "DELETE"):
            refused = await steer.http.request(method, one, json={}, headers=steer.auth(who))
            assert refused.status_code == 403, (who, method)
    assert (await steer.http.get(path("agent1"), headers=steer.auth("agent1"))).status_code == 403
    sup = steer.auth("superviseur")
    for body in ({"priority": 0}, {"priority": 101}, {"priority": "haute"}, {"priority": None}):
        wrong = await steer.http.put(one, json=body, headers=sup)
        assert wrong.status_code == 422, body
        assert "priority" in wrong.json()["erreur"]
    extra = await steer.http.put(one, json={"priority": 2, "agent": "agent2"}, headers=sup)
    assert extra.status_code == 422
    assert "agent" in extra.json()["erreur"]
    broken = await steer.http.put(one, content=b"{", headers=sup)
    assert broken.status_code == 422
    for who in ("inconnu", "superviseur"):  # nobody, or not an agent
        missing = await steer.http.put(path(who, flood), json={}, headers=sup)
        assert missing.status_code == 404, who
    unknown_campaign = await steer.http.put(path("agent1", 9999), json={}, headers=sup)
    assert unknown_campaign.status_code == 404
    assert "campaign" in unknown_campaign.json()["erreur"]
    not_served = await steer.http.delete(one, headers=sup)
    assert not_served.status_code == 404
    assert await AgentCampaignRepository(steer.sessions).all() == []
    assert await steer.audit("agent.") == []
    # a browser session needs its CSRF token to change anything
    csrf = await log_in(steer.http, "superviseur")
    assert (await steer.http.put(one, json={})).status_code == 403
    done = await steer.http.put(one, json={}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200
    [entry] = await steer.audit("agent.serve")
    assert entry.actor == "superviseur"


@pytest.mark.asyncio
async def test_the_supervisor_sets_them_from_the_agents_campaigns_page(steer: SteerRig) -> None:
    flood = steer.world.campaign_id
    csrf = await log_in(steer.http, "superviseur")
    agents = await steer.http.get("/supervision/agents")
    assert 'href="/supervision/agents/campagnes"' in agents.text
    page = await steer.http.get("/supervision/agents/campagnes")
    assert page.status_code == 200
    assert "Toutes les campagnes en cours" in page.text
    assert f'<option value="{flood}">' in page.text
    form = {"agent": "agent2", "campagne": str(flood), "priorite": "7"}
    refused = await steer.http.post("/supervision/agents/campagnes", data=form)
    assert refused.status_code == 403  # no CSRF field
    done = await steer.http.post("/supervision/agents/campagnes", data={**form, "csrf": csrf})
    assert done.status_code == 303
    shown = await steer.http.get(done.headers["location"])
    assert "agent2 sert « " in shown.text
    assert f'<span data-campagne="{flood}">' in shown.text
    assert "priorité 7" in shown.text
    assert steer.engine.campaign_assignments.serving == {"agent2": {flood: 7}}
    for wrong, field in (
        ({"priorite": "0"}, "priority"),
        ({"priorite": "sept"}, "priority"),
        ({"campagne": "x"}, "campaign"),
        ({"agent": "personne"}, "agent"),
        ({"agent": "superviseur"}, "agent"),
    ):
        bad = await steer.http.post(
            "/supervision/agents/campagnes", data={**form, **wrong, "csrf": csrf}
        )
        assert bad.status_code in (404, 422), wrong
        assert f"Champ « {field} »" in bad.text, wrong
    assert steer.engine.campaign_assignments.serving == {"agent2": {flood: 7}}
    removed = await steer.http.post(
        "/supervision/agents/campagnes/retirer",
        data={"agent": "agent2", "campagne": str(flood), "csrf": csrf},
    )
    assert removed.status_code == 303
    assert steer.engine.campaign_assignments.serving == {}
    actions = [(e.action, e.actor) for e in await steer.audit("agent.")]
    assert actions == [("agent.stop_serving", "superviseur"), ("agent.serve", "superviseur")]


@pytest.mark.asyncio
async def test_agents_may_not_see_nor_change_the_agents_campaigns(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "agent1")
    assert (await steer.http.get("/supervision/agents/campagnes")).status_code == 403
    refused = await steer.http.post(
        "/supervision/agents/campagnes",
        data={"agent": "agent1", "campagne": str(steer.world.campaign_id), "csrf": csrf},
    )
    assert refused.status_code == 403
    assert await AgentCampaignRepository(steer.sessions).all() == []
