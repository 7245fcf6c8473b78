"""The dashboard page in headless Chromium (fake engine): it fills in from the WebSocket,
follows the agents' states, and runs under the strict CSP without a violation."""

from __future__ import annotations

import os

import pytest

from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer, RealClock
from tests.web.support import PASSWORD
from tests.web.test_dashboard import a_complete_call, run_campaign

pytestmark = pytest.mark.browser


def test_the_dashboard_fills_in_and_follows_the_agents(
    live_server: LiveServer, browser: Browser
) -> None:
    server = live_server
    server.call(lambda: run_campaign(server.sessions, server.world))

    async def one_call() -> None:
        await a_complete_call(server.sessions, server.world, RealClock(), server.world.jeanne_id)

    server.call(one_call)
    page = browser.new_page()
    login(page, "superviseur", PASSWORD)
    page.goto("/tableau-de-bord")
    page.wait_text("#entonnoir-complete", "1")
    assert page.text("#entonnoir-attempted") == "1"
    assert page.text("#contacts-utiles") == "1"
    assert page.text("#agents-ready") == "0"
    assert "Canicule 2026" in page.text("#campagne")

    async def agent_ready() -> None:
        await server.desk.log_in("agent1", "agent-1001")
        server.desk.go_ready("agent1")

    server.call(agent_ready)
    page.wait_text("#agents-ready", "1", timeout=5)
    assert page.js("return document.getElementById('tableau').dataset.connecte") == "oui"
    meter = page.js("return document.querySelector('[data-barre=\"funnel.complete\"]').value")
    assert meter == 1
    if os.environ.get("DIALER_SCREENSHOTS"):
        page.driver.save_screenshot(os.environ["DIALER_SCREENSHOTS"])
    errors = [
        entry
        for entry in page.driver.get_log("browser")  # type: ignore[no-untyped-call]
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]
    assert errors == []
