"""The answers typed for the OpenAPI document are what the endpoints really return: an
agent's whole call, the dashboard, the statistics and the alerts summary, through the HTTP
application, each answer validated against its model; an answer that strays from its
model is an error, never a silent change of the API."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette

from dialer.storage import SessionFactory
from dialer.testing import Clock
from dialer.web.api_agent_responses import (
    AgentScreenState,
    CallView,
    NoteSaved,
    OfferCalled,
    PersonRecord,
    SheetProgress,
    SheetSubmitted,
)
from dialer.web.api_responses import AlertsSummary, Dashboard, Statistics
from dialer.web.openapi import openapi_path
from dialer.web.screens import AgentScreens
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World, place_call
from tests.web.typed_answers import answer_models

pytestmark = pytest.mark.asyncio

M = type[BaseModel]


def typed(response: httpx.Response, model: M) -> BaseModel:
    assert response.status_code == 200, response.text
    return model.model_validate(response.json())


async def test_an_agents_call_answers_as_documented(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf = {"X-CSRF-Token": await log_in(client, "agent1")}

    async def post(url: str, body: object = None) -> httpx.Response:
        return await client.post(url, json=body or {}, headers=csrf)

    state = typed(await client.get("/api/v1/agent/state"), AgentScreenState)
    assert state.model_dump()["state"] == "logged_out"
    typed(await post("/api/v1/agent/phone"), AgentScreenState)
    typed(await post("/api/v1/agent/ready"), AgentScreenState)
    paused = typed(await post("/api/v1/agent/pause", {"reason": "Repas"}), AgentScreenState)
    assert paused.model_dump()["pause_reason"] == "Repas"
    typed(await post("/api/v1/agent/ready"), AgentScreenState)
    # a person offered, passed; another offered, called
    offered = await place_call(
        sessions, world, person_id=world.bob_id, now=clock(), number="+33155555555"
    )
    await desk.offer("agent1", offered)
    passed = await post("/api/v1/agent/offer/pass", {"reason": "Autre", "detail": "déjà vu"})
    typed(passed, AgentScreenState)
    offered = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    await desk.offer("agent1", offered)
    called = typed(await post("/api/v1/agent/offer/call"), OfferCalled).model_dump()
    assert called["attempt_id"] == offered
    desk.join("agent1")
    view = typed(await client.get(f"/api/v1/agent/calls/{offered}"), CallView).model_dump()
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert view["questionnaire"]["questions"]
    person = await client.get(f"/api/v1/agent/persons/{world.jeanne_id}")
    assert typed(person, PersonRecord).model_dump()["id"] == world.jeanne_id
    answered = await post(
        f"/api/v1/agent/calls/{offered}/answers", {"question_id": "eau", "value": True}
    )
    assert "eau" not in typed(answered, SheetProgress).model_dump()["missing"]
    note = await post(f"/api/v1/agent/calls/{offered}/note", {"note": "va bien"})
    assert typed(note, NoteSaved).model_dump() == {"ok": True}
    typed(await post("/api/v1/agent/hang-up"), AgentScreenState)
    sheet = await post(f"/api/v1/agent/calls/{offered}/sheet", {"disposition": "interrupted"})
    submitted = typed(sheet, SheetSubmitted).model_dump()
    assert submitted["wrap_up"] in ("done", "after_call", "none")


async def test_the_supervision_answers_as_documented(
    client: httpx.AsyncClient, desk: FakeDesk
) -> None:
    await log_in(client, "superviseur")
    dashboard = typed(await client.get("/api/v1/dashboard"), Dashboard)
    assert dashboard.model_dump()["live"]["engine"] is True
    statistics = typed(await client.get("/api/v1/statistics"), Statistics).model_dump()
    assert statistics["screens"]["screens_open"] == 0
    await log_in(client, "membre.nord")  # a team member's inbox
    summary = typed(await client.get("/api/v1/alerts/summary"), AlertsSummary).model_dump()
    assert summary == {"open": 0, "newest": 0}


async def test_an_answer_that_strays_from_its_model_is_an_error(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = AgentScreens.state

    def with_a_stray_field(self: AgentScreens, agent: str) -> dict[str, object]:
        return {**original(self, agent), "undocumented": 1}

    monkeypatch.setattr(AgentScreens, "state", with_a_stray_field)
    await log_in(client, "agent1")
    with pytest.raises(ValidationError, match="undocumented"):
        await client.get("/api/v1/agent/state")


async def test_the_test_clients_check_every_documented_answer(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    """Every operation of the document has the model the test clients check its answers
    against (:mod:`tests.web.typed_answers`)."""
    await log_in(client, "superviseur")
    document = (await client.get("/api/v1/openapi.json")).json()
    documented = set()
    files = set()
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            answers = operation["responses"]
            content = (answers.get("201") or answers["200"])["content"]
            if "application/json" in content:
                documented.add((method.upper(), path))
            else:  # a file (the per-person results' CSV, XLSX; the needs analysis): no model
                ((media, file),) = content.items()
                assert file["schema"]["contentMediaType"] == media
                files.add(path)
    assert len(files) == 7  # results: 2 + an episode's 2; the needs analysis: 3
    checked = {(method, openapi_path(path)) for method, path, _, _ in answer_models(app)}
    assert documented - checked == set()
    assert len(documented) > 45
