"""The campaign's side of calls coming in (:class:`dialer.engine.inbound.InboundDesk`): its
calling hours, the person a calling number belongs to (normalised as the importer does),
and the call back of a person nobody could take."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dialer.core.inbound_match import Engagement
from dialer.core.own_volunteer import own_volunteer
from dialer.core.windows import CallingWindows, is_open, next_opening
from dialer.engine.ports import PlannedDial
from dialer.register.phones import PhoneError, normalise_phone
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.inbound_calls import InboundCallClaims


def caller_e164(caller: str) -> str | None:
    """The calling number as the register stores it, or None (hidden, or not a number).
    Carriers send ``0612345678``, ``+33612345678`` or ``33612345678``."""
    text = caller.strip()
    if text.startswith("33") and len(text) == 11 and text.isdigit():
        text = "+" + text
    if not text:
        return None
    try:
        return normalise_phone(text).e164
    except PhoneError:
        return None


#: the audit action of a call from a number on no register that an agent took
UNKNOWN_CALL_TAKEN = "inbound.unknown_taken"


class CycleInboundDesk:
    """Calls coming in for one cycle of a campaign."""

    def __init__(self, sessions: SessionFactory, *, cycle_id: int, windows: CallingWindows) -> None:
        self.cycle_id = cycle_id
        self.windows = windows
        self.claims = InboundCallClaims(sessions)
        self.audit = AuditLog(sessions)

    def open_at(self, now: datetime) -> bool:
        return is_open(self.windows, now)

    async def knows(self, caller: str) -> bool:
        e164 = caller_e164(caller)
        return e164 is not None and await self.claims.knows(self.cycle_id, e164)

    async def free_line(
        self, caller: str, *, engaged: Mapping[int, Engagement], at: datetime
    ) -> str | None:
        e164 = caller_e164(caller)
        if e164 is None:
            return None
        return await self.claims.free_line(self.cycle_id, e164, engaged=engaged, at=at)

    async def take(
        self,
        attempt_id: str,
        caller: str,
        *,
        agent: str,
        node: str,
        arrived_at: datetime,
        engaged: Mapping[int, Engagement] | None = None,
    ) -> PlannedDial | None:
        e164 = caller_e164(caller)
        if e164 is None:
            return None
        attempt = await self.claims.take(
            self.cycle_id,
            e164,
            attempt_id=attempt_id,
            agent=agent,
            node=node,
            arrived_at=arrived_at,
            engaged=engaged,
        )
        if attempt is None:
            return None
        return PlannedDial(attempt.id, attempt.person_id, attempt.cycle_id, attempt.number)

    async def household_volunteer(self, caller: str, *, at: datetime) -> str | None:
        e164 = caller_e164(caller)
        if e164 is None:
            return None
        assigned, last = await self.claims.household_volunteers(self.cycle_id, e164, at=at)
        return own_volunteer(assigned, last)

    async def unknown_taken(
        self, attempt_id: str, caller: str, *, agent: str, node: str, at: datetime
    ) -> None:
        await self.audit.record(
            actor=agent,
            action=UNKNOWN_CALL_TAKEN,
            target=f"attempt:{attempt_id}",
            at=at,
            details={"caller": caller, "node": node, "cycle_id": self.cycle_id},
            route="inbound",
        )

    async def reattach(
        self, attempt_id: str, person_id: int, *, engaged: Mapping[int, Engagement]
    ) -> None:
        await self.claims.reattach(attempt_id, person_id, engaged=engaged)

    async def attach_found(
        self,
        attempt_id: str,
        caller: str,
        person_id: int,
        *,
        agent: str,
        node: str,
        answered_at: datetime,
        bridged_at: datetime | None,
        engaged: Mapping[int, Engagement],
    ) -> PlannedDial:
        attempt = await self.claims.attach_found(
            self.cycle_id,
            person_id,
            attempt_id=attempt_id,
            number=caller_e164(caller) or caller.strip() or "inconnu",
            agent=agent,
            node=node,
            answered_at=answered_at,
            bridged_at=bridged_at,
            engaged=engaged,
        )
        return PlannedDial(attempt.id, attempt.person_id, attempt.cycle_id, attempt.number)

    async def release(self, attempt_id: str, *, at: datetime) -> None:
        await self.claims.release(attempt_id, at=at)

    async def call_back(self, caller: str, *, now: datetime) -> bool:
        e164 = caller_e164(caller)
        if e164 is None:
            return False
        due = next_opening(self.windows, now)  # now, in calling hours
        return await self.claims.call_back(self.cycle_id, e164, due_at=due)
