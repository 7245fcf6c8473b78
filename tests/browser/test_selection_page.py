"""Issue 17: a campaign's selection page in headless Chromium. A supervisor ticks a list
and types a minimal age: the count of people selected is shown, recounted before anything
is saved; saved, it stays on the page above the start button (the opposed person of the
list is never counted)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dialer.core.phones import PhoneKind
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.storage.people import PersonRecord, PhoneRecord
from dialer.storage.person_data import Actor
from dialer.storage.register_entries import RegisterEntries
from dialer.storage.selection import campaign_selection
from tests.browser.helpers import Browser, login, require_chromium
from tests.browser.test_campaign_settings import SteeringServer
from tests.web.support import PASSWORD

pytestmark = pytest.mark.browser
BORN = {"ISO-1": date(1940, 5, 1), "ISO-2": date(1980, 5, 1), "ISO-3": date(1935, 5, 1)}


def test_the_selection_page_counts_before_the_start_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    server = SteeringServer(tmp_path).start()
    browser = Browser(server.base_url)

    async def isolated() -> None:
        entries = RegisterEntries(server.sessions)
        for number, (key, born) in enumerate(BORN.items()):
            record = PersonRecord(
                external_id=key,
                last_name="Isolé",
                birth_date=born,
                phones=[PhoneRecord(f"+3314599000{number}", PhoneKind.LANDLINE)],
            )
            await entries.put(
                record, actor=Actor("test", ""), now=datetime.now(UTC), list_name="isolés"
            )
        await PersonHolds(server.sessions).oppose(
            [OppositionRequest("ISO-3", "ne plus appeler")], actor="test", now=datetime.now(UTC)
        )

    try:
        server.call(isolated)
        page = browser.new_page()
        login(page, "superviseur", PASSWORD)
        page.goto(f"/supervision/selections/{server.world.campaign_id}")
        page.wait_text("h1", "Qui la campagne")
        everyone = int(page.text("#effectif-nombre"))
        assert everyone >= 2
        page.find('input[name="lists"][value="isolés"]').click()
        page.wait(lambda: page.text("#effectif-nombre") == "2", what="the list's count")
        page.find("#min_age").send_keys("65")
        page.wait(lambda: page.text("#effectif-nombre") == "1", what="the 65+ count")
        page.find("#selection button[type=submit]").click()
        page.wait_text("p.succes", "Sélection enregistrée : 1 personne(s)")
        assert page.text("#effectif-nombre") == "1"
        assert page.find("#demarrer").is_displayed()

        async def stored() -> tuple[object, ...]:
            selection = await campaign_selection(server.sessions, server.world.campaign_id)
            return selection.lists, selection.min_age

        assert server.call(stored) == (("isolés",), 65)
    finally:
        browser.close()
        server.stop()
