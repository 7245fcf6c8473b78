"""The call's context (attempt, person, campaign, questionnaire) is read once, when the
agent's screen is prepared at reservation, and kept until the wrap-up ends: saving an
answer, a note or the sheet reads none of it again."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from dialer.storage import AttemptLedger, CampaignRepository, CycleRepository, PersonRepository
from dialer.storage.database import SessionFactory
from dialer.testing import Clock
from dialer.web.app import screens_of
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World, place_call

pytestmark = pytest.mark.asyncio

#: the repository reads a call's context is made of
CONTEXT_READS = (
    (AttemptLedger, "get"),
    (PersonRepository, "get"),
    (CycleRepository, "get"),
    (CampaignRepository, "get"),
)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """A spy on the context's repository reads: ``{"PersonRepository.get": 1, ...}``."""
    counted: Counter[str] = Counter()
    for repository, name in CONTEXT_READS:
        original: Callable[..., Awaitable[Any]] = getattr(repository, name)

        def spy(original: Callable[..., Awaitable[Any]], key: str) -> Callable[..., Awaitable[Any]]:
            async def counting(*args: Any, **kwargs: Any) -> Any:
                counted[key] += 1
                return await original(*args, **kwargs)

            return counting

        monkeypatch.setattr(repository, name, spy(original, f"{repository.__name__}.{name}"))
    return counted


async def test_answers_read_no_context_once_the_screen_is_prepared(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    reads: Counter[str],
) -> None:
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    screens = screens_of(app)
    socket = screens.open("agent1")
    desk.reserve("agent1", attempt_id)
    await screens.reserved("agent1", attempt_id)  # the engine's notice: the screen is prepared
    desk.join("agent1")
    await screens.joined("agent1", attempt_id)
    popped = json.loads(await asyncio.wait_for(socket.queue.get(), 5))
    assert popped["view"]["person"]["name"] == "Jeanne DUPONT"
    assert reads == Counter(f"{r.__name__}.{n}" for r, n in CONTEXT_READS)  # once each
    reads.clear()

    for question, value in (("malaise", False), ("vit_seul", True), ("visites", "jamais")):
        answered = await client.post(
            f"/api/v1/agent/calls/{attempt_id}/answers",
            json={"question_id": question, "value": value},
            headers=headers,
        )
        assert answered.status_code == 200
    note = await client.post(
        f"/api/v1/agent/calls/{attempt_id}/note", json={"note": "Voix fatiguée."}, headers=headers
    )
    assert note.status_code == 200
    assert reads == Counter()  # no context read for answers and notes

    await desk.end_call("agent1")
    submitted = await client.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        json={"disposition": "interrupted", "note": "a raccroché"},
        headers=headers,
    )
    assert submitted.json()["wrap_up"] == "done"
    assert reads == Counter()
    # the wrap-up has ended: the context is no longer kept
    await screens.views.current("agent1", attempt_id)
    assert sum(reads.values()) == len(CONTEXT_READS)
    screens.close(socket)


async def test_a_call_whose_screen_was_not_prepared_reads_its_context_once(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    reads: Counter[str],
) -> None:
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.bob_id, now=clock(), number="+33155555555"
    )
    desk.reserve("agent1", attempt_id)  # no notice to the screens (a restarted service)
    desk.join("agent1")
    for value in (True, False, True):
        answered = await client.post(
            f"/api/v1/agent/calls/{attempt_id}/answers",
            json={"question_id": "vit_seul", "value": value},
            headers=headers,
        )
        assert answered.status_code == 200
    assert sum(reads.values()) == len(CONTEXT_READS)  # the first answer's, then kept
