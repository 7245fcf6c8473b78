"""The supervisor's page for a household's consent to the volunteer calls (« veille
sociale »): look the household up by its register id, see who agreed, when, how, for
what and who collected it (withdrawals too), and withdraw the consent (who asked, by which
channel). The same storage as ``/api/v1/people/{external_id}/consent`` and ``dialer
consent`` (:mod:`dialer.storage.consents`), audited there."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.core.labels import AGREED_BY_LABELS, CONSENT_CHANNEL_LABELS
from dialer.core.permissions import Action
from dialer.errors import InputError, NotFoundError
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.read_log import route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/supervision/consentement"
_ID_MAX = 100


async def consent_page(
    request: Request,
    *,
    external_id: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    user = await authenticated(request)
    if external_id is None:
        external_id = request.query_params.get("identifiant", "").strip()[:_ID_MAX]
    history: list[ConsentRow] | None = None
    if external_id and error is None:
        try:
            history = await ConsentRegistry(steering(request).sessions).history(external_id)
        except NotFoundError as exc:
            error, status = french_message(exc), 404
    consents = [row.consent() for row in history or []]
    now = steering(request).clock()
    return web(request).templates.TemplateResponse(
        request,
        "consent.html",
        {
            "user": user,
            "external_id": external_id,
            "history": history,
            "regular": may_be_called(consents, ConsentPurpose.REGULAR_CALLS, now),
            "running": any(row.withdrawn_at is None for row in history or []),
            "channels": CONSENT_CHANNEL_LABELS,
            "requesters": AGREED_BY_LABELS,
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def withdraw(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    external_id = str(form.get("identifiant") or "").strip()[:_ID_MAX]
    requester = str(form.get("demandeur") or "")
    channel = str(form.get("canal") or "")
    if requester not in {a.value for a in AgreedBy}:
        error = "champ « demandeur » : la personne ou un proche"
        return await consent_page(request, external_id=external_id, error=error, status=422)
    if channel not in {c.value for c in ConsentChannel}:
        error = "champ « canal » : téléphone, papier, formulaire en ligne ou en personne"
        return await consent_page(request, external_id=external_id, error=error, status=422)
    ops = steering(request)
    try:
        changed = await ConsentRegistry(ops.sessions).withdraw(
            [WithdrawalRequest(external_id, AgreedBy(requester), ConsentChannel(channel))],
            actor=user.username,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return await consent_page(
            request, external_id=external_id, error=french_message(exc), status=status
        )
    notice = (
        "Accord retiré : les bénévoles n'appelleront plus ce foyer."
        if changed
        else "Aucun accord en cours."
    )
    return RedirectResponse(
        f"{PAGE}?identifiant={quote(external_id)}&fait={quote(notice)}", status_code=303
    )


ROUTES = [
    GuardedRoute(PAGE, consent_page, rule=Action.CONSENT_MANAGE, methods=["GET"]),
    GuardedRoute(PAGE + "/retrait", withdraw, rule=Action.CONSENT_MANAGE, methods=["POST"]),
]
