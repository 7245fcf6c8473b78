"""Simulated agents at their desks: they finish each call's wrap-up after a set time.

Used by the demo and the real-Asterisk tests, where the agents' softphones are baresip.
(The agent's screen, later, fills the questionnaire through the same web interface a person
uses; this desk only ends wrap-up.)
"""

from __future__ import annotations

import asyncio
import contextlib

from dialer.core.attempts import CycleResult
from dialer.engine.engine import DialingEngine
from dialer.errors import DialerError


class AutoWrapUpDesk:
    """A :class:`~dialer.engine.ports.ScreenNotifier` whose agents wrap up on their own."""

    def __init__(self, wrap_up_s: float = 0.5, result: CycleResult = CycleResult.REACHED) -> None:
        self.wrap_up_s = wrap_up_s
        self.result = result
        self.engine: DialingEngine | None = None
        self.popped: dict[str, list[str]] = {}
        #: agent -> (attempt id, number) of the calls from numbers on no register told
        self.unknown_callers: dict[str, list[tuple[str, str]]] = {}
        self.phones_lost: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def reserved(self, agent: str, attempt_id: str) -> None:
        return None

    async def joined(self, agent: str, attempt_id: str) -> None:
        self.popped.setdefault(agent, []).append(attempt_id)

    async def ended(self, agent: str, attempt_id: str) -> None:
        task = asyncio.create_task(self._wrap_up(agent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wrapped_up(self, agent: str, attempt_id: str) -> None:
        return None

    async def phone_lost(self, agent: str) -> None:
        self.phones_lost.append(agent)

    async def offered(self, agent: str, attempt_id: str, countdown_s: int | None) -> None:
        """A robot agent calls the person offered at once (« Appeler »)."""
        if self.engine is not None:
            task = asyncio.create_task(self._call(agent))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def withdrawn(self, agent: str, attempt_id: str) -> None:
        return None

    async def unknown_caller(self, agent: str, attempt_id: str, number: str) -> None:
        self.unknown_callers.setdefault(agent, []).append((attempt_id, number))

    async def _call(self, agent: str) -> None:
        if self.engine is not None:
            with contextlib.suppress(DialerError):
                await self.engine.call_offer(agent)

    async def _wrap_up(self, agent: str) -> None:
        await asyncio.sleep(self.wrap_up_s)
        if self.engine is not None:
            with contextlib.suppress(DialerError):
                await self.engine.finish_wrap_up(agent, self.result)
