"""A trained volunteer whose line is their own phone (issue 21: « browser phone or own
phone »; the own line of issue 20) calls a household in preview, on the rig, in Chromium:
the whole service (``running_service``) on the real Asterisk, sipp playing both the
household and the volunteer's own phone on the trunk.

The set-up is the volunteer calls' (:mod:`tests.asterisk.volunteer_rig`: consents imported,
the volunteer trained, with no SIP account); the supervisor plans the campaign, entrusts
the household to the volunteer and the plan keeper opens it. The volunteer opens their
desk, chooses « Mon téléphone » and its number on their profile page (« Mon téléphone » in
the menu), then « M'appeler sur mon téléphone »: the engine calls that number through the
trunk, the phone answers and presses 1, the volunteer is paused with their line up. Ready,
offered the household, « Appeler »: the household answers and is joined to the own phone's
leg in one Asterisk bridge. They answer both levels, hang up and validate the sheet; the
line stays up. The ledger: one preview call, the volunteer's, answered and bridged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from selenium.webdriver.support.select import Select

from dialer.core.attempts import AttemptKind, Disposition
from dialer.core.outcomes import CallOutcome
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.service import Service
from dialer.settings import Settings
from dialer.storage.models import Attempt
from dialer.telephony.ami import AmiClient
from tests.asterisk import volunteer_rig as steps
from tests.asterisk.test_agent_screen_e2e import hang_up
from tests.asterisk.test_selection_never_dials_held import dialled
from tests.asterisk.volunteer_rig import VOLUNTEER, channels
from tests.browser.helpers import Browser, Page, require_chromium

pytestmark = pytest.mark.browser

#: the volunteer's own phone: answers after 1 s, presses 1, stays on the line 2 minutes
OWN_PHONE = SimulatedCallee(CalleeBehaviour.PRESSES_1, ring_s=1, talk_s=120, serial=94)
#: the own phone's leg (its channel's unique id starts so)
OWN_LEG = f"agentleg-{VOLUNTEER}-"


def own_phone_connects(page: Page) -> None:
    """« Mon téléphone » in the menu: the profile page, « Mon téléphone » and its number;
    back on the call screen, « M'appeler sur mon téléphone »: the phone answers, presses 1
    and the volunteer is paused, their line up."""
    page.find("nav a[href='/agent/profil']").click()
    page.wait(lambda: page.path() == "/agent/profil", what="the profile page")
    page.find("#ligne-telephone").click()
    page.find("#numero").send_keys(OWN_PHONE.number)
    page.find("#enregistrer-ligne").click()
    page.wait_text("#ligne-enregistree", "Votre choix est enregistré")
    page.find("nav a[href='/agent']").click()
    page.wait(lambda: page.path() == "/agent", what="call screen")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    assert "M'appeler sur mon téléphone" in page.text("#connecter-telephone")
    page.find("#connecter-telephone").click()
    page.wait_text("#message", "Appel en cours vers votre téléphone")
    page.wait_text("#etat", "En pause", timeout=40)
    page.wait_text("#message", "Votre téléphone est votre ligne")


def until_joined(browser: Browser) -> tuple[Page, str]:
    supervisor = browser.new_page()
    steps.supervisor_plans(supervisor)
    steps.plan_opened(supervisor)
    page = browser.new_page()
    steps.open_the_call_screen(page)
    own_phone_connects(page)
    offered, _ = steps.call_the_offered_household(page)
    return page, offered


def sheet_validated(page: Page) -> None:
    steps.answer_both_levels(page)
    hang_up(page)
    Select(page.find("#issue")).select_by_value(Disposition.COMPLETE.value)
    page.find("#valider").click()
    page.wait_text("#message", "Fiche validée")
    page.wait_text("#etat", "Disponible")


async def placed_calls(service: Service) -> list[Attempt]:
    """The placed calls to the household, once the ledger has their outcome."""
    async with asyncio.timeout(10):
        while True:
            placed = [a for a in (await dialled(service.sessions))["VS1"] if a.placed_at]
            if placed and all(a.outcome is not None for a in placed):
                return placed
            await asyncio.sleep(0.2)


@pytest.mark.asyncio
async def test_a_trained_volunteer_calls_a_household_from_their_own_phone(
    rig_settings: Settings, rig: Rig, ami: AmiClient, tmp_path: Path
) -> None:
    require_chromium()
    settings = steps.service_settings(rig_settings, tmp_path)
    await steps.prepare_households(settings, tmp_path, {VOLUNTEER: None})
    browser = Browser("")
    try:
        async with steps.service_on(rig, settings) as service:
            browser.base_url = service.url
            page, offered = await asyncio.to_thread(until_joined, browser)
            joined = await channels(ami)
            await asyncio.to_thread(sheet_validated, page)
            after = await channels(ami)
            placed = await placed_calls(service)
    finally:
        await asyncio.to_thread(browser.close)

    assert offered.startswith("Hélène LEFÈVRE"), offered
    # the household and the volunteer's own phone (both on the trunk) in one bridge
    own = [c for c in joined if c["uniqueid"].startswith(OWN_LEG)]
    households = [c for c in joined if c["uniqueid"] == str(placed[0].id)]
    assert len(own) == len(households) == 1, joined
    assert own[0]["bridge"], joined
    assert own[0]["bridge"] == households[0]["bridge"], joined
    assert own[0]["state"] == households[0]["state"] == "Up"
    # the call over, the line stays up
    assert [c["uniqueid"] for c in after if c["uniqueid"].startswith(OWN_LEG)] == [
        own[0]["uniqueid"]
    ]
    assert len(placed) == 1, placed
    call = placed[0]
    assert (call.kind, call.agent, call.outcome) == (
        AttemptKind.PREVIEW,
        VOLUNTEER,
        CallOutcome.ANSWERED,
    )
    assert call.bridged_at is not None
