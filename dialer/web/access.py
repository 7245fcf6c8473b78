"""Access control of every route, in one place: each route of the application carries its
rule (:class:`GuardedRoute`, :class:`GuardedSocket`), and the rule of an action is the
permission table's (:data:`dialer.core.permissions.PERMISSIONS`).

- :class:`Open` rules: ``PUBLIC`` (the login form, static files, the OpenAPI document),
  ``LOGGED_IN`` (any role: the home page, logging out) and ``OWN_CHECK`` (``/metrics``:
  the scraper's bearer token or loopback, no web role at all).
- An :class:`~dialer.core.permissions.Action`: the route refuses anyone whose role is not
  allowed to do it before its handler runs: 401 (a page redirects to the login form)
  without a valid session or token, 403 with another role.

``/api/v1`` routes accept an API token (``Authorization: Bearer``) or the session (with
``X-CSRF-Token`` on every request that changes something); the other routes, the session.
The access-matrix test walks the application's routes and fails on a route without a rule.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from dialer.core.permissions import Action, allowed, roles_for
from dialer.core.roles import Role
from dialer.web.auth import CSRF_HEADER, check_csrf
from dialer.web.failures import LoginRequired
from dialer.web.service import authenticated, steering

API_PREFIX = "/api/v1"
SAFE_METHODS = ("GET", "HEAD")
FORBIDDEN = "Cette opération n'est pas permise avec votre rôle."

Handler = Callable[[Request], Awaitable[Response]]

#: the largest id a path may carry: beyond it no row exists (the databases' integers stop
#: at 2**63 - 1), so the route does not match and the answer is 404, never an overflow
MAX_ID_DIGITS = 18


class IdConvertor(Convertor[int]):
    """``{name:id}``: a database id in a path, 1 to 18 digits."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


class Open(StrEnum):
    """A rule that is not an action of the permission table."""

    PUBLIC = "public"
    LOGGED_IN = "logged_in"
    OWN_CHECK = "own_check"


Rule = Action | Open


def roles_of(rule: Rule) -> tuple[Role, ...]:
    """The roles a rule lets in: an action's from the permission table, every role for
    ``LOGGED_IN``, none for the rules that need no account."""
    if isinstance(rule, Action):
        return roles_for(rule)
    return tuple(Role) if rule is Open.LOGGED_IN else ()


@dataclass(frozen=True)
class Caller:
    """Who makes an API request; ``actor`` is what the audit log records."""

    username: str
    role: Role
    actor: str


def require(role: Role, action: Action) -> None:
    """403 unless ``role`` may do ``action``."""
    if not allowed(role, action):
        raise HTTPException(403, FORBIDDEN)


async def caller(request: Request, action: Action | None = None) -> Caller:
    """The API request's caller, by API token or session (with CSRF unless it only reads),
    checked against ``action`` when given: 401 otherwise, 403 for another role. Looked up
    once per request."""
    known: Caller | None = getattr(request.state, "caller", None)
    if known is None:
        known = await _identify(request)
        request.state.caller = known
    if action is not None:
        require(known.role, action)
    return known


async def _identify(request: Request) -> Caller:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LoginRequired
        ops = steering(request)
        owner = await ops.tokens.owner(token.strip(), now=ops.clock())
        if owner is None:
            raise LoginRequired
        account = owner.account
        return Caller(account.username, account.role, f"api:{owner.token_name}")
    user = await authenticated(request)
    if request.method not in SAFE_METHODS:
        check_csrf(user, request.headers.get(CSRF_HEADER))
    return Caller(user.username, user.role, user.username)


async def actor_of(request: Request) -> str:
    """Who the audit log names for this request: the API caller (``api:<token>`` or the
    user) on ``/api/v1``, the logged-in user on the pages."""
    if request.url.path.startswith(API_PREFIX):
        return (await caller(request)).actor
    return (await authenticated(request)).username


async def admit(request: Request, rule: Rule) -> None:
    """Refuse the request unless ``rule`` lets its caller in."""
    if rule in (Open.PUBLIC, Open.OWN_CHECK):
        return
    action = rule if isinstance(rule, Action) else None
    if request.url.path.startswith(API_PREFIX):
        await caller(request, action)
        return
    await authenticated(request, action)


class GuardedRoute(Route):
    """A route that admits its caller by ``rule`` before its handler runs."""

    def __init__(self, path: str, endpoint: Handler, *, rule: Rule, methods: list[str]) -> None:
        self.rule = rule

        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            await admit(request, rule)
            return await endpoint(request)

        super().__init__(path, guarded, methods=methods)


class GuardedSocket(WebSocketRoute):
    """A WebSocket route and its rule (its handler checks it with :func:`socket_allowed`:
    a refused socket is closed with a code the page understands)."""

    def __init__(
        self, path: str, endpoint: Callable[[WebSocket], Awaitable[None]], *, rule: Action
    ) -> None:
        self.rule = rule
        super().__init__(path, endpoint)


def socket_allowed(connection: HTTPConnection, role: Role) -> bool:
    """May ``role`` use the WebSocket this connection opened (by its route's rule)?"""
    route = connection.scope.get("route")
    rule = getattr(route, "rule", None)
    return isinstance(rule, Action) and allowed(role, rule)
