"""The attempt ledger: every dial is written down before it is placed, and its state only
moves forward, so a restart neither loses an attempt nor places one twice.

The usual life of an attempt::

    attempt = await ledger.record_planned(...)      # committed before anything is dialled
    if await ledger.mark_dialing(attempt.id, at=now):   # False: someone already dialled it
        ... originate with ChannelId=attempt.id ...
    await ledger.advance(attempt.id, AttemptState.ANSWERED, at=now)
    await ledger.close(attempt.id, CallOutcome.ANSWERED, at=now)

After a restart, :meth:`AttemptLedger.in_flight` lists the attempts Asterisk may still be
handling, to reconcile with the channels it reports.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import (
    ATTEMPT_STATE_RANK,
    IN_FLIGHT_STATES,
    AttemptKind,
    AttemptState,
    CycleResult,
)
from dialer.core.outcomes import CallOutcome
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleMember, MemberStatus

#: the timestamp column set when an attempt enters a state
_STAMPED: dict[AttemptState, str] = {
    AttemptState.DIALING: "placed_at",
    AttemptState.ANSWERED: "answered_at",
    AttemptState.BRIDGED: "bridged_at",
    AttemptState.ENDED: "ended_at",
    AttemptState.FAILED: "ended_at",
}

_FINAL = (AttemptState.ENDED, AttemptState.FAILED)


def earlier_states(state: AttemptState) -> list[AttemptState]:
    """The states an attempt may move to ``state`` from."""
    rank = ATTEMPT_STATE_RANK[state]
    return [earlier for earlier, r in ATTEMPT_STATE_RANK.items() if r < rank]


class AttemptLedger:
    """The attempts of all campaigns. Each method is one committed transaction, and each
    state change is one conditional ``UPDATE``, atomic on SQLite and PostgreSQL alike."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def record_planned(
        self,
        *,
        cycle_id: int,
        person_id: int,
        number: str,
        kind: AttemptKind,
        planned_for: datetime,
        attempt_id: str | None = None,
        agent: str | None = None,
    ) -> Attempt:
        """Write a planned attempt down (committed on return). ``attempt_id`` defaults to a
        new UUID; it is the ChannelId to originate with."""
        attempt = Attempt(
            id=attempt_id or str(uuid.uuid4()),
            cycle_id=cycle_id,
            person_id=person_id,
            number=number,
            kind=kind,
            state=AttemptState.PLANNED,
            planned_for=planned_for,
            agent=agent,
        )
        async with transaction(self._sessions) as session:
            session.add(attempt)
        return attempt

    async def mark_dialing(self, attempt_id: str, *, at: datetime, node: str | None = None) -> bool:
        """Move a planned attempt to dialing. True for exactly one caller: False when it was
        already dialled (or is past that), so the same attempt is never placed twice.
        Raises :class:`NotFoundError` for an unknown attempt."""
        async with transaction(self._sessions) as session:
            values: dict[str, Any] = {"state": AttemptState.DIALING, "placed_at": at}
            if node is not None:
                values["node"] = node
            moved = await _move(session, attempt_id, [AttemptState.PLANNED], values)
            if not moved:
                await _current_state(session, attempt_id)  # NotFoundError when missing
            return moved

    async def advance(
        self,
        attempt_id: str,
        state: AttemptState,
        *,
        at: datetime,
        agent: str | None = None,
        answered_at: datetime | None = None,
    ) -> None:
        """Move an attempt forward to ``ringing``, ``answered`` or ``bridged`` (``agent``:
        who it was bridged to; ``answered_at``: when the person answered, kept if already
        known). Raises :class:`ConflictError` when that is not forward."""
        if state in _FINAL or state is AttemptState.PLANNED:
            raise InputError(f"advance(): {state.value} is not an intermediate state")
        values: dict[str, Any] = {"state": state}
        if state in _STAMPED:
            values[_STAMPED[state]] = at
        if agent is not None:
            values["agent"] = agent
        if answered_at is not None and "answered_at" not in values:
            values["answered_at"] = func.coalesce(Attempt.answered_at, answered_at)
        async with transaction(self._sessions) as session:
            if not await _move(session, attempt_id, earlier_states(state), values):
                await _refuse(session, attempt_id, state)

    async def close(
        self,
        attempt_id: str,
        outcome: CallOutcome,
        *,
        at: datetime,
        hangup_cause: int | None = None,
        sip_status: int | None = None,
        failed: bool = False,
    ) -> None:
        """End an attempt with its outcome (state ``failed`` when it never got through to
        Asterisk, else ``ended``). Raises :class:`ConflictError` when already closed."""
        state = AttemptState.FAILED if failed else AttemptState.ENDED
        values: dict[str, Any] = {
            "state": state,
            "outcome": outcome,
            "ended_at": at,
            "hangup_cause": hangup_cause,
            "sip_status": sip_status,
        }
        async with transaction(self._sessions) as session:
            if not await _move(session, attempt_id, earlier_states(state), values):
                await _refuse(session, attempt_id, state)

    async def wrap_up_done(
        self, attempt_id: str, *, at: datetime, result: CycleResult | None
    ) -> None:
        """The agent ended the call's wrap-up; ``result`` is what its disposition gave the
        person (whatever the attempt's state)."""
        async with transaction(self._sessions) as session:
            await session.execute(
                update(Attempt)
                .where(Attempt.id == attempt_id)
                .values(wrap_up_done_at=at, disposition=result)
            )

    async def get(self, attempt_id: str) -> Attempt:
        async with transaction(self._sessions) as session:
            attempt = await session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFoundError(f"attempt {attempt_id}: no such attempt")
        return attempt

    async def in_flight(self, cycle_id: int | None = None) -> list[Attempt]:
        """Attempts Asterisk may still be handling (dialing, ringing, answered, bridged),
        oldest first: what a restarted dialer must reconcile."""
        statement = select(Attempt).where(Attempt.state.in_(IN_FLIGHT_STATES))
        if cycle_id is not None:
            statement = statement.where(Attempt.cycle_id == cycle_id)
        statement = statement.order_by(Attempt.planned_for, Attempt.id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))

    async def awaiting_wrap_up(self) -> list[Attempt]:
        """Answered calls that ended with an agent and whose person still waits for the
        agent's disposition (cycle member in wrap-up), oldest first."""
        statement = (
            select(Attempt)
            .join(CycleMember, CycleMember.attempt_id == Attempt.id)
            .where(CycleMember.status == MemberStatus.WRAP_UP)
            .where(Attempt.state == AttemptState.ENDED)
            .where(Attempt.agent.is_not(None))
            .where(Attempt.wrap_up_done_at.is_(None))
            .order_by(Attempt.ended_at, Attempt.id)
        )
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))

    async def planned(self, cycle_id: int | None = None) -> list[Attempt]:
        """Attempts written down but not dialled yet, oldest first."""
        statement = select(Attempt).where(Attempt.state == AttemptState.PLANNED)
        if cycle_id is not None:
            statement = statement.where(Attempt.cycle_id == cycle_id)
        statement = statement.order_by(Attempt.planned_for, Attempt.id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))

    async def every_attempt(self) -> list[Attempt]:
        """Every attempt, oldest first (the rig's scenes read the whole ledger)."""
        statement = select(Attempt).order_by(Attempt.planned_for, Attempt.id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))

    async def for_person(self, person_id: int, cycle_id: int | None = None) -> list[Attempt]:
        """A person's attempts, oldest first."""
        statement = select(Attempt).where(Attempt.person_id == person_id)
        if cycle_id is not None:
            statement = statement.where(Attempt.cycle_id == cycle_id)
        statement = statement.order_by(Attempt.planned_for, Attempt.id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement))


async def _move(
    session: AsyncSession,
    attempt_id: str,
    allowed_from: list[AttemptState],
    values: dict[str, Any],
) -> bool:
    result: Result[Any] = await session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .where(Attempt.state.in_(allowed_from))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


async def _current_state(session: AsyncSession, attempt_id: str) -> AttemptState:
    state = await session.scalar(select(Attempt.state).where(Attempt.id == attempt_id))
    if state is None:
        raise NotFoundError(f"attempt {attempt_id}: no such attempt")
    return state


async def _refuse(session: AsyncSession, attempt_id: str, state: AttemptState) -> None:
    current = await _current_state(session, attempt_id)
    raise ConflictError(
        f"attempt {attempt_id}: cannot move from {current.value} to {state.value} "
        "(an attempt's state only moves forward)"
    )
