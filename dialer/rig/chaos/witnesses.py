"""What the controller does not write, recorded during the run: Asterisk's CDR, the
outbound channels seen over a direct AMI session, and the webhook deliveries received.
(The robots' submitted sheets are :class:`dialer.rig.robot_agents.HandledCall`.)"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialer.alerts.webhook_targets import signature
from dialer.errors import TelephonyError
from dialer.telephony.ami import AmiClient, AmiCredentials

HOST = "127.0.0.1"
CDR = Path("var/log/asterisk/cdr-csv/Master.csv")


# ---- Asterisk's CDR ---------------------------------------------------------------------------
@dataclass
class CdrCall:
    """Asterisk's records of one outbound channel (one attempt, keyed by its id)."""

    start: datetime
    end: datetime
    answered: bool = False
    bridged_to: set[str] = field(default_factory=set)
    reached_join: bool = False  # the controller moved it to [dialer-join]
    information: bool = False  # the information message was played (or begun): an abandon


def read_cdr(path: Path, offset: int) -> dict[str, CdrCall]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        rows = list(csv.reader(handle))
    calls: dict[str, CdrCall] = {}
    for row in rows:
        if len(row) < 17 or not row[5].startswith("PJSIP/carrier-"):
            continue
        start = datetime.fromisoformat(row[9]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(row[11]).replace(tzinfo=UTC)
        call = calls.setdefault(row[16], CdrCall(start, end))
        call.start, call.end = min(call.start, start), max(call.end, end)
        call.answered |= row[14] == "ANSWERED"
        if row[7] == "Bridge" and row[6]:
            call.bridged_to.add(row[6])
        call.reached_join |= row[3] == "dialer-join"
        # the message, then Hangup(16) (AMD is never on here, whose Hangup is another)
        call.information |= (row[7] == "Playback" and row[8] == "dialer/information") or (
            row[7] == "Hangup" and row[3] in {"dialer-answered", "dialer-join"}
        )
    return calls


# ---- the simulated callees' own log ------------------------------------------------------------
@dataclass
class ReceivedCall:
    """One call (one Call-ID) as sipp, playing the called people, received it."""

    number: str
    first: float  # epoch seconds of the INVITE
    last: float  # of the call's last message
    answered: bool = False


def read_callee_log(path: Path, offset: int) -> dict[str, ReceivedCall]:
    """sipp's ``-trace_shortmsg`` lines (date, time, epoch, R/S, Call-ID, CSeq, first line)
    from ``offset``: the calls received, by Call-ID."""
    if not path.exists():
        return {}
    calls: dict[str, ReceivedCall] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 7:
                continue
            _, _, epoch, direction, call_id, cseq, first_line = fields[:7]
            at = float(epoch)
            call = calls.get(call_id)
            if call is None:
                if direction != "R" or not first_line.startswith("INVITE sip:"):
                    continue
                number = first_line.removeprefix("INVITE sip:").split("@", 1)[0]
                call = calls[call_id] = ReceivedCall(number, at, at)
            call.last = max(call.last, at)
            if (
                direction == "S"
                and cseq.endswith("INVITE")
                and first_line.startswith("SIP/2.0 200")
            ):
                call.answered = True
    return calls


# ---- the channels, seen over AMI -------------------------------------------------------------
async def channels(ami: AmiClient) -> list[dict[str, str]]:
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return [dict(r.headers) for r in replies if r.name == "CoreShowChannel"]


@dataclass
class Sighting:
    first: float  # wall clock (epoch seconds)
    last: float


class ChannelObserver:
    """Polls Asterisk's outbound channels twice a second over its own AMI session (not the
    relay), reconnecting after an Asterisk restart: when each call was first and last seen."""

    def __init__(self, credentials: AmiCredentials) -> None:
        self.credentials = credentials
        self.seen: dict[str, Sighting] = {}
        self.polls: list[float] = []  # the instants of successful polls
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def up_at(self, instant: float) -> set[str]:
        """The outbound calls up at the last poll before ``instant``."""
        before = [p for p in self.polls if p <= instant]
        if not before:
            return set()
        poll = before[-1]
        return {uid for uid, s in self.seen.items() if s.first <= poll <= s.last}

    def first_new_after(self, instant: float) -> float | None:
        """When the first outbound call placed after ``instant`` was seen."""
        firsts = [s.first for s in self.seen.values() if s.first > instant]
        return min(firsts) if firsts else None

    async def _watch(self) -> None:
        while True:
            try:
                async with AmiClient(self.credentials, action_timeout_s=3.0) as ami:
                    while True:
                        up = await channels(ami)
                        now = time.time()
                        for c in up:
                            if c.get("Channel", "").startswith("PJSIP/carrier-"):
                                uid = c.get("Uniqueid", "")
                                sighting = self.seen.setdefault(uid, Sighting(now, now))
                                sighting.last = now
                        self.polls.append(now)
                        await asyncio.sleep(0.5)
            except (TimeoutError, TelephonyError, OSError):  # Asterisk restarting
                await asyncio.sleep(0.5)


# ---- the alerts' webhook receiver --------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    alert_id: int | None
    event: str
    signed: bool
    at: float


class WebhookReceiver:
    """A minimal HTTP/1.1 server on 127.0.0.1 that logs every POST (one JSON line each in
    ``log``) and answers 200; the signature is checked with the team's secret."""

    def __init__(self, secret: str, log: Path) -> None:
        self.secret = secret
        self.log = log
        self.deliveries: list[Delivery] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/alertes"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        await asyncio.sleep(0.1)  # the handlers see the end of their connection

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = _headers(head)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self._record(headers, body)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        self._connections.discard(writer)
        writer.close()

    def _record(self, headers: dict[str, str], body: bytes) -> None:
        document: dict[str, Any] = json.loads(body)
        alert = document.get("alert") or {}
        delivery = Delivery(
            delivery_id=headers.get("x-dialer-delivery", ""),
            alert_id=alert.get("id") if isinstance(alert, dict) else None,
            event=str(document.get("event", "")),
            signed=self._signed(headers.get("x-dialer-signature", ""), body),
            at=time.time(),
        )
        self.deliveries.append(delivery)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(delivery.__dict__) + "\n")

    def _signed(self, header: str, body: bytes) -> bool:
        """The header is the one :func:`signature` makes for this body at its timestamp."""
        fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            stamp = datetime.fromtimestamp(int(fields.get("t", "")), UTC)
        except ValueError:
            return False
        return hmac.compare_digest(signature(self.secret, body, stamp), header)


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)
    }
