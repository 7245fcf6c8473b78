"""Agent-reserved calls in the cycle schedule: a person whose next call needs an agent
first (kind ``CALLBACK`` or ``PREVIEW``, or anyone in a preview campaign) is *claimed* by
one ready agent, atomically: the claim writes the planned attempt with its agent in the
same transaction that takes the member, so two agents (or two controllers) never get the
same person and a callback is never dialled twice. An agent's own callback is theirs alone
until its grace period has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, update

from dialer.core.attempts import RESERVED_KINDS, AttemptKind, AttemptState
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import held_at
from dialer.storage.household_rows import offered_to_taker
from dialer.storage.ledger import withdraw_attempt
from dialer.storage.models import Attempt, Person
from dialer.storage.schedule import CycleMember, MemberStatus


@dataclass(frozen=True)
class WaitingReservedCall:
    """A reserved call due and not claimed yet (for the supervisor's page)."""

    person_id: int
    name: str
    due_at: datetime
    kind: AttemptKind
    agent: str | None


class ReservedCallClaims:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @staticmethod
    def _reserved(every_kind: bool) -> ColumnElement[bool]:
        if every_kind:
            return CycleMember.next_kind.in_(list(AttemptKind))
        return CycleMember.next_kind.in_(sorted(RESERVED_KINDS))

    async def claim(
        self,
        cycle_id: int,
        agent: str,
        *,
        now: datetime,
        grace: timedelta,
        every_kind: bool,
        attempt_id: str,
        passed: Sequence[int] = (),
    ) -> Attempt | None:
        """The next person due for ``agent``, their attempt written planned with the agent
        (id ``attempt_id``), or None. The agent's own callbacks first, then other reserved
        calls (an abandoned person's call-back), then the rest (``every_kind``: a preview
        campaign), earliest due first. Someone else's callback only after ``grace``;
        ``passed``: people this agent just passed (offered to others first)."""
        mine = CycleMember.next_agent == agent
        statement = (
            select(CycleMember)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.status == MemberStatus.WAITING)
            .where(CycleMember.next_due_at <= now)
            .where(self._reserved(every_kind))
            .where(~held_at(CycleMember.person_id, now))  # nobody a hold keeps out
            .where(~unconsented_in_cycle(cycle_id, CycleMember.person_id, now))
            .where(offered_to_taker(cycle_id, agent, CycleMember.person_id))  # volunteers
            .where(
                or_(
                    CycleMember.next_agent.is_(None),
                    mine,
                    CycleMember.next_due_at <= now - grace,
                )
            )
            .order_by(
                case((mine, 0), else_=1),
                case((CycleMember.next_kind.in_(sorted(RESERVED_KINDS)), 0), else_=1),
                CycleMember.next_due_at,
                CycleMember.id,
            )
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if passed:
            statement = statement.where(CycleMember.person_id.not_in(list(passed)))
        async with transaction(self._sessions) as session:
            member = await session.scalar(statement)
            if member is None:
                return None
            attempt = Attempt(
                id=attempt_id,
                cycle_id=cycle_id,
                person_id=member.person_id,
                number=member.next_number or "",
                kind=member.next_kind
                if member.next_kind in RESERVED_KINDS
                else AttemptKind.PREVIEW,
                state=AttemptState.PLANNED,
                planned_for=member.next_due_at or now,
                agent=agent,
            )
            session.add(attempt)
            member.status = MemberStatus.IN_CALL
            member.attempt_id = attempt_id
        return attempt

    async def pass_person(
        self, attempt_id: str, *, reason: str, now: datetime, due_again: datetime
    ) -> bool:
        """The agent passed the person offered (``reason``): the planned attempt is withdrawn
        (never dialled, counts nowhere) and the person is due again at ``due_again``, for
        any agent. False when the attempt was no longer planned."""
        async with transaction(self._sessions) as session:
            if not await withdraw_attempt(
                session, attempt_id, reason=reason, at=now, states=[AttemptState.PLANNED]
            ):
                return False
            await session.execute(
                update(CycleMember)
                .where(CycleMember.attempt_id == attempt_id)
                .where(CycleMember.status == MemberStatus.IN_CALL)
                .values(
                    status=MemberStatus.WAITING,
                    attempt_id=None,
                    next_due_at=due_again,
                    next_agent=None,
                )
                .execution_options(synchronize_session=False)
            )
        return True

    async def due_count(self, cycle_id: int, now: datetime) -> int:
        """Reserved calls due now and not claimed (automatic dials hold back for them)."""
        async with transaction(self._sessions) as session:
            value = await session.scalar(
                select(func.count())
                .select_from(CycleMember)
                .where(CycleMember.cycle_id == cycle_id)
                .where(CycleMember.status == MemberStatus.WAITING)
                .where(CycleMember.next_due_at <= now)
                .where(self._reserved(every_kind=False))
                .where(~held_at(CycleMember.person_id, now))
                .where(~unconsented_in_cycle(cycle_id, CycleMember.person_id, now))
            )
        return int(value or 0)

    async def late(
        self, cycle_ids: Sequence[int], *, now: datetime, grace: timedelta
    ) -> list[WaitingReservedCall]:
        """Reserved calls due for longer than ``grace`` that nobody took, earliest first
        (nobody whose consent basis is gone: they are not to be called at all)."""
        consented = or_(
            false(),
            *(
                and_(
                    CycleMember.cycle_id == cycle_id,
                    ~unconsented_in_cycle(cycle_id, CycleMember.person_id, now),
                )
                for cycle_id in cycle_ids
            ),
        )
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(CycleMember, Person.first_name, Person.last_name)
                .join(Person, Person.id == CycleMember.person_id)
                .where(CycleMember.cycle_id.in_(list(cycle_ids)))
                .where(CycleMember.status == MemberStatus.WAITING)
                .where(CycleMember.next_due_at <= now - grace)
                .where(self._reserved(every_kind=False))
                .where(consented)
                .order_by(CycleMember.next_due_at, CycleMember.id)
            )
            return [
                WaitingReservedCall(
                    m.person_id,
                    f"{first} {last}".strip(),
                    m.next_due_at or now,
                    m.next_kind,
                    m.next_agent,
                )
                for m, first, last in rows.all()
            ]
