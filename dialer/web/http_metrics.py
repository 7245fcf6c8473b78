"""The web service's own HTTP figures for ``/metrics``: requests counted by method, route
template and status (``dialer_http_requests_total``) and their duration
(``dialer_http_request_duration_seconds``, a histogram).

The route is the matched route's template (``/api/v1/campaigns/{campaign_id}``), never the
concrete path: a path with ids would give one series per id. A request no route matched
is counted under ``route=""``; WebSockets are not counted (they last as long as a page is
open). Each application has its own figures (:class:`RequestFigures` on
``app.state.http_figures``), so two applications in one process (tests) do not mix."""

from __future__ import annotations

import re
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: buckets of the request duration (seconds): page and API answers are expected under
#: 100 ms, a register import may take tens of seconds
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


class RequestFigures:
    """The counters of one application (unregistered: ``/metrics`` collects them)."""

    def __init__(self) -> None:
        self.requests = Counter(
            "dialer_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=None,
        )
        self.duration = Histogram(
            "dialer_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=None,
        )


def route_template(scope: Scope) -> str:
    """The matched route's path, ``{name:convertor}`` shown as ``{name}``; "" unmatched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return _CONVERTOR.sub(r"{\1}", path) if isinstance(path, str) else ""


class RequestMetrics:
    """Counts and times every HTTP request into ``figures``."""

    def __init__(self, app: ASGIApp, *, figures: RequestFigures) -> None:
        self.app = app
        self.figures = figures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = str(scope.get("method", ""))
            route = route_template(scope)
            self.figures.requests.labels(method, route, str(status)).inc()
            self.figures.duration.labels(method, route).observe(time.perf_counter() - started)
