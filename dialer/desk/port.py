"""What the agent's desk and screens need from the dialing engine (``DialingEngine`` has
it all; tests may pass a smaller fake with the same methods)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dialer.core.attempts import CycleResult
from dialer.core.seats import Seat, SeatBoard
from dialer.engine.inbound_choices import InboundCaller
from dialer.engine.wrap_ups import WrapUp


class AgentDesk(Protocol):
    """The engine's agent-facing part."""

    @property
    def seats(self) -> SeatBoard: ...

    async def log_in(self, agent: str, endpoint: str) -> None: ...

    async def call_own_phone(self, agent: str, number: str) -> None: ...

    def go_ready(self, agent: str) -> None: ...

    def pause(self, agent: str, reason: str) -> None: ...

    async def give_disposition(
        self, agent: str, attempt_id: str, result: CycleResult | None
    ) -> WrapUp: ...

    async def finish_wrap_up(self, agent: str, result: CycleResult | None = None) -> None: ...

    async def hang_up_call(self, agent: str) -> None: ...

    def offer_of(self, agent: str) -> str | None: ...

    async def call_offer(self, agent: str) -> str: ...

    async def pass_offer(self, agent: str, reason: str) -> None: ...

    def statistics(self) -> dict[str, object]: ...


@runtime_checkable
class InboundChoices(Protocol):
    """The engine's part an agent's choice on a call coming in needs (the person on a
    shared line, the person found for an unknown number)."""

    async def attach_inbound(self, agent: str, attempt_id: str, person_id: int) -> None: ...

    def inbound_caller(self, agent: str, attempt_id: str) -> InboundCaller: ...


def seat_of(desk: AgentDesk | None, agent: str) -> Seat | None:
    """The agent's seat, or ``None`` (no engine, or the agent never connected a phone)."""
    if desk is None:
        return None
    return next((seat for seat in desk.seats.seats() if seat.agent == agent), None)
