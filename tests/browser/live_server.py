"""The web service under uvicorn on 127.0.0.1 (a free port), in a thread with its own
event loop, on a seeded temporary database, with a fake engine the test drives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from dialer.alerts.dispatcher import AlertDispatcher
from dialer.alerts.raising import AlertRaiser
from dialer.clock import utcnow
from dialer.service import start_serving
from dialer.storage import SessionFactory
from dialer.web.app import create_app, screens_of
from dialer.web.screens import AgentScreens
from dialer.web.sip import SipAccess
from tests.web.support import (
    SECRET_KEY,
    FakeDesk,
    World,
    catalog_in,
    fast_passwords,
    open_database,
    seed,
)

T = TypeVar("T")


class RealClock:
    def __call__(self) -> datetime:
        return utcnow()


class LiveServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self.server: uvicorn.Server | None = None
        self.engine: AsyncEngine | None = None
        self.sessions: SessionFactory
        self.world: World
        self.desk: FakeDesk
        self.screens: AgentScreens
        self.app: Starlette
        self.dispatcher: AlertDispatcher

    def start(self) -> LiveServer:
        self._thread.start()
        if not self.ready.wait(30):
            raise RuntimeError("the live server did not start in 30 s")
        if self.failure is not None:
            raise RuntimeError("the live server failed to start") from self.failure
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self.failure = exc
            self.ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        clock = RealClock()
        self.engine, self.sessions = await open_database(self.directory / "browser.db")
        self.world = await seed(self.sessions, now=clock())
        self.desk = FakeDesk(clock)
        self.dispatcher = AlertDispatcher(self.sessions, clock=clock, poll_s=1.0)
        app = create_app(
            sessions=self.sessions,
            engine=self.desk,
            questionnaires=catalog_in(self.directory / "questionnaires"),
            secret_key=SECRET_KEY,
            clock=clock,
            alerts=AlertRaiser(self.sessions, clock=clock, dispatcher=self.dispatcher),
            dispatcher=self.dispatcher,
            sip=SipAccess(host="sip.ville.test"),
            secure_cookies=False,
            passwords=fast_passwords(),
        )
        self.app = app
        self.screens = screens_of(app)
        self.desk.screens = self.screens
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="websockets-sansio",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        await self.dispatcher.start()
        serving = await start_serving(self.server)
        self.ready.set()
        try:
            await serving
        finally:
            await self.dispatcher.stop()
            await self.engine.dispose()

    def call(self, make: Callable[[], Awaitable[T]], *, timeout: float = 10.0) -> T:
        """Run ``make()`` on the server's event loop (where the engine would run)."""

        async def run() -> T:
            return await make()

        coroutine: Coroutine[Any, Any, T] = run()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self._thread.join(15)
