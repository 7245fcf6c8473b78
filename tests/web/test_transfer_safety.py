"""Transfers that go wrong, through the web entry points with a fake node: an audit log
that refuses the start (the person is never put on hold), the agent's phone leg lost
during the transfer (the person handed to the third party who answered, or released with
the information message), and two requests at once on one transfer (one wins, the other
is a 409, the transfer's state stays one of the two)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.core.transfers import STEP_BUSY
from dialer.storage import SessionFactory
from dialer.testing import Clock
from tests.web.support import FakeDesk, World
from tests.web.transfer_support import (
    FakeCloser,
    FakeTransferNode,
    RefusingAudit,
    audit_of,
    on_call,
    started_transfers,
    wait_for,
)

pytestmark = pytest.mark.asyncio


class GatedNode(FakeTransferNode):
    """The person's move into the conference waits for a gate: a step holds its
    transfer while a second request arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def person_into_room(self, transfer_id: str, attempt_id: str) -> None:
        await self.gate.wait()
        await super().person_into_room(transfer_id, attempt_id)


@pytest_asyncio.fixture
async def service(
    app: Starlette, sessions: SessionFactory, desk: FakeDesk, clock: Clock
) -> AsyncIterator[Any]:
    transfers, fake, closer = await started_transfers(app, sessions, desk, clock)
    yield transfers, fake, closer
    await transfers.stop()


async def consulting(client: httpx.AsyncClient) -> bool:
    current = (await client.get("/api/v1/agent/transfer")).json()["current"]
    return bool(current and current["state"] == "consulting")


async def test_an_audit_log_that_refuses_the_start_never_puts_the_person_on_hold(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    service: tuple[Any, FakeTransferNode, FakeCloser],
) -> None:
    transfers, fake, _ = service
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)
    transfers._audit = RefusingAudit()
    refused = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    assert refused.status_code >= 500, refused.text
    assert fake.steps == []  # neither held nor the third party called
    assert (await client.get("/api/v1/agent/transfer")).json()["current"] is None


async def test_the_agents_leg_lost_in_consultation_hands_the_person_to_the_third_party(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    service: tuple[Any, FakeTransferNode, FakeCloser],
) -> None:
    _, fake, closer = service
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)
    started = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    await wait_for(lambda: consulting(client), "the third party answered")
    fake.alive.discard("leg-agent1")  # the agent's softphone closed

    async def handed() -> bool:
        return ("room", attempt_id) in fake.steps

    await wait_for(handed, "the person put with the third party")
    assert ("released", attempt_id) not in fake.steps
    assert closer.ended == []  # the engine hears the agent's leg end itself
    [step] = await audit_of(sessions, "call.transfer_step")
    assert step["step"] == "agent_lost"
    fake.alive.discard(f"xfer-{started.json()['id']}")  # the 15 hangs up

    async def ended() -> bool:
        return bool(await audit_of(sessions, "call.transfer_end"))

    await wait_for(ended, "the transfer's end audited")
    [end] = await audit_of(sessions, "call.transfer_end")
    assert end["outcome"] == "agent_lost_handed_over"
    assert ("hang up", attempt_id) in fake.steps  # the person left alone


async def test_the_agents_leg_lost_while_the_third_party_rings_releases_the_person(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    service: tuple[Any, FakeTransferNode, FakeCloser],
) -> None:
    _, fake, _ = service
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)
    fake.ringing.clear()
    started = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    third = f"xfer-{started.json()['id']}"
    fake.alive.discard("leg-agent1")

    async def released() -> bool:
        return ("released", attempt_id) in fake.steps

    await wait_for(released, "the person off hold, released with the message")
    assert fake.steps.index(("hang up", third)) < fake.steps.index(("released", attempt_id))
    [end] = await audit_of(sessions, "call.transfer_end")
    assert end["outcome"] == "agent_lost"
    fake.ringing.set()  # the 15 answers too late: hung up

    async def late_hung_up() -> bool:
        return fake.steps.count(("hang up", third)) == 2

    await wait_for(late_hung_up, "the late third party hung up")
    assert third not in fake.alive


@pytest.mark.parametrize(
    ("first", "second"), [("join", "join"), ("join", "leave"), ("leave", "cancel")]
)
async def test_two_steps_at_once_on_one_transfer_one_wins_the_other_is_refused(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    first: str,
    second: str,
) -> None:
    gated = GatedNode()
    transfers, _, _ = await started_transfers(app, sessions, desk, clock, gated)
    try:
        await overlapping_steps(client, sessions, world, desk, clock, gated, first, second)
    finally:
        await transfers.stop()


async def overlapping_steps(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    gated: GatedNode,
    *steps: str,
) -> None:
    first, second = steps
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    gated.alive.add(attempt_id)
    await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=headers
    )
    await wait_for(lambda: consulting(client), "the third party answered")

    async def ask(step: str) -> httpx.Response:
        answer = await client.post(f"/api/v1/agent/transfer/{step}", headers=headers)
        gated.gate.set()  # the refused one opens the way for the one holding the transfer
        return answer

    # neither can finish before the other is answered: they overlap whatever the timing
    answers = await asyncio.gather(ask(first), ask(second))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 200).json()["state"]
    lost = next(a for a in answers if a.status_code == 409).json()["erreur"]
    assert lost.lower().startswith(STEP_BUSY[:30])
    assert gated.steps.count(("room", attempt_id)) == 1
    current = (await client.get("/api/v1/agent/transfer")).json()["current"]
    if won == "conference":
        assert current["state"] == "conference"
        assert [s["step"] for s in await audit_of(sessions, "call.transfer_step")] == ["joined"]
    else:
        assert won == "handed_over"
        assert current is None
        assert [s["step"] for s in await audit_of(sessions, "call.transfer_step")] == ["left"]
