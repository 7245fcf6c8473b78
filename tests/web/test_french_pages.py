"""Issue 23, « French throughout »: every HTML page of the application, seen by each role
that may open it, with seeded data (a campaign running, an agent logged in and paused, the
audit journal written), shows no English: no word of the small denylist of
:mod:`tests.english_leaks` (typical of untranslated text), no raw enumeration code, no
audit action code."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from starlette.routing import Route

from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.web.access import GuardedRoute, Open
from tests.english_leaks import english_leaks
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, ready_agent, steer
from tests.web.support import PASSWORD, fast_passwords

ACCOUNTS = {
    Role.AGENT: "agent1",
    Role.TEAM_MEMBER: "membre.nord",
    Role.SUPERVISOR: "superviseur",
    Role.OPERATIONS: "exploitation",
    Role.ADMINISTRATOR: "admin",
}
#: attributes a person reads (or hears from a screen reader)
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-vide")
#: inputs whose value is a button's label
BUTTONS = ("submit", "button", "reset")
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
__all__ = ["steer"]  # the fixture


class ShownText(HTMLParser):
    """The text a person sees: text nodes (not scripts nor styles) and read attributes
    (a hidden input's value excepted)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        if tag == "input" and values.get("type") in ("hidden", "password"):
            return
        if tag == "meta":
            return
        self.parts += [v for k, v in attrs if k in READ_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in BUTTONS and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def shown_text(html: str) -> str:
    parser = ShownText()
    parser.feed(html)
    return "\n".join(parser.parts)


def html_pages(steer: SteerRig) -> list[GuardedRoute]:
    """Every GET route that answers a page (not the API, files, nor the metrics)."""
    pages = []
    for route in steer.app.routes:
        if not isinstance(route, GuardedRoute) or not isinstance(route, Route):
            continue
        path = route.path
        if "GET" not in (route.methods or set()) or path.startswith(("/api", "/metrics")):
            continue
        if re.search(r"\.(csv|xlsx|pdf|json)$", path):
            continue
        pages.append(route)
    return pages


def may_open(role: Role, route: GuardedRoute) -> bool:
    rule = route.rule
    if rule in (Open.PUBLIC, Open.LOGGED_IN, Open.OWN_CHECK):
        return True
    assert isinstance(rule, Action)
    return allowed(role, rule)


@pytest.mark.asyncio
async def test_no_page_shows_english_to_any_role(steer: SteerRig) -> None:
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    world = steer.world
    await steer.control.start(world.campaign_id, actor="superviseur")
    await ready_agent(steer.engine, "agent1")
    await steer.engine.log_in("agent2", "agent2-sip")  # paused until ready
    await steer.engine.tick()
    values = {
        "campaign": world.campaign_id,
        "person_id": world.jeanne_id,
        "episode": 999999,  # no episode in the seeded world: the page says so in French
    }
    pages = html_pages(steer)
    assert {"/supervision", "/tableau-de-bord", "/rapports", "/supervision/journal"} <= {
        p.path for p in pages
    }
    leaks: list[str] = []
    seen = 0
    transport = httpx.ASGITransport(app=steer.app)
    for role, username in ACCOUNTS.items():
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await log_in(http, username)
            for route in pages:
                if not may_open(role, route):
                    continue
                path = PARAMETER.sub(lambda m: str(values.get(m.group(1), 999999)), route.path)
                response = await http.get(path)
                assert response.status_code < 500, (path, response.status_code)
                if "text/html" not in response.headers.get("content-type", ""):
                    continue
                seen += 1
                found = english_leaks(shown_text(response.text))
                if found:
                    leaks.append(f"{path} as {role.value}: {sorted(set(found))}")
    assert seen >= 20
    assert leaks == [], "\n".join(leaks)


def test_the_denylist_catches_what_issue_23_saw() -> None:
    assert english_leaks("0 free agents, 0 ringing, answer rate 0.50 → dial 0")
    assert english_leaks("Canicule : running")
    assert english_leaks("campaign.start") == ["campaign.start"]
    assert english_leaks("remote : False") == ["False"]
    assert english_leaks("logged_out") == ["logged_out"]
    assert english_leaks("Agent : Disponible, 3 personnes en attente, dashboard.js") == []
