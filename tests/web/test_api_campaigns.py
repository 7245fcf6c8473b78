"""The REST API's campaign steering: start from the alert (first dial at once), several
campaigns at once, pause/resume/stop, pacing changes, authentication and roles, the
audit log, and re-attaching after a restart."""

from __future__ import annotations

import pytest

from dialer.campaigns.control import CampaignControl
from dialer.core.campaigns import CampaignState
from dialer.core.pacing import PacingDecision, decide
from dialer.core.pacing_settings import PacingConfig
from dialer.core.pacing_statistics import PacingSnapshot
from dialer.engine import pacing_view
from dialer.storage import CampaignRepository
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, build_engine, ready_agent, steer

__all__ = ["steer"]


async def start_from_alert(steer: SteerRig, template: str = "heatwave") -> dict[str, object]:
    response = await steer.http.post(
        "/api/v1/campaigns/start-from-alert",
        json={"template": template},
        headers=steer.auth("superviseur"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.asyncio
async def test_starting_from_the_alert_places_the_first_originate_within_the_action(
    steer: SteerRig,
) -> None:
    await ready_agent(steer.engine)
    events: list[str] = []
    place_call = steer.node.place_call

    async def recording_place_call(request: object) -> None:
        events.append("originate")
        await place_call(request)  # type: ignore[arg-type]

    steer.node.place_call = recording_place_call  # type: ignore[method-assign]
    events.append("action")
    started = await start_from_alert(steer)
    events.append("answered")
    # the pacing loop never ran (engine.start() was not called): the action itself dialled
    assert events == ["action", "originate", "answered"]
    assert started["people"] == 2
    assert started["first_dials"] == 1
    assert steer.node.placed[0].caller_id == "+33140000000"
    assert steer.node.placed[0].number in {"+33145678910", "+33155555555"}
    campaign = started["campaign"]
    assert isinstance(campaign, dict)
    assert (campaign["state"], campaign["attached"]) == ("running", True)
    [entry] = await steer.audit("campaign.start_from_alert")
    assert (entry.actor, entry.target) == ("api:jeton-superviseur", f"campaign:{campaign['id']}")
    assert entry.details["people"] == 2
    assert entry.at == steer.clock()


@pytest.mark.asyncio
async def test_several_campaigns_dial_at_once_each_steered_on_its_own(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    await ready_agent(steer.engine, "agent1")
    await ready_agent(steer.engine, "agent2")
    started = await start_from_alert(steer)
    flood = steer.world.campaign_id
    second = await steer.http.post(f"/api/v1/campaigns/{flood}/start", headers=sup)
    assert second.status_code == 200, second.text
    assert second.json()["attached"] is True
    again = await steer.http.post(f"/api/v1/campaigns/{flood}/start", headers=sup)
    assert again.status_code == 409
    assert "déjà en cours" in again.json()["erreur"]
    campaign = started["campaign"]
    assert isinstance(campaign, dict)
    heatwave = int(campaign["id"])
    assert set(steer.control.attached) == {heatwave, flood}
    # both campaigns hold the same two people: never two calls to one person
    await steer.engine.tick()
    persons = [call.person_id for call in steer.engine.calls.all()]
    assert len(persons) == len(set(persons)) == 2

    paused = await steer.http.post(f"/api/v1/campaigns/{flood}/pause", headers=sup)
    assert paused.json()["state"] == "paused"
    await steer.engine.tick()
    assert steer.engine.plan_of(flood).reason == "dialing paused"
    assert steer.engine.plan_of(heatwave).reason != "dialing paused"
    stopped = await steer.http.post(f"/api/v1/campaigns/{heatwave}/stop", headers=sup)
    assert (stopped.json()["state"], stopped.json()["attached"]) == ("stopped", False)
    assert list(steer.control.attached) == [flood]
    listed = await steer.http.get("/api/v1/campaigns", headers=sup)
    attached = {item["id"]: item["attached"] for item in listed.json()["items"]}
    assert attached == {heatwave: False, flood: True}
    stats = steer.control.statistics()
    assert stats["attached_campaigns"] == [flood]
    await log_in(steer.http, "superviseur")
    page = await steer.http.get("/supervision/campagnes")
    assert f'<li data-campagne="{flood}">Campagne n° {flood} (en pause) : 0 agent(s)' in page.text
    assert "décision du rythme : numérotation en pause" in page.text
    assert isinstance(stats["campaigns"], dict)
    assert stats["campaigns"][str(flood)]["dialing_enabled"] is False


@pytest.mark.asyncio
async def test_pause_resume_and_stop(steer: SteerRig) -> None:
    await ready_agent(steer.engine)
    campaign_id = steer.world.campaign_id
    sup = steer.auth("superviseur")
    started = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    assert started.status_code == 200, started.text
    assert started.json()["attached"] is True
    dialled = len(steer.node.placed)
    assert dialled == 1

    paused = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=sup)
    assert paused.json()["state"] == "paused"
    assert steer.engine.dialing_enabled is False
    assert (await steer.engine.tick()).reason == "dialing paused"

    resumed = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=sup)
    assert resumed.json()["state"] == "running"
    assert steer.engine.dialing_enabled is True

    stopped = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/stop", headers=sup)
    assert (stopped.json()["state"], stopped.json()["attached"]) == ("stopped", False)
    assert steer.engine.assigned is False
    assert (await steer.engine.tick()).reason == "aucune campagne en cours → dial 0"
    stored = await CampaignRepository(steer.sessions).get(campaign_id)
    assert stored.state is CampaignState.STOPPED
    actions = [e.action for e in await steer.audit()]
    assert actions == ["campaign.stop", "campaign.resume", "campaign.pause", "campaign.start"]

    twice = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=sup)
    assert twice.status_code == 409
    assert "arrêtée" in twice.json()["erreur"]


