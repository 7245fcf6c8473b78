"""Issue 17, campaign settings through the steering page
``/supervision/campagnes/{id}/reglages``: shown to the staff, changed by supervisors and
administrators (CSRF), bad values re-shown with the field's French name (422), a stale
form refused (409), every change in the audit log and taken up by the running campaign."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import CampaignRepository
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer
from tests.web.support import PASSWORD, fast_passwords

__all__ = ["steer"]


def page_path(steer: SteerRig) -> str:
    return f"/supervision/campagnes/{steer.world.campaign_id}/reglages"


def form(csrf: str, **changes: str) -> dict[str, str]:
    """The form as the page fills it for the seeded campaign, with ``changes``."""
    fields = {f"week_{day}": "09:00-19:00" for day in range(5)}
    fields |= {"week_5": "10:00-19:00", "week_6": "10:00-19:00", "holiday": "10:00-19:00"}
    fields |= {
        "csrf": csrf,
        "version": "1",
        "closed_dates": "",
        "open_dates": "",
        "max_attempts": "4",
        "cycle_length_h": "48",
        "busy_delay_min": "15",
        "no_answer_delay_min": "180",
        "machine_delay_min": "180",
        "answered_delay_min": "180",
        "failure_delay_min": "60",
        "min_gap_between_attempts_min": "10",
        "caller_id": "+33140000000",
        "ring_timeout_s": "",
        "questionnaire_version": "2",
    }
    return fields | changes


@pytest.mark.asyncio
async def test_the_supervisor_changes_the_settings_from_the_page(steer: SteerRig) -> None:
    await steer.control.start(steer.world.campaign_id, actor="superviseur")
    csrf = await log_in(steer.http, "superviseur")
    listing = await steer.http.get("/supervision/campagnes")
    assert f'href="{page_path(steer)}"' in listing.text
    page = await steer.http.get(page_path(steer))
    assert page.status_code == 200
    assert "Réglages en vigueur (version 1)" in page.text
    assert "Enregistrer les réglages" in page.text

    no_csrf = await steer.http.post(page_path(steer), data=form("x"))
    assert no_csrf.status_code == 403
    saved = await steer.http.post(
        page_path(steer),
        data=form(
            csrf,
            week_0="08:30-12:00, 14:00-18:30",
            week_6="",
            closed_dates="2026-07-14, 2026-08-15",
            open_dates="2026-11-11 10:00-12:00",
            busy_delay_min="7,5",
            answering_machine_detection="oui",
            caller_id="+33149000000",
            ring_timeout_s="25",
        ),
    )
    assert saved.status_code == 303, saved.text
    shown = await steer.http.get(saved.headers["location"])
    assert "Réglages de « Canicule 2026 » enregistrés (version 2)" in shown.text
    assert "08:30-12:00, 14:00-18:30" in shown.text
    assert re.search(r"Dimanche</th><td>fermé", shown.text)
    assert "2026-07-14, 2026-08-15" in shown.text
    assert "2026-11-11 : 10:00-12:00" in shown.text

    stored = await CampaignRepository(steer.sessions).get(steer.world.campaign_id)
    assert stored.retry_policy["busy_delay_s"] == 450
    assert (stored.answering_machine_detection, stored.caller_id) == (True, "+33149000000")
    assert (stored.ring_timeout_s, stored.settings_version) == (25, 2)
    current = steer.control.current
    assert current is not None
    assert current.queue.policy.busy_delay == timedelta(minutes=7.5)
    assert (steer.engine.caller_id, steer.engine.ring_timeout_s, steer.engine.amd) == (
        "+33149000000",
        25,
        True,
    )
    [entry] = await steer.audit("campaign.settings")
    assert entry.actor == "superviseur"
    assert entry.details["before"]["week"][6] == ["10:00-19:00"]
    assert entry.details["after"]["week"][6] == []
    journal = await steer.http.get(f"/supervision/journal?cible=campaign:{stored.id}")
    assert "Réglages de la campagne modifiés" in journal.text
    assert "rappel après occupé (min)" in journal.text

    stale = await steer.http.post(page_path(steer), data=form(csrf, max_attempts="2"))
    assert stale.status_code == 409
    assert "modifiés entre-temps" in stale.text


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"week_2": "19:00-09:00"}, "Plages de la semaine"),
        ({"week_2": "9h à 19h"}, "Plages de la semaine"),
        ({"holiday": "10:00-14:00, 12:00-19:00"}, "chevauche"),
        ({"closed_dates": "14/07/2026"}, "Dates fermées"),
        ({"open_dates": "2026-13-01 10:00-12:00"}, "Dates ouvertes"),
        ({"max_attempts": "0"}, "Tentatives au plus"),
        ({"busy_delay_min": "beaucoup"}, "Rappel après occupé (min)"),
        ({"ring_timeout_s": "3"}, "Durée de sonnerie (s)"),
        ({"caller_id": "<script>alert(1)</script>"}, "Numéro présenté"),
        ({"questionnaire_version": "9"}, "Version du questionnaire"),
        ({"version": "abc"}, "version"),
        ({"closed_dates": ", ".join(["2026-07-14"] * 401)}, "400 dates"),
        ({"week_0": ", ".join(["09:00-09:01"] * 13)}, "12 plages"),
    ],
)
@pytest.mark.asyncio
async def test_a_bad_value_is_shown_with_the_field_named(
    steer: SteerRig, changes: dict[str, str], shown: str
) -> None:
    csrf = await log_in(steer.http, "superviseur")
    response = await steer.http.post(page_path(steer), data=form(csrf, **changes))
    assert response.status_code == 422, response.text
    assert shown in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert await steer.audit("campaign.settings") == []


@pytest.mark.asyncio
async def test_who_sees_and_who_changes_the_settings(steer: SteerRig) -> None:
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    csrf = await log_in(steer.http, "exploitation")
    page = await steer.http.get(page_path(steer))
    assert page.status_code == 200
    assert "Réglages en vigueur" in page.text
    assert "Enregistrer les réglages" not in page.text
    refused = await steer.http.post(page_path(steer), data=form(csrf, max_attempts="2"))
    assert refused.status_code == 403

    steer.http.cookies.clear()
    csrf = await log_in(steer.http, "admin")
    saved = await steer.http.post(page_path(steer), data=form(csrf, max_attempts="2"))
    assert saved.status_code == 303

    steer.http.cookies.clear()
    await log_in(steer.http, "agent1")
    agent = await steer.http.get(page_path(steer))
    assert agent.status_code == 403


@pytest.mark.asyncio
async def test_an_emptied_ring_timeout_is_the_services_again(steer: SteerRig) -> None:
    csrf = await log_in(steer.http, "superviseur")
    saved = await steer.http.post(page_path(steer), data=form(csrf, ring_timeout_s="40"))
    assert saved.status_code == 303, saved.text
    stored = await CampaignRepository(steer.sessions).get(steer.world.campaign_id)
    assert stored.ring_timeout_s == 40
    emptied = await steer.http.post(page_path(steer), data=form(csrf, version="2"))
    assert emptied.status_code == 303, emptied.text
    stored = await CampaignRepository(steer.sessions).get(steer.world.campaign_id)
    assert (stored.ring_timeout_s, stored.settings_version) == (None, 3)
    shown = await steer.http.get(emptied.headers["location"])
    assert "30 (celle du service)" in shown.text
