"""The CLI's client of the running service's REST API (``/api/v1``): the commands that act
on a running service go through the same code, and the same audit log, as the pages.

An error answer becomes the matching :mod:`dialer.errors` exception (so the command exits
with its code) carrying the service's French message. ``--url`` defaults to the settings'
web address; the token comes from ``--token`` or ``DIALER_API_TOKEN``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
import httpx

from dialer.cli.context import settings_of
from dialer.errors import (
    AuthenticationError,
    ConflictError,
    DialerError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    TelephonyError,
)

TOKEN_VARIABLE = "DIALER_API_TOKEN"  # noqa: S105 - a variable name, not a secret
#: items asked per page of a list (the API gives at most 1000)
PAGE_SIZE = 500

F = TypeVar("F", bound=Callable[..., Any])

_BY_STATUS: dict[int, type[DialerError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: InputError,
    422: InputError,
    503: TelephonyError,
}


class ApiClient:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise AuthenticationError(
                f"jeton d'API absent : --token ou {TOKEN_VARIABLE} "
                "(un administrateur le crée avec « dialer api-token create --user … »)"
            )
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = self._client.request(
                method, path, json=json, params=params, files=files, data=data
            )
        except httpx.TransportError as exc:
            raise DialerError(
                f"le service ne répond pas à {self.url} ({type(exc).__name__}) : "
                "« dialer serve » tourne-t-il ? (--url pour une autre adresse)"
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response.json()

    def items(
        self, path: str, *, params: dict[str, str] | None = None, most: int | None = None
    ) -> list[Any]:
        """Every item of a paged list (``{"items": [...], "next_offset": ...}``), page after
        page; at most ``most`` of them when given."""
        found: list[Any] = []
        offset: int | None = 0
        while offset is not None and (most is None or len(found) < most):
            size = PAGE_SIZE if most is None else min(PAGE_SIZE, most - len(found))
            page = self.call(
                "GET", path, params={**(params or {}), "limit": str(size), "offset": str(offset)}
            )
            found += page["items"]
            offset = page["next_offset"]
        return found


def _error(response: httpx.Response) -> DialerError:
    try:
        message = str(response.json().get("erreur") or response.text)
    except ValueError:
        message = response.text or response.reason_phrase
    status = response.status_code
    if status == 503 and "base de données" in message:
        return StorageError(message)
    return _BY_STATUS.get(status, DialerError)(message)


def api_options(command: F) -> F:
    """``--url`` and ``--token`` for a command that calls the running service."""
    command = click.option(
        "--token",
        envvar=TOKEN_VARIABLE,
        help=f"Jeton d'API (défaut : ${TOKEN_VARIABLE}).",
    )(command)
    return click.option(
        "--url", help="Adresse du service (défaut : réglages web.host et web.port)."
    )(command)


def client(ctx: click.Context, url: str | None, token: str | None) -> ApiClient:
    """The client of the service at ``--url``, else at the settings' web address."""
    web = settings_of(ctx).web
    return ApiClient(url or f"http://{web.host}:{web.port}", token)