@pytest.mark.asyncio
async def test_pacing_changes_while_running_and_never_above_three_percent(
    steer: SteerRig,
) -> None:
    campaign_id = steer.world.campaign_id
    sup = steer.auth("superviseur")
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    path = f"/api/v1/campaigns/{campaign_id}/pacing"

    too_high = await steer.http.patch(path, json={"max_abandon_rate": 0.05}, headers=sup)
    assert too_high.status_code == 422
    assert "max_abandon_rate" in too_high.json()["erreur"]
    unknown = await steer.http.patch(path, json={"mode": "turbo"}, headers=sup)
    assert unknown.status_code == 422
    assert "mode" in unknown.json()["erreur"]
    extra = await steer.http.patch(path, json={"vitesse": 2}, headers=sup)
    assert extra.status_code == 422
    assert "vitesse" in extra.json()["erreur"]

    pacer_before = steer.engine.pacer
    changed = await steer.http.patch(
        path, json={"mode": "predictive", "max_abandon_rate": 0.02}, headers=sup
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pacing_mode"], changed.json()["max_abandon_rate"]) == (
        "predictive",
        0.02,
    )
    assert steer.engine.pacer is not pacer_before
    assert steer.control.current is not None
    assert steer.control.current.pacing.max_abandon_rate == 0.02
    stored = await CampaignRepository(steer.sessions).get(campaign_id)
    assert (stored.pacing_mode.value, stored.max_abandon_rate) == ("predictive", 0.02)
    [entry] = await steer.audit("campaign.pacing")
    assert entry.details["before"] == {
        "mode": "progressive",
        "max_abandon_rate": 0.01,
        "max_lines_per_agent": 3.0,
    }
    assert entry.details["after"] == {
        "mode": "predictive",
        "max_abandon_rate": 0.02,
        "max_lines_per_agent": 3.0,
    }


@pytest.mark.asyncio
async def test_the_lines_per_agent_cap_changes_while_running_within_one_and_ten(
    steer: SteerRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = steer.world.campaign_id
    sup = steer.auth("superviseur")
    await ready_agent(steer.engine)
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    path = f"/api/v1/campaigns/{campaign_id}/pacing"
    listed = await steer.http.get(f"/api/v1/campaigns/{campaign_id}", headers=sup)
    assert listed.json()["max_lines_per_agent"] == 3.0

    for wrong in (0.5, 10.5, "beaucoup"):
        refused = await steer.http.patch(path, json={"max_lines_per_agent": wrong}, headers=sup)
        assert refused.status_code == 422, wrong
        assert "Champ « max_lines_per_agent »" in refused.json()["erreur"]
    assert await steer.audit("campaign.pacing") == []

    changed = await steer.http.patch(path, json={"max_lines_per_agent": 2.5}, headers=sup)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pacing_mode"], changed.json()["max_lines_per_agent"]) == (
        "progressive",
        2.5,
    )
    stored = await CampaignRepository(steer.sessions).get(campaign_id)
    assert (stored.max_lines_per_agent, stored.max_abandon_rate) == (2.5, 0.01)
    assert steer.control.current is not None
    assert steer.control.current.pacing.max_lines_per_agent == 2.5

    # the engine's next decision uses it
    seen: list[PacingConfig] = []

    def spying_decide(snapshot: PacingSnapshot, config: PacingConfig) -> PacingDecision:
        seen.append(config)
        return decide(snapshot, config)

    monkeypatch.setattr(pacing_view, "decide", spying_decide)
    steer.engine.pacer(steer.engine, steer.clock())
    assert [c.max_lines_per_agent for c in seen] == [2.5]
    [entry] = await steer.audit("campaign.pacing")
    assert entry.details["before"]["max_lines_per_agent"] == 3.0
    assert entry.details["after"] == {
        "mode": "progressive",
        "max_abandon_rate": 0.01,
        "max_lines_per_agent": 2.5,
    }


