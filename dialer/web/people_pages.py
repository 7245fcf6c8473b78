"""The supervisor's pages for the register and the intervention teams: upload a register
(dry run first, then for real) and read its report line by line; list the teams, create
one, set its members. The same operations as ``/api/v1/registers/import`` and
``/api/v1/teams`` (:mod:`dialer.desk.operations`), so they are checked and audited alike."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.permissions import Action, allowed
from dialer.desk.operations import (
    create_team,
    import_register_upload,
    team_json,
    update_team_members,
)
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.alerts import TeamRepository
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.service import authenticated, for_form, steering, web

REGISTER_PAGE = "/supervision/registre"
TEAMS_PAGE = "/supervision/equipes"


def _names(text: str) -> list[str]:
    """« 11e, 12e » or one per line → ["11e", "12e"]."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


# ---- register ---------------------------------------------------------------------------
async def register_page(
    request: Request,
    *,
    report: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    user = await authenticated(request)
    return web(request).templates.TemplateResponse(
        request,
        "people_register.html",
        {"user": user, "report": report, "error": error},
        status_code=status,
    )


async def import_register(request: Request) -> Response:
    user = await for_form(request)
    async with request.form() as form:  # closes the uploaded file's spool
        upload = form.get("fichier")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await register_page(
                request, error="champ « fichier » : choisissez le fichier du registre", status=422
            )
        filename, content = upload.filename, await upload.read()
        dry_run = form.get("simulation") is not None
        list_name = str(form.get("liste") or "").strip() or DEFAULT_LIST
    try:
        report = await import_register_upload(
            steering(request),
            actor=user.username,
            filename=filename,
            content=content,
            mapping=None,
            dry_run=dry_run,
            list_name=list_name,
            list_field="champ « liste »",
        )
    except InputError as exc:
        return await register_page(request, error=french_message(exc), status=422)
    return await register_page(request, report=report)


# ---- teams ------------------------------------------------------------------------------
async def teams_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    records = await TeamRepository(ops.sessions).list_all()
    return web(request).templates.TemplateResponse(
        request,
        "people_teams.html",
        {
            "user": user,
            "teams": [await team_json(ops, record) for record in records],
            "can_manage": allowed(user.role, Action.TEAMS_MANAGE),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"{TEAMS_PAGE}?fait={quote(notice)}", status_code=303)


async def add_team(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    name = str(form.get("nom") or "").strip()
    if not name:
        return await teams_page(request, error="champ « nom » : obligatoire", status=422)
    try:
        record = await create_team(
            steering(request),
            actor=user.username,
            name=name,
            districts=_names(str(form.get("quartiers") or "")),
            email=str(form.get("courriel") or "").strip() or None,
        )
    except (InputError, ConflictError) as exc:
        return await teams_page(request, error=french_message(exc), status=409)
    return _done(f"Équipe « {record.team.name} » créée.")


async def set_members(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    team_id = int(request.path_params["team_id"])
    try:
        members = await update_team_members(
            steering(request),
            actor=user.username,
            team_id=team_id,
            members=_names(str(form.get("membres") or "")),
        )
    except (InputError, ConflictError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 409
        return await teams_page(request, error=french_message(exc), status=status)
    return _done(f"Membres de l'équipe n° {team_id} : {', '.join(members) or 'aucun'}.")


ROUTES = [
    GuardedRoute(REGISTER_PAGE, register_page, rule=Action.REGISTER_IMPORT, methods=["GET"]),
    GuardedRoute(REGISTER_PAGE, import_register, rule=Action.REGISTER_IMPORT, methods=["POST"]),
    GuardedRoute(TEAMS_PAGE, teams_page, rule=Action.TEAMS_VIEW, methods=["GET"]),
    GuardedRoute(TEAMS_PAGE, add_team, rule=Action.TEAMS_MANAGE, methods=["POST"]),
    GuardedRoute(
        TEAMS_PAGE + "/{team_id:id}/membres",
        set_members,
        rule=Action.TEAMS_MANAGE,
        methods=["POST"],
    ),
]
