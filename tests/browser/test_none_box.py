"""One « none » box in Chromium: on a veille-sociale call, « besoins » shows the
questionnaire's own « Rien de particulier » and no « Aucun de ceux-ci » of the screen;
ticking it unticks the needs, ticking a need unticks it, and the sheet keeps « aucun »
alone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dialer.storage.call_sheet_rows import Answer
from dialer.storage.database import transaction
from tests.browser.helpers import Browser
from tests.browser.live_server import LiveServer
from tests.browser.test_orientation_screen import live_server, on_a_veille_call

pytestmark = pytest.mark.browser
__all__ = ["live_server"]  # the live server with the shipped veille-sociale questionnaire


def test_besoins_shows_one_none_box_ticked_alone(browser: Browser, live_server: LiveServer) -> None:
    server = live_server
    page = on_a_veille_call(browser, server)
    page.wait(lambda: page.find("#r-besoins-aucun").is_displayed(), what="« besoins »")
    labels = page.js(
        "return Array.from(document.querySelectorAll('#q-besoins label'))"
        ".map((l) => l.textContent.trim())"
    )
    assert isinstance(labels, list)
    assert labels[0] == "Rien de particulier"
    assert "Aucun de ceux-ci" not in labels
    assert not page.driver.find_elements("css selector", "#r-besoins-aucun-de-ceux-ci")

    def ticked() -> list[str]:
        found = page.js(
            "return Array.from(document.querySelectorAll('#q-besoins input:checked'))"
            ".map((i) => i.value)"
        )
        assert isinstance(found, list)
        return [str(value) for value in found]

    page.find("#r-besoins-alimentation").click()
    page.find("#r-besoins-logement").click()
    assert ticked() == ["alimentation", "logement"]
    page.find("#r-besoins-aucun").click()
    assert ticked() == ["aucun"]
    page.find("#r-besoins-sante").click()
    assert ticked() == ["sante"]
    page.find("#r-besoins-aucun").click()
    assert ticked() == ["aucun"]

    async def saved() -> object:
        async with transaction(server.sessions) as session:
            value = await session.scalar(
                select(Answer.value).where(Answer.question_id == "besoins")
            )
        return json.loads(value) if isinstance(value, str) else value

    assert page.wait(lambda: server.call(saved) == ["aucun"], what="« aucun » saved alone")
    assert not page.find("#q-sante_suivi").is_displayed()  # no second level left open
