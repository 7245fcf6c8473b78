"""The transfer buttons of the agent's page in a real browser: on a call the numbers
offered appear (settings and the record's relative), « Transfert accompagné » starts a
warm transfer (a fake telephony node whose third party answers), « Réunir les trois »
brings the person in, « Laisser la personne avec le tiers » hands over and the agent's
call ends for them."""

from __future__ import annotations

import pytest

from dialer.desk.transfers import Transfers
from dialer.settings import TransferSettings
from dialer.web.transfers import configure_transfers
from tests.browser.helpers import Browser
from tests.browser.live_server import LiveServer
from tests.browser.test_agent_screen import agent_ready, pop_a_call
from tests.web.transfer_support import FakeCloser, FakeTransferNode

pytestmark = pytest.mark.browser


def test_an_agent_transfers_a_call_warm_from_the_page(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    node, closer = FakeTransferNode(), FakeCloser()
    service = Transfers(
        server.sessions,
        TransferSettings(numbers={"SAMU (15)": "15"}),
        desk=server.desk,
        port=node,
        closer=(closer, node),  # type: ignore[arg-type]
        caller_id="",
        clock=server.desk.clock,
        watch_s=0.05,
    )

    async def install() -> None:
        configure_transfers(server.app, service)
        await service.start()

    server.call(install)
    page = browser.new_page()
    agent_ready(page, server)
    assert not page.find("#transfert").is_displayed()
    attempt_id, _ = pop_a_call(page, server, server.world.jeanne_id)
    node.alive.add(attempt_id)
    page.wait(lambda: page.find("#transfert").is_displayed(), what="the transfer section")
    options = page.wait(
        lambda: page.js(
            "return [...document.querySelectorAll('#numero-transfert option')]"
            ".map((o) => o.textContent)"
        ),
        what="the numbers offered",
    )
    assert options == [
        "SAMU (15) — 15",
        "Proche : Paul Dupont (fils) — +33612345678",
        "Astreinte : Équipe Nord — +33100000001",  # the team of Jeanne's district
    ]
    assert not page.find("#numero-libre-zone").is_displayed()

    page.find("#transfert-accompagne").click()
    page.wait_text("#etat-transfert", "Transfert accompagné vers 15 : Vous parlez au tiers")
    assert node.steps[0] == ("hold", attempt_id, "leg-agent1", "hold")
    assert page.find("#transfert-accompagne").get_attribute("disabled") is not None
    page.find("#transfert-joindre").click()
    page.wait_text("#etat-transfert", "Conférence à trois")
    assert ("room", attempt_id) in node.steps
    page.find("#transfert-quitter").click()
    page.wait_text("#etat-transfert", "Personne transférée")
    assert closer.ended == [attempt_id]
    assert ("agent back", "leg-agent1") in node.steps
    server.call(service.stop)
