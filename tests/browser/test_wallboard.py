"""The wallboard in headless Chromium at 1280 × 720 (fake engine): it fits the screen
without scrolling, shows one row per agent whose time in state moves, the day's trend, the
alarms and the colours; ``/supervision``'s agent table follows the same feed; the admin
header stays on one line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.helpers import Browser, Page, login
from tests.browser.live_server import LiveServer, RealClock
from tests.web.support import PASSWORD
from tests.web.test_dashboard import a_complete_call, run_campaign

pytestmark = pytest.mark.browser


def at_1280x720(page: Page) -> None:
    page.driver.set_window_size(1280, 720)
    inner = page.js("return [window.innerWidth, window.innerHeight]")
    assert isinstance(inner, list)
    # the window's frame takes some pixels: make the viewport itself 1280 × 720
    width, height = int(inner[0]), int(inner[1])
    page.driver.set_window_size(1280 + (1280 - width), 720 + (720 - height))
    assert page.js("return [window.innerWidth, window.innerHeight]") == [1280, 720]


def agent_rows(page: Page) -> dict[str, tuple[str, int, str]]:
    """Each agent's row: state shown, seconds in state, pause reason."""
    rows = page.js(
        "return Array.from(document.querySelectorAll('#agents-en-direct tbody tr[data-agent]'))"
        ".map((tr) => [tr.dataset.agent, tr.querySelector('.etat-agent').textContent,"
        " Number(tr.dataset.depuis), tr.querySelector('.motif').textContent])"
    )
    assert isinstance(rows, list)
    return {str(r[0]): (str(r[1]), int(r[2]), str(r[3])) for r in rows}


def test_the_wallboard_fits_1280x720_and_its_agent_rows_tick(
    live_server: LiveServer, browser: Browser
) -> None:
    server = live_server
    server.call(lambda: run_campaign(server.sessions, server.world))

    async def agents_and_a_call() -> None:
        # made two minutes ago: its sheet (submitted 90 s after the call began) falls in a
        # bucket the wallboard already shows, not in the next quarter of an hour
        real = RealClock()
        await a_complete_call(
            server.sessions,
            server.world,
            lambda: real() - timedelta(minutes=2),
            server.world.jeanne_id,
        )
        for index in range(1, 9):
            await server.desk.log_in(f"agent{index}", f"agent-100{index}")
            server.desk.go_ready(f"agent{index}")
        server.desk.pause("agent2", "Repas")

    server.call(agents_and_a_call)
    page = browser.new_page()
    at_1280x720(page)
    login(page, "superviseur", PASSWORD)
    page.goto("/tableau-de-bord")
    page.wait(lambda: len(agent_rows(page)) == 8, what="eight agent rows")
    first = agent_rows(page)
    assert first["agent1"][0] == "Disponible"
    assert first["agent2"][0] == "En pause"
    assert first["agent2"][2] == "Repas"
    page.wait(lambda: agent_rows(page)["agent1"][1] >= first["agent1"][1] + 2, what="time moving")
    # nothing scrolls: the whole wallboard is on the screen
    sizes = page.js(
        "return [document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )
    assert sizes == [720, 1280], sizes
    # and no frame is cut off at the bottom of its column
    clipped = page.js(
        "return Array.from(document.querySelectorAll('.colonne')).flatMap((column) => {"
        " const bottom = column.getBoundingClientRect().bottom;"
        " return Array.from(column.querySelectorAll('.cadre'))"
        "  .filter((frame) => !frame.hidden && frame.getBoundingClientRect().bottom > bottom + 1)"
        "  .map((frame) => frame.querySelector('h2').textContent); })"
    )
    assert clipped == [], clipped
    # the trend shows the day's buckets, with the useful contact made
    page.wait(lambda: page.js("return document.querySelectorAll('#tendance rect').length"))
    bars = page.js(
        "return Array.from(document.querySelectorAll('#tendance rect.utiles'))"
        ".map((r) => Number(r.getAttribute('height')))"
    )
    assert isinstance(bars, list)
    assert max(bars) > 0
    assert page.text("#alarmes") == "Aucune alarme."
    assert page.js("return document.getElementById('abandon-jour').dataset.niveau") == "normal"
    # the pacing explanation, in French
    assert "→" not in page.text("#decision-rythme") or "composer" in page.text("#decision-rythme")


def test_a_long_pause_raises_an_alarm_and_colours_the_row(
    live_server: LiveServer, browser: Browser
) -> None:
    server = live_server
    server.call(lambda: run_campaign(server.sessions, server.world))

    async def long_pause() -> None:
        await server.desk.log_in("agent1", "agent-1001")
        server.desk.go_ready("agent1")
        # paused 25 minutes ago: past the 20 minute alarm
        server.desk.seats.pause("agent1", "Formation", server.desk.clock() - timedelta(minutes=25))

    server.call(long_pause)
    page = browser.new_page()
    at_1280x720(page)
    login(page, "superviseur", PASSWORD)
    page.goto("/tableau-de-bord")
    page.wait_text("#alarmes", "agent1 en pause depuis 25 min")
    level = page.js(
        "return document.querySelector("
        "'#agents-en-direct tr[data-agent=\"agent1\"]').dataset.niveau"
    )
    assert level == "alarm"
    alarm = page.js("return document.querySelector('#alarmes li').dataset.niveau")
    assert alarm == "alarm"


def test_the_supervision_agent_table_is_live(live_server: LiveServer, browser: Browser) -> None:
    server = live_server
    page = browser.new_page()
    login(page, "superviseur", PASSWORD)
    page.goto("/supervision")
    assert agent_rows(page) == {}

    async def arrives() -> None:
        await server.desk.log_in("agent3", "agent-1003")
        server.desk.go_ready("agent3")

    server.call(arrives)
    page.wait(lambda: "agent3" in agent_rows(page), what="agent3 on /supervision")
    seconds = agent_rows(page)["agent3"][1]
    page.wait(lambda: agent_rows(page)["agent3"][1] > seconds, what="agent3's time moving")
    server.call(lambda: _pause(server, "agent3"))
    page.wait(lambda: agent_rows(page)["agent3"][0] == "En pause", what="agent3 paused")


async def _pause(server: LiveServer, agent: str) -> None:
    server.desk.pause(agent, "Réunion")


def test_the_admin_header_stays_on_one_line_at_1280(
    live_server: LiveServer, browser: Browser
) -> None:
    page = browser.new_page()
    at_1280x720(page)
    login(page, "admin", PASSWORD)
    page.goto("/admin")
    tops = page.js(
        "return Array.from(document.querySelectorAll('.bandeau a, .bandeau button, .marque'))"
        ".map((e) => e.getBoundingClientRect())"
        ".map((r) => Math.round(r.top + r.height / 2))"
    )
    assert isinstance(tops, list)
    assert max(tops) - min(tops) <= 4, tops
    height = page.js("return document.querySelector('.bandeau').getBoundingClientRect().height")
    assert isinstance(height, int | float)
    assert height < 60
