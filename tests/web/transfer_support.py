"""What the transfers' web tests share: a fake node's transfer part, a fake engine door,
an agent on a call, and the audit's transfer entries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from starlette.applications import Starlette

from dialer.desk.transfers import Transfers
from dialer.errors import StorageError
from dialer.settings import TransferSettings
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.telephony.port import CallEnded, TelephonyPort
from dialer.testing import Clock
from dialer.web.transfers import configure_transfers
from tests.web.conftest import log_in
from tests.web.support import FakeDesk, World, place_call


class FakeTransferNode:
    """The node's transfer part: records each step; the third party answers or not."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, ...]] = []
        self.answers = True
        self.alive: set[str] = {"leg-agent1"}  # the agent's phone leg
        self.ringing = asyncio.Event()
        self.ringing.set()
        #: the channels in [dialer-transfer]: Uniqueid → (extension, transfer's id)
        self.legs: dict[str, tuple[str, str]] = {}

    async def hold_for_transfer(
        self, transfer_id: str, attempt_id: str, leg_id: str, *, person_in_room: bool
    ) -> None:
        self.steps.append(("hold", attempt_id, leg_id, "room" if person_in_room else "hold"))

    async def call_third_party(
        self, transfer_id: str, number: str, *, caller_id: str, ring_timeout_s: int
    ) -> bool:
        self.steps.append(("call", number))
        await self.ringing.wait()
        if self.answers:
            self.alive.add(f"xfer-{transfer_id}")
        return self.answers

    async def person_into_room(self, transfer_id: str, attempt_id: str) -> None:
        self.steps.append(("room", attempt_id))

    async def agent_leaves(self, leg_id: str) -> None:
        self.steps.append(("agent back", leg_id))

    async def back_to_agent(self, attempt_id: str, leg_id: str) -> None:
        self.steps.append(("rejoin", attempt_id, leg_id))

    async def release_person(self, attempt_id: str) -> None:
        self.steps.append(("released", attempt_id))

    async def transfer_legs(
        self, extens: tuple[str, ...] = ("hold", "room", "third", "rejoin")
    ) -> dict[str, tuple[str, str]]:
        return {c: leg for c, leg in self.legs.items() if leg[0] in extens and c in self.alive}

    async def hang_up(self, channel_id: str) -> None:
        self.steps.append(("hang up", channel_id))
        self.alive.discard(channel_id)

    async def live_channels(self) -> set[str]:
        return set(self.alive)


class FakeCloser:
    def __init__(self) -> None:
        self.ended: list[str] = []

    async def handle(self, event: CallEnded, node: TelephonyPort) -> None:
        self.ended.append(event.attempt_id)


async def started_transfers(
    app: Starlette,
    sessions: SessionFactory,
    desk: FakeDesk,
    clock: Clock,
    fake: FakeTransferNode | None = None,
) -> tuple[Transfers, FakeTransferNode, FakeCloser]:
    """The web's transfers service on a fake node (15 and a duty phone offered), watching
    the fake's channels every 10 ms."""
    fake, closer = fake or FakeTransferNode(), FakeCloser()
    service = Transfers(
        sessions,
        TransferSettings(numbers={"SAMU (15)": "15", "Astreinte équipe Nord": "0612000000"}),
        desk=desk,
        port=fake,
        closer=(closer, fake),  # type: ignore[arg-type]
        caller_id="0100000000",
        clock=clock,
        watch_s=0.01,
    )
    configure_transfers(app, service)
    await service.start()
    return service, fake, closer


async def wait_for(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def audit_of(sessions: SessionFactory, action: str) -> list[dict[str, object]]:
    entries = await AuditLog(sessions).search(AuditFilter(action=action))
    return [{"actor": e.actor, "target": e.target, **e.details} for e in reversed(entries)]


async def on_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> tuple[dict[str, str], str]:
    headers = {"X-CSRF-Token": await log_in(client, "agent1")}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    desk.reserve("agent1", attempt_id)
    desk.join("agent1")
    return headers, attempt_id


class RefusingAudit:
    """An audit log whose database refuses every write."""

    async def record(self, **_entry: object) -> None:
        raise StorageError("la base de données ne répond pas")
