"""« Mon téléphone » in a real browser: the agent chooses their own phone on the profile
page, the screen's button calls it (the engine's side is the fake desk: the phone answers
and 1 is pressed), and when the line drops the screen says so and offers to call again."""

from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentState
from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer
from tests.web.support import PASSWORD

pytestmark = pytest.mark.browser


def test_the_agent_chooses_their_phone_is_called_and_is_offered_a_new_call_when_it_drops(
    browser: Browser, live_server: LiveServer
) -> None:
    page = browser.new_page()
    login(page, "agent1", PASSWORD)
    page.goto("/agent/profil")
    page.find("#ligne-telephone").click()
    page.find("#numero").send_keys("06 12 34 56 78")
    page.find("#enregistrer-ligne").click()
    page.wait_text("#ligne-enregistree", "Votre choix est enregistré")
    page.goto("/agent")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    button = page.find("#connecter-telephone")
    assert "M'appeler sur mon téléphone (06 12 34 56 78)" in button.text
    button.click()
    page.wait_text("#etat", "En pause")
    page.wait_text("#message", "Votre téléphone est votre ligne")
    assert live_server.desk.own_phones_called == [("agent1", "+33612345678")]

    async def line_drops() -> None:
        live_server.desk.seats.phone_lost("agent1", live_server.desk.clock())
        await live_server.screens.phone_lost("agent1")

    live_server.call(line_drops)
    page.wait_text("#message", "Votre ligne est coupée")
    page.wait(lambda: page.find("#connecter-telephone").is_displayed(), what="call again")
    assert page.find("#message").get_attribute("class") == "erreur"
    page.find("#connecter-telephone").click()
    page.wait_text("#etat", "En pause")
    assert len(live_server.desk.own_phones_called) == 2
    assert live_server.desk.seats.get("agent1").state is AgentState.PAUSED
