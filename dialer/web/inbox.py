"""The intervention team's inbox: its alerts, open and highest priority first, each with
who raised it, when and why, and the form to acknowledge it with a note."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from dialer.core.permissions import Action
from dialer.core.roles import Role
from dialer.errors import ConflictError
from dialer.storage.alert_rows import AlertState
from dialer.web.access import GuardedRoute
from dialer.web.service import authenticated, for_form, web


async def inbox_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    if user.team_id is None:
        raise ConflictError("votre compte n'est rattaché à aucune équipe")
    team = await service.teams.get(user.team_id)
    rows = await service.alerts.inbox(user.team_id)
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
    user = await authenticated(request)
    rows = await web(request).alerts.inbox(user.team_id)
    return JSONResponse(
        {
            "open": sum(1 for alert, _ in rows if alert.state is AlertState.OPEN),
            "newest": max((alert.id for alert, _ in rows), default=0),
        }
    )


async def acknowledge(request: Request) -> Response:
    user = await for_form(request)
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
    GuardedRoute("/alertes", inbox_page, rule=Action.ALERTS_INBOX, methods=["GET"]),
    GuardedRoute("/api/alertes/resume", inbox_summary, rule=Action.ALERTS_INBOX, methods=["GET"]),
    GuardedRoute(
        "/alertes/{alert_id:id}/prise-en-charge",
        acknowledge,
        rule=Action.ALERT_ACKNOWLEDGE,
        methods=["POST"],
    ),
]
