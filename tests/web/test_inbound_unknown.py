"""A number on no register, on the agent's screen: the agent searches the campaign's
register (a name, a postcode, a number; a few results, a few searches a minute) and
attaches the call to the person found, or notes who called; the supervisors read the
notes. Only the agent on the call may (403, 404, 409, 422, 429)."""

from __future__ import annotations

import httpx
import pytest

from dialer.core.attempts import AttemptKind
from dialer.core.inbound_search import SEARCHES_PER_WINDOW
from dialer.engine.inbound_choices import InboundCaller
from dialer.errors import NotFoundError
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.inbound_calls import InboundCallClaims
from dialer.storage.ledger import AttemptLedger
from dialer.testing import Clock
from tests.stored import enrol, oppose
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World

pytestmark = pytest.mark.asyncio

CALL = "1790000000.2"
NEIGHBOUR = "+33699999999"


async def unknown_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> dict[str, str]:
    """agent1 on a call from a number on no register; the engine's part played by the
    desk with the real storage. The headers of agent1's requests."""
    await enrol(
        sessions,
        world.cycle_id,
        [(world.jeanne_id, "+33145678910", clock()), (world.bob_id, "+33155555555", clock())],
    )
    attached: dict[str, int] = {}
    claims = InboundCallClaims(sessions)

    def inbound_caller(agent: str, attempt_id: str) -> InboundCaller:
        return InboundCaller(attempt_id, NEIGHBOUR, world.cycle_id, attached.get(attempt_id))

    async def attach_inbound(agent: str, attempt_id: str, person_id: int) -> None:
        await claims.attach_found(
            world.cycle_id,
            person_id,
            attempt_id=attempt_id,
            number=NEIGHBOUR,
            agent=agent,
            node="node-1",
            answered_at=clock(),
            bridged_at=clock(),
            engaged={},
        )
        attached[attempt_id] = person_id

    desk.inbound_caller = inbound_caller  # type: ignore[attr-defined]
    desk.attach_inbound = attach_inbound  # type: ignore[attr-defined]
    headers = {"X-CSRF-Token": await log_in(client, "agent1")}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    desk.reserve("agent1", CALL)
    desk.join("agent1")
    return headers


async def test_the_agent_finds_the_person_and_attaches_the_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    headers = await unknown_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{CALL}/register"
    by_name = (await client.get(url, params={"q": "dupont"})).json()
    assert by_name == {
        "people": [
            {"id": world.jeanne_id, "name": "Jeanne DUPONT", "age": 85, "postcode": "75019"}
        ],
        "more": False,
    }
    by_postcode = (await client.get(url, params={"q": "75019"})).json()
    assert [p["id"] for p in by_postcode["people"]] == [world.jeanne_id]
    by_number = (await client.get(url, params={"q": "01 55 55 55 55"})).json()
    assert [p["id"] for p in by_number["people"]] == [world.bob_id]
    assert (await client.get(url, params={"q": "%"})).status_code == 422  # no wildcard
    chosen = await client.post(
        f"/api/v1/agent/calls/{CALL}/person", json={"person_id": world.jeanne_id}, headers=headers
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["person"]["name"] == "Jeanne DUPONT"
    attempt = await AttemptLedger(sessions).get(CALL)
    assert (attempt.person_id, attempt.kind) == (world.jeanne_id, AttemptKind.INBOUND)
    # the call is a person's now: no more search, no note as an unknown number
    assert (await client.get(url, params={"q": "dupont"})).status_code == 409


async def test_the_agent_notes_who_called_and_the_supervisors_read_it(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    headers = await unknown_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{CALL}/caller-note"
    saved = await client.post(
        url, json={"note": "Sa voisine, Mme Petit : Jeanne ne répond plus"}, headers=headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["caller"] == NEIGHBOUR
    for body in ({"note": "  "}, {"note": "x" * 1001}, {"note": 3}, {}):
        refused = await client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, body
        assert "note" in refused.json()["erreur"]
    assert (await client.get("/api/v1/inbound-notes")).status_code == 403  # an agent
    supervisor = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with supervisor:
        token = await log_in(supervisor, "superviseur")
        notes = (await supervisor.get("/api/v1/inbound-notes")).json()["notes"]
        assert [(n["agent"], n["note"], n["caller"]) for n in notes] == [
            ("agent1", "Sa voisine, Mme Petit : Jeanne ne répond plus", NEIGHBOUR)
        ]
        page = (await supervisor.get("/supervision")).text
        assert "Appels reçus de numéros inconnus" in page
        assert "Sa voisine, Mme Petit : Jeanne ne répond plus" in page
        # each read of the notes is in the audit log, as every read of personal data
        reads = await AuditLog(sessions).search(AuditFilter(action="read.caller_notes"))
        assert {entry.route for entry in reads} == {"GET /api/v1/inbound-notes", "GET /supervision"}
        assert all(entry.actor == "superviseur" for entry in reads)
        assert all(entry.details["calls"] == [CALL] for entry in reads)
        forbidden = await supervisor.get(
            f"/api/v1/agent/calls/{CALL}/register", params={"q": "dupont"}
        )
        assert forbidden.status_code == 403
        forbidden = await supervisor.post(
            url, json={"note": "moi"}, headers={"X-CSRF-Token": token}
        )
        assert forbidden.status_code == 403


async def test_the_register_search_is_bounded(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await unknown_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{CALL}/register"
    for q in ("ab", "", "x" * 61, "12"):
        refused = await client.get(url, params={"q": q})
        assert refused.status_code == 422, q
        assert "« q »" in refused.json()["erreur"]
    other = await client.get("/api/v1/agent/calls/1790000000.9/register", params={"q": "dupont"})
    assert other.status_code == 404  # not this agent's call
    for _ in range(SEARCHES_PER_WINDOW):
        assert (await client.get(url, params={"q": "martin"})).status_code == 200
    limited = await client.get(url, params={"q": "martin"})
    assert limited.status_code == 429
    assert "Trop de recherches" in limited.json()["erreur"]
    clock.advance(61)
    assert (await client.get(url, params={"q": "martin"})).status_code == 200


async def test_the_agent_page_has_the_unknown_callers_form(client: httpx.AsyncClient) -> None:
    await log_in(client, "agent1")
    page = (await client.get("/agent")).text
    assert 'id="numero-inconnu"' in page
    assert "Chercher dans le registre la personne dont on vous parle" in page
    assert "Ou noter qui a appelé, pour qui et pourquoi" in page
    script = (await client.get("/static/inbound.js")).text
    assert "/register?q=" in script
    assert "/caller-note" in script


async def test_a_held_person_is_neither_found_nor_attached(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    """Bob opposed to the calls: the search does not list him, attaching the call to him
    is refused (409, in French), nothing written."""
    headers = await unknown_call(client, sessions, world, desk, clock)
    await oppose(sessions, world.bob_id, clock())
    url = f"/api/v1/agent/calls/{CALL}/register"
    found = await client.get(url, params={"q": "01 55 55 55 55"})
    assert found.status_code == 200, found.text
    assert found.json()["people"] == []
    refused = await client.post(
        f"/api/v1/agent/calls/{CALL}/person", json={"person_id": world.bob_id}, headers=headers
    )
    assert refused.status_code == 409
    assert "ne peut pas être appelée" in refused.json()["erreur"]
    with pytest.raises(NotFoundError):
        await AttemptLedger(sessions).get(CALL)
