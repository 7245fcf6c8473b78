"""The supervisor's steering pages: the campaign list with its buttons, "Démarrer depuis
l'alerte", the pacing form, agents (force logout, new SIP credentials) and the audit log."""

from __future__ import annotations

import re

import pytest

from dialer.storage import CampaignRepository
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, ready_agent, steer

__all__ = ["steer"]


@pytest.mark.asyncio
async def test_the_supervisor_starts_from_the_alert_and_steers_from_the_page(
    steer: SteerRig,
) -> None:
    await ready_agent(steer.engine)
    csrf = await log_in(steer.http, "superviseur")
    supervision = await steer.http.get("/supervision")
    assert 'href="/supervision/campagnes"' in supervision.text
    page = await steer.http.get("/supervision/campagnes")
    assert page.status_code == 200
    assert "Démarrer depuis l'alerte" in page.text
    assert "Canicule 2026" in page.text
    campaign = steer.world.campaign_id
    assert f'href="/supervision/selections/{campaign}"' in page.text  # who it calls
    assert 'href="/supervision/listes"' in page.text
    lists = await steer.http.get("/supervision/listes")
    assert lists.status_code == 200

    refused = await steer.http.post("/supervision/campagnes/alerte", data={"modele": "heatwave"})
    assert refused.status_code == 403  # no CSRF field
    started = await steer.http.post(
        "/supervision/campagnes/alerte", data={"modele": "heatwave", "csrf": csrf}
    )
    assert started.status_code == 303
    assert len(steer.node.placed) == 1
    done = await steer.http.get(started.headers["location"])
    assert "premier(s) appel(s) lancé(s)" in done.text
    assert "appelle" in done.text
    campaign_id = steer.control.attached_id

    conflict = await steer.http.post(
        f"/supervision/campagnes/{campaign_id}/demarrer", data={"csrf": csrf}
    )
    assert conflict.status_code == 409
    assert "déjà en cours" in conflict.text

    too_high = await steer.http.post(
        f"/supervision/campagnes/{campaign_id}/rythme",
        data={"csrf": csrf, "mode": "predictive", "taux_abandon": "4"},
    )
    assert too_high.status_code == 409
    assert "3 %" in too_high.text
    paced = await steer.http.post(
        f"/supervision/campagnes/{campaign_id}/rythme",
        data={"csrf": csrf, "mode": "predictive", "taux_abandon": "2,5"},
    )
    assert paced.status_code == 303
    assert steer.control.current is not None
    assert steer.control.current.pacing.max_abandon_rate == 0.025
    assert steer.control.current.pacing.max_lines_per_agent == 3.0  # left out: kept
    page = await steer.http.get("/supervision/campagnes")
    assert "Lignes par agent (max)" in page.text
    assert 'name="lignes_par_agent"' in page.text
    for wrong in ("0,5", "12", "trois"):
        refused = await steer.http.post(
            f"/supervision/campagnes/{campaign_id}/rythme",
            data={
                "csrf": csrf,
                "mode": "predictive",
                "taux_abandon": "2,5",
                "lignes_par_agent": wrong,
            },
        )
        assert refused.status_code == 409, wrong
        assert "Lignes par agent (max) : " in refused.text
    lined = await steer.http.post(
        f"/supervision/campagnes/{campaign_id}/rythme",
        data={"csrf": csrf, "mode": "predictive", "taux_abandon": "2,5", "lignes_par_agent": "2,5"},
    )
    assert lined.status_code == 303
    assert steer.control.current.pacing.max_lines_per_agent == 2.5
    assert campaign_id is not None
    stored = await CampaignRepository(steer.sessions).get(campaign_id)
    assert stored.max_lines_per_agent == 2.5
    page = await steer.http.get("/supervision/campagnes")
    assert "lignes par agent ≤ 2.5" in page.text
    assert 'value="2.5"' in page.text
    latest, _first = await steer.audit("campaign.pacing")  # newest first
    assert latest.details["after"]["max_lines_per_agent"] == 2.5
    paused = await steer.http.post(
        f"/supervision/campagnes/{campaign_id}/pause", data={"csrf": csrf}
    )
    assert paused.status_code == 303
    assert steer.engine.dialing_enabled is False

    journal = await steer.http.get("/supervision/journal", params={"action": "campaign."})
    assert journal.status_code == 200
    rows = re.findall(r'<td data-action="(campaign\.[a-z_]+)">', journal.text)
    assert '<td data-action="campaign.pause">Campagne mise en pause</td>' in journal.text
    assert rows == [
        "campaign.pause",
        "campaign.pacing",
        "campaign.pacing",
        "campaign.start_from_alert",
    ]


@pytest.mark.asyncio
async def test_agents_page_forces_a_logout_and_an_administrator_resets_sip(
    steer: SteerRig,
) -> None:
    await ready_agent(steer.engine, "agent2")
    csrf = await log_in(steer.http, "admin")
    page = await steer.http.get("/supervision/agents")
    assert page.status_code == 200
    assert "Forcer la déconnexion" in page.text
    assert "Nouveaux identifiants SIP" in page.text
    out = await steer.http.post("/supervision/agents/agent2/deconnecter", data={"csrf": csrf})
    assert out.status_code == 303
    assert steer.engine.seats.get("agent2").state.value == "logged_out"
    sip = await steer.http.post("/supervision/agents/agent1/sip", data={"csrf": csrf})
    assert sip.status_code == 200
    assert "Nouveaux identifiants SIP de agent1" in sip.text
    actions = [(e.action, e.actor) for e in await steer.audit()]
    assert actions == [("agent.sip_reset", "admin"), ("agent.logout", "admin")]


@pytest.mark.asyncio
async def test_agents_and_operations_cannot_steer(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "agent1")
    assert (await steer.http.get("/supervision/campagnes")).status_code == 403
    refused = await steer.http.post(
        "/supervision/campagnes/alerte", data={"modele": "heatwave", "csrf": csrf}
    )
    assert refused.status_code == 403
    assert steer.control.attached_id is None
