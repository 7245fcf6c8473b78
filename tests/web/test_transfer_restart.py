"""Transfers a restarted controller finds in Asterisk (fake node, web entry points): the
first service stops during a conference or after a hand-over (its transfers lived in
memory); the next one reads the legs in ``[dialer-transfer]``'s conference and the ledger,
follows the transfer again and ends it as the rules say (ledger closed, nobody alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.desk.transfers import Transfers
from dialer.storage import SessionFactory
from dialer.testing import Clock
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

Restart = Callable[[], Coroutine[Any, Any, tuple[Transfers, FakeCloser]]]


@pytest_asyncio.fixture
async def restart(
    app: Starlette, sessions: SessionFactory, desk: FakeDesk, clock: Clock
) -> AsyncIterator[tuple[FakeTransferNode, Restart]]:
    """The fake node, and a restart: the running service stopped, a new one started."""
    fake = FakeTransferNode()
    running: list[Transfers] = [(await started_transfers(app, sessions, desk, clock, fake))[0]]

    async def again() -> tuple[Transfers, FakeCloser]:
        await running[-1].stop()
        service, _, closer = await started_transfers(app, sessions, desk, clock, fake)
        running.append(service)
        return service, closer

    yield fake, again
    await running[-1].stop()


async def state_is(client: httpx.AsyncClient, state: str) -> bool:
    current = (await client.get("/api/v1/agent/transfer")).json()["current"]
    return bool(current and current["state"] == state)


async def transfer_ended(sessions: SessionFactory) -> dict[str, object]:
    async def ended() -> bool:
        return bool(await audit_of(sessions, "call.transfer_end"))

    await wait_for(ended, "the transfer's end audited")
    [end] = await audit_of(sessions, "call.transfer_end")
    return end


async def in_conference(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    fake: FakeTransferNode,
    kind: str,
) -> tuple[dict[str, str], str, str]:
    """The agent's call transferred to the 15 (``kind``), the 15 answered: (headers, the
    call's id, the transfer's id)."""
    headers, attempt_id = await on_call(client, sessions, world, desk, clock)
    fake.alive.add(attempt_id)
    started = await client.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": kind}, headers=headers
    )
    assert started.status_code == 201, started.text
    answered = "conference" if kind == "conference" else "consulting"
    await wait_for(lambda: state_is(client, answered), "the 15 answered")
    return headers, attempt_id, str(started.json()["id"])


async def test_a_conference_found_after_a_restart_is_followed_and_the_agent_may_leave(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    restart: tuple[FakeTransferNode, Restart],
) -> None:
    fake, again = restart
    headers, attempt_id, transfer_id = await in_conference(
        client, sessions, world, desk, clock, fake, "conference"
    )
    third = f"xfer-{transfer_id}"
    fake.legs = {
        attempt_id: ("room", transfer_id),
        "leg-agent1": ("room", transfer_id),
        third: ("third", transfer_id),
    }
    _, closer = await again()
    await wait_for(lambda: state_is(client, "conference"), "the conference followed again")
    left = await client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert left.status_code == 200, left.text
    assert ("agent back", "leg-agent1") in fake.steps
    assert closer.ended == [attempt_id]  # the agent's wrap-up starts
    fake.alive.discard(third)  # the 15 hangs up: the person, alone, is hung up
    end = await transfer_ended(sessions)
    assert end["outcome"] == "handed_over"
    assert ("hang up", attempt_id) in fake.steps


async def test_a_hand_over_found_after_a_restart_ends_when_the_person_hangs_up(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    restart: tuple[FakeTransferNode, Restart],
) -> None:
    fake, again = restart
    headers, attempt_id, transfer_id = await in_conference(
        client, sessions, world, desk, clock, fake, "warm"
    )
    assert (await client.post("/api/v1/agent/transfer/leave", headers=headers)).is_success
    third = f"xfer-{transfer_id}"
    fake.legs = {attempt_id: ("room", transfer_id), third: ("third", transfer_id)}
    service, _ = await again()
    await wait_for(lambda: _followed(service, "handed_over"), "the hand-over followed again")
    fake.alive.discard(attempt_id)  # the person hangs up: the 15, alone, is hung up
    end = await transfer_ended(sessions)
    assert end["outcome"] == "handed_over"
    assert ("hang up", third) in fake.steps


async def test_a_conference_left_by_the_person_during_the_restart_is_ended(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    restart: tuple[FakeTransferNode, Restart],
) -> None:
    fake, again = restart
    _, attempt_id, transfer_id = await in_conference(
        client, sessions, world, desk, clock, fake, "conference"
    )
    third = f"xfer-{transfer_id}"
    fake.alive.discard(attempt_id)  # the person hung up while no controller ran
    fake.legs = {"leg-agent1": ("room", transfer_id), third: ("third", transfer_id)}
    await again()
    end = await transfer_ended(sessions)
    assert end["outcome"] == "person_hung_up"
    assert ("hang up", third) in fake.steps
    assert ("agent back", "leg-agent1") in fake.steps  # never left alone in the conference


async def _followed(service: Transfers, what: str) -> bool:
    return service.statistics()[what] == 1
