"""Issue 16, security tier: the access matrix. Every route of the real application ×
every role (and anonymous, and an API token of every role on ``/api/v1``), the expected
answer taken from the one permission table. A route without a rule fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.web.access import API_PREFIX, GuardedRoute, GuardedSocket, Open, Rule
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig
from tests.web.support import PASSWORD, fast_passwords

pytestmark = pytest.mark.security

#: one account per role (the seeded world has all but operations)
ACCOUNTS = {
    Role.AGENT: "agent1",
    Role.TEAM_MEMBER: "membre.nord",
    Role.SUPERVISOR: "superviseur",
    Role.OPERATIONS: "exploitation",
    Role.ADMINISTRATOR: "admin",
}
PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def concrete(path: str) -> str:
    """The route's path with every parameter filled with something that does not exist."""
    return PARAMETER.sub(lambda m: "999999" if m.group(2) in ("id", "int") else "inconnu", path)


def operations(routes: list[BaseRoute]) -> Iterator[tuple[str, str, Rule]]:
    """(method, path, rule) of every HTTP route; a route without a rule fails the test."""
    for route in routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            continue  # static files: public by design (no personal data)
        if isinstance(route, WebSocketRoute):
            assert isinstance(route, GuardedSocket), f"{route.path}: WebSocket without a rule"
            assert isinstance(route.rule, Action)
            continue
        assert isinstance(route, GuardedRoute), f"{getattr(route, 'path', route)}: no rule"
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield method, route.path, route.rule


def login_required(path: str, response: httpx.Response) -> bool:
    if path.startswith("/api/"):
        return response.status_code == 401
    return response.status_code == 303 and response.headers["location"].startswith(
        "/connexion?suite="
    )


def admitted(path: str, response: httpx.Response) -> bool:
    return response.status_code != 403 and not login_required(path, response)


async def send(
    http: httpx.AsyncClient, method: str, path: str, csrf: str | None, token: str | None = None
) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = {"csrf": csrf} if csrf and method != "GET" else None
    return await http.request(method, concrete(path), headers=headers, data=data)


def expected(rule: Rule, role: Role | None) -> str:
    if rule in (Open.PUBLIC, Open.OWN_CHECK):
        return "any"
    if role is None:
        return "login"
    if rule is Open.LOGGED_IN:
        return "in"
    assert isinstance(rule, Action)
    return "in" if allowed(role, rule) else "forbidden"


def check(rule: Rule, role: Role | None, path: str, response: httpx.Response) -> str | None:
    """What is wrong with ``response``, or None."""
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    want = expected(rule, role)
    if want == "login" and not login_required(path, response):
        return f"anonymous got {response.status_code}, not a login request"
    if want == "forbidden" and response.status_code != 403:
        return f"expected 403, got {response.status_code}"
    if want == "in" and not admitted(path, response):
        return f"refused with {response.status_code}"
    return None


@pytest.mark.asyncio
async def test_every_route_answers_every_role_as_the_permission_table_says(
    steer: SteerRig,
) -> None:
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    table = sorted(
        operations(steer.app.routes),
        key=lambda op: op[1] == "/deconnexion",  # logging out last: it ends the session
    )
    assert len(table) > 50
    problems: list[str] = []
    transport = httpx.ASGITransport(app=steer.app)
    for role in (None, *ACCOUNTS):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            csrf = await log_in(http, ACCOUNTS[role]) if role is not None else None
            for method, path, rule in table:
                response = await send(http, method, path, csrf)
                problem = check(rule, role, path, response)
                if problem:
                    problems.append(f"{method} {path} as {role or 'anonymous'}: {problem}")
    assert problems == [], "\n".join(problems)


@pytest.mark.asyncio
async def test_every_api_route_takes_the_api_tokens_of_every_role(steer: SteerRig) -> None:
    """Bearer tokens work on every ``/api/v1`` route (the dashboard and the reports
    included, issue 16 defect 15), with the same permissions as the session."""
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    repository = ApiTokenRepository(steer.sessions)
    tokens = {}
    for role, username in ACCOUNTS.items():
        _, tokens[role] = await repository.create(
            name=f"matrice-{username}",
            username=username,
            created_by="test",
            now=steer.clock(),
            lifetime=timedelta(days=1),
        )
    api = [op for op in operations(steer.app.routes) if op[1].startswith(API_PREFIX)]
    assert {"/api/v1/dashboard", "/api/v1/reports"} <= {path for _, path, _ in api}
    problems: list[str] = []
    for role, token in tokens.items():
        for method, path, rule in api:
            response = await send(steer.http, method, path, None, token)
            problem = check(rule, role, path, response)
            if problem:
                problems.append(f"{method} {path} with a {role} token: {problem}")
        steer.http.cookies.clear()
    bad = await send(steer.http, "GET", "/api/v1/dashboard", None, "dlr_faux")
    assert bad.status_code == 401
    assert problems == [], "\n".join(problems)


def test_a_route_without_a_rule_is_caught() -> None:
    """The matrix refuses a plain route (so a new route must be given a rule)."""

    async def page(_: object) -> None:
        return None

    with pytest.raises(AssertionError, match="no rule"):
        list(operations([Route("/nouvelle-page", page)]))
