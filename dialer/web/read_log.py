"""Who read what: one audit entry for each view or export of personal data through the
pages, the agent's screen and the API (a person's record, a call's answers, alerts,
never-reached lists, report pages and downloads): who, what (kind and id), when, and
from which screen or route. The entries go to the chained audit log
(:mod:`dialer.storage.audit`); writing one is a short database transaction."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from dialer.web.service import steering


def route_of(connection: HTTPConnection) -> str:
    """``GET /rapports/3/rapport.pdf``; a WebSocket's path alone."""
    method = connection.scope.get("method")
    path = connection.url.path
    return f"{method} {path}" if method else f"WS {path}"


async def record_read(
    connection: HTTPConnection,
    *,
    actor: str,
    action: str,
    target: str,
    person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """``action`` is ``read.<kind>`` for a view, ``export.<format>`` for a download."""
    ops = steering(connection)
    await ops.audit.record(
        actor=actor,
        action=action,
        target=target,
        at=ops.clock(),
        person_id=person_id,
        route=route_of(connection),
        details=details,
    )
