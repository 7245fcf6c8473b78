"""The AMI connection: panoramisk wrapped behind a small asyncio interface.

This is the only module that imports panoramisk. It already corrects two of panoramisk
1.4's defects that matter to a dialer (see docs/architecture.md):

- each TCP read was decoded on its own with errors ignored, so a UTF-8 character split
  across two reads vanished; :class:`_Utf8SafeProtocol` decodes incrementally;
- actions pending at a disconnect were re-sent after the reconnect, so an ``Originate``
  could dial a person twice; :class:`_NoResendManager` fails them instead.

Every awaited action has a timeout. Events reach subscribers as :class:`AmiMessage`.

One :class:`AmiClient` is one AMI session: it never reconnects by itself (panoramisk's
automatic reconnect is switched off). When the connection is lost, every action still
waiting fails at once with :class:`AmiConnectionError` and ``on_lost`` is called; the
telephony node that owns the client opens a new session with back-off and reconciles.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import re
import socket
import ssl
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from dialer.core.operator_messages import say
from dialer.errors import (
    AmiActionError,
    AmiConnectionError,
    AmiTimeoutError,
    ConfigurationError,
    NotConnectedError,
)
from dialer.settings import is_loopback
from dialer.telephony.events import AmiMessage

log = logging.getLogger(__name__)

_EOL = "\r\n"


class _Utf8SafeProtocol(AMIProtocol):  # type: ignore[misc]
    """AMIProtocol with an incremental UTF-8 decoder across TCP reads."""

    version: str | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def data_received(self, data: bytes) -> None:
        text = self._buffer + self._decoder.decode(data)
        if self.version is None and text.startswith("Asterisk Call Manager/"):
            banner, _, text = text.partition(_EOL)
            self.version = banner.partition("/")[2].strip()
        *blocks, self._buffer = text.split(_EOL + _EOL)
        for block in blocks:
            message = Message.from_line(block.strip())
            if message is not None:
                self.handle_message(message)


class _NoResendManager(Manager):  # type: ignore[misc]
    """Manager that never re-sends an action after a reconnect: it fails it instead."""

    async def send_awaiting_actions(self, *_: object) -> None:
        while self.awaiting_actions:
            action = self.awaiting_actions.popleft()
            if not action.future.done():
                action.future.set_exception(
                    AmiConnectionError(
                        f"AMI connection lost before {action['action']} was answered; not re-sent"
                    )
                )


def _fail_pending(manager: Any, why: str) -> None:
    """Fail every action still waiting for an answer: it is never re-sent."""
    waiting = list(manager.awaiting_actions)
    manager.awaiting_actions.clear()
    protocol = manager.protocol
    if protocol is not None:
        waiting.extend(protocol.responses.values())
        protocol.responses.clear()
    for action in waiting:
        if not action.future.done():
            action.future.set_exception(
                AmiConnectionError(f"{why} before {action['action']} was answered; not re-sent")
            )


def _to_message(raw: Any) -> AmiMessage:
    headers: dict[str, str] = {}
    multi: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if key == "content" and not value:  # panoramisk's body slot, empty for events
            continue
        if isinstance(value, list):
            multi[key] = tuple(str(v) for v in value)
            headers[key] = str(value[-1]) if value else ""
        else:
            headers[key] = str(value)
    return AmiMessage(headers=headers, multi=multi)


#: a line break in a header value would end the header and start another one (or end the
#: action): whatever its origin, such a value is never sent
_BREAKS = re.compile(r"[\r\n]")


def _header_safe(name: str, value: str) -> str:
    """``value`` unchanged, or :class:`AmiActionError` naming the header when it holds a
    CR or LF (AMI header injection)."""
    if _BREAKS.search(value):
        raise AmiActionError(f"AMI header {name!r}: refused, the value contains a line break")
    return value


@dataclass(frozen=True)
class AmiCredentials:
    host: str
    port: int
    username: str
    secret: str
    #: AMI over TLS, checked against ``tls_ca_file`` (None: the system's authorities)
    tls: bool = False
    tls_ca_file: str | None = None
    #: ``ami.allow_plain_remote``: a plain session to another machine is accepted
    allow_plain_remote: bool = False

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context of the session (None: plain TCP). A plain session to another
        machine raises :class:`ConfigurationError` unless explicitly allowed."""
        if not self.tls:
            if not self.allow_plain_remote and not is_loopback(self.host):
                raise ConfigurationError(say("ami.plain_remote", host=self.host, port=self.port))
            return None
        return ssl.create_default_context(cafile=self.tls_ca_file)


