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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import (
    ATTEMPT_STATE_RANK,
    IN_FLIGHT_STATES,
    AttemptKind,
    AttemptState,
    CycleResult,
)
from dialer.core.outcomes import CallOutcome
from dialer.errors import ConflictError, DialerError, InputError, NotFoundError
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import held_at
from dialer.storage.models import Attempt, Person
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
        already dialled (or is past that), so the same attempt is never placed twice, and
        when the person may no longer be called at ``at`` (an opposition, a death, a
        withdrawn consent recorded since it was planned or offered to an agent).
        Raises :class:`NotFoundError` for an unknown attempt."""
        async with transaction(self._sessions) as session:
            if await _barred(session, attempt_id, at):
                return False
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
        await self._one(LedgerAdvance(attempt_id, state, at, agent, answered_at))

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
        await self._one(LedgerClose(attempt_id, outcome, at, hangup_cause, sip_status, failed))

    async def wrap_up_done(
        self, attempt_id: str, *, at: datetime, result: CycleResult | None
    ) -> None:
        """The agent ended the call's wrap-up; ``result`` is what its disposition gave the
        person (whatever the attempt's state)."""
        await self._one(LedgerWrapUp(attempt_id, at, result))

    async def _one(self, change: LedgerChange) -> None:
        async with transaction(self._sessions) as session:
            refused = await _apply(session, change, again=False)
        if refused is not None:
            raise refused

    async def apply(self, changes: Sequence[LedgerChange]) -> list[DialerError | None]:
        """Several changes in one transaction, in order (a burst of answers written with
        one commit, not one each). A change that cannot apply (not forward, unknown
        attempt) is refused alone, its error in its place in the list; one already applied
        (a batch retried after a commit whose answer was lost) is not refused. Raises
        :class:`StorageError` when the transaction fails: then nothing was written."""
        refusals: list[DialerError | None] = []
        async with transaction(self._sessions) as session:
            for group in _groups(changes):
                refusals.extend(await _apply_group(session, group))
        return refusals

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


@dataclass(frozen=True)
class LedgerAdvance:
    attempt_id: str
    state: AttemptState
    at: datetime
    agent: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class LedgerClose:
    attempt_id: str
    outcome: CallOutcome
    at: datetime
    hangup_cause: int | None = None
    sip_status: int | None = None
    failed: bool = False
    #: the dial never left this host (no AMI session): not a dial, in no figure nor cap
    unplaced: bool = False


@dataclass(frozen=True)
class LedgerWrapUp:
    attempt_id: str
    at: datetime
    result: CycleResult | None


LedgerChange = LedgerAdvance | LedgerClose | LedgerWrapUp


def _target(change: LedgerAdvance | LedgerClose) -> AttemptState:
    if isinstance(change, LedgerAdvance):
        return change.state
    return AttemptState.FAILED if change.failed else AttemptState.ENDED


def _values(change: LedgerAdvance | LedgerClose) -> dict[str, Any]:
    """The columns ``change`` sets (its value, or its bind parameter's name)."""
    if isinstance(change, LedgerClose):
        closing: dict[str, Any] = {
            "state": _target(change),
            "outcome": change.outcome,
            "ended_at": change.at,
            "hangup_cause": change.hangup_cause,
            "sip_status": change.sip_status,
        }
        if change.unplaced:
            closing["placed_at"] = None
        return closing
    values: dict[str, Any] = {"state": change.state}
    if change.state in _STAMPED:
        values[_STAMPED[change.state]] = change.at
    if change.agent is not None:
        values["agent"] = change.agent
    if change.answered_at is not None and "answered_at" not in values:
        values["answered_at"] = change.answered_at
    return values


def _invalid(change: LedgerChange) -> DialerError | None:
    if isinstance(change, LedgerAdvance) and (
        change.state in _FINAL or change.state is AttemptState.PLANNED
    ):
        return InputError(f"advance(): {change.state.value} is not an intermediate state")
    return None


async def _apply(session: AsyncSession, change: LedgerChange, *, again: bool) -> DialerError | None:
    """Apply ``change``; the reason it cannot apply, if any (``again``: a change already
    applied is fine)."""
    if (invalid := _invalid(change)) is not None:
        return invalid
    if isinstance(change, LedgerWrapUp):
        await session.execute(
            update(Attempt)
            .where(Attempt.id == change.attempt_id)
            .values(wrap_up_done_at=change.at, disposition=change.result)
        )
        return None
    state, values = _target(change), _values(change)
    if "answered_at" in values and state is not AttemptState.ANSWERED:
        values["answered_at"] = func.coalesce(Attempt.answered_at, values["answered_at"])
    if await _move(session, change.attempt_id, earlier_states(state), values):
        return None
    try:
        current = await _current_state(session, change.attempt_id)
    except NotFoundError as missing:
        return missing
    return _verdict(change.attempt_id, current, state, again=again)


def _verdict(
    attempt_id: str, current: AttemptState, state: AttemptState, *, again: bool
) -> DialerError | None:
    """After a move to ``state`` that changed nothing: fine if ``again`` and the attempt
    is there already (or past it, short of its end), else refused."""
    if again and (
        current is state
        or (current not in _FINAL and ATTEMPT_STATE_RANK[current] >= ATTEMPT_STATE_RANK[state])
    ):
        return None
    return ConflictError(
        f"attempt {attempt_id}: cannot move from {current.value} to {state.value} "
        "(an attempt's state only moves forward)"
    )


def _shape(change: LedgerChange) -> tuple[object, ...]:
    """Changes of one shape are written by one statement, executed for each (executemany)."""
    if isinstance(change, LedgerWrapUp):
        return (LedgerWrapUp,)
    return (type(change), _target(change), tuple(sorted(_values(change))))


def _groups(changes: Sequence[LedgerChange]) -> list[list[LedgerChange]]:
    """Consecutive changes of one shape, in order."""
    groups: list[list[LedgerChange]] = []
    for change in changes:
        if groups and _shape(groups[-1][0]) == _shape(change) and _invalid(change) is None:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


async def _apply_group(
    session: AsyncSession, group: list[LedgerChange]
) -> list[DialerError | None]:
    """One statement executed for every change of ``group`` (a burst of 400 answers: one
    round trip to the database, not 400), then one read of where each attempt stands."""
    first = group[0]
    if len(group) == 1 or _invalid(first) is not None:
        return [await _apply(session, change, again=True) for change in group]
    table = cast("Table", Attempt.__table__)
    if isinstance(first, LedgerWrapUp):
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(wrap_up_done_at=bindparam("b_at"), disposition=bindparam("b_result"))
        )
        rows = [
            {"b_id": c.attempt_id, "b_at": c.at, "b_result": c.result}
            for c in group
            if isinstance(c, LedgerWrapUp)
        ]
        await session.execute(statement, rows)
        return [None] * len(group)
    moves = [c for c in group if isinstance(c, LedgerAdvance | LedgerClose)]
    state = _target(moves[0])
    columns = sorted(_values(moves[0]))
    assigned: dict[str, Any] = {name: bindparam(f"b_{name}") for name in columns}
    if "answered_at" in assigned and state is not AttemptState.ANSWERED:
        assigned["answered_at"] = func.coalesce(
            table.c.answered_at, bindparam("b_answered_at", type_=table.c.answered_at.type)
        )
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        # one comparison each, not IN (...): an expanding parameter cannot be executemany'd
        .where(or_(*(table.c.state == earlier for earlier in earlier_states(state))))
        .values(assigned)
    )
    await session.execute(
        statement,
        [{"b_id": c.attempt_id, **{f"b_{k}": v for k, v in _values(c).items()}} for c in moves],
    )
    ids = [c.attempt_id for c in moves]
    found = await session.execute(select(Attempt.id, Attempt.state).where(Attempt.id.in_(ids)))
    now_in: dict[str, AttemptState] = {row.id: row.state for row in found}
    verdicts: list[DialerError | None] = []
    for change in moves:
        current = now_in.get(change.attempt_id)
        if current is None:
            verdicts.append(NotFoundError(f"attempt {change.attempt_id}: no such attempt"))
        else:
            verdicts.append(_verdict(change.attempt_id, current, state, again=True))
    return verdicts


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


