"""The access log: one INFO line per HTTP request on the ``dialer.access`` logger, with
its method, its route, the response's status and the time it took.

Nothing personal and nothing secret goes in: the route is the matched route's pattern
(``/api/v1/agents/{username}/logout``, never the name in it), never the query string (a
search for a person's name, a token), never a header, a cookie, the client's address or
the account. A path that matched no route is logged as ``(inconnu)``: what a scanner
typed is not kept either.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dialer.logs import ACCESS_LOGGER

log = logging.getLogger(ACCESS_LOGGER)

UNMATCHED = "(inconnu)"


def route_pattern(scope: Scope) -> str:
    """The path of the request with each path parameter's value replaced by its name,
    or :data:`UNMATCHED` when no route took it."""
    if scope.get("endpoint") is None:
        return UNMATCHED
    path: str = scope["path"]
    params = {str(value): name for name, value in scope.get("path_params", {}).items()}
    if not params:
        return path
    return "/".join(
        f"{{{params[segment]}}}" if segment in params else segment for segment in path.split("/")
    )


class AccessLog:
    """ASGI middleware writing the access log (HTTP requests; WebSockets pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the application fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            route = route_pattern(scope)
            method = str(scope.get("method", ""))
            log.info(
                "%s %s %d %.1f ms",
                method,
                route,
                status,
                duration_ms,
                extra={
                    "http": {
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": duration_ms,
                    }
                },
            )
