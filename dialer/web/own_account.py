"""The logged-in person's own account: changing their password, knowing the current one
(:func:`dialer.desk.account_changes.change_own_password`). Any role may."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.desk.account_changes import change_own_password
from dialer.desk.passwords import MIN_PASSWORD_LENGTH
from dialer.errors import InputError, http_status
from dialer.web.access import GuardedRoute, Open
from dialer.web.failures import french_message
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/compte/mot-de-passe"


async def password_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    return web(request).templates.TemplateResponse(
        request,
        "own_password.html",
        {
            "user": user,
            "error": error,
            "done": request.query_params.get("fait") is not None,
            "min_length": MIN_PASSWORD_LENGTH,
        },
        status_code=status,
    )


async def change_password(request: Request) -> Response:
    user = await for_form(request)
    # guessing the current password from a session left open counts as logging in
    address = request.client.host if request.client is not None else "inconnue"
    web(request).auth.admit(address)
    form = await request.form()
    try:
        await change_own_password(
            steering(request),
            account_id=user.account_id,
            current=str(form.get("mot_de_passe_actuel") or ""),
            new=str(form.get("nouveau_mot_de_passe") or ""),
            confirmation=str(form.get("confirmation") or ""),
            keep_session=user.token_digest,
        )
    except InputError as exc:
        return await password_page(request, error=french_message(exc), status=http_status(exc))
    return RedirectResponse(f"{PAGE}?fait", status_code=303)


ROUTES = [
    GuardedRoute(PAGE, password_page, rule=Open.LOGGED_IN, methods=["GET"]),
    GuardedRoute(PAGE, change_password, rule=Open.LOGGED_IN, methods=["POST"]),
]
