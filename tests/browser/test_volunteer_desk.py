"""The volunteer's desk in a real browser: a trained volunteer opens their desk, goes to
the call screen, is offered a veille-sociale household (its first name, name and earlier
debrief; no address), calls it, writes the debrief with « situation à signaler » and asks
for help after the call; their coordinator sees both on the activity page and answers;
the answer shows on the volunteer's desk. The engine's side is the fake desk."""

from __future__ import annotations

from datetime import date

import pytest

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer
from tests.web.support import PASSWORD, fast_passwords
from tests.web.test_volunteer_desk import ANA, _call, _placed, _veille_cycle

pytestmark = pytest.mark.browser


def test_a_volunteer_calls_debriefs_asks_for_help_and_is_answered(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    sessions, clock = server.sessions, server.desk.clock

    async def scene() -> int:
        await create_account(
            sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
            passwords=fast_passwords(),
        )  # fmt: skip
        await VolunteerRoster(sessions).train(
            ANA, trained_by="superviseur", trained_on=date(2026, 1, 5), actor="t", now=clock()
        )
        _, cycle_id = await _veille_cycle(sessions, clock)
        earlier = await _call(sessions, cycle_id, server.world.jeanne_id, clock)
        await _placed(sessions, earlier, clock)
        await VolunteerCalls(sessions).write_debrief(
            earlier, ANA, "Contente de l'appel, voit peu ses enfants", flagged=False, now=clock()
        )
        return cycle_id

    cycle_id = server.call(scene)
    page = browser.new_page()
    login(page, ANA, PASSWORD)
    assert page.path() == "/benevole"
    page.find("form[action='/benevole/poste'] button").click()
    page.wait_text("main", "Poste ouvert")
    page.find("#ecran-appel").click()
    page.wait(lambda: page.path() == "/agent", what="call screen")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    page.find("#connecter-telephone").click()
    page.wait_text("#etat", "En pause")
    page.find("#disponible").click()
    page.wait_text("#etat", "Disponible")

    async def offer() -> str:
        attempt_id = await _call(sessions, cycle_id, server.world.jeanne_id, clock)
        await server.desk.offer(ANA, attempt_id)
        return attempt_id

    attempt_id = server.call(offer)
    page.wait_text("#nom-personne", "Jeanne DUPONT")
    assert "Lilas" not in page.text("#personne")  # no address, no health flags
    shown = page.js("return document.getElementById('historique-contenu').textContent")
    assert "Contente de l'appel, voit peu ses enfants" in str(shown)
    page.find("#appeler").click()
    page.wait(lambda: server.desk.called == [attempt_id], what="called")
    server.call(lambda: _placed(sessions, attempt_id, clock))

    page.goto("/benevole")
    page.find(f"#bilan-{attempt_id}").send_keys("Isolée, souhaite de l'aide pour ses courses")
    page.find(f"#appel-{attempt_id} input[name='signaler']").click()
    page.find(f"#appel-{attempt_id} form[action$='/bilan'] button").click()
    page.wait_text(".info", "Bilan enregistré : situation signalée")
    page.find(f"#appel-{attempt_id} form[action$='/aide'] button").click()
    page.wait_text(".info", "Demande d'aide envoyée")

    coordinator = browser.new_page()
    login(coordinator, "superviseur", PASSWORD)
    coordinator.goto("/supervision/benevoles/activite")
    assert "Isolée, souhaite de l'aide pour ses courses" in coordinator.text("main")
    assert "Situation signalée" in coordinator.text("main")
    coordinator.find(".demande-aide textarea").send_keys("Je vous rappelle tout de suite")
    coordinator.find(".demande-aide button").click()
    coordinator.wait_text(".info", "Réponse à la demande d'aide envoyée")

    page.goto("/benevole")
    page.wait_text(f"#appel-{attempt_id}", "Je vous rappelle tout de suite")
