"""Issue 17: the page of the agents' campaigns (/supervision/agents/campagnes) in headless
Chromium. A supervisor makes an agent serve a campaign with a priority, changes that
priority, then ends it; each change is shown on the page and stored (the engine follows
the stored service)."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.support.select import Select

from dialer.storage.agent_campaigns import AgentCampaignRepository
from tests.browser.helpers import Browser, Page, login, require_chromium
from tests.browser.test_campaign_settings import SteeringServer
from tests.web.support import PASSWORD

pytestmark = pytest.mark.browser
PAGE = "/supervision/agents/campagnes"


def assign(page: Page, agent: str, campaign_id: int, priority: str) -> None:
    Select(page.find('select[name="agent"]')).select_by_value(agent)
    Select(page.find('select[name="campagne"]')).select_by_value(str(campaign_id))
    field = page.find('input[name="priorite"]')
    field.clear()
    field.send_keys(priority)
    page.find('form[action="/supervision/agents/campagnes"] button[type=submit]').click()


def test_the_supervisor_serves_reprioritises_and_unserves_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    server = SteeringServer(tmp_path).start()
    browser = Browser(server.base_url)
    campaign_id = server.world.campaign_id

    def stored() -> list[tuple[str, int, int]]:
        async def read() -> list[tuple[str, int, int]]:
            rows = await AgentCampaignRepository(server.sessions).all()
            return [(r.agent, r.campaign_id, r.priority) for r in rows]

        return server.call(read)

    try:
        page = browser.new_page()
        login(page, "superviseur", PASSWORD)
        page.goto(PAGE)
        page.wait_text("h1", "Campagnes des agents")
        row = 'tr[data-agent="agent1"]'
        assert "Toutes les campagnes en cours" in page.text(row)

        assign(page, "agent1", campaign_id, "5")
        page.wait_text("p.succes", "agent1 sert")
        assert "(priorité 5)" in page.text("p.succes")
        served = f'{row} span[data-campagne="{campaign_id}"]'
        assert page.text(served).endswith("priorité 5")
        assert stored() == [("agent1", campaign_id, 5)]

        assign(page, "agent1", campaign_id, "9")  # the same campaign: its priority changes
        page.wait_text("p.succes", "(priorité 9)")
        assert page.text(served).endswith("priorité 9")
        assert stored() == [("agent1", campaign_id, 9)]

        # out of range: the browser refuses it; sent anyway, the server names the field
        assign(page, "agent1", campaign_id, "500")
        assert "(priorité 9)" in page.text("p.succes")
        page.js('document.querySelector(\'form[action="/supervision/agents/campagnes"]\')'
                ".noValidate = true")  # fmt: skip
        page.find('form[action="/supervision/agents/campagnes"] button[type=submit]').click()
        page.wait_text("p.erreur", "priorit")
        assert stored() == [("agent1", campaign_id, 9)]

        page.goto(PAGE)
        page.wait_text("h1", "Campagnes des agents")
        page.find(f"{row} form.en-ligne button[type=submit]").click()
        page.wait_text("p.succes", f"agent1 ne sert plus la campagne {campaign_id}")
        assert "Toutes les campagnes en cours" in page.text(row)
        assert stored() == []
    finally:
        browser.close()
        server.stop()
