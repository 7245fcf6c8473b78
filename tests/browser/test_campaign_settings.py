"""Issue 17: the campaign's settings page in headless Chromium. A supervisor opens it from
the campaigns list, changes calling windows, a retry delay, the answering-machine
detection and the ring timeout, and sees them in force; a bad interval comes back with the
field named and the form kept; the change is in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.campaigns.template_files import shipped_templates
from dialer.engine.engine import DialingEngine
from dialer.service import start_serving
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.database import transaction
from dialer.storage.models import Campaign
from dialer.testing import FakeNode
from dialer.web.app import create_app
from tests.browser.helpers import Browser, login, require_chromium
from tests.browser.live_server import LiveServer, RealClock
from tests.web.support import (
    PASSWORD,
    SECRET_KEY,
    catalog_in,
    fast_passwords,
    open_database,
    seed,
)

pytestmark = pytest.mark.browser


class SteeringServer(LiveServer):
    """The live server with the service's campaign control (a fake telephony node)."""

    async def _serve(self) -> None:
        clock = RealClock()
        self.engine, self.sessions = await open_database(self.directory / "browser.db")
        self.world = await seed(self.sessions, now=clock())
        heatwave = shipped_templates().get("heatwave")
        async with transaction(self.sessions) as session:
            campaign = await session.get(Campaign, self.world.campaign_id)
            assert campaign is not None
            campaign.calling_windows = windows_to_json(heatwave.windows)
            campaign.retry_policy = policy_to_json(heatwave.policy)
        engine = DialingEngine(
            nodes=[FakeNode()], attempt_log=StoredAttemptLog(self.sessions), clock=clock
        )
        control = CampaignControl(self.sessions, engine, clock=clock)
        app = create_app(
            sessions=self.sessions,
            engine=engine,
            questionnaires=catalog_in(self.directory / "questionnaires"),
            secret_key=SECRET_KEY,
            clock=clock,
            secure_cookies=False,
            passwords=fast_passwords(),
            control=control,
        )
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        serving = await start_serving(self.server)
        self.ready.set()
        try:
            await serving
        finally:
            await self.engine.dispose()


def test_the_supervisor_edits_the_settings_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    server = SteeringServer(tmp_path).start()
    browser = Browser(server.base_url)
    try:
        page = browser.new_page()
        login(page, "superviseur", PASSWORD)
        page.goto("/supervision/campagnes")
        page.find(f'a[href="/supervision/campagnes/{server.world.campaign_id}/reglages"]').click()
        page.wait(lambda: page.path().endswith("/reglages"), what="the settings page")
        page.wait_text("main", "Réglages en vigueur (version 1)")

        monday = page.find("#week_0")
        monday.clear()
        monday.send_keys("08:30-12:00, 14:00-18:30")
        sunday = page.find("#week_6")
        sunday.clear()
        page.find("#closed_dates").send_keys("2026-07-14")
        busy = page.find("#busy_delay_min")
        busy.clear()
        busy.send_keys("5")
        page.find("#answering_machine_detection").click()
        ring = page.find("#ring_timeout_s")
        ring.clear()
        ring.send_keys("40")
        page.find("#formulaire-reglages button[type=submit]").click()
        page.wait_text("p.succes", "enregistrés (version 2)")
        table = page.text("#reglages-actuels")
        assert "08:30-12:00, 14:00-18:30" in table
        assert "Dimanche fermé" in table
        assert "2026-07-14" in table
        assert "Détection des répondeurs oui" in table
        assert "Durée de sonnerie (s) 40" in table

        tuesday = page.find("#week_1")
        tuesday.clear()
        tuesday.send_keys("19:00-08:00")
        page.find("#formulaire-reglages button[type=submit]").click()
        page.wait_text("p.erreur", "Plages de la semaine")
        assert "le début doit précéder la fin" in page.text("p.erreur")
        assert "version 2" in page.text("h2#titre-actuels")

        async def stored() -> tuple[object, ...]:
            campaign = await CampaignRepository(server.sessions).get(server.world.campaign_id)
            return (
                campaign.settings_version,
                campaign.ring_timeout_s,
                campaign.answering_machine_detection,
                campaign.retry_policy["busy_delay_s"],
            )

        assert server.call(stored) == (2, 40, True, 300)
        page.goto(f"/supervision/journal?cible=campaign:{server.world.campaign_id}")
        assert "Réglages de la campagne modifiés" in page.text("main")
    finally:
        browser.close()
        server.stop()
