"""The « Retrait de l'accord » of a veille-sociale call in a real browser: a trained
volunteer on a call with a consenting household opens it, is told to say who asked
(refused, the field named), says it is a relative, leaves the emergency box unticked and
confirms; the household's regular calls are withdrawn (on the phone, by the relative,
recorded by the volunteer, audited), its emergency consent stays and no opposition is
recorded; a follow-up booked after it is refused, the field named. The engine's side is
the fake desk."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dialer.clock import utcnow
from dialer.core.attempts import AttemptKind
from dialer.core.consent import ConsentPurpose, may_be_called
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer
from tests.browser.test_agent_screen import pop_a_call
from tests.browser.test_orientation_screen import live_server, local_input
from tests.needs_scene import volunteer_cycle
from tests.web.support import PASSWORD
from tests.web.test_call_consent_withdrawal import ANA, volunteer_and_consent

pytestmark = pytest.mark.browser
__all__ = ["live_server"]


def test_a_volunteer_withdraws_the_households_consent_from_their_screen(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    sessions = server.sessions

    async def prepare() -> str:
        campaign, cycle = await volunteer_cycle(
            sessions, "Veille sociale", utcnow() - timedelta(hours=1), days=7
        )
        server.world = dataclasses.replace(server.world, campaign_id=campaign, cycle_id=cycle)
        return await volunteer_and_consent(sessions, server.world.jeanne_id, utcnow())

    external_id = server.call(prepare)
    page = browser.new_page()
    login(page, ANA, PASSWORD)
    assert page.path() == "/benevole"
    page.find("form[action='/benevole/poste'] button").click()
    page.wait_text("main", "Poste ouvert")
    page.goto("/agent")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    page.find("#connecter-telephone").click()
    page.wait_text("#etat", "En pause")
    page.find("#disponible").click()
    page.wait_text("#etat", "Disponible")
    pop_a_call(page, server, server.world.jeanne_id, agent=ANA, kind=AttemptKind.PREVIEW)

    page.wait(lambda: page.find("#retrait-accord").is_displayed(), what="withdrawal shown")
    assert not page.find("#form-retrait").is_displayed()
    page.find("#retrait-ouvrir").click()
    assert page.find("#retrait-reguliers").is_selected()
    assert not page.find("#retrait-urgence").is_selected()
    page.find("#retrait-confirmer").click()
    page.wait_text("#retrait-message", "on_behalf_of")  # who asked: refused, named
    page.find('input[name="retrait-qui"][value="relative"]').click()
    page.find("#retrait-confirmer").click()
    page.wait_text("#retrait-message", "Retrait de l'accord enregistré.")
    assert "Il reste dans les campagnes d'urgence." in page.text("#retrait-message")
    assert not page.find("#form-retrait").is_displayed()
    # the same call books no follow-up any more: refused, the field named
    page.wait(lambda: page.find("#orienter").is_displayed(), what="orientation shown")
    page.js(f"document.getElementById('suivi-date').value = '{local_input(2, 10)}'")
    page.find("#suivi-programmer").click()
    page.wait_text("#orienter-message", "retiré son accord aux appels réguliers")
    assert "« at »" in page.text("#orienter-message")

    async def stored() -> tuple[bool, bool, int, list[tuple[str, str]]]:
        history = await ConsentRegistry(sessions).history(external_id)
        consents = [row.consent() for row in history]
        now = utcnow()
        async with transaction(sessions) as session:
            holds = int(await session.scalar(select(func.count()).select_from(PersonHold)) or 0)
        entries = await AuditLog(sessions).search(AuditFilter(action="consent.withdrawn"))
        return (
            may_be_called(consents, ConsentPurpose.REGULAR_CALLS, now),
            may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, now),
            holds,
            [(e.actor, e.details["on_behalf_of"]) for e in entries],
        )

    assert server.call(stored) == (False, True, 0, [(ANA, "relative")])
