"""Issue 16, security tier: a bounded schemathesis fuzz of the OpenAPI document against a
live server (uvicorn on 127.0.0.1, its own event loop in a thread, a seeded SQLite
database, a real engine on a fake telephony node). Valid and invalid requests with the
API token of a role allowed to make them: not a single server error (HTTP 5xx)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.testing import Clock
from dialer.web.access import roles_of
from dialer.web.api import ENDPOINTS
from dialer.web.app import create_app
from tests.web.steering_support import build_engine, usable_seeded_campaign
from tests.web.support import (
    PASSWORD,
    SECRET_KEY,
    T0,
    catalog_in,
    fast_passwords,
    open_database,
    seed,
)

pytestmark = pytest.mark.security

#: examples per operation and generation mode: about 300 requests in all, well under a
#: minute on two cores
EXAMPLES = 8
USERS = {
    Role.SUPERVISOR: "superviseur",
    Role.OPERATIONS: "exploitation",
    Role.ADMINISTRATOR: "admin",
    Role.VOLUNTEER: "benevole",
}


@dataclass
class LiveService:
    url: str = ""
    tokens: dict[Role, str] = field(default_factory=dict)
    ready: threading.Event = field(default_factory=threading.Event)
    server: uvicorn.Server | None = None


async def _serve(folder: Path, live: LiveService) -> None:
    database, sessions = await open_database(folder / "fuzz.db")
    clock = Clock(T0)
    world = await seed(sessions, now=clock())
    await create_account(
        sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    await create_account(sessions, "benevole", PASSWORD, Role.VOLUNTEER, passwords=fast_passwords())
    await usable_seeded_campaign(sessions, world, clock)
    engine, _, control = await build_engine(sessions, clock)
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=catalog_in(folder / "questionnaires"),
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=fast_passwords(),
        control=control,
    )
    repository = ApiTokenRepository(sessions)
    for role, username in USERS.items():
        _, live.tokens[role] = await repository.create(
            name=f"fuzz-{username}",
            username=username,
            created_by="test",
            now=clock(),
            lifetime=timedelta(days=1),
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    live.server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    live.url = f"http://127.0.0.1:{port}"
    live.ready.set()
    await live.server.serve()
    await engine.flush()
    await database.dispose()


@pytest.fixture
def live_service(tmp_path: Path) -> Iterator[LiveService]:
    live = LiveService()
    thread = threading.Thread(target=asyncio.run, args=(_serve(tmp_path, live),), daemon=True)
    thread.start()
    assert live.ready.wait(30), "the server was not set up"
    deadline = time.monotonic() + 30
    while not _listening(live.url):
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield live
    assert live.server is not None
    live.server.should_exit = True
    thread.join(30)


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def _token_for(live: LiveService, method: str, path: str) -> str:
    """The token of a role allowed to call the operation (a supervisor's by default)."""
    for endpoint in ENDPOINTS:
        if (endpoint.method, endpoint.path.replace(":id}", "}")) == (method, path):
            role = next(r for r in roles_of(endpoint.action) if r in live.tokens)
            return live.tokens[role]
    return live.tokens[Role.SUPERVISOR]


def _fuzz(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    *,
    url: str,
    token: str,
    failures: list[str],
) -> int:
    """Send ``EXAMPLES`` generated requests; note every server error; how many were sent."""
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} {case.body!r:.300}: {response.status_code}"
            )

    fuzz()
    return sent


def test_the_openapi_document_fuzzed_gives_no_server_error(live_service: LiveService) -> None:
    schema = schemathesis.openapi.from_url(f"{live_service.url}/api/v1/openapi.json")
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document is invalid: {result}"
        operation = result.ok()
        token = _token_for(live_service, operation.method.upper(), operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent += _fuzz(operation, mode, url=live_service.url, token=token, failures=failures)
    assert sent > 150
    assert failures == [], "\n".join(failures)
