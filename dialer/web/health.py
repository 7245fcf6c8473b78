"""The probes of a process supervisor, a load balancer or a container engine:

- ``/healthz``: the process answers (alive), nothing else is asked;
- ``/readyz``: the service can do its work: the database answers, every telephony node
  has a logged-in AMI session and the information message played to a person no agent
  could take (503 otherwise, saying which part is not ready).

Both are public (a probe does not log in) and tell nothing personal: the state of the
database and of each node, by name. The nodes are given by :func:`configure_readiness`
(``dialer serve`` does it); an application without nodes checks the database only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dialer.storage.database import database_reachable
from dialer.web.access import GuardedRoute, Open
from dialer.web.service import web


class LoggedInNode(Protocol):
    """A telephony node as the readiness probe sees it."""

    @property
    def name(self) -> str: ...

    @property
    def logged_in(self) -> bool: ...

    @property
    def prompts_present(self) -> bool | None: ...


def configure_readiness(app: Starlette, nodes: Sequence[LoggedInNode]) -> None:
    """``/readyz`` also asks each of ``nodes`` whether its AMI session is logged in and
    its Asterisk has the information message."""
    app.state.readiness_nodes = tuple(nodes)


_PROMPT = {True: "présent", False: "absent", None: "pas encore vérifié"}


async def alive(_request: Request) -> Response:
    return JSONResponse({"etat": "vivant"})


async def ready(request: Request) -> Response:
    nodes: tuple[LoggedInNode, ...] = getattr(request.app.state, "readiness_nodes", ())
    database = await database_reachable(web(request).sessions)
    telephony = {node.name: node.logged_in for node in nodes}
    prompts = {node.name: node.prompts_present for node in nodes}
    is_ready = database and all(telephony.values()) and all(prompts.values())
    body = {
        "etat": "prêt" if is_ready else "pas prêt",
        "base_de_donnees": "joignable" if database else "injoignable",
        "noeuds": {name: "connecté" if up else "déconnecté" for name, up in telephony.items()},
        "message_information": {name: _PROMPT[there] for name, there in prompts.items()},
    }
    return JSONResponse(body, status_code=200 if is_ready else 503)


ROUTES = [
    GuardedRoute("/healthz", alive, rule=Open.PUBLIC, methods=["GET"]),
    GuardedRoute("/readyz", ready, rule=Open.PUBLIC, methods=["GET"]),
]
