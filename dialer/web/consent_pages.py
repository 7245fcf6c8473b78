"""The supervisor's page for the consents to the volunteer calls (« veille sociale »):
import the city's file of consents (the same reading and registry as ``dialer consent
import``, :mod:`dialer.web.consent_import`; every refused line named, nothing written),
the households of the veille-sociale list with no valid consent to regular calls (with
why, a page at a time), look a household up by its register id, see who agreed, when,
how, for what and who collected it (withdrawals too), and withdraw the consent (who
asked, by which channel). The same storage as ``/api/v1/people/{external_id}/consent`` and
``dialer consent`` (:mod:`dialer.storage.consents`), audited there."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.consent import (
    CONSENT_LIST,
    AgreedBy,
    ConsentChannel,
    ConsentPurpose,
    may_be_called,
)
from dialer.core.labels import AGREED_BY_LABELS, CONSENT_CHANNEL_LABELS, CONSENT_GAP_LABELS
from dialer.core.permissions import Action
from dialer.errors import InputError, NotFoundError
from dialer.storage.consent_gaps import unconsented_on_list
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.web.access import GuardedRoute
from dialer.web.consent_import import (
    ConsentImport,
    import_consent_upload,
    problems_of,
    uploaded,
)
from dialer.web.failures import french_message
from dialer.web.read_log import record_read, route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/supervision/consentement"
IMPORT = PAGE + "/import"
_ID_MAX = 100
#: households without a valid consent shown a page at a time
GAPS_PAGE = 50


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() and len(text) < 7 else 1


async def _gaps(request: Request, actor: str) -> dict[str, object]:
    """The list's households with no valid consent to regular calls, this page of them
    (the read audited with their ids)."""
    page = _page_number(request)
    total, people = await unconsented_on_list(
        steering(request).sessions,
        steering(request).clock(),
        limit=GAPS_PAGE,
        offset=(page - 1) * GAPS_PAGE,
    )
    if people:
        await record_read(
            request,
            actor=actor,
            action="read.consent_gaps",
            target=f"list:{CONSENT_LIST}",
            details={"page": page, "people": [p.person_id for p in people]},
        )
    return {
        "gaps_total": total,
        "gaps": people,
        "gap_labels": CONSENT_GAP_LABELS,
        "gaps_page": page,
        "gaps_more": page * GAPS_PAGE < total,
    }


async def consent_page(
    request: Request,
    *,
    external_id: str | None = None,
    error: str | None = None,
    status: int = 200,
    imported: ConsentImport | None = None,
    problems: list[str] | None = None,
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
            "imported": imported,
            "problems": [p.partition(" : ")[::2] for p in (problems or [])[:_PROBLEMS_SHOWN]],
            "problems_more": max(0, len(problems or []) - _PROBLEMS_SHOWN),
        }
        | await _gaps(request, user.username),
        status_code=status,
    )


_PROBLEMS_SHOWN = 200


async def import_file(request: Request) -> Response:
    """The city's consents file uploaded (field ``fichier``): all recorded, or nothing and
    every refused line named ``fichier:ligne:champ — raison``."""
    user = await for_form(request)
    upload = await uploaded(request, "fichier")
    if upload is None:
        error = "champ « fichier » : choisissez le fichier des accords (CSV)"
        return await consent_page(request, external_id="", problems=[error], status=422)
    filename, content = upload
    try:
        done = await import_consent_upload(
            steering(request),
            actor=user.username,
            filename=filename,
            content=content,
            route=route_of(request),
        )
    except InputError as exc:
        return await consent_page(request, external_id="", problems=problems_of(exc), status=422)
    return await consent_page(request, external_id="", imported=done)


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
    GuardedRoute(IMPORT, import_file, rule=Action.CONSENT_MANAGE, methods=["POST"]),
]
