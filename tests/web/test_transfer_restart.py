"""Transfers a restarted controller finds in Asterisk (fake node, web entry points): the
first service stops during a conference or after a hand-over (its transfers lived in
memory); the next one reads the legs in ``[dialer-transfer]``'s conference and the ledger,
follows the transfer again and ends it as the rules say (ledger closed, nobody alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.desk.transfers import Transfers
from dialer.storage import SessionFactory
from dialer.testing import Clock
from tests.web import transfer_support as support
from tests.web.support import FakeDesk, World
from tests.web.transfer_support import FakeCloser, FakeTransferNode, started_transfers

pytestmark = pytest.mark.asyncio


@dataclass
class Restarting:
    """An agent on a call with the transfers service on a fake node, which a test restarts
    (the running service stopped, a new one started on the same node and database)."""

    client: httpx.AsyncClient
    sessions: SessionFactory
    world: World
    desk: FakeDesk
    clock: Clock
    app: Starlette
    fake: FakeTransferNode = field(default_factory=FakeTransferNode)
    running: list[Transfers] = field(default_factory=list)

    attempt_id: str = ""
    transfer_id: str = ""

    @property
    def third(self) -> str:
        return f"xfer-{self.transfer_id}"

    async def again(self, *in_room: str) -> tuple[Transfers, FakeCloser]:
        """The restart, the channels ``in_room`` (person, agent, third) in the transfer's
        conference; the other two gone."""
        channels = {"person": self.attempt_id, "agent": "leg-agent1", "third": self.third}
        self.fake.legs = {
            channels[who]: ("third" if who == "third" else "room", self.transfer_id)
            for who in in_room
        }
        self.fake.alive -= {channels[who] for who in channels if who not in in_room}
        await self.running[-1].stop()
        service, _, closer = await started_transfers(
            self.app, self.sessions, self.desk, self.clock, self.fake
        )
        self.running.append(service)
        return service, closer

    async def transfer(self, kind: str) -> dict[str, str]:
        """The agent's call transferred to the 15 (``kind``), the 15 answered: the headers
        of the agent's requests."""
        client = self.client
        headers, self.attempt_id = await support.on_call(
            client, self.sessions, self.world, self.desk, self.clock
        )
        self.fake.alive.add(self.attempt_id)
        started = await client.post(
            "/api/v1/agent/transfer", json={"number": "15", "kind": kind}, headers=headers
        )
        assert started.status_code == 201, started.text
        self.transfer_id = str(started.json()["id"])
        answered = "conference" if kind == "conference" else "consulting"
        await support.wait_for(lambda: state_is(client, answered), "the 15 answered")
        return headers

    async def ended(self) -> dict[str, object]:
        async def ended() -> bool:
            return bool(await support.audit_of(self.sessions, "call.transfer_end"))

        await support.wait_for(ended, "the transfer's end audited")
        [end] = await support.audit_of(self.sessions, "call.transfer_end")
        return end


@pytest_asyncio.fixture
async def restarting(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    app: Starlette,
) -> AsyncIterator[Restarting]:
    rig = Restarting(client, sessions, world, desk, clock, app)
    rig.running.append((await started_transfers(app, sessions, desk, clock, rig.fake))[0])
    yield rig
    await rig.running[-1].stop()


async def state_is(client: httpx.AsyncClient, state: str) -> bool:
    current = (await client.get("/api/v1/agent/transfer")).json()["current"]
    return bool(current and current["state"] == state)


async def test_a_conference_found_after_a_restart_is_followed_and_the_agent_may_leave(
    restarting: Restarting,
) -> None:
    headers = await restarting.transfer("conference")
    _, closer = await restarting.again("person", "agent", "third")
    client, fake = restarting.client, restarting.fake
    await support.wait_for(lambda: state_is(client, "conference"), "the conference followed again")
    left = await client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert left.status_code == 200, left.text
    assert ("agent back", "leg-agent1") in fake.steps
    assert closer.ended == [restarting.attempt_id]  # the agent's wrap-up starts
    fake.alive.discard(restarting.third)  # the 15 hangs up: the person, alone, is hung up
    assert (await restarting.ended())["outcome"] == "handed_over"
    assert ("hang up", restarting.attempt_id) in fake.steps


async def test_a_hand_over_found_after_a_restart_ends_when_the_person_hangs_up(
    restarting: Restarting,
) -> None:
    headers = await restarting.transfer("warm")
    left = await restarting.client.post("/api/v1/agent/transfer/leave", headers=headers)
    assert left.is_success
    service, _ = await restarting.again("person", "third")
    await support.wait_for(
        lambda: _followed(service, "handed_over"), "the hand-over followed again"
    )
    restarting.fake.alive.discard(restarting.attempt_id)  # the 15, alone, is hung up
    assert (await restarting.ended())["outcome"] == "handed_over"
    assert ("hang up", restarting.third) in restarting.fake.steps


async def test_a_conference_left_by_the_person_during_the_restart_is_ended(
    restarting: Restarting,
) -> None:
    await restarting.transfer("conference")
    await restarting.again("agent", "third")  # the person hung up while no controller ran
    assert (await restarting.ended())["outcome"] == "person_hung_up"
    assert ("hang up", restarting.third) in restarting.fake.steps
    # never left alone in the conference
    assert ("agent back", "leg-agent1") in restarting.fake.steps


async def _followed(service: Transfers, what: str) -> bool:
    return service.statistics()[what] == 1
