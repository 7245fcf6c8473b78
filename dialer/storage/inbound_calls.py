"""Calls coming in, in the cycle schedule: the person whose number called is found among the
cycle's members and their call written in the ledger (kind ``inbound``), or their call back
scheduled, each in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select

from dialer.core.attempts import AttemptKind, AttemptState
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, PhoneNumber
from dialer.storage.schedule import CycleMember, MemberStatus


class InboundCallClaims:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def knows(self, cycle_id: int, e164: str) -> bool:
        """Whether a member of the cycle has the number ``e164``."""
        statement = (
            select(CycleMember.id)
            .join(PhoneNumber, PhoneNumber.person_id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .limit(1)
        )
        async with transaction(self._sessions) as session:
            return await session.scalar(statement) is not None

    async def take(
        self,
        cycle_id: int,
        e164: str,
        *,
        attempt_id: str,
        agent: str,
        node: str,
        arrived_at: datetime,
    ) -> Attempt | None:
        """The call of the cycle's member whose number ``e164`` is, written answered with
        ``agent`` (id ``attempt_id``); a member waiting leaves the dial queue while it lasts
        (``in_call``: the disposition plans what comes next). Several people on the number:
        one waiting to be called first, then the number's first holder. None: nobody."""
        waiting_first = case((CycleMember.status == MemberStatus.WAITING, 0), else_=1)
        statement = (
            select(CycleMember)
            .join(PhoneNumber, PhoneNumber.person_id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .order_by(waiting_first, PhoneNumber.position, CycleMember.id)
            .limit(1)
            .with_for_update(of=CycleMember)
        )
        async with transaction(self._sessions) as session:
            member = await session.scalar(statement)
            if member is None:
                return None
            attempt = Attempt(
                id=attempt_id,
                cycle_id=cycle_id,
                person_id=member.person_id,
                number=e164,
                kind=AttemptKind.INBOUND,
                state=AttemptState.ANSWERED,
                planned_for=arrived_at,
                placed_at=arrived_at,
                answered_at=arrived_at,
                agent=agent,
                node=node,
            )
            session.add(attempt)
            if member.status is MemberStatus.WAITING:
                member.status = MemberStatus.IN_CALL
                member.attempt_id = attempt_id
        return attempt

    async def call_back(self, cycle_id: int, e164: str, *, due_at: datetime) -> bool:
        """The waiting member whose number ``e164`` is becomes an agent-reserved call back
        (kind ``callback``) due at ``due_at`` (or earlier if due before), on that number.
        False when no member with that number waits to be called."""
        statement = (
            select(CycleMember)
            .join(PhoneNumber, PhoneNumber.person_id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .where(CycleMember.status == MemberStatus.WAITING)
            .order_by(PhoneNumber.position, CycleMember.id)
            .limit(1)
            .with_for_update(of=CycleMember)
        )
        async with transaction(self._sessions) as session:
            member = await session.scalar(statement)
            if member is None:
                return False
            due = member.next_due_at
            member.next_due_at = due_at if due is None or due > due_at else due
            member.next_kind = AttemptKind.CALLBACK
            member.next_number = e164
            member.next_agent = None
        return True
