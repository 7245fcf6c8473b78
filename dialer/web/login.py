"""Logging in and out, and the home page that sends each role to its screen."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.roles import Role
from dialer.web.access import GuardedRoute, Open
from dialer.web.auth import LOGIN_COOKIE, SESSION_COOKIE, session_token
from dialer.web.service import authenticated, for_form, web

HOME_BY_ROLE: dict[Role, str] = {
    Role.AGENT: "/agent",
    Role.TEAM_MEMBER: "/alertes",
    Role.SUPERVISOR: "/supervision",
    Role.OPERATIONS: "/supervision",
    Role.ADMINISTRATOR: "/admin",
    Role.VOLUNTEER: "/benevole",
}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


async def home(request: Request) -> Response:
    user = await authenticated(request)
    return RedirectResponse(HOME_BY_ROLE[user.role], status_code=303)


async def login_form(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    service = web(request)
    token = secrets.token_urlsafe(24)
    message = error
    if message is None and request.query_params.get("expiree"):
        message = "Votre session a expiré. Veuillez vous reconnecter."
    response = service.templates.TemplateResponse(
        request,
        "login.html",
        {
            "user": None,
            "login_csrf": token,
            "error": message,
            "next": _safe_next(request.query_params.get("suite")) or "",
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=service.auth.policy.secure_cookies,
    )
    return response


async def login(request: Request) -> Response:
    service = web(request)
    address = request.client.host if request.client is not None else "inconnue"
    service.auth.admit(address)  # a flood is refused before its forms are read
    form = await request.form()
    username, password, csrf, target = (
        str(form.get(name) or "") for name in ("identifiant", "mot_de_passe", "csrf", "suite")
    )
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    if not csrf or not cookie or not hmac.compare_digest(csrf, cookie):
        return await login_form(
            request, error="Le formulaire a expiré. Veuillez réessayer.", status=403
        )
    opened = await service.auth.log_in(username, password, address)
    if opened is None:
        return await login_form(request, error="Identifiant ou mot de passe incorrect.", status=401)
    token, user = opened
    response = RedirectResponse(_safe_next(target) or HOME_BY_ROLE[user.role], status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.auth.policy.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=service.auth.policy.secure_cookies,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


async def logout(request: Request) -> Response:
    await for_form(request)
    await web(request).auth.log_out(session_token(request))
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


ROUTES = [
    GuardedRoute("/", home, rule=Open.LOGGED_IN, methods=["GET"]),
    GuardedRoute("/connexion", login_form, rule=Open.PUBLIC, methods=["GET"]),
    GuardedRoute("/connexion", login, rule=Open.PUBLIC, methods=["POST"]),
    GuardedRoute("/deconnexion", logout, rule=Open.LOGGED_IN, methods=["POST"]),
]