@pytest.mark.asyncio
async def test_authentication_and_roles(steer: SteerRig) -> None:
    path = f"/api/v1/campaigns/{steer.world.campaign_id}/start"
    assert (await steer.http.get("/api/v1/campaigns")).status_code == 401
    bad = await steer.http.post(path, headers={"Authorization": "Bearer dlr_faux"})
    assert bad.status_code == 401
    assert bad.json() == {"erreur": "Veuillez vous connecter."}
    assert (await steer.http.post(path, headers={"Authorization": "Basic xyz"})).status_code == 401
    agent = await steer.http.post(path, headers=steer.auth("agent1"))
    assert agent.status_code == 403
    admin = await steer.http.post(path, headers=steer.auth("admin"))
    assert admin.status_code == 403  # administrators manage people, supervisors steer
    listed = await steer.http.get("/api/v1/campaigns", headers=steer.auth("admin"))
    assert listed.status_code == 200
    assert await steer.audit() == []


@pytest.mark.asyncio
async def test_a_browser_session_needs_the_csrf_header_to_change_anything(
    steer: SteerRig,
) -> None:
    csrf = await log_in(steer.http, "superviseur")
    listed = await steer.http.get("/api/v1/campaigns")
    assert listed.status_code == 200
    path = f"/api/v1/campaigns/{steer.world.campaign_id}/start"
    assert (await steer.http.post(path)).status_code == 403
    started = await steer.http.post(path, headers={"X-CSRF-Token": csrf})
    assert started.status_code == 200, started.text
    [entry] = await steer.audit("campaign.start")
    assert entry.actor == "superviseur"


@pytest.mark.asyncio
async def test_unknown_campaign_and_template(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    assert (await steer.http.get("/api/v1/campaigns/999", headers=sup)).status_code == 404
    created = await steer.http.post("/api/v1/campaigns", json={"template": "tempete"}, headers=sup)
    assert created.status_code == 404
    assert "tempete" in created.json()["erreur"]
    missing = await steer.http.post("/api/v1/campaigns", json={}, headers=sup)
    assert missing.status_code == 422
    assert missing.json()["erreur"] == "Champ « template » : champ obligatoire."
    broken = await steer.http.post("/api/v1/campaigns", content=b"{", headers=sup)
    assert broken.status_code == 422


@pytest.mark.asyncio
async def test_create_from_a_template_then_start(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    created = await steer.http.post(
        "/api/v1/campaigns", json={"template": "cold_spell", "name": "Froid janvier"}, headers=sup
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["state"], body["kind"], body["cycle"]) == ("draft", "cold_spell", None)
    started = await steer.http.post(f"/api/v1/campaigns/{body['id']}/start", headers=sup)
    assert started.json()["cycle"]["number"] == 1
    [entry] = await steer.audit("campaign.start")
    assert entry.details["people"] == 2


@pytest.mark.asyncio
async def test_a_restarted_service_reattaches_the_campaign_it_left_running_or_paused(
    steer: SteerRig,
) -> None:
    sup = steer.auth("superviseur")
    campaign_id = steer.world.campaign_id
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    await steer.http.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=sup)

    engine, _node, control = await build_engine(steer.sessions, steer.clock)
    [view] = await control.recover()
    assert (view.id, view.state, view.attached) == (campaign_id, CampaignState.PAUSED, True)
    assert engine.assigned is True
    assert engine.dialing_enabled is False
    [entry] = await steer.audit("campaign.reattach")
    assert entry.actor == "service"

    idle_engine, _, idle = await build_engine(steer.sessions, steer.clock)
    await CampaignControl(steer.sessions, idle_engine).stop(campaign_id, actor="test")
    assert await idle.recover() == []
    assert idle_engine.assigned is False


@pytest.mark.asyncio
async def test_a_restarted_service_reattaches_every_campaign_it_left_running_or_paused(
    steer: SteerRig,
) -> None:
    sup = steer.auth("superviseur")
    started = await start_from_alert(steer)
    campaign = started["campaign"]
    assert isinstance(campaign, dict)
    heatwave, flood = int(campaign["id"]), steer.world.campaign_id
    await steer.http.post(f"/api/v1/campaigns/{flood}/start", headers=sup)
    await steer.http.post(f"/api/v1/campaigns/{flood}/pause", headers=sup)
    await steer.http.put(
        f"/api/v1/agents/agent1/campaigns/{heatwave}", json={"priority": 3}, headers=sup
    )

    engine, _node, control = await build_engine(steer.sessions, steer.clock)
    views = await control.recover()
    assert [(v.id, v.state, v.attached) for v in views] == [
        (flood, CampaignState.PAUSED, True),
        (heatwave, CampaignState.RUNNING, True),
    ]
    assert set(control.attached) == {heatwave, flood}
    assert engine.campaign_assignments.running() == [heatwave]  # the flood stays paused
    assert engine.campaign_assignments.serving == {"agent1": {heatwave: 3}}
    entries = await steer.audit("campaign.reattach")
    assert sorted(e.target for e in entries) == sorted(
        [f"campaign:{heatwave}", f"campaign:{flood}"]
    )
