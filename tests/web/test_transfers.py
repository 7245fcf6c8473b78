"""Transfers through the web entry points, with a fake telephony node: the numbers offered
(settings and the record's relative), warm and conference transfers and their steps, the
person brought back when the third party does not answer or hangs up, the agent's call
ended for them when they leave, and the refusals (not an agent, not on a call, a number
not offered, a free number when the settings forbid it, a malformed one). Every transfer
is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.desk.transfers import Transfers
from dialer.settings import TransferSettings
from dialer.storage import SessionFactory
from dialer.testing import Clock
from dialer.web.transfers import configure_transfers
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World
from tests.web.transfer_support import (
    FakeCloser,
    FakeTransferNode,
    audit_of,
    on_call,
    started_transfers,
    wait_for,
)

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def node(
    app: Starlette, sessions: SessionFactory, desk: FakeDesk, clock: Clock
) -> AsyncIterator[tuple[FakeTransferNode, FakeCloser]]:
    service, fake, closer = await started_transfers(app, sessions, desk, clock)
    yield fake, closer
    await service.stop()


async def test_a_warm_transfer_consults_then_joins_the_three_then_hands_over(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: tuple[FakeTransferNode, FakeCloser],
) -> None:
    fake, closer = node
    headers = {"X-CSRF-Token": await log_in(client, "agent1")}
    page = (await client.get("/agent")).text
    assert 'id="transfert-accompagne"' in page
    assert "Conférence à trois" in page
    await client.post("/api/v1/agent/phone", headers=headers)
    not_on_call = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    assert not_on_call.status_code == 409
    assert "pas en communication" in not_on_call.json()["erreur"]
    client.cookies.clear()
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)

    choices = (await client.get("/api/v1/agent/transfer")).json()
    assert choices["offered"] == [
        {"label": "SAMU (15)", "number": "15"},
        {"label": "Astreinte équipe Nord", "number": "0612000000"},
        {"label": "Proche : Paul Dupont (fils)", "number": "+33612345678"},
        # Jeanne lives in the Nord: that team's first contact with a phone
        {"label": "Astreinte : Équipe Nord", "number": "+33100000001"},
    ]
    assert choices["free_numbers"] is False
    assert choices["current"] is None

    fake.alive.add(attempt_id)
    fake.ringing.clear()
    started = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    assert started.status_code == 201, started.text
    assert started.json()["state"] == "calling"
    assert fake.steps[0] == ("hold", attempt_id, "leg-agent1", "hold")
    early = await client.post("/api/v1/agent/transfer/join", headers=headers)
    assert early.status_code == 409
    assert "pas encore répondu" in early.json()["erreur"]
    twice = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    assert twice.status_code == 409
    fake.ringing.set()

    async def consulting() -> bool:
        current = (await client.get("/api/v1/agent/transfer")).json()["current"]
        return bool(current and current["state"] == "consulting")

    await wait_for(consulting, "the third party answered")
    joined = await client.post("/api/v1/agent/transfer/join", headers=headers)
    assert joined.json()["state"] == "conference"
    assert joined.json()["state_label"] == "Conférence à trois"
    left = await client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert left.json()["state"] == "handed_over"
    assert closer.ended == [attempt_id]  # the agent's part of the call ended
    assert ("agent back", "leg-agent1") in fake.steps
    # the third party hangs up: the person, alone, is hung up
    third = f"xfer-{started.json()['id']}"
    fake.alive.discard(third)

    async def person_hung_up() -> bool:
        return ("hang up", attempt_id) in fake.steps

    await wait_for(person_hung_up, "the person left alone is hung up")
    [start] = await audit_of(sessions, "call.transfer_start")
    assert start == {
        "actor": "agent1",
        "target": f"attempt:{attempt_id}",
        "transfer": started.json()["id"],
        "number": "15",
        "kind": "warm",
    }

    async def ended() -> bool:
        return bool(await audit_of(sessions, "call.transfer_end"))

    await wait_for(ended, "the transfer's end audited")
    [end] = await audit_of(sessions, "call.transfer_end")
    assert end["outcome"] == "handed_over"
    steps = await audit_of(sessions, "call.transfer_step")
    assert [s["step"] for s in steps] == ["joined", "left"]

    # the ledger of the person's transfers: the journal, in French, found by person
    client.cookies.clear()
    await log_in(client, "superviseur")
    journal = await client.get("/supervision/journal", params={"personne": str(world.jeanne_id)})
    assert journal.status_code == 200
    for shown in ("Transfert d&#39;un appel", "Fin d&#39;un transfert d&#39;appel", "handed_over"):
        assert shown in journal.text, shown


async def test_the_person_comes_back_to_the_agent_when_the_third_party_does_not_answer(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: tuple[FakeTransferNode, FakeCloser],
) -> None:
    fake, closer = node
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)
    fake.answers = False
    started = await client.post(
        "/api/v1/agent/transfer",
        json={"number": "+33612345678", "kind": "conference"},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    assert fake.steps[0] == ("hold", attempt_id, "leg-agent1", "room")

    async def back() -> bool:
        return ("rejoin", attempt_id, "leg-agent1") in fake.steps

    await wait_for(back, "the person back with the agent")
    assert (await client.get("/api/v1/agent/transfer")).json()["current"] is None
    assert closer.ended == []

    # a conference whose third party hangs up: back with the agent too
    fake.answers = True
    again = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "conference"}, headers=headers
    )
    assert again.status_code == 201

    async def in_conference() -> bool:
        current = (await client.get("/api/v1/agent/transfer")).json()["current"]
        return bool(current and current["state"] == "conference")

    await wait_for(in_conference, "the third party answered")
    fake.alive.discard(f"xfer-{again.json()['id']}")

    async def two_ends() -> bool:
        return len(await audit_of(sessions, "call.transfer_end")) == 2

    await wait_for(two_ends, "both transfers ended")
    outcomes = [e["outcome"] for e in await audit_of(sessions, "call.transfer_end")]
    assert outcomes == ["not_answered", "third_hung_up"]


async def test_transfers_are_refused_to_other_roles_and_to_numbers_not_offered(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: tuple[FakeTransferNode, FakeCloser],
) -> None:
    fake, _ = node
    headers, _attempt = await on_call(client, sessions, world, desk, clock)
    for number in ("0699999999", "15; Hangup", "", "3615"):
        refused = await client.post(
            "/api/v1/agent/transfer", json={"number": number, "kind": "warm"}, headers=headers
        )
        assert refused.status_code == 409, number
        assert "numéros de transfert proposés" in refused.json()["erreur"]
    bad_kind = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "blind"}, headers=headers
    )
    assert bad_kind.status_code == 422
    assert "kind" in bad_kind.json()["erreur"]
    too_long = await client.post(
        "/api/v1/agent/transfer", json={"number": "1" * 40, "kind": "warm"}, headers=headers
    )
    assert too_long.status_code == 422
    unknown_step = await client.post("/api/v1/agent/transfer/explode", headers=headers)
    assert unknown_step.status_code == 422
    no_transfer = await client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert no_transfer.status_code == 409
    assert fake.steps == []
    assert await audit_of(sessions, "call.transfer_start") == []

    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur")}
    assert (await client.get("/api/v1/agent/transfer")).status_code == 403
    forbidden = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=sup
    )
    assert forbidden.status_code == 403


async def test_free_numbers_when_the_settings_allow_them_are_checked(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    fake = FakeTransferNode()
    service = Transfers(
        sessions,
        TransferSettings(free_numbers=True),
        desk=desk,
        port=fake,
        closer=None,
        caller_id="",
        clock=clock,
    )
    configure_transfers(app, service)
    headers, _ = await on_call(client, sessions, world, desk, clock)
    assert (await client.get("/api/v1/agent/transfer")).json()["free_numbers"] is True
    for number in ("15; Hangup", "06 12", "+0612345678", "abc"):
        refused = await client.post(
            "/api/v1/agent/transfer", json={"number": number, "kind": "warm"}, headers=headers
        )
        assert refused.status_code == 409, number
        assert "Numéro invalide" in refused.json()["erreur"]
    typed = await client.post(
        "/api/v1/agent/transfer", json={"number": "06 12 34 56 78", "kind": "warm"}, headers=headers
    )
    assert typed.status_code == 201, typed.text
    assert typed.json()["number"] == "0612345678"
    await service.stop()


async def test_a_warm_transfer_hands_over_straight_from_the_consultation_or_is_cancelled(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: tuple[FakeTransferNode, FakeCloser],
) -> None:
    fake, closer = node
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)

    async def consulting() -> bool:
        current = (await client.get("/api/v1/agent/transfer")).json()["current"]
        return bool(current and current["state"] == "consulting")

    # cancelled: the third party hung up, the person back with the agent
    first = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    await wait_for(consulting, "the third party answered")
    cancelled = await client.post("/api/v1/agent/transfer/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "ended"
    third = f"xfer-{first.json()['id']}"
    assert fake.steps[-2:] == [("hang up", third), ("rejoin", attempt_id, "leg-agent1")]
    assert (await client.get("/api/v1/agent/transfer")).json()["current"] is None

    # left straight from the consultation: the person goes to the third party first
    await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    await wait_for(consulting, "the third party answered")
    left = await client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert left.json()["state"] == "handed_over"
    assert fake.steps[-2:] == [("room", attempt_id), ("agent back", "leg-agent1")]
    assert closer.ended == [attempt_id]
    again = await client.post("/api/v1/agent/transfer/join", headers=headers)
    assert again.status_code == 409
    assert "aucun transfert en cours" in again.json()["erreur"].lower()
