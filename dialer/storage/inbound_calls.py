"""Calls coming in, in the cycle schedule: the person whose number called is found among the
cycle's members and their call written in the ledger (kind ``inbound``), or their call back
scheduled, each in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from dialer.core.attempts import ATTEMPT_STATE_RANK, AttemptKind, AttemptState
from dialer.core.inbound_match import (
    AttachRefusal,
    Engagement,
    InboundMatch,
    LineUse,
    attach_refusal,
    holder,
    match_caller,
)
from dialer.core.labels import ATTACH_REFUSAL_LABELS
from dialer.core.outcomes import CallOutcome
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import held_at
from dialer.storage.household_rows import assigned_account, last_volunteer
from dialer.storage.ledger import withdraw_attempt
from dialer.storage.models import Attempt, Person, PhoneNumber
from dialer.storage.schedule import CycleMember, MemberStatus

#: why an outbound call was withdrawn when its person called in (``skip_reason``)
WITHDRAWN_FOR_INBOUND = "la personne a appelé pendant qu'on la composait"
#: why a call coming in was closed as no call (``skip_reason``)
NOT_PUT_THROUGH = "l'appel reçu n'a pas pu être passé à l'agent : rappel prévu"
#: at most this many people listed for a shared line (the screen lists them all)
MAX_HOLDERS = 20
_OPEN_STATES = [s for s, rank in ATTEMPT_STATE_RANK.items() if rank < 3]


def out_of_calls(
    cycle_id: int, person_id: InstrumentedAttribute[int], at: datetime
) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` may not be named for a call coming in to the cycle
    ``cycle_id`` at ``at``, as they may not be called: a hold (an opposition, a death, a
    move), a consent withdrawn (:func:`unconsented_in_cycle`), or taken off the register."""
    removed = select(Person.id).where(Person.id == person_id).where(Person.removed_at.is_not(None))
    return or_(
        held_at(person_id, at),
        unconsented_in_cycle(cycle_id, person_id, at),
        removed.exists(),
    )


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

    async def _members(
        self, session: AsyncSession, cycle_id: int, e164: str, at: datetime
    ) -> list[CycleMember]:
        """The cycle's members holding ``e164`` who may be called (:func:`out_of_calls`),
        in the number's order, locked."""
        statement = (
            select(CycleMember)
            .join(PhoneNumber, PhoneNumber.person_id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .where(~out_of_calls(cycle_id, CycleMember.person_id, at))
            .order_by(PhoneNumber.position, CycleMember.id)
            .with_for_update(of=CycleMember)
        )
        return list((await session.scalars(statement)).unique())

    async def free_line(
        self, cycle_id: int, e164: str, *, engaged: Mapping[int, Engagement], at: datetime
    ) -> str | None:
        """A person holding ``e164`` called in while being dialled (``engaged``): the
        outbound attempt :func:`match_caller` names is withdrawn (no dial, no attempt
        spent) and its member waits again as before the dial, for the call coming in to
        take. Returns the attempt withdrawn (the engine hangs it up), or None."""
        async with transaction(self._sessions) as session:
            members = await self._members(session, cycle_id, e164, at)
            match = _match(members, engaged)
            if match is None or match.withdraw is None:
                return None
            if not await withdraw_attempt(
                session, match.withdraw, reason=WITHDRAWN_FOR_INBOUND, at=at, states=_OPEN_STATES
            ):
                return None
            await _release_withdrawn(session, match.withdraw)
        return match.withdraw

    async def take(
        self,
        cycle_id: int,
        e164: str,
        *,
        attempt_id: str,
        agent: str,
        node: str,
        arrived_at: datetime,
        engaged: Mapping[int, Engagement] | None = None,
    ) -> Attempt | None:
        """The call of the cycle's member whose number ``e164`` is, written answered with
        ``agent`` (id ``attempt_id``); a member waiting leaves the dial queue while it lasts
        (``in_call``: the disposition plans what comes next). Several people on the number,
        or one in a call with us already (``engaged``, as the engine follows the calls):
        :func:`dialer.core.inbound_match.match_caller` chooses; the outbound call of the
        one chosen, if being dialled, is withdrawn here (no dial, no attempt spent) and the
        call coming in takes its place. None: nobody may take it."""
        engaged = engaged or {}
        async with transaction(self._sessions) as session:
            members = await self._members(session, cycle_id, e164, arrived_at)
            match = _match(members, engaged)
            if match is None:
                return None
            member = next(m for m in members if m.person_id == match.person_id)
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
            if match.withdraw is not None:
                await withdraw_attempt(
                    session,
                    match.withdraw,
                    reason=WITHDRAWN_FOR_INBOUND,
                    at=arrived_at,
                    states=_OPEN_STATES,
                )
                if member.attempt_id == match.withdraw:
                    member.attempt_id = attempt_id
                else:  # dialled or offered in another campaign's cycle: it waits there again
                    await _release_withdrawn(session, match.withdraw)
            if member.status is MemberStatus.WAITING:
                member.status = MemberStatus.IN_CALL
                member.attempt_id = attempt_id
        return attempt

    async def line_holders(self, cycle_id: int, e164: str, *, at: datetime) -> list[Person]:
        """The cycle's members holding ``e164`` (a shared line: the agent chooses who is on
        the phone) who may be called at ``at`` (:func:`out_of_calls`), in the number's
        order, without their phones."""
        statement = (
            select(Person)
            .join(PhoneNumber, PhoneNumber.person_id == Person.id)
            .join(CycleMember, CycleMember.person_id == Person.id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .where(~out_of_calls(cycle_id, Person.id, at))
            .order_by(PhoneNumber.position, CycleMember.id)
            .limit(MAX_HOLDERS)
        )
        async with transaction(self._sessions) as session:
            return list((await session.scalars(statement)).unique())

    async def household_volunteers(
        self, cycle_id: int, e164: str, *, at: datetime
    ) -> tuple[str | None, str | None]:
        """Of the cycle's member whose number ``e164`` is (the first in the number's order
        who may be called at ``at``, as :meth:`take` names one on a line nobody else
        uses): the account it is assigned to and the trained, active volunteer who last
        talked to it (:func:`dialer.core.own_volunteer.own_volunteer` chooses); both None
        when nobody of the cycle has the number."""
        statement = (
            select(
                assigned_account(cycle_id, CycleMember.person_id),
                last_volunteer(CycleMember.person_id),
            )
            .select_from(CycleMember)
            .join(PhoneNumber, PhoneNumber.person_id == CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(PhoneNumber.e164 == e164)
            .where(~out_of_calls(cycle_id, CycleMember.person_id, at))
            .order_by(PhoneNumber.position, CycleMember.id)
            .limit(1)
        )
        async with transaction(self._sessions) as session:
            row = (await session.execute(statement)).first()
        return (None, None) if row is None else (row[0], row[1])

    async def reattach(
        self, attempt_id: str, person_id: int, *, engaged: Mapping[int, Engagement]
    ) -> Attempt:
        """The agent says who is on the shared line: the call coming in ``attempt_id`` (and
        its sheet) becomes ``person_id``'s, who leaves the dial queue while it lasts; the
        person it was attached to waits again as before (untouched otherwise)."""
        async with transaction(self._sessions) as session:
            attempt = await session.scalar(
                select(Attempt).where(Attempt.id == attempt_id).with_for_update()
            )
            if attempt is None:
                raise NotFoundError("appel inconnu, ou qui n'est pas votre appel en cours")
            if attempt.person_id == person_id:
                return attempt
            at = attempt.answered_at or attempt.planned_for  # the call's: it is in progress
            await _refuse_out_of_calls(session, attempt.cycle_id, person_id, at)
            members = await self._members(session, attempt.cycle_id, attempt.number, at)
            chosen = next((m for m in members if m.person_id == person_id), None)
            engagement = engaged.get(person_id)
            refusal = attach_refusal(
                inbound=attempt.kind is AttemptKind.INBOUND,
                use=engagement.use if engagement is not None else LineUse.FREE,
                holds_number=chosen is not None,
                disposed=attempt.wrap_up_done_at is not None,
            )
            if refusal is not None or chosen is None:
                raise ConflictError(ATTACH_REFUSAL_LABELS[refusal or AttachRefusal.NOT_ON_LINE])
            await _withdraw_dialling(session, engagement, at=at)
            for member in members:
                if member.attempt_id == attempt_id and member.status is MemberStatus.IN_CALL:
                    member.status = MemberStatus.WAITING
                    member.attempt_id = None
            _take_member(chosen, attempt_id, engagement)
            attempt.person_id = person_id
            await session.execute(
                update(CallSheet)
                .where(CallSheet.attempt_id == attempt_id)
                .values(person_id=person_id)
                .execution_options(synchronize_session=False)
            )
        return attempt

    async def attach_found(
        self,
        cycle_id: int,
        person_id: int,
        *,
        attempt_id: str,
        number: str,
        agent: str,
        node: str,
        answered_at: datetime,
        bridged_at: datetime | None,
        engaged: Mapping[int, Engagement],
    ) -> Attempt:
        """A number on no register: the call ``attempt_id`` is written as ``person_id``'s
        call coming in (a member of the cycle), who leaves the dial queue while it lasts."""
        async with transaction(self._sessions) as session:
            member = await session.scalar(
                select(CycleMember)
                .where(CycleMember.cycle_id == cycle_id)
                .where(CycleMember.person_id == person_id)
                .with_for_update()
            )
            if member is None:
                raise NotFoundError("personne inconnue dans cette campagne")
            await _refuse_out_of_calls(session, cycle_id, person_id, answered_at)
            if await session.get(Attempt, attempt_id) is not None:
                raise ConflictError(ATTACH_REFUSAL_LABELS[AttachRefusal.DISPOSED])
            engagement = engaged.get(person_id)
            refusal = attach_refusal(
                inbound=True,
                use=engagement.use if engagement is not None else LineUse.FREE,
                holds_number=None,
                disposed=False,
            )
            if refusal is not None:
                raise ConflictError(ATTACH_REFUSAL_LABELS[refusal])
            await _withdraw_dialling(session, engagement, at=answered_at)
            attempt = Attempt(
                id=attempt_id,
                cycle_id=cycle_id,
                person_id=person_id,
                number=number[:20],
                kind=AttemptKind.INBOUND,
                state=AttemptState.BRIDGED if bridged_at is not None else AttemptState.ANSWERED,
                planned_for=answered_at,
                placed_at=answered_at,
                answered_at=answered_at,
                bridged_at=bridged_at,
                agent=agent,
                node=node,
            )
            session.add(attempt)
            _take_member(member, attempt_id, engagement)
        return attempt

    async def release(self, attempt_id: str, *, at: datetime) -> bool:
        """The call coming in ``attempt_id`` could not be put through to its agent (the
        join failed): it is closed as no call (in no figure nor cap: the caller hears that
        we will call back) and its member waits again as before it. False: not found."""
        async with transaction(self._sessions) as session:
            released = await session.scalar(
                update(Attempt)
                .where(Attempt.id == attempt_id)
                .where(Attempt.kind == AttemptKind.INBOUND)
                .where(Attempt.state == AttemptState.ANSWERED)
                .values(
                    state=AttemptState.FAILED,
                    outcome=CallOutcome.ABANDONED,
                    placed_at=None,
                    ended_at=at,
                    skip_reason=NOT_PUT_THROUGH,
                )
                .returning(Attempt.id)
                .execution_options(synchronize_session=False)
            )
            if released is None:
                return False
            await session.execute(
                update(CycleMember)
                .where(CycleMember.attempt_id == attempt_id)
                .where(CycleMember.status == MemberStatus.IN_CALL)
                .values(status=MemberStatus.WAITING, attempt_id=None)
                .execution_options(synchronize_session=False)
            )
        return True

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


async def _refuse_out_of_calls(
    session: AsyncSession, cycle_id: int, person_id: int, at: datetime
) -> None:
    """:class:`ConflictError` (in French) when ``person_id`` may not be named for a call
    coming in (:func:`out_of_calls`): their call would count, plan and record against an
    opposition, a death, a consent withdrawn or a person taken off the register."""
    refused = await session.scalar(
        select(Person.id).where(Person.id == person_id).where(out_of_calls(cycle_id, Person.id, at))
    )
    if refused is not None:
        raise ConflictError(ATTACH_REFUSAL_LABELS[AttachRefusal.OUT_OF_CALLS])


async def _withdraw_dialling(
    session: AsyncSession, engagement: Engagement | None, *, at: datetime
) -> None:
    """The chosen person's outbound call being dialled, or offered to an agent and not
    dialled yet (``engagement``), is withdrawn (no attempt spent): the call coming in takes
    its place. Gone further meanwhile (answered): refused, they are on the line with us."""
    if engagement is None or engagement.use is not LineUse.DIALLING:
        return
    if not await withdraw_attempt(
        session,
        engagement.attempt_id,
        reason=WITHDRAWN_FOR_INBOUND,
        at=at,
        states=_OPEN_STATES,
    ):
        raise ConflictError(ATTACH_REFUSAL_LABELS[AttachRefusal.ON_CALL])


def _take_member(member: CycleMember, attempt_id: str, engagement: Engagement | None) -> None:
    """The call coming in ``attempt_id`` becomes ``member``'s attempt when they wait, or
    when their outbound attempt was withdrawn for it (``engagement``): its disposition
    then plans what comes next in their cycle."""
    withdrawn = engagement.attempt_id if engagement is not None else None
    if member.status is MemberStatus.WAITING or (
        withdrawn is not None and member.attempt_id == withdrawn
    ):
        member.status = MemberStatus.IN_CALL
        member.attempt_id = attempt_id


def _match(members: list[CycleMember], engaged: Mapping[int, Engagement]) -> InboundMatch | None:
    """:func:`match_caller` on the members holding the number, as the engine sees them."""
    return match_caller(
        [
            holder(
                m.person_id,
                waiting=m.status is MemberStatus.WAITING,
                engagement=engaged.get(m.person_id),
            )
            for m in members
        ]
    )


async def _release_withdrawn(session: AsyncSession, attempt_id: str) -> None:
    """The member (of whichever cycle: the person may have been dialled or offered in
    another campaign's) whose attempt ``attempt_id`` was withdrawn for a call coming in
    waits again as before the dial; left in a call, it was never dialled nor offered
    again."""
    await session.execute(
        update(CycleMember)
        .where(CycleMember.attempt_id == attempt_id)
        .where(CycleMember.status == MemberStatus.IN_CALL)
        .values(status=MemberStatus.WAITING, attempt_id=None)
        .execution_options(synchronize_session="fetch")
    )
