"""Agents' screens over WebSocket: the web service's :class:`ScreenNotifier`.

The engine calls :meth:`AgentScreens.reserved` when it reserves an agent for an answered
call: the screen's payload (person, history, questionnaire) is prepared then, in a task,
so :meth:`AgentScreens.joined` only has to queue it to the agent's open sockets. No call
from the engine waits for the database or for a browser: each socket has its own queue
and writer. Each screen pop (a view of the person's record and answers) is written to
the audit log by a task of its own, never awaited by the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialer.core.agent_states import AgentState
from dialer.core.labels import AGENT_STATE_LABELS
from dialer.core.seats import Seat
from dialer.desk.call_view import CallViews
from dialer.desk.port import AgentDesk, seat_of
from dialer.errors import DialerError
from dialer.storage.audit import AuditLog

log = logging.getLogger(__name__)

#: messages kept for a socket that does not read them (then it is dropped)
QUEUE_LIMIT = 100
SAMPLES = 1000


def state_json(seat: Seat | None, now: datetime) -> dict[str, Any]:
    if seat is None:
        return {
            "state": AgentState.LOGGED_OUT.value,
            "label": AGENT_STATE_LABELS[AgentState.LOGGED_OUT],
            "seconds": 0,
            "pause_reason": None,
            "attempt_id": None,
            "since_ms": 0,
        }
    return {
        "state": seat.state.value,
        "label": AGENT_STATE_LABELS[seat.state],
        "seconds": int(seat.seconds_in_state(now)),
        "pause_reason": seat.pause_reason,
        "attempt_id": seat.attempt_id,
        # when the seat entered this state: the screen ignores an older state arriving
        # late (an HTTP reply overtaken by a WebSocket push, or the reverse)
        "since_ms": int(seat.since.timestamp() * 1000),
    }


@dataclass(eq=False)
class ScreenSocket:
    """One open agent screen: what to send it, in order."""

    agent: str
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))


@dataclass
class _Prepared:
    attempt_id: str
    task: asyncio.Task[dict[str, Any]]


class AgentScreens:
    def __init__(
        self, views: CallViews, *, clock: Callable[[], datetime], audit: AuditLog | None = None
    ) -> None:
        self.views = views
        self._audit = audit
        self.desk: AgentDesk | None = None
        self._clock = clock
        self._sockets: dict[str, set[ScreenSocket]] = {}
        self._prepared: dict[str, _Prepared] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._prepare_ms: deque[float] = deque(maxlen=SAMPLES)
        self._counters = {
            "reserved": 0,
            "offered": 0,
            "joined": 0,
            "unknown_callers": 0,
            "ended": 0,
            "pushed": 0,
            "dropped": 0,
        }
        self._failures = 0

    def attach(self, desk: AgentDesk | None) -> None:
        self.desk = desk

    # ---- ScreenNotifier -----------------------------------------------------------------
    async def reserved(self, agent: str, attempt_id: str) -> None:
        self._counters["reserved"] += 1
        self._prepare(agent, attempt_id)

    async def joined(self, agent: str, attempt_id: str) -> None:
        self._counters["joined"] += 1
        prepared = self._prepared.get(agent)
        if prepared is None or prepared.attempt_id != attempt_id:
            prepared = self._prepare(agent, attempt_id)
        task = prepared.task
        if task.done() and not task.cancelled() and task.exception() is None:
            self._send_call(agent, attempt_id, task.result())
        else:
            self._spawn(self._send_when_ready(agent, attempt_id, task))

    async def ended(self, agent: str, attempt_id: str) -> None:
        self._counters["ended"] += 1
        self.push(agent, {"type": "ended", "attempt_id": attempt_id, "state": self.state(agent)})

    async def phone_lost(self, agent: str) -> None:
        """The agent's leg dropped: out of the pool; the screen says so and offers to
        connect (or call their own phone) again."""
        self.push(agent, {"type": "phone_lost", "state": self.state(agent)})

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        """The person offered to the agent (preview): their record, « Appeler », « Passer »."""
        self._counters["offered"] += 1
        self._spawn(self._send_offer(agent, attempt_id, countdown_s))

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        self.forget(agent, attempt_id)
        self.push(
            agent, {"type": "withdrawn", "attempt_id": attempt_id, "state": self.state(agent)}
        )

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        self._counters["unknown_callers"] += 1
        self.push(
            agent,
            {
                "type": "unknown_caller",
                "attempt_id": attempt_id,
                "number": number,
                "state": self.state(agent),
            },
        )

    async def _send_offer(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        prepared = self._prepare(agent, attempt_id)
        try:
            view = await asyncio.shield(prepared.task)
        except (DialerError, asyncio.CancelledError):
            self.push(agent, {"type": "call_failed", "attempt_id": attempt_id})
            return
        self.push(agent, self.offer_message(agent, attempt_id, view, countdown_s))

    def offer_message(
        self, agent: str, attempt_id: str, view: dict[str, Any], countdown_s: int | None
    ) -> dict[str, Any]:
        return {
            "type": "offer",
            "attempt_id": attempt_id,
            "view": view,
            "countdown_s": countdown_s,
            "state": self.state(agent),
        }

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        """The engine ended the wrap-up itself (the sheet was submitted during the call)."""
        self.push(agent, {"type": "state", "state": self.state(agent)})
        self.forget(agent, attempt_id)

    # ---- wrap-up ------------------------------------------------------------------------
    def forget(self, agent: str, attempt_id: str) -> None:
        """The call's wrap-up has ended: its prepared payload and context are no longer
        needed."""
        self.views.forget(agent, attempt_id)
        prepared = self._prepared.get(agent)
        if prepared is not None and prepared.attempt_id == attempt_id:
            del self._prepared[agent]

    # ---- payloads -----------------------------------------------------------------------
    def _prepare(self, agent: str, attempt_id: str) -> _Prepared:
        old = self._prepared.get(agent)
        if old is not None and old.attempt_id != attempt_id:
            old.task.cancel()
        task = asyncio.create_task(self._timed_view(agent, attempt_id), name=f"screen-{agent}")
        prepared = _Prepared(attempt_id, task)
        self._prepared[agent] = prepared
        task.add_done_callback(self._observe)
        return prepared

    async def _timed_view(self, agent: str, attempt_id: str) -> dict[str, Any]:
        started = time.perf_counter()
        view = await self.views.view(attempt_id, agent=agent)
        self._prepare_ms.append((time.perf_counter() - started) * 1000)
        return view

    def _observe(self, task: asyncio.Task[dict[str, Any]]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._failures += 1
            log.warning("preparing an agent screen failed: %s", task.exception())

    async def _send_when_ready(
        self, agent: str, attempt_id: str, task: asyncio.Task[dict[str, Any]]
    ) -> None:
        try:
            view = await asyncio.shield(task)
        except (DialerError, asyncio.CancelledError):
            self.push(agent, {"type": "call_failed", "attempt_id": attempt_id})
            return
        self._send_call(agent, attempt_id, view)

    def _send_call(self, agent: str, attempt_id: str, view: dict[str, Any]) -> None:
        self.push(
            agent,
            {
                "type": "call",
                "attempt_id": attempt_id,
                "view": view,
                "state": self.state(agent),
                "sent_at_ms": time.time() * 1000,
            },
        )
        if self._audit is not None and self._sockets.get(agent):  # shown: audited, after the push
            self._spawn(self._record_shown(self._audit, agent, attempt_id, view))

    async def current_view(self, agent: str) -> dict[str, Any] | None:
        """The view of the agent's current call (on call or in wrap-up), for a screen that
        (re)connects."""
        seat = seat_of(self.desk, agent)
        if seat is None or seat.attempt_id is None:
            return None
        if seat.state not in (AgentState.ON_CALL, AgentState.WRAP_UP):
            return None
        prepared = self._prepared.get(agent)
        if prepared is not None and prepared.attempt_id == seat.attempt_id:
            with contextlib.suppress(DialerError, asyncio.CancelledError):
                return await asyncio.shield(prepared.task)
        return await self.views.view(seat.attempt_id, agent=agent)

    async def _record_shown(
        self, audit: AuditLog, agent: str, attempt_id: str, view: dict[str, Any]
    ) -> None:
        try:
            await audit.record(
                actor=agent,
                action="read.call",
                target=f"attempt:{attempt_id}",
                at=self._clock(),
                person_id=view["person"]["id"],
                route="WS /ws/agent",
                details={"screen_pop": True},
            )
        except DialerError as exc:
            log.error("the audit entry of a screen pop failed: %s", exc)

    # ---- sockets ------------------------------------------------------------------------
    def state(self, agent: str) -> dict[str, Any]:
        return state_json(seat_of(self.desk, agent), self._clock())

    def open(self, agent: str) -> ScreenSocket:
        socket = ScreenSocket(agent)
        self._sockets.setdefault(agent, set()).add(socket)
        return socket

    def close(self, socket: ScreenSocket) -> None:
        sockets = self._sockets.get(socket.agent)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[socket.agent]

    def push(self, agent: str, message: dict[str, Any]) -> None:
        text = json.dumps(message, ensure_ascii=False, default=str)
        for socket in list(self._sockets.get(agent, ())):
            try:
                socket.queue.put_nowait(text)
                self._counters["pushed"] += 1
            except asyncio.QueueFull:
                self._counters["dropped"] += 1
                self.close(socket)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def statistics(self) -> dict[str, object]:
        samples = sorted(self._prepare_ms)
        return {
            **self._counters,
            "screens_open": sum(len(s) for s in self._sockets.values()),
            "agents_connected": len(self._sockets),
            "prepare_failures": self._failures,
            "prepare_ms_p50": round(samples[len(samples) // 2], 2) if samples else None,
            "prepare_ms_max": round(samples[-1], 2) if samples else None,
        }
