"""The intervention team's inbox: its alerts, open and highest priority first, each with
who raised it, when and why, and the form to acknowledge it with a note."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dialer.core.roles import Role
from dialer.errors import ConflictError
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.models import Person
from dialer.web.read_log import record_read
from dialer.web.service import authenticated, for_form, web

ACK_ROLES = (Role.TEAM_MEMBER, Role.SUPERVISOR)


def alert_ids(rows: list[tuple[Alert, Person]]) -> dict[str, list[int]]:
    """The alerts a page shows and their persons, for the audit entry of the view."""
    return {
        "alerts": [alert.id for alert, _ in rows],
        "persons": sorted({person.id for _, person in rows}),
    }


async def inbox_page(request: Request) -> Response:
    user = await authenticated(request, Role.TEAM_MEMBER)
    service = web(request)
    if user.team_id is None:
        raise ConflictError("votre compte n'est rattaché à aucune équipe")
    team = await service.teams.get(user.team_id)
    rows = await service.alerts.inbox(user.team_id)
    await record_read(
        request,
        actor=user.username,
        action="read.alerts",
        target=f"team:{user.team_id}",
        details=alert_ids(rows),
    )
    return service.templates.TemplateResponse(
        request,
        "inbox.html",
        {
            "user": user,
            "team": team.team,
            "rows": rows,
            "open_count": sum(1 for alert, _ in rows if alert.state is AlertState.OPEN),
            "newest": max((alert.id for alert, _ in rows), default=0),
            "notice": request.query_params.get("fait"),
            "zone": service.zone,
            "today": service.clock().astimezone(service.zone).date(),
        },
    )


async def inbox_summary(request: Request) -> Response:
    """For the inbox page's script: how many open alerts, and the newest alert's id."""
    user = await authenticated(request, Role.TEAM_MEMBER)
    rows = await web(request).alerts.inbox(user.team_id)
    return JSONResponse(
        {
            "open": sum(1 for alert, _ in rows if alert.state is AlertState.OPEN),
            "newest": max((alert.id for alert, _ in rows), default=0),
        }
    )


async def acknowledge(request: Request) -> Response:
    user = await for_form(request, *ACK_ROLES)
    service = web(request)
    alert_id = request.path_params["alert_id"]
    form = await request.form()
    note = str(form.get("note") or "").strip()[:5000]
    if user.role is Role.SUPERVISOR:
        alert = await service.alerts.get(alert_id)
        team_id = alert.team_id
        back = "/supervision"
    else:
        team_id = user.team_id
        back = "/alertes"
    await service.alerts.acknowledge(
        alert_id, by=user.username, note=note, now=service.clock(), team_id=team_id
    )
    return RedirectResponse(f"{back}?fait={alert_id}#alerte-{alert_id}", status_code=303)


ROUTES = [
    Route("/alertes", inbox_page, methods=["GET"]),
    Route("/api/alertes/resume", inbox_summary, methods=["GET"]),
    Route("/alertes/{alert_id:int}/prise-en-charge", acknowledge, methods=["POST"]),
]
