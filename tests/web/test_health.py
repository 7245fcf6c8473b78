"""``/healthz`` and ``/readyz``: public probes that say what is not ready, and nothing
personal."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from dialer.web.health import configure_readiness

pytestmark = pytest.mark.asyncio


@dataclass
class Node:
    name: str
    logged_in: bool
    prompts_present: bool | None = True


async def test_alive_needs_no_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"etat": "vivant"}
    assert response.headers["cache-control"] == "no-store"


async def test_ready_when_the_database_answers_and_every_node_is_logged_in(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    configure_readiness(app, [Node("asterisk-1", True), Node("asterisk-2", True)])
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "etat": "prêt",
        "base_de_donnees": "joignable",
        "noeuds": {"asterisk-1": "connecté", "asterisk-2": "connecté"},
        "message_information": {"asterisk-1": "présent", "asterisk-2": "présent"},
    }


async def test_not_ready_while_a_node_has_no_ami_session(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    configure_readiness(app, [Node("asterisk-1", True), Node("asterisk-2", False)])
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["etat"] == "pas prêt"
    assert response.json()["noeuds"]["asterisk-2"] == "déconnecté"


@pytest.mark.parametrize(("present", "said"), [(False, "absent"), (None, "pas encore vérifié")])
async def test_not_ready_while_a_node_lacks_the_information_message(
    app: Starlette, client: httpx.AsyncClient, present: bool | None, said: str
) -> None:
    """A person no agent could take would hear silence instead of the message."""
    configure_readiness(app, [Node("asterisk-1", True, present)])
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["message_information"] == {"asterisk-1": said}


async def test_not_ready_when_the_database_does_not_answer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    configure_readiness(app, [Node("asterisk-1", True)])
    sessions = app.state.web.sessions

    def broken() -> object:
        raise OSError("database gone")

    app.state.web.sessions = broken
    try:
        response = await client.get("/readyz")
    finally:
        app.state.web.sessions = sessions
    assert response.status_code == 503
    assert response.json()["base_de_donnees"] == "injoignable"


async def test_probes_answer_only_get(client: httpx.AsyncClient) -> None:
    assert (await client.post("/readyz")).status_code == 405
    assert (await client.delete("/healthz")).status_code == 405
