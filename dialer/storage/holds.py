"""Holds stored: oppositions recorded and lifted, the register's feedback from final
results, and each cycle's register changes (:mod:`dialer.core.holds`).

Every new hold takes the person out of the queue of every running cycle at once: a person
waiting there ends that cycle with the hold's result (opposed, deceased, …), so no
campaign dials them; the dial queue's own filter (:func:`held_at`) covers the rest.
Every recording and lifting writes its audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import CycleResult
from dialer.core.holds import (
    HOLD_OF_RESULT,
    Hold,
    HoldKind,
    OnBehalfOf,
    clean_reason,
    hold_until,
    holds_person,
)
from dialer.errors import InputError, NotFoundError
from dialer.storage.audit import append_entry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.models import Attempt, Cycle, CycleResultRow, Person
from dialer.storage.schedule import CycleMember, MemberStatus

#: the cycle result a person taken out of a running cycle's queue by a hold ends it with
_RESULT_OF_HOLD = {kind: result for result, kind in HOLD_OF_RESULT.items()}


@dataclass(frozen=True)
class RegisterChange:
    """One line for the register's owner: who, what, when, which call."""

    external_id: str
    last_name: str
    first_name: str
    kind: HoldKind
    recorded_at: datetime
    until: datetime | None
    attempt_id: str | None
    recorded_by: str
    reason: str


@dataclass(frozen=True)
class OppositionRequest:
    """One opposition to record. ``where``: the file and line an error names
    (``file.csv:3``); none: the API's fields are named."""

    external_id: str
    reason: str
    on_behalf_of: OnBehalfOf = OnBehalfOf.PERSON
    where: str = ""


async def _person(session: AsyncSession, external_id: str, where: str) -> Person:
    person = await session.scalar(select(Person).where(Person.external_id == external_id))
    if person is None:
        raise NotFoundError(f"{where} : personne inconnue « {external_id[:100]} »")
    return person


async def _active_opposition(session: AsyncSession, person_id: int) -> PersonHold | None:
    return await session.scalar(
        select(PersonHold)
        .where(PersonHold.person_id == person_id)
        .where(PersonHold.kind == HoldKind.OPPOSITION)
        .where(PersonHold.lifted_at.is_(None))
        .order_by(PersonHold.id)
        .limit(1)
    )


async def take_out_of_queues(
    session: AsyncSession, person_id: int, kind: HoldKind, *, now: datetime
) -> int:
    """End the person's cycle in every running cycle where they wait to be dialled, with
    the hold's result. People in a call finish it (the dial queue's filter keeps them from
    the next dial). Returns how many cycles."""
    waiting = list(
        await session.scalars(
            select(CycleMember)
            .join(Cycle, Cycle.id == CycleMember.cycle_id)
            .where(Cycle.closed_at.is_(None))
            .where(CycleMember.person_id == person_id)
            .where(CycleMember.status == MemberStatus.WAITING)
        )
    )
    for member in waiting:
        dialled = await session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.cycle_id == member.cycle_id)
            .where(Attempt.person_id == person_id)
            .where(Attempt.placed_at.is_not(None))
        )
        session.add(
            CycleResultRow(
                cycle_id=member.cycle_id,
                person_id=person_id,
                result=_RESULT_OF_HOLD[kind],
                decided_at=now,
                note=kind.value,
                attempt_count=int(dialled or 0),
            )
        )
        member.status = MemberStatus.DONE
        member.next_due_at = None
    return len(waiting)


async def hold_from_result(
    session: AsyncSession,
    *,
    person_id: int,
    result: CycleResult,
    now: datetime,
    hospitalised_hold: timedelta,
    recorded_by: str,
    cycle_id: int,
    attempt_id: str | None,
    on_behalf_of: OnBehalfOf,
) -> PersonHold | None:
    """The hold a final result puts on the person (deceased, moved, hospitalised, opposed),
    in ``session``'s transaction, audited; None for other results or when the same hold
    already keeps them out."""
    kind = HOLD_OF_RESULT.get(result)
    if kind is None:
        return None
    person = await session.get(Person, person_id)
    if person is None:
        return None
    if kind is not HoldKind.HOSPITALISED:  # a new stay in hospital starts a new hold
        statement = (
            select(PersonHold.id)
            .where(PersonHold.person_id == person_id)
            .where(PersonHold.kind == kind)
            .where(PersonHold.lifted_at.is_(None))
        )
        if kind is HoldKind.MOVED:  # a move found again on a changed record is a new one
            statement = statement.where(PersonHold.fingerprint == person.fingerprint)
        same = await session.scalar(statement.limit(1))
        if same is not None:
            return None
    hold = PersonHold(
        person_id=person_id,
        kind=kind,
        on_behalf_of=on_behalf_of if kind is HoldKind.OPPOSITION else None,
        reason="issue de l'appel",
        recorded_by=recorded_by[:100],
        recorded_at=now,
        until=hold_until(kind, now, hospitalised_hold),
        fingerprint=person.fingerprint if kind is HoldKind.MOVED else None,
        attempt_id=attempt_id,
        cycle_id=cycle_id,
    )
    session.add(hold)
    await session.flush()
    await take_out_of_queues(session, person_id, kind, now=now)
    await append_entry(
        session,
        actor=recorded_by,
        action="opposition.recorded" if kind is HoldKind.OPPOSITION else "hold.recorded",
        target=f"person:{person.external_id}",
        at=now,
        details={"kind": kind.value, "attempt": attempt_id or "", "cycle": cycle_id},
        person_id=person_id,
    )
    return hold


