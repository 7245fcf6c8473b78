"""Administration: accounts (list, create, change the role, reset the password,
deactivate, reactivate) and the teams' configuration. The account operations are
:mod:`dialer.desk.account_changes`' (the same as ``dialer users`` and the REST API)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.labels import ROLE_LABELS
from dialer.core.permissions import Action
from dialer.desk.account_changes import change_role, reactivate, reset_password
from dialer.desk.operations import create_staff_account
from dialer.desk.operations import deactivate_account as deactivate
from dialer.errors import ConflictError, InputError, http_status
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.service import authenticated, for_form, steering, web


async def admin_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    user = await authenticated(request)
    service = web(request)
    teams = await service.teams.list_all()
    return service.templates.TemplateResponse(
        request,
        "admin.html",
        {
            "user": user,
            "accounts": await service.accounts.list_all(),
            "teams": teams,
            "team_names": {record.team.id: record.team.name for record in teams},
            "roles": ROLE_LABELS,
            "error": error,
            "notice": request.query_params.get("fait"),
            "deactivated": request.query_params.get("desactive"),
            "changed": request.query_params.get("modifie"),
        },
        status_code=status,
    )


async def add_account(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    fields = {
        name: str(form.get(name) or "").strip()
        for name in ("identifiant", "mot_de_passe", "role", "equipe", "sip")
    }
    try:
        account = await create_staff_account(
            steering(request),
            actor=user.username,
            username=fields["identifiant"],
            password=fields["mot_de_passe"],
            role=fields["role"],
            team=fields["equipe"] or None,
            sip_endpoint=fields["sip"] or None,
            entry_field="mot_de_passe",
        )
    except (InputError, ConflictError) as exc:
        return await admin_page(request, error=french_message(exc), status=422)
    return RedirectResponse(f"/admin?fait={account.username}", status_code=303)


async def deactivate_account(request: Request) -> Response:
    user = await for_form(request)
    try:
        done = await deactivate(
            steering(request), actor=user.username, account_id=request.path_params["account_id"]
        )
    except ConflictError as exc:
        return await admin_page(request, error=french_message(exc), status=409)
    return RedirectResponse(f"/admin?desactive={quote(done['username'])}", status_code=303)


def _changed(username: str, what: str) -> Response:
    return RedirectResponse(f"/admin?modifie={quote(f'{username} : {what}')}", status_code=303)


async def set_role(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    try:
        account = await change_role(
            steering(request),
            actor=user.username,
            account_id=request.path_params["account_id"],
            role=str(form.get("role") or ""),
            team=str(form.get("equipe") or "").strip() or None,
        )
    except (InputError, ConflictError) as exc:
        return await admin_page(request, error=french_message(exc), status=http_status(exc))
    return _changed(account.username, f"rôle {ROLE_LABELS[account.role]}")


async def reset_account_password(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    try:
        account = await reset_password(
            steering(request),
            actor=user.username,
            account_id=request.path_params["account_id"],
            password=str(form.get("nouveau_mot_de_passe") or ""),
            field="nouveau_mot_de_passe",
        )
    except (InputError, ConflictError) as exc:
        return await admin_page(request, error=french_message(exc), status=http_status(exc))
    return _changed(account.username, "mot de passe remplacé, sessions fermées")


async def reactivate_account(request: Request) -> Response:
    user = await for_form(request)
    try:
        account = await reactivate(
            steering(request), actor=user.username, account_id=request.path_params["account_id"]
        )
    except ConflictError as exc:
        return await admin_page(request, error=french_message(exc), status=409)
    return _changed(account.username, "réactivé")


ROUTES = [
    GuardedRoute("/admin", admin_page, rule=Action.ACCOUNTS_MANAGE, methods=["GET"]),
    GuardedRoute("/admin/comptes", add_account, rule=Action.ACCOUNTS_MANAGE, methods=["POST"]),
    GuardedRoute(
        "/admin/comptes/{account_id:id}/desactiver",
        deactivate_account,
        rule=Action.ACCOUNTS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(
        "/admin/comptes/{account_id:id}/role",
        set_role,
        rule=Action.ACCOUNTS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(
        "/admin/comptes/{account_id:id}/mot-de-passe",
        reset_account_password,
        rule=Action.ACCOUNTS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(
        "/admin/comptes/{account_id:id}/reactiver",
        reactivate_account,
        rule=Action.ACCOUNTS_MANAGE,
        methods=["POST"],
    ),
]