async def _barred(session: AsyncSession, attempt_id: str, at: datetime) -> bool:
    """Whether the person of ``attempt_id`` may not be called at ``at``: a hold keeps them
    out of calls, or the cycle is a veille-sociale one and their consent is gone."""
    found = (
        await session.execute(
            select(Attempt.person_id, Attempt.cycle_id).where(Attempt.id == attempt_id)
        )
    ).first()
    if found is None:
        return False  # unknown: the move says so
    person_id, cycle_id = found
    barred = await session.scalar(
        select(Person.id)
        .where(Person.id == person_id)
        .where(held_at(Person.id, at) | unconsented_in_cycle(cycle_id, Person.id, at))
    )
    return barred is not None


async def withdraw_attempt(
    session: AsyncSession,
    attempt_id: str,
    *,
    reason: str,
    at: datetime,
    states: Sequence[AttemptState],
) -> bool:
    """Withdraw ``attempt_id`` if it is in one of ``states``: closed as never dialled (no
    ``placed_at``: in no figure nor cap), with ``reason`` (a person passed in preview, a
    person who called in while being dialled). False when it had gone further."""
    withdrawn = await session.scalar(
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .where(Attempt.state.in_(states))
        .values(state=AttemptState.FAILED, placed_at=None, ended_at=at, skip_reason=reason[:200])
        .returning(Attempt.id)
        .execution_options(synchronize_session=False)
    )
    return withdrawn is not None
