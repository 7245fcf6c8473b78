"""The agent's web screen as a robot agent drives it, over HTTP and the screen's WebSocket.

:class:`AgentScreen` makes the same requests as ``static/agent.js``: it logs in with the
login form (and its CSRF double-submit cookie), opens the screen's WebSocket and pings it,
sends the script requests as ``common.js`` does (JSON with the ``X-CSRF-Token`` header), and
keeps what the WebSocket says: the agent's state, the screen pops waiting, the calls that
ended, the failure that closed the screen. What the robot does with a call is in
:mod:`dialer.rig.robot_agents`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from dialer.errors import DialerError

SESSION_COOKIE = "dialer_session"
#: the screen pings its WebSocket every 25 s (the server closes a socket silent for 90 s)
PING_EVERY_S = 25.0


class RobotAgentError(DialerError):
    """The web service refused or failed a robot's request, or closed its screen."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Page(HTMLParser):
    """The hidden inputs and ``<meta>`` tags of a page (CSRF tokens)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in values:
            self.inputs[values["name"]] = values.get("value", "")
        elif tag == "meta" and "name" in values:
            self.meta[values["name"]] = values.get("content", "")


def _ms() -> float:
    return time.time() * 1000


class AgentScreen:
    """One agent's screen (see the module docstring). ``calls``: the screen pops received,
    each with the wall-clock time it arrived (ms); ``ended``: the attempts the server said
    ended; ``changed`` is set at each WebSocket message. A screen pop that failed is noted in
    ``errors`` (the robot's list)."""

    def __init__(
        self, base_url: str, username: str, password: str, errors: list[str], home: str = "/agent"
    ) -> None:
        self.base_url = base_url
        self.username = username
        #: the page the login form leads this account to (a volunteer's: « /benevole »)
        self.home = home
        self._password = password
        self._errors = errors
        self._csrf = ""
        self._http: httpx.AsyncClient | None = None
        self.state: dict[str, Any] = {}
        self.calls: asyncio.Queue[tuple[dict[str, Any], float]] = asyncio.Queue()
        #: the attempts offered to the agent (preview, a reserved call-back), to call
        self.offers: asyncio.Queue[str] = asyncio.Queue()
        self.ended: set[str] = set()
        self.changed = asyncio.Event()
        self.failure: RobotAgentError | None = None

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        """Log in and open the WebSocket for the block; then close it and log out."""
        async with httpx.AsyncClient(
            base_url=self.base_url, follow_redirects=True, timeout=15.0, trust_env=False
        ) as http:
            self._http = http
            await self._log_in(http)
            token = http.cookies.get(SESSION_COOKIE) or ""
            scheme = "wss" if self.base_url.startswith("https") else "ws"
            url = f"{scheme}://{urlsplit(self.base_url).netloc}/ws/agent"
            async with connect(
                url,
                origin=Origin(self.base_url),
                additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"},
                proxy=None,
            ) as socket:
                reader = asyncio.create_task(self._read(socket), name=f"{self.username}-screen")
                pinger = asyncio.create_task(self._ping(socket), name=f"{self.username}-ping")
                try:
                    yield
                finally:
                    pinger.cancel()
                    reader.cancel()
                    for task in (pinger, reader):
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
            await self._log_out(http)

    async def _log_in(self, http: httpx.AsyncClient) -> None:
        form = await http.get("/connexion")
        csrf = _Page(form.text).inputs.get("csrf", "")
        page = await http.post(
            "/connexion",
            data={"identifiant": self.username, "mot_de_passe": self._password, "csrf": csrf},
        )
        if page.url.path != self.home or page.status_code != 200:
            raise RobotAgentError(
                f"{self.username}: login failed ({page.status_code} at {page.url.path})",
                page.status_code,
            )
        self._csrf = _Page(page.text).meta.get("csrf-token", "")

    async def _log_out(self, http: httpx.AsyncClient) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await http.post("/deconnexion", data={"csrf": self._csrf})

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RobotAgentError(f"{self.username}: the screen is not open")
        return self._http

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A script request as ``common.js`` sends it (JSON, ``X-CSRF-Token``)."""
        try:
            response = await self._client().post(
                path, json=body or {}, headers={"X-CSRF-Token": self._csrf}
            )
        except httpx.HTTPError as exc:
            raise RobotAgentError(f"{self.username}: POST {path}: {exc}") from exc
        return self._json(response, f"POST {path}")

    async def get(self, path: str) -> dict[str, Any]:
        try:
            response = await self._client().get(path)
        except httpx.HTTPError as exc:
            raise RobotAgentError(f"{self.username}: GET {path}: {exc}") from exc
        return self._json(response, f"GET {path}")

    def _json(self, response: httpx.Response, request: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or not isinstance(data, dict):
            message = data.get("erreur") if isinstance(data, dict) else None
            raise RobotAgentError(
                f"{self.username}: {request}: {response.status_code} {message or ''}".strip(),
                response.status_code,
            )
        return data

    # ---- the WebSocket ------------------------------------------------------------------
    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                if not isinstance(message, dict):
                    continue
                if isinstance(message.get("state"), dict):
                    self.state = message["state"]
                kind = message.get("type")
                if kind == "call":
                    self.calls.put_nowait((message, _ms()))
                elif kind == "offer":
                    self.offers.put_nowait(str(message.get("attempt_id")))
                elif kind == "ended":
                    self.ended.add(str(message.get("attempt_id")))
                elif kind == "call_failed":
                    self._errors.append(f"screen pop failed for {message.get('attempt_id')}")
                elif kind == "expired":
                    self.failure = RobotAgentError(f"{self.username}: session expired")
                self.changed.set()
        except ConnectionClosed as exc:
            self.failure = RobotAgentError(f"{self.username}: screen closed: {exc}")
        if self.failure is None:
            self.failure = RobotAgentError(f"{self.username}: screen closed by the server")
        self.changed.set()

    async def _ping(self, socket: ClientConnection) -> None:
        while True:
            await asyncio.sleep(PING_EVERY_S)
            with contextlib.suppress(ConnectionClosed):
                await socket.send("ping")

    async def wait_changed(self, seconds: float) -> None:
        """Wait for a WebSocket message since the last ``changed.clear()``, at most
        ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), seconds)
