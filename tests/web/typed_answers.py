"""Every successful answer of the versioned API, checked in the tests against the model the
OpenAPI document gives it (no field missing, none undeclared, every type right): an
httpx response hook for the test clients."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route, compile_path

from dialer.web.api import ENDPOINTS
from dialer.web.openapi import PREFIX

Hook = Callable[[httpx.Response], Awaitable[None]]


def answer_models(app: Starlette) -> list[tuple[str, str, re.Pattern[str], type[BaseModel]]]:
    """Each ``/api/v1`` operation of ``app``: its method, path and path's pattern, its answer's
    model (the endpoint table's, or the one its handler is described by)."""
    table = {(e.method, e.path): e.response for e in ENDPOINTS}
    found = []
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith(PREFIX):
            continue
        for method in route.methods or ():
            model = table.get((method, route.path)) or getattr(
                route.endpoint, "openapi_answer", None
            )
            if model is not None:
                found.append((method, route.path, compile_path(route.path)[0], model))
    return found


def answer_checker(app: Starlette) -> Hook:
    models = answer_models(app)

    async def check(response: httpx.Response) -> None:
        request = response.request
        if not 200 <= response.status_code < 300:
            return
        for method, _, pattern, model in models:
            if method == request.method and pattern.match(request.url.path):
                await response.aread()
                model.model_validate(response.json())
                return

    return check
