"""When the phone does not reach someone (issue #22), on the web: the field team records a
visit's outcome from its inbox, and an administrator records (or lifts) a person's
objection to their relative being called, from the person's page. Both audited."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.permissions import Action
from dialer.core.relatives import VisitOutcome
from dialer.core.roles import Role
from dialer.errors import InputError
from dialer.storage.relatives import set_relative_objected
from dialer.storage.visits import VisitRepository
from dialer.web.access import GuardedRoute
from dialer.web.person_pages import PAGE as PERSON_PAGE
from dialer.web.service import for_form, steering, web


async def record_visit(request: Request) -> Response:
    """The team's visit outcome (``issue``: one of :class:`VisitOutcome`, ``note``)."""
    user = await for_form(request)
    service = web(request)
    alert_id = request.path_params["alert_id"]
    form = await request.form()
    raw = str(form.get("issue") or "").strip()
    try:
        outcome = VisitOutcome(raw)
    except ValueError:
        raise InputError(f"issue : {raw[:40]!r} n'est pas une issue de visite") from None
    note = str(form.get("note") or "").strip()[:5000]
    if user.role is Role.SUPERVISOR:
        team_id = (await service.alerts.get(alert_id)).team_id
        back = "/supervision"
    else:
        team_id = user.team_id
        back = "/alertes"
    now = service.clock()
    request_row = await VisitRepository(service.sessions).record_outcome(
        alert_id, outcome, team_id=team_id, by=user.username, note=note, now=now
    )
    await steering(request).audit.record(
        actor=user.username,
        action="visit.outcome",
        target=f"alert:{alert_id}",
        at=now,
        details={"outcome": outcome.value, "cycle_id": request_row.cycle_id},
        person_id=request_row.person_id,
    )
    return RedirectResponse(f"{back}?fait={alert_id}#alerte-{alert_id}", status_code=303)


async def relative_objection(request: Request) -> Response:
    """``opposition``: « oui » records the objection, « non » lifts it."""
    user = await for_form(request)
    ops = steering(request)
    person_id = request.path_params["person_id"]
    form = await request.form()
    raw = str(form.get("opposition") or "").strip()
    if raw not in ("oui", "non"):
        raise InputError("opposition : « oui » ou « non » attendu")
    await set_relative_objected(ops.sessions, person_id, raw == "oui")
    await ops.audit.record(
        actor=user.username,
        action="person.relative_objection",
        target=f"person:{person_id}",
        at=ops.clock(),
        details={"objected": raw == "oui"},
        person_id=person_id,
    )
    text = "Opposition à l'appel du proche enregistrée." if raw == "oui" else "Opposition levée."
    return RedirectResponse(f"{PERSON_PAGE}/{person_id}?fait={quote(text)}", 303)


ROUTES = [
    GuardedRoute(
        "/alertes/{alert_id:id}/visite",
        record_visit,
        rule=Action.ALERT_ACKNOWLEDGE,
        methods=["POST"],
    ),
    GuardedRoute(
        PERSON_PAGE + "/{person_id:id}/opposition-proche",
        relative_objection,
        rule=Action.PERSON_RIGHTS,
        methods=["POST"],
    ),
]
