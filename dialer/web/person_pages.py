"""A person's rights, for administrators: find a person, see everything held about them,
download it (access), correct their register data (rectification), erase them (erasure,
except what the law requires to keep, listed on the page). The same storage operations as
``/api/v1/persons/...`` and ``dialer person``; each view and action is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from dialer.core.labels import KEPT_AFTER_ERASURE, PERSON_FIELD_NAMES
from dialer.core.permissions import Action
from dialer.errors import ConflictError, InputError
from dialer.register.correction import FIELDS, check_correction
from dialer.storage.person_data import Actor, PersonData
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.read_log import record_read, route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/admin/personnes"
#: the confirmation the erasure form asks to type
CONFIRMATION = "EFFACER"


def _actor(request: Request, username: str) -> Actor:
    return Actor(username, route_of(request))


async def search_page(request: Request) -> Response:
    user = await authenticated(request)
    text = request.query_params.get("q", "").strip()[:200]
    found = await PersonData(web(request).sessions).find(text) if text else []
    if text:
        await record_read(
            request,
            actor=user.username,
            action="read.person.search",
            target="persons",
            details={"persons": [p.id for p in found]},
        )
    return web(request).templates.TemplateResponse(
        request, "admin_persons.html", {"user": user, "q": text, "people": found}
    )


async def person_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    document = await PersonData(ops.sessions).export(
        request.path_params["person_id"],
        actor=_actor(request, user.username),
        now=ops.clock(),
        action="read.person",
    )
    return web(request).templates.TemplateResponse(
        request,
        "admin_person.html",
        {
            "user": user,
            "doc": document,
            "counts": {k: len(v) for k, v in document.items() if isinstance(v, list)},
            "fields": [
                (name, PERSON_FIELD_NAMES[name], _current(document, name)) for name in FIELDS
            ],
            "kept": KEPT_AFTER_ERASURE,
            "confirmation": CONFIRMATION,
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


def _current(document: dict[str, Any], name: str) -> str:
    if name == "phones":
        return ", ".join(phone["e164"] for phone in document["phones"])
    value = document["person"].get(name)
    if name == "birth_date" and value:
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return "" if value is None else str(value)


async def export_json(request: Request) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    person_id = request.path_params["person_id"]
    document = await PersonData(ops.sessions).export(
        person_id, actor=_actor(request, user.username), now=ops.clock()
    )
    return JSONResponse(
        document,
        headers={"content-disposition": f'attachment; filename="personne-{person_id}.json"'},
    )


async def correct(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    person_id = request.path_params["person_id"]
    form = await request.form()
    # only the fields changed from what the page showed (its hidden « avant_… » values)
    changes = {
        name: str(form.get(name) or "").strip()
        for name in FIELDS
        if name in form
        and str(form.get(name) or "").strip() != str(form.get(f"avant_{name}") or "").strip()
    }
    try:
        correction = check_correction(changes, today=ops.clock().date())
        await PersonData(ops.sessions).correct(
            person_id, correction, actor=_actor(request, user.username), now=ops.clock()
        )
    except (InputError, ConflictError) as exc:
        return await person_page(request, error=french_message(exc), status=422)
    fields = ", ".join(correction.changed_fields())
    return RedirectResponse(f"{PAGE}/{person_id}?fait={quote('Corrigé : ' + fields)}", 303)


async def erase(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    person_id = request.path_params["person_id"]
    form = await request.form()
    if str(form.get("confirmation") or "").strip() != CONFIRMATION:
        return await person_page(
            request,
            error=f"champ « confirmation » : tapez {CONFIRMATION} pour effacer la personne",
            status=422,
        )
    try:
        await PersonData(ops.sessions).erase(
            person_id, actor=_actor(request, user.username), now=ops.clock()
        )
    except ConflictError as exc:
        return await person_page(request, error=french_message(exc), status=409)
    return RedirectResponse(f"{PAGE}/{person_id}?fait={quote('Personne effacée.')}", 303)


ROUTES = [
    GuardedRoute(PAGE, search_page, rule=Action.PERSON_RIGHTS, methods=["GET"]),
    GuardedRoute(PAGE + "/{person_id:id}", person_page, rule=Action.PERSON_RIGHTS, methods=["GET"]),
    GuardedRoute(
        PAGE + "/{person_id:id}/export.json",
        export_json,
        rule=Action.PERSON_RIGHTS,
        methods=["GET"],
    ),
    GuardedRoute(
        PAGE + "/{person_id:id}/corriger", correct, rule=Action.PERSON_RIGHTS, methods=["POST"]
    ),
    GuardedRoute(
        PAGE + "/{person_id:id}/effacer", erase, rule=Action.PERSON_RIGHTS, methods=["POST"]
    ),
]
