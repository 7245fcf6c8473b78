"""The dashboard with two campaigns running at once, in headless Chromium (fake engine):
the list of campaigns, following a link to the other one's figures, and an unknown one."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer, RealClock
from tests.web.support import PASSWORD
from tests.web.test_dashboard_campaigns import two_campaigns

pytestmark = pytest.mark.browser


def test_the_supervisor_switches_between_two_campaigns(
    live_server: LiveServer, browser: Browser
) -> None:
    server = live_server
    heatwave, flood = server.call(
        lambda: two_campaigns(server.sessions, server.world, RealClock(), server.desk)
    )
    page = browser.new_page()
    login(page, "superviseur", PASSWORD)
    page.goto("/tableau-de-bord")  # the default: the most recent, the flood
    page.wait_text("#entonnoir-attempted", "0")
    assert "Inondation Bas-Quartier" in page.text("#campagne")
    page.find(f'#campagnes li[data-campagne="{heatwave}"] a').click()
    page.wait(
        lambda: page.path() == f"/tableau-de-bord?campagne={heatwave}", what="the heatwave's page"
    )
    page.wait_text("#entonnoir-complete", "1")
    assert "Canicule 2026" in page.text("#campagne")
    assert page.text(f'#campagnes li[data-campagne="{heatwave}"] strong') == "Canicule 2026"
    page.wait_text("#rythme-campagne", "42")  # its pacing figures, from the engine
    assert page.js("return document.getElementById('tableau').dataset.connecte") == "oui"
    page.find(f'#campagnes li[data-campagne="{flood}"] a').click()
    page.wait(lambda: page.path() == f"/tableau-de-bord?campagne={flood}", what="the flood's")
    page.wait_text("#entonnoir-attempted", "0")
    assert "Inondation Bas-Quartier" in page.text("#campagne")
    assert not page.find("#rythme-campagne").is_displayed()  # not paced by the engine yet
    page.goto("/tableau-de-bord?campagne=987654")
    assert "ni en cours ni en pause" in page.text("body")
    errors = [
        entry
        for entry in page.driver.get_log("browser")  # type: ignore[no-untyped-call]
        if entry["level"] == "SEVERE"
        and "favicon" not in entry["message"]
        and "404" not in entry["message"]
    ]
    assert errors == []
