"""The « Orienter » panel in a real browser: on a veille-sociale call, ticking a need at
the second level offers the directory's resources for it (the household's district's
first); the caller records an appointment (a missing date is refused, named) and
schedules the follow-up, which is stored as their own call-back."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.clock import utcnow
from dialer.core.windows import PARIS
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES
from dialer.storage.database import transaction
from dialer.storage.models import Callback
from tests.browser.helpers import Browser, Page
from tests.browser.live_server import LiveServer
from tests.browser.test_agent_screen import agent_ready, pop_a_call
from tests.needs_scene import volunteer_cycle
from tests.web.test_orientation import directory

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    questionnaires = tmp_path / "questionnaires"
    questionnaires.mkdir()
    shutil.copy(SHIPPED_QUESTIONNAIRES / "veille_sociale.yaml", questionnaires)
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()


def local_input(days: int, hour: int) -> str:
    """A ``datetime-local`` value, ``days`` from now at ``hour`` in Paris."""
    moment = (utcnow() + timedelta(days=days)).astimezone(PARIS)
    return moment.replace(hour=hour, minute=30, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def on_a_veille_call(browser: Browser, server: LiveServer) -> Page:
    """agent1's screen on a call to Jeanne in a veille-sociale campaign (the directory of
    resources imported)."""

    async def prepare() -> None:
        await directory(server.sessions)
        campaign, cycle = await volunteer_cycle(
            server.sessions, "Veille sociale", utcnow() - timedelta(hours=1), days=7
        )
        server.world = dataclasses.replace(server.world, campaign_id=campaign, cycle_id=cycle)

    server.call(prepare)
    page = browser.new_page()
    agent_ready(page, server)
    pop_a_call(page, server, server.world.jeanne_id)
    return page


def test_a_caller_orients_a_household_and_schedules_its_follow_up(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    page = on_a_veille_call(browser, server)
    page.wait(lambda: page.find("#r-besoins-alimentation").is_displayed(), what="second level")
    page.find("#r-besoins-alimentation").click()
    page.wait_text("#orienter-besoins", "alimentation")
    assert page.find("#orienter").is_displayed()
    options = page.wait(
        lambda: [
            o.text for o in page.driver.find_elements("css selector", "#orienter-ressource option")
        ],
        what="resources offered",
    )
    assert options == ["Épicerie solidaire Nord (Nord)", "Banque alimentaire (Ville)"]

    page.find('input[name="orienter-mode"][value="rendez_vous"]').click()
    assert page.find("#orienter-rdv").is_displayed()
    page.find("#orienter-enregistrer").click()
    page.wait_text("#orienter-message", "appointment_at")  # no date: refused, named
    page.js(f"document.getElementById('orienter-rdv').value = '{local_input(3, 14)}'")
    page.find("#orienter-note").send_keys("apporter une pièce d'identité")
    page.find("#orienter-enregistrer").click()
    page.wait_text("#orienter-message", "Orientation enregistrée.")
    page.wait_text("#orienter-faites", "Épicerie solidaire Nord — alimentation — Rendez-vous pris")

    page.js(f"document.getElementById('suivi-date').value = '{local_input(2, 10)}'")
    page.find("#suivi-programmer").click()
    page.wait_text("#orienter-message", "Suivi programmé le")

    async def callbacks() -> list[tuple[str | None, bool]]:
        async with transaction(server.sessions) as session:
            return [(c.agent, c.done) for c in await session.scalars(select(Callback))]

    assert server.call(callbacks) == [("agent1", False)]
