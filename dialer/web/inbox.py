"""The intervention team's inbox: its alerts, open and highest priority first, each with
who raised it, when and why, and the form to acknowledge it with a note; then the team's
never-reached lists of the latest cycles (each downloadable as CSV)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.labels import VISIT_OUTCOME_LABELS, VISIT_REASON_LABELS
from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.errors import ConflictError, InputError
from dialer.reports.exports import CSV_MEDIA_TYPE, csv_bytes
from dialer.reports.never_reached import team_list_table
from dialer.reports.tables import Table
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.models import Person
from dialer.storage.never_reached import TeamList
from dialer.storage.visits import VisitRepository
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_responses import AlertsSummary, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.service import WebService, authenticated, for_form, web


def alert_ids(rows: list[tuple[Alert, Person]]) -> dict[str, list[int]]:
    """The alerts a page shows and their persons, for the audit entry of the view."""
    return {
        "alerts": [alert.id for alert, _ in rows],
        "persons": sorted({person.id for _, person in rows}),
    }


async def inbox_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    if user.team_id is None:
        raise ConflictError("votre compte n'est rattaché à aucune équipe")
    team = await service.teams.get(user.team_id)
    rows = await service.alerts.inbox(user.team_id)
    visits = await VisitRepository(service.sessions).for_alerts([alert.id for alert, _ in rows])
    never_reached = await never_reached_tables(service, user.team_id)
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
            "never_reached": never_reached,
            "visits": visits,
            "visit_outcomes": VISIT_OUTCOME_LABELS,
            "visit_reasons": VISIT_REASON_LABELS,
        },
    )


async def never_reached_tables(
    service: WebService, team_id: int | None
) -> list[tuple[TeamList, Table]]:
    """The latest never-reached lists of team ``team_id`` (None: people no team covers)."""
    lists = await service.never_reached.team_lists(team_id)
    return [(team_list, team_list_table(team_list, service.zone)) for team_list in lists]


async def never_reached_csv(request: Request) -> Response:
    """A never-reached list as CSV: a team member's own team's part; for supervision, the
    part of team ``?equipe=<id>`` (none: the people no team covers)."""
    user = await authenticated(request)
    service = web(request)
    team_id = user.team_id
    if allowed(user.role, Action.SUPERVISION_VIEW):  # the staff: any team's part
        raw = request.query_params.get("equipe")
        if raw is not None and not raw.isdigit():
            raise InputError(f"equipe={raw[:20]!r} : numéro d'équipe attendu")
        team_id = int(raw) if raw is not None else None
    elif team_id is None:
        raise ConflictError("votre compte n'est rattaché à aucune équipe")
    team_list = await service.never_reached.team_list(request.path_params["list_id"], team_id)
    table = team_list_table(team_list, service.zone)
    return Response(
        csv_bytes(table, service.zone),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{table.key}.csv"'},
    )


@described_by(AlertsSummary)
async def inbox_summary(request: Request) -> Response:
    """Alertes ouvertes : leur nombre et le numéro de la plus récente (la page des alertes
    s'en sert pour se rafraîchir)."""
    who = await caller(request)
    account = await web(request).accounts.by_username(who.username)
    rows = await web(request).alerts.inbox(account.team_id if account is not None else None)
    return checked(
        AlertsSummary,
        {
            "open": sum(1 for alert, _ in rows if alert.state is AlertState.OPEN),
            "newest": max((alert.id for alert, _ in rows), default=0),
        },
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
    GuardedRoute(
        "/api/v1/alerts/summary", inbox_summary, rule=Action.ALERTS_INBOX, methods=["GET"]
    ),
    GuardedRoute(
        "/alertes/{alert_id:id}/prise-en-charge",
        acknowledge,
        rule=Action.ALERT_ACKNOWLEDGE,
        methods=["POST"],
    ),
    GuardedRoute(
        "/alertes/jamais-joints/{list_id:id}.csv",
        never_reached_csv,
        rule=Action.NEVER_REACHED_VIEW,
        methods=["GET"],
    ),
]
