"""The administrator's page of the directory of resources: ``/admin/ressources`` lists the
city services and local partners (name, kinds of need, area served, contact, hours), adds
one and edits one (or stops proposing it). The same storage as the API and ``dialer
resources`` (:mod:`dialer.storage.resources`), audited there."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.labels import NEED_KIND_LABELS
from dialer.core.permissions import Action
from dialer.core.resources import NEED_WORDS, NeedKind, checked_resource
from dialer.errors import InputError
from dialer.storage.resources import ResourceDirectory
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.read_log import route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/admin/ressources"
#: the form's words for each kind of need
WORD_OF_NEED = {kind: word for word, kind in NEED_WORDS.items()}


async def resources_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    rows = await ResourceDirectory(steering(request).sessions).list()
    return web(request).templates.TemplateResponse(
        request,
        "resources.html",
        {
            "user": user,
            "rows": [
                (row, {WORD_OF_NEED[kind] for kind in NeedKind if kind.value in row.needs})
                for row in rows
            ],
            "needs": {WORD_OF_NEED[kind]: label for kind, label in NEED_KIND_LABELS.items()},
            "labels": {kind.value: label for kind, label in NEED_KIND_LABELS.items()},
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def _cells(request: Request) -> dict[str, str]:
    form = await request.form()
    cells = {name: str(form.get(name) or "") for name in ("nom", "zone", "contact", "horaires")}
    cells["besoins"] = ",".join(str(value) for value in form.getlist("besoins"))
    return cells


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?fait={quote(notice)}", status_code=303)


async def add(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    try:
        entry = checked_resource(await _cells(request))
        await ResourceDirectory(ops.sessions).add(
            entry, actor=user.username, now=ops.clock(), route=route_of(request)
        )
    except InputError as exc:
        return await resources_page(request, error=french_message(exc), status=422)
    return _done(f"Ressource « {entry.name} » ajoutée.")


async def edit(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    ops = steering(request)
    try:
        entry = checked_resource(await _cells(request))
        await ResourceDirectory(ops.sessions).edit(
            request.path_params["resource_id"],
            entry,
            active=form.get("active") == "oui",
            actor=user.username,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        return await resources_page(request, error=french_message(exc), status=422)
    return _done(f"Ressource « {entry.name} » modifiée.")


ROUTES = [
    GuardedRoute(PAGE, resources_page, rule=Action.RESOURCES_MANAGE, methods=["GET"]),
    GuardedRoute(PAGE, add, rule=Action.RESOURCES_MANAGE, methods=["POST"]),
    GuardedRoute(PAGE + "/{resource_id:id}", edit, rule=Action.RESOURCES_MANAGE, methods=["POST"]),
]