class AmiClient:
    """One AMI session. Use ``async with AmiClient(...)`` or :meth:`connect`/:meth:`close`."""

    def __init__(
        self,
        credentials: AmiCredentials,
        *,
        action_timeout_s: float = 5.0,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._credentials = credentials
        self._timeout = action_timeout_s
        self._on_lost = on_lost
        self._manager: Any = None
        self.banner_version: str | None = None
        self._last_heard = time.monotonic()
        self._subscribers: list[asyncio.Queue[AmiMessage]] = []
        self._events_seen = 0
        self._actions_sent = 0

    async def __aenter__(self) -> AmiClient:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the TCP connection and log in; raises :class:`AmiConnectionError`."""
        creds = self._credentials
        for field_name, value in (("username", creds.username), ("secret", creds.secret)):
            if _BREAKS.search(value):
                raise AmiConnectionError(f"AMI {field_name}: contains a line break")
        where = f"AMI {creds.host}:{creds.port}"
        tls = creds.tls_context()
        # Probe first: panoramisk would otherwise retry a refused connection forever.
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(creds.host, creds.port), self._timeout
            )
        except (OSError, TimeoutError) as exc:
            raise AmiConnectionError(f"{where}: cannot connect ({exc})") from exc
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        manager = _NoResendManager(
            host=creds.host,
            port=creds.port,
            ssl=tls or False,
            username=creds.username,
            secret=creds.secret,
            protocol_factory=_Utf8SafeProtocol,
            loop=asyncio.get_running_loop(),
            ping_delay=3600,  # the node's watchdog pings, and checks the answer
            ping_interval=3600,
            on_disconnect=self._connection_lost,
        )
        manager.register_event("*", self._dispatch)
        try:
            await asyncio.wait_for(manager.connect(), self._timeout)
            login = manager.authenticated_future
            response = await asyncio.wait_for(login, self._timeout) if login else None
        except (OSError, TimeoutError) as exc:
            manager.close()
            raise AmiConnectionError(f"{where}: login got no answer ({exc})") from exc
        if response is None or not response.success:
            manager.close()
            raise AmiConnectionError(f"{where}: login refused for user {creds.username!r}")
        # From now on panoramisk must not reconnect (and re-send) on its own.
        manager.connect = lambda *_a, **_k: None
        self.banner_version = getattr(manager.protocol, "version", None)
        self._manager = manager

    @property
    def connected(self) -> bool:
        return self._manager is not None

    async def close(self) -> None:
        if self._manager is not None:
            manager, self._manager = self._manager, None
            manager.callbacks.clear()
            manager.patterns.clear()
            manager.close()
            _fail_pending(manager, "AMI session closed")

    def abort(self, *, reset: bool = False) -> None:
        """Drop the connection now (the watchdog's answer to a silent Asterisk). ``reset``:
        with a TCP reset (SO_LINGER 0), so what is still unsent in this host's buffers is
        discarded instead of delivered late when a frozen path resumes."""
        manager = self._manager
        if manager is not None and manager.protocol is not None:
            transport = manager.protocol.transport
            sock = transport.get_extra_info("socket")
            if reset and sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()

    def _connection_lost(self, manager: Any, _exc: object) -> None:
        if self._manager is not manager:
            return
        self._manager = None
        _fail_pending(manager, "AMI connection lost")
        if self._on_lost is not None:
            self._on_lost()

    def subscribe(self, maxsize: int = 0) -> asyncio.Queue[AmiMessage]:
        """A queue that receives every event from now on."""
        queue: asyncio.Queue[AmiMessage] = asyncio.Queue(maxsize)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[AmiMessage]) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def silent_for(self) -> float:
        """Seconds since Asterisk last sent anything (event or response)."""
        return time.monotonic() - self._last_heard

    def _dispatch(self, _manager: object, raw: Any) -> None:
        self._last_heard = time.monotonic()
        message = _to_message(raw)
        self._events_seen += 1
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    async def action(
        self,
        name: str,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        *,
        expect_list: bool = False,
        timeout_s: float | None = None,
    ) -> list[AmiMessage]:
        """Send one action and wait (bounded) for its response, or its list of events.

        ``expect_list``: the action answers with an event list (``PJSIPShowContacts``) or,
        for ``Originate`` with ``Async``, with a later ``OriginateResponse``. panoramisk
        then detects the list from the reply; forcing ``as_list=True`` would hang when
        Asterisk answers ``Response: Error`` (e.g. no contacts at all), and leaving the
        detection on for single-reply actions such as ``QueueAdd`` hangs too.

        Raises :class:`AmiActionError` on ``Response: Error`` and :class:`AmiTimeoutError`
        when Asterisk does not answer in time.
        """
        if self._manager is None:
            raise NotConnectedError("AMI is not connected")
        payload: dict[str, Any] = {"Action": _header_safe("Action", name)}
        for key, value in (headers or {}).items():
            _header_safe("header name", key)
            if isinstance(value, str):
                payload[key] = _header_safe(key, value)
            else:
                payload[key] = [_header_safe(key, item) for item in value]
        self._actions_sent += 1
        future = self._manager.send_action(payload, as_list=None if expect_list else False)
        limit = self._timeout if timeout_s is None else timeout_s
        try:
            raw = await asyncio.wait_for(future, limit)
        except TimeoutError as exc:
            raise AmiTimeoutError(f"AMI action {name}: no answer within {limit:.1f} s") from exc
        self._last_heard = time.monotonic()
        messages = [_to_message(m) for m in (raw if isinstance(raw, list) else [raw])]
        first = messages[0]
        if first.get("Response") == "Error":
            raise AmiActionError(f"AMI action {name} failed: {first.get('Message')}")
        return messages

    async def ping(self) -> None:
        await self.action("Ping")

    def statistics(self) -> dict[str, int | bool]:
        return {
            "connected": self._manager is not None,
            "events_seen": self._events_seen,
            "actions_sent": self._actions_sent,
            "subscribers": len(self._subscribers),
        }
