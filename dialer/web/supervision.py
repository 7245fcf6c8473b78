"""The supervision page ``/supervision`` (the supervisors' home; the other pages under that
URL prefix are :mod:`dialer.web.steering` and :mod:`dialer.web.people_pages`): agents'
states, the engine's and the alert dispatcher's statistics, and every open alert (those no
team covers included)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from dialer.campaigns.late_calls import late_reserved_calls
from dialer.core.labels import ATTEMPT_KIND_LABELS
from dialer.core.permissions import Action, allowed
from dialer.dashboard.live import agent_rows
from dialer.storage.inbound_notes import InboundNotes
from dialer.web.access import GuardedRoute
from dialer.web.api_inbound import record_notes_read
from dialer.web.api_responses import Statistics, checked
from dialer.web.dashboard import dashboard_of
from dialer.web.inbox import alert_ids, never_reached_tables
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.service import WebService, authenticated, web

#: the latest notes about unknown callers the page shows (the API gives more)
CALLER_NOTES_SHOWN = 20


def statistics(service: WebService) -> dict[str, object]:
    return {
        "engine": service.desk.statistics() if service.desk is not None else None,
        "screens": service.screens.statistics(),
        "alerts": service.dispatcher.statistics() if service.dispatcher is not None else None,
    }


async def supervision_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    now = service.clock()
    thresholds = dashboard_of(request).thresholds
    seats = agent_rows(service.desk, now, thresholds) if service.desk else ()
    teams = {record.team.id: record.team.name for record in await service.teams.list_all()}
    rows = await service.alerts.open_alerts()
    await record_read(
        request,
        actor=user.username,
        action="read.alerts",
        target="alerts:open",
        details=alert_ids(rows),
    )
    caller_notes = await InboundNotes(service.sessions).recent(CALLER_NOTES_SHOWN)
    await record_notes_read(request, user.username, caller_notes)
    return service.templates.TemplateResponse(
        request,
        "supervision.html",
        {
            "user": user,
            "seats": seats,
            "stats": statistics(service),
            "rows": rows,
            "teams": teams,
            "zone": service.zone,
            "today": now.astimezone(service.zone).date(),
            "can_acknowledge": allowed(user.role, Action.ALERT_ACKNOWLEDGE),
            "never_reached": await never_reached_tables(service, None),
            "late_calls": await late_reserved_calls(service.sessions, now),
            "caller_notes": caller_notes,
            "kind_labels": ATTEMPT_KIND_LABELS,
        },
    )


@described_by(Statistics)
async def statistics_json(request: Request) -> Response:
    """Statistiques du moteur d'appels (rythme, latences, nœuds), des écrans des agents et
    de l'envoi des alertes (superviseur, opérations, administrateur)."""
    return checked(Statistics, statistics(web(request)))


ROUTES = [
    GuardedRoute("/supervision", supervision_page, rule=Action.SUPERVISION_VIEW, methods=["GET"]),
    GuardedRoute(
        "/api/v1/statistics", statistics_json, rule=Action.SUPERVISION_VIEW, methods=["GET"]
    ),
]
