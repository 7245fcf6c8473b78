"""A shared line, on the agent's screen: the call coming in pops with the people of the
register on the calling number; the agent says who is on the phone and the call (its
contact, its sheet) becomes that person's, the other waits to be called as before. Only the
agent on the call may (403 for a supervisor, 404 for another call, 409 for a person not on
the line, 422 for a bad body)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import select, update

from dialer.core.phones import PhoneKind
from dialer.core.roles import Role
from dialer.engine.inbound_choices import InboundCaller
from dialer.storage import PersonRecord, PersonRepository, PhoneRecord, SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.database import transaction
from dialer.storage.inbound_calls import InboundCallClaims
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.testing import Clock
from tests.stored import enrol, person_by_external_id
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World

pytestmark = pytest.mark.asyncio

LINE = "+33145678910"  # Jeanne's landline, which Marie shares


async def shared_line_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> tuple[str, int, str]:
    """Marie shares Jeanne's line; the line calls in and is taken by agent1 (Jeanne, the
    number's first holder, by default). The csrf token, Marie's id, the call's id."""
    await PersonRepository(sessions).write_batch(
        [
            PersonRecord(
                external_id="M3",
                last_name="Dupont",
                first_name="Marie",
                birth_date=date(1944, 3, 1),
                phones=[PhoneRecord(LINE, PhoneKind.LANDLINE)],
            )
        ],
        [],
        now=clock(),
    )
    marie = await person_by_external_id(sessions, "M3")
    assert marie is not None
    await enrol(
        sessions, world.cycle_id, [(world.jeanne_id, LINE, clock()), (marie.id, LINE, clock())]
    )
    claims = InboundCallClaims(sessions)

    async def attach_inbound(agent: str, attempt_id: str, person_id: int) -> None:
        await claims.reattach(attempt_id, person_id, engaged={})  # the engine's storage part

    def inbound_caller(agent: str, attempt_id: str) -> InboundCaller:
        return InboundCaller(attempt_id, LINE, world.cycle_id, world.jeanne_id)

    desk.attach_inbound = attach_inbound  # type: ignore[attr-defined]
    desk.inbound_caller = inbound_caller  # type: ignore[attr-defined]
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt = await claims.take(
        world.cycle_id,
        LINE,
        attempt_id="1790000000.1",
        agent="agent1",
        node="node-1",
        arrived_at=clock(),
    )
    assert attempt is not None
    assert attempt.person_id == world.jeanne_id
    desk.reserve("agent1", attempt.id)
    desk.join("agent1")
    return csrf, marie.id, attempt.id


async def statuses(sessions: SessionFactory) -> dict[int, MemberStatus]:
    async with transaction(sessions) as session:
        return {m.person_id: m.status for m in await session.scalars(select(CycleMember))}


async def test_the_agent_says_who_is_on_a_shared_line(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf, marie_id, call = await shared_line_call(client, sessions, world, desk, clock)
    view = (await client.get(f"/api/v1/agent/calls/{call}")).json()
    assert view["inbound_call"]
    assert view["person"]["name"] == "Jeanne DUPONT"
    # only what telling them apart needs: no address, no flags
    assert view["line_holders"] == [
        {"id": world.jeanne_id, "name": "Jeanne DUPONT", "age": 85},
        {"id": marie_id, "name": "Marie DUPONT", "age": 82},
    ]
    chosen = await client.post(
        f"/api/v1/agent/calls/{call}/person",
        json={"person_id": marie_id},
        headers={"X-CSRF-Token": csrf},
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["person"]["name"] == "Marie DUPONT"
    assert (await AttemptLedger(sessions).get(call)).person_id == marie_id
    # the contact is Marie's; Jeanne waits to be called, as before
    assert (await statuses(sessions))[marie_id] is MemberStatus.IN_CALL
    assert (await statuses(sessions))[world.jeanne_id] is MemberStatus.WAITING
    assert (await client.get(f"/api/v1/agent/persons/{marie_id}")).status_code == 200
    assert (await client.get(f"/api/v1/agent/persons/{world.jeanne_id}")).status_code == 404


async def test_a_shared_line_choice_is_refused_clearly(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf, marie_id, call = await shared_line_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{call}/person"
    headers = {"X-CSRF-Token": csrf}
    not_on_line = await client.post(url, json={"person_id": world.bob_id}, headers=headers)
    assert not_on_line.status_code == 409
    assert "n'a pas le numéro" in not_on_line.json()["erreur"]
    for body in ({}, {"person_id": "Marie"}, {"person_id": -1}, {"person_id": 10**12}):
        refused = await client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, body
        assert "person_id" in refused.json()["erreur"]
    other = await client.post(
        "/api/v1/agent/calls/1790000000.9/person", json={"person_id": marie_id}, headers=headers
    )
    assert other.status_code == 404
    assert (await AttemptLedger(sessions).get(call)).person_id == world.jeanne_id  # unchanged
    supervisor = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with supervisor:
        token = await log_in(supervisor, "superviseur")
        forbidden = await supervisor.post(
            url, json={"person_id": marie_id}, headers={"X-CSRF-Token": token}
        )
        assert forbidden.status_code == 403


async def test_the_agent_page_has_the_shared_line_choice(client: httpx.AsyncClient) -> None:
    await log_in(client, "agent1")
    page = (await client.get("/agent")).text
    assert 'id="ligne-partagee"' in page
    assert "Qui est au téléphone ?" in page
    assert page.index("/static/inbound.js") < page.index("/static/agent.js")
    script = (await client.get("/static/inbound.js")).text
    assert "/person" in script


async def test_a_volunteer_is_shown_nobody_else_on_a_shared_line(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    """A volunteer's view of a call names the household alone: never the other people of
    the register on the calling number (their names and ages)."""
    _, _, call = await shared_line_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{call}"
    assert len((await client.get(url)).json()["line_holders"]) == 2  # an agent chooses
    async with transaction(sessions) as session:
        await session.execute(
            update(Account).where(Account.username == "agent1").values(role=Role.VOLUNTEER)
        )
    view = await client.get(url)
    assert view.status_code == 200, view.text
    assert view.json()["line_holders"] == []
    assert view.json()["person"]["age"] is None