class PersonHolds:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def oppose(
        self,
        requests: Sequence[OppositionRequest],
        *,
        actor: str,
        now: datetime,
        route: str = "",
    ) -> list[PersonHold]:
        """Record these oppositions, all or none: an unknown person or an empty reason
        raises :class:`InputError` naming the request's ``where`` and nothing is written.
        A person already opposed keeps their opposition (idempotent: no second row)."""
        recorded = []
        async with transaction(self._sessions) as session:
            for request in requests:
                reason = clean_reason(request.reason)
                if not reason:
                    raise InputError(f"{request.where or 'champ « reason »'} : motif manquant")
                person = await _person(
                    session, request.external_id, request.where or "champ « external_id »"
                )
                active = await _active_opposition(session, person.id)
                if active is not None:
                    recorded.append(active)
                    continue
                hold = PersonHold(
                    person_id=person.id,
                    kind=HoldKind.OPPOSITION,
                    on_behalf_of=request.on_behalf_of,
                    reason=reason,
                    recorded_by=actor[:100],
                    recorded_at=now,
                )
                session.add(hold)
                await session.flush()
                taken_out = await take_out_of_queues(
                    session, person.id, HoldKind.OPPOSITION, now=now
                )
                await append_entry(
                    session,
                    actor=actor,
                    action="opposition.recorded",
                    target=f"person:{person.external_id}",
                    at=now,
                    details={
                        "reason": reason,
                        "on_behalf_of": request.on_behalf_of.value,
                        "taken_out_of_cycles": taken_out,
                    },
                    person_id=person.id,
                    route=route,
                )
                recorded.append(hold)
        return recorded

    async def lift(
        self, external_id: str, *, reason: str, actor: str, now: datetime, route: str = ""
    ) -> PersonHold | None:
        """Lift the person's opposition (kept as history, with who, when and why); None
        when they had none. :class:`NotFoundError` for an unknown person."""
        reason = clean_reason(reason)
        if not reason:
            raise InputError("champ « reason » : motif manquant")
        async with transaction(self._sessions) as session:
            person = await _person(session, external_id, "champ « external_id »")
            active = await _active_opposition(session, person.id)
            if active is None:
                return None
            await session.execute(
                update(PersonHold)
                .where(PersonHold.person_id == person.id)
                .where(PersonHold.kind == HoldKind.OPPOSITION)
                .where(PersonHold.lifted_at.is_(None))
                .values(lifted_at=now, lifted_by=actor[:100], lift_reason=reason)
                .execution_options(synchronize_session=False)
            )
            await append_entry(
                session,
                actor=actor,
                action="opposition.lifted",
                target=f"person:{person.external_id}",
                at=now,
                details={"reason": reason},
                person_id=person.id,
                route=route,
            )
            await session.refresh(active)
            return active

    async def withdraw_if_held(self, person_id: int, *, now: datetime) -> int:
        """A person whose call ended after a hold was put on them (an opposition recorded
        during the call) and who waits again: their cycles end with the hold's result, so
        they are neither dialled nor sent to the field teams as never reached. How many."""
        async with transaction(self._sessions) as session:
            person = await session.get(Person, person_id)
            rows = await session.scalars(
                select(PersonHold)
                .where(PersonHold.person_id == person_id)
                .where(PersonHold.lifted_at.is_(None))
                .order_by(PersonHold.id.desc())
            )
            kind = next(
                (
                    row.kind
                    for row in rows
                    if person is not None
                    and holds_person(
                        Hold(row.kind, row.recorded_at, row.until, row.fingerprint),
                        now=now,
                        fingerprint=person.fingerprint,
                    )
                ),
                None,
            )
            if kind is None:
                return 0
            return await take_out_of_queues(session, person_id, kind, now=now)

    async def history(self, external_id: str) -> list[PersonHold]:
        """Every hold of the person, newest first. :class:`NotFoundError` if unknown."""
        async with transaction(self._sessions) as session:
            person = await _person(session, external_id, "champ « external_id »")
            return list(
                await session.scalars(
                    select(PersonHold)
                    .where(PersonHold.person_id == person.id)
                    .order_by(PersonHold.recorded_at.desc(), PersonHold.id.desc())
                )
            )

    async def register_changes(self, campaign_id: int, number: int) -> list[RegisterChange]:
        """What the register's owner must know from the campaign's cycle ``number``: the
        holds its calls found (deceased, moved, hospitalised, opposed) and the oppositions
        recorded by hand while it ran, oldest first. :class:`NotFoundError` for an unknown
        cycle."""
        async with transaction(self._sessions) as session:
            cycle = await session.scalar(
                select(Cycle).where(Cycle.campaign_id == campaign_id).where(Cycle.number == number)
            )
            if cycle is None:
                raise NotFoundError(f"cycle : la campagne {campaign_id} n'a pas de cycle {number}")
            cycle_id = cycle.id
            end = cycle.closed_at or cycle.deadline
            rows = await session.execute(
                select(PersonHold, Person.external_id, Person.last_name, Person.first_name)
                .join(Person, Person.id == PersonHold.person_id)
                .where(
                    (PersonHold.cycle_id == cycle_id)
                    | (
                        PersonHold.cycle_id.is_(None)
                        & (PersonHold.recorded_at >= cycle.started_at)
                        & (PersonHold.recorded_at < end)
                    )
                )
                .order_by(PersonHold.recorded_at, Person.external_id, PersonHold.id)
            )
            return [
                RegisterChange(
                    external_id=external_id,
                    last_name=last_name,
                    first_name=first_name,
                    kind=hold.kind,
                    recorded_at=hold.recorded_at,
                    until=hold.until,
                    attempt_id=hold.attempt_id,
                    recorded_by=hold.recorded_by,
                    reason=hold.reason,
                )
                for hold, external_id, last_name, first_name in rows.all()
            ]
