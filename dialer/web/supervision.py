"""The supervision page ``/supervision`` (the supervisors' home; the other pages under that
URL prefix are :mod:`dialer.web.steering` and :mod:`dialer.web.people_pages`): agents'
states, the engine's and the alert dispatcher's statistics, and every open alert (those no
team covers included)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dialer.campaigns.late_calls import late_reserved_calls
from dialer.core.labels import AGENT_STATE_LABELS, ATTEMPT_KIND_LABELS
from dialer.core.roles import Role
from dialer.web.service import WebService, authenticated, web

VIEWERS = (Role.SUPERVISOR, Role.OPERATIONS, Role.ADMINISTRATOR)


def statistics(service: WebService) -> dict[str, object]:
    return {
        "engine": service.desk.statistics() if service.desk is not None else None,
        "screens": service.screens.statistics(),
        "alerts": service.dispatcher.statistics() if service.dispatcher is not None else None,
    }


async def supervision_page(request: Request) -> Response:
    user = await authenticated(request, *VIEWERS)
    service = web(request)
    now = service.clock()
    seats = sorted(service.desk.seats.seats(), key=lambda s: s.agent) if service.desk else []
    teams = {record.team.id: record.team.name for record in await service.teams.list_all()}
    return service.templates.TemplateResponse(
        request,
        "supervision.html",
        {
            "user": user,
            "seats": [
                (seat, AGENT_STATE_LABELS[seat.state], int(seat.seconds_in_state(now)))
                for seat in seats
            ],
            "stats": statistics(service),
            "rows": await service.alerts.open_alerts(),
            "teams": teams,
            "zone": service.zone,
            "today": now.astimezone(service.zone).date(),
            "can_acknowledge": user.role is Role.SUPERVISOR,
            "late_calls": await late_reserved_calls(service.sessions, now),
            "kind_labels": ATTEMPT_KIND_LABELS,
        },
    )


async def statistics_json(request: Request) -> Response:
    await authenticated(request, *VIEWERS)
    return JSONResponse(statistics(web(request)))


ROUTES = [
    Route("/supervision", supervision_page, methods=["GET"]),
    Route("/api/statistiques", statistics_json, methods=["GET"]),
]
