"""The AMI wrapper against a fake AMI server on loopback (fast tier; the real-Asterisk tier
checks the same paths against Asterisk 22)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from panoramisk.ami_protocol import AMIProtocol

from dialer.errors import AmiActionError, AmiConnectionError, AmiTimeoutError
from dialer.telephony.ami import AmiClient, AmiCredentials, _Utf8SafeProtocol

NAME_EVENT = "Event: Newchannel\r\nCallerIDName: Hélène Lefèvre\r\nUniqueid: a-1\r\n\r\n".encode()


class _Factory:
    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []

    def dispatch(self, message: dict[str, str]) -> None:
        self.events.append(dict(message))


class _Transport(asyncio.Transport):
    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass


def _feed(protocol: AMIProtocol, chunks: list[bytes]) -> list[dict[str, str]]:
    factory = _Factory()
    protocol.connection_made(_Transport())
    protocol.factory = factory
    for chunk in chunks:
        protocol.data_received(chunk)
    return factory.events


@pytest.mark.parametrize("split", range(1, len(NAME_EVENT)))
def test_a_utf8_character_split_across_reads_arrives_intact(split: int) -> None:
    events = _feed(_Utf8SafeProtocol(), [NAME_EVENT[:split], NAME_EVENT[split:]])
    assert [e["CallerIDName"] for e in events] == ["Hélène Lefèvre"]


def test_panoramisk_alone_loses_the_split_character() -> None:
    """The defect the wrapper exists for (if panoramisk fixes it, this test says so)."""
    split = NAME_EVENT.index("è".encode()) + 1  # between the two bytes of "è"
    events = _feed(AMIProtocol(), [NAME_EVENT[:split], NAME_EVENT[split:]])
    assert events[0]["CallerIDName"] != "Hélène Lefèvre"


@dataclass
class FakeAmi:
    """A tiny AMI server: answers Login, answers or swallows actions, can drop the line."""

    drop_on: str | None = None
    error_on: str | None = None
    silent_on: str | None = None
    received: list[dict[str, str]] = field(default_factory=list)
    logins: int = 0  # sessions (the client's reachability probe connects without one)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                block = (await reader.readuntil(b"\r\n\r\n")).decode()
                action = dict(
                    line.split(": ", 1) for line in block.strip().split("\r\n") if ": " in line
                )
                self.received.append(action)
                name, action_id = action.get("Action", ""), action.get("ActionID", "")
                if name == "Login":
                    self.logins += 1
                    writer.write(
                        f"Response: Success\r\nActionID: {action_id}\r\n"
                        "Message: Authentication accepted\r\n\r\n".encode()
                    )
                    if self.logins > 1:
                        writer.write(b"Event: FullyBooted\r\nUptime: 10\r\n\r\n")
                elif name == self.drop_on and self.logins == 1:
                    writer.close()
                    return
                elif name == self.error_on:
                    writer.write(
                        f"Response: Error\r\nActionID: {action_id}\r\n"
                        "Message: Permission denied\r\n\r\n".encode()
                    )
                elif name != self.silent_on:
                    writer.write(f"Response: Success\r\nActionID: {action_id}\r\n\r\n".encode())
                await writer.drain()

    def count(self, name: str) -> int:
        return sum(1 for action in self.received if action.get("Action") == name)


@pytest_asyncio.fixture
async def fake_ami() -> AsyncIterator[tuple[FakeAmi, AmiCredentials]]:
    fake = FakeAmi()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake, AmiCredentials("127.0.0.1", port, "dialer", "secret")
        for writer in fake.writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@pytest.mark.asyncio
async def test_login_and_ping(fake_ami: tuple[FakeAmi, AmiCredentials]) -> None:
    fake, credentials = fake_ami
    async with AmiClient(credentials) as client:
        await client.ping()
        assert client.statistics()["connected"] is True
    assert [a["Action"] for a in fake.received] == ["Login", "Ping"]
    assert fake.received[0]["Secret"] == "secret"


@pytest.mark.asyncio
async def test_an_error_response_raises(fake_ami: tuple[FakeAmi, AmiCredentials]) -> None:
    fake, credentials = fake_ami
    fake.error_on = "Hangup"
    async with AmiClient(credentials) as client:
        with pytest.raises(AmiActionError, match="Permission denied"):
            await client.action("Hangup", {"Channel": "x"})


@pytest.mark.asyncio
async def test_every_awaited_action_has_a_timeout(
    fake_ami: tuple[FakeAmi, AmiCredentials],
) -> None:
    fake, credentials = fake_ami
    fake.silent_on = "Status"
    async with AmiClient(credentials) as client:
        with pytest.raises(AmiTimeoutError, match="Status"):
            await client.action("Status", timeout_s=0.2)


@pytest.mark.asyncio
async def test_nobody_listening_is_a_connection_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(AmiConnectionError, match=f"127.0.0.1:{port}"):
        await AmiClient(AmiCredentials("127.0.0.1", port, "u", "p")).connect()


@pytest.mark.asyncio
async def test_an_originate_cut_by_a_lost_connection_fails_at_once_and_is_never_resent(
    fake_ami: tuple[FakeAmi, AmiCredentials],
) -> None:
    fake, credentials = fake_ami
    fake.drop_on = "Originate"
    lost = asyncio.Event()
    client = AmiClient(credentials, on_lost=lost.set)
    await client.connect()
    try:
        with pytest.raises(AmiConnectionError, match="not re-sent"):
            await client.action(
                "Originate",
                {"Channel": "PJSIP/+33900100200@carrier", "Async": "true"},
                expect_list=True,
                timeout_s=5,
            )
        await asyncio.wait_for(lost.wait(), 1)
        assert not client.connected
        await asyncio.sleep(0.3)  # panoramisk would have reconnected and re-sent by now
    finally:
        await client.close()
    assert fake.logins == 1  # no hidden reconnect
    assert fake.count("Originate") == 1  # and nobody dialled twice


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [
        {"CallerID": "Mairie\r\nAction: Hangup\r\nChannel: PJSIP/agent-1001"},
        {"CallerID": "Mairie\nVariable: X=1"},
        {"Variable": ["A=1", "B=2\r\nAction: Hangup"]},
        {"Bad\r\nAction: Hangup": "x"},
    ],
)
async def test_a_header_with_a_line_break_is_never_sent(
    fake_ami: tuple[FakeAmi, AmiCredentials], headers: dict[str, str | list[str]]
) -> None:
    fake, credentials = fake_ami
    async with AmiClient(credentials) as client:
        with pytest.raises(AmiActionError, match="line break"):
            await client.action("Originate", headers, timeout_s=1)
        await client.ping()  # the session is intact, and only the ping went out
    assert [a["Action"] for a in fake.received] == ["Login", "Ping"]


@pytest.mark.asyncio
async def test_a_secret_with_a_line_break_is_never_sent(
    fake_ami: tuple[FakeAmi, AmiCredentials],
) -> None:
    fake, credentials = fake_ami
    bad = AmiCredentials(credentials.host, credentials.port, "dialer", "s\r\nAction: Hangup")
    with pytest.raises(AmiConnectionError, match="secret"):
        await AmiClient(bad).connect()
    assert fake.received == []
