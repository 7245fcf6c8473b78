"""The supervisor's page for a person's opposition (« ne plus appeler »): look the person
up by their register id, see what keeps them out of calls (oppositions with who asked,
when and why, lifted ones too; deceased, moved, hospitalised), record an opposition or
lift it with a reason. The same storage as ``/api/v1/people/{external_id}/opposition`` and
``dialer person oppose`` (:mod:`dialer.storage.holds`), audited there."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.holds import HoldKind, OnBehalfOf
from dialer.core.labels import HOLD_KIND_LABELS, ON_BEHALF_LABELS
from dialer.core.permissions import Action
from dialer.errors import InputError, NotFoundError
from dialer.storage.hold_rows import PersonHold
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.read_log import route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/supervision/opposition"
_ID_MAX = 100


async def opposition_page(
    request: Request,
    *,
    external_id: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    user = await authenticated(request)
    if external_id is None:
        external_id = request.query_params.get("identifiant", "").strip()[:_ID_MAX]
    history: list[PersonHold] | None = None
    if external_id and error is None:
        try:
            history = await PersonHolds(steering(request).sessions).history(external_id)
        except NotFoundError as exc:
            error, status = french_message(exc), 404
    return web(request).templates.TemplateResponse(
        request,
        "opposition.html",
        {
            "user": user,
            "external_id": external_id,
            "history": history,
            "opposed": any(
                h.kind is HoldKind.OPPOSITION and h.lifted_at is None for h in history or []
            ),
            "kinds": HOLD_KIND_LABELS,
            "requesters": ON_BEHALF_LABELS,
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


def _done(external_id: str, notice: str) -> RedirectResponse:
    return RedirectResponse(
        f"{PAGE}?identifiant={quote(external_id)}&fait={quote(notice)}", status_code=303
    )


async def _form(request: Request) -> tuple[str, str, str, str]:
    user = await for_form(request)
    form = await request.form()
    external_id = str(form.get("identifiant") or "").strip()[:_ID_MAX]
    reason = str(form.get("motif") or "")
    requester = str(form.get("demandeur") or OnBehalfOf.PERSON.value)
    return user.username, external_id, reason, requester


async def record(request: Request) -> Response:
    actor, external_id, reason, requester = await _form(request)
    if requester not in {o.value for o in OnBehalfOf}:
        error = "champ « demandeur » : la personne ou un proche"
        return await opposition_page(request, external_id=external_id, error=error, status=422)
    ops = steering(request)
    try:
        await PersonHolds(ops.sessions).oppose(
            [OppositionRequest(external_id, reason, OnBehalfOf(requester))],
            actor=actor,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return await opposition_page(
            request, external_id=external_id, error=french_message(exc), status=status
        )
    return _done(external_id, "Opposition enregistrée : plus aucune campagne ne l'appellera.")


async def lift(request: Request) -> Response:
    actor, external_id, reason, _ = await _form(request)
    ops = steering(request)
    try:
        lifted = await PersonHolds(ops.sessions).lift(
            external_id, reason=reason, actor=actor, now=ops.clock(), route=route_of(request)
        )
    except InputError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return await opposition_page(
            request, external_id=external_id, error=french_message(exc), status=status
        )
    notice = "Opposition levée." if lifted is not None else "Aucune opposition en cours."
    return _done(external_id, notice)


ROUTES = [
    GuardedRoute(PAGE, opposition_page, rule=Action.OPPOSITION_MANAGE, methods=["GET"]),
    GuardedRoute(PAGE, record, rule=Action.OPPOSITION_MANAGE, methods=["POST"]),
    GuardedRoute(PAGE + "/levee", lift, rule=Action.OPPOSITION_MANAGE, methods=["POST"]),
]
