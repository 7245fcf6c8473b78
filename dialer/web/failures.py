"""The web service's one place where failures become HTTP responses.

- :class:`~dialer.errors.DialerError`: the status is :func:`dialer.errors.http_status`'s;
  the person reads a French message (the error's own text when it is a French message
  meant for them, i.e. an input, not-found, conflict or too-many-attempts error raised by
  the web layer; a generic text otherwise: internal details are logged, never shown). A
  too-many-attempts answer (429) carries ``Retry-After``.
- :class:`LoginRequired`: a page redirects to the login form; a script gets 401.
- Starlette's :class:`HTTPException` (403 for a role or a CSRF failure): its French detail.

Script requests (``/api/...``) get JSON ``{"erreur": "..."}``, pages an HTML page.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from dialer.errors import (
    ConflictError,
    DialerError,
    InputError,
    NotReadyError,
    RowsError,
    StorageError,
    TelephonyError,
    TooManyAttemptsError,
    http_status,
)
from dialer.web.auth import SESSION_COOKIE

log = logging.getLogger(__name__)

GENERIC_MESSAGES: tuple[tuple[type[DialerError], str], ...] = (
    (TelephonyError, "La téléphonie ne répond pas pour le moment. Réessayez dans un instant."),
    (StorageError, "La base de données ne répond pas pour le moment. Réessayez dans un instant."),
    (DialerError, "Une erreur interne est survenue. Prévenez votre superviseur."),
)

HTTP_MESSAGES: dict[int, str] = {
    401: "Veuillez vous connecter.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Action non autorisée.",
}


class LoginRequired(Exception):
    """No valid session: log in first."""


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def french_message(error: DialerError) -> str:
    """Messages of input, not-found and conflict errors raised by the web layer are French
    and meant for the person; anything else is replaced by a generic French text."""
    if isinstance(error, RowsError):  # lines each starting with a file's own name
        return str(error)
    if isinstance(error, InputError | ConflictError | TooManyAttemptsError | NotReadyError):
        text = str(error)
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    return next(message for cls, message in GENERIC_MESSAGES if isinstance(error, cls))


def _respond(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"erreur": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.web.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "user": getattr(request.state, "user", None)},
        status_code=status,
    )


async def dialer_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DialerError):  # registered for DialerError only
        raise exc
    status = http_status(exc)
    if status >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    elif not isinstance(exc, InputError | ConflictError):
        log.info("%s %s: %s", request.method, request.url.path, exc)
    response = _respond(request, status, french_message(exc))
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def login_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return JSONResponse({"erreur": HTTP_MESSAGES[401]}, status_code=401)
    target = f"/connexion?suite={quote(request.url.path)}"
    if request.cookies.get(SESSION_COOKIE):
        target += "&expiree=1"
    return RedirectResponse(target, status_code=303)


async def http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code == 403 else None
    message = detail or HTTP_MESSAGES.get(exc.status_code, "La demande n'a pas abouti.")
    return _respond(request, exc.status_code, message)


EXCEPTION_HANDLERS = {
    DialerError: dialer_error,
    LoginRequired: login_required,
    HTTPException: http_error,
}
