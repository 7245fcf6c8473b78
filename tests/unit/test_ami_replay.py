"""The AMI adapter replaying a stream recorded from Asterisk 22.10.1 on the rig
(``tests/fixtures/ami/record.py`` says how): an answered call with no agent free, abandoned by the
dialplan, whose caller name "Hélène Lefèvre" is multi-byte UTF-8."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from dialer.telephony.ami import AmiCredentials
from dialer.telephony.events import AmiMessage
from dialer.telephony.node import AsteriskNode
from dialer.telephony.port import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallRinging,
    DialRequest,
    NodeConnected,
    NodeDisconnected,
    OriginateResult,
    TelephonyEvent,
)
from dialer.telephony.translate import AMI_EVENTS, translate
from tests.fixtures.ami.replay import replay, sessions

ATTEMPT = "rec-0001"
NAME = "Hélène Lefèvre"
[BODY] = sessions("abandoned_call")


def caller_names(messages: list[AmiMessage]) -> list[str]:
    """The caller names the events carry (Asterisk says <unknown> before it knows one)."""
    return [
        m.get("CallerIDName") for m in messages if m.get("CallerIDName") not in {"", "<unknown>"}
    ]


def ours(messages: list[AmiMessage]) -> list[TelephonyEvent]:
    now = datetime.now(UTC)
    events = [translate(m, received_at=now) for m in messages]
    return [e for e in events if e is not None and getattr(e, "attempt_id", "") == ATTEMPT]


def test_the_recording_is_what_its_tests_expect() -> None:
    assert BODY.count(NAME.encode()) >= 2
    assert b"UserEvent: DialerAbandoned" in BODY


def test_asterisks_event_filter_keeps_every_event_the_controller_reads() -> None:
    """manager.conf lets only AMI_EVENTS through: the recording (made before the filter)
    filtered that way still gives every one of our events, and drops most of the rest."""
    messages = replay([BODY])
    kept = [m for m in messages if not m.is_event or m.name in AMI_EVENTS]
    assert ours(kept) == ours(messages)
    assert len(ours(messages)) >= 3
    assert len(kept) < len(messages) / 2


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1000, len(BODY)])
def test_any_read_size_gives_the_same_events_and_intact_names(size: int) -> None:
    messages = replay([BODY[i : i + size] for i in range(0, len(BODY), size)])
    names = caller_names(messages)
    assert names
    assert set(names) == {NAME}
    events = ours(messages)
    assert [type(e) for e in events] == [CallRinging, CallAnswered, CallAbandoned, CallEnded]
    ended = events[-1]
    assert isinstance(ended, CallEnded)
    assert ended.cause == 0  # the person hung up during the message (a BYE without Reason)


def test_every_split_inside_the_name_keeps_it_intact() -> None:
    start = BODY.index(NAME.encode())
    for cut in range(start, start + len(NAME.encode()) + 1):
        messages = replay([BODY[:cut], BODY[cut:]])
        assert set(caller_names(messages)) == {NAME}


def test_event_times_are_asterisks_own() -> None:
    events = ours(replay([BODY]))
    answered = next(e for e in events if isinstance(e, CallAnswered))
    abandoned = next(e for e in events if isinstance(e, CallAbandoned))
    waited = (abandoned.at - answered.at).total_seconds()
    assert 1.4 < waited < 1.7  # the dialplan's 1.5-s join window, measured by Asterisk


class ReplayingAmi:
    """Answers Login; on the first session's Originate, replays the first half of the
    recording and drops the line; later sessions only say FullyBooted."""

    def __init__(self) -> None:
        self.originates = 0
        self.logins = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                block = (await reader.readuntil(b"\r\n\r\n")).decode()
                headers = dict(
                    line.split(": ", 1) for line in block.strip().split("\r\n") if ": " in line
                )
                action_id = headers.get("ActionID", "")
                if headers.get("Action") == "Login":
                    self.logins += 1
                    writer.write(
                        f"Response: Success\r\nActionID: {action_id}\r\n\r\n".encode()
                        + b"Event: FullyBooted\r\nUptime: 3\r\n\r\n"
                    )
                elif headers.get("Action") == "Originate":
                    self.originates += 1
                    half = BODY[: len(BODY) // 2]
                    for i in range(0, len(half), 5):  # small reads, names split too
                        writer.write(half[i : i + 5])
                        await writer.drain()
                    writer.close()
                    return
                else:
                    writer.write(f"Response: Success\r\nActionID: {action_id}\r\n\r\n".encode())
                await writer.drain()


@pytest_asyncio.fixture
async def replaying() -> AsyncIterator[tuple[ReplayingAmi, AmiCredentials]]:
    fake = ReplayingAmi()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    async with server:
        yield fake, AmiCredentials("127.0.0.1", server.sockets[0].getsockname()[1], "u", "p")
        for writer in fake.writers:
            writer.close()


@pytest.mark.asyncio
async def test_a_connection_lost_in_the_middle_of_an_originate(
    replaying: tuple[ReplayingAmi, AmiCredentials],
) -> None:
    fake, credentials = replaying
    node = AsteriskNode("replay", credentials, trunk="carrier", keepalive_s=0.5,
                        backoff_s=(0.05, 0.2))  # fmt: skip
    await node.start(wait_s=5)
    try:
        first = await node.next_event()
        assert isinstance(first, NodeConnected)
        await node.place_call(DialRequest(ATTEMPT, "+33900100300", "", 30))
        seen: list[TelephonyEvent] = []
        async with asyncio.timeout(5):
            while not any(isinstance(e, NodeConnected) for e in seen):
                seen.append(await node.next_event())
        kinds = [type(e) for e in seen]
        # what Asterisk said before the drop arrived intact, then the drop, then a new session
        assert kinds[:2] == [CallRinging, CallAnswered]
        assert NodeDisconnected in kinds
        assert OriginateResult not in kinds  # the originate was cut, not answered
        await asyncio.sleep(0.3)
    finally:
        await node.stop()
    assert fake.logins == 2
    assert fake.originates == 1  # never re-sent on the new session
