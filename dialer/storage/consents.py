"""Consents to the volunteer calls stored (:mod:`dialer.core.consent`): a file of consents
imported all or nothing (:mod:`dialer.storage.consent_records`), withdrawals (from a file,
the API or the supervisor's page), each person's history, and the purge of what the
volunteer calls collected about a household whose withdrawal is older than the retention.
Every change writes its audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import (
    CONSENT_LIST,
    AgreedBy,
    ConsentChannel,
    ConsentPurpose,
    kept_after_withdrawal,
    purge_due,
    stopped_by_withdrawal,
)
from dialer.errors import NotFoundError
from dialer.storage.audit import append_entry, lock_chain
from dialer.storage.call_help import HelpRequest
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.consent_records import ConsentRecord, RecordedConsents, record_consents
from dialer.storage.consent_rows import ConsentRow, emergency_consented_at, on_list_named
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import Debrief
from dialer.storage.inbound_notes import InboundNote
from dialer.storage.models import Attempt, Callback, Campaign, Cycle, CycleResultRow, Person
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow

__all__ = ["ConsentRecord", "ConsentRegistry", "RecordedConsents", "WithdrawalRequest"]


@dataclass(frozen=True)
class WithdrawalRequest:
    """One withdrawal: who asked (the person or a relative), by which channel."""

    external_id: str
    on_behalf_of: AgreedBy
    channel: ConsentChannel
    where: str = ""
    #: what is withdrawn: everything (a file, the API, the supervisor's page), or the
    #: regular calls only (the volunteer's screen, the emergency box left unticked)
    purposes: frozenset[ConsentPurpose] = frozenset(ConsentPurpose)


async def _person(session: AsyncSession, external_id: str, where: str) -> Person:
    person = await session.scalar(select(Person).where(Person.external_id == external_id))
    if person is None:
        raise NotFoundError(f"{where} : personne inconnue « {external_id[:100]} »")
    return person


class ConsentRegistry:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def record(
        self, records: Sequence[ConsentRecord], *, actor: str, now: datetime, route: str = ""
    ) -> RecordedConsents:
        """Record these consents, all or none (:func:`record_consents`: an unknown person
        refuses them all, a withdrawn consent re-sent is skipped and reported)."""
        return await record_consents(self._sessions, records, actor=actor, now=now, route=route)

    async def withdraw(
        self, requests: Sequence[WithdrawalRequest], *, actor: str, now: datetime, route: str = ""
    ) -> int:
        """Withdraw the request's purposes from every consent still running of these
        households, all or none (an unknown person: :class:`NotFoundError` naming
        ``where``, nothing written); a purpose not withdrawn (the emergency campaigns, on
        the volunteer's screen) stays as a running copy of the consent. From ``now`` no
        veille-sociale cycle enrols or calls them and their call-backs not made are
        cancelled; no opposition is recorded (the register's emergency calls are another
        matter). Returns how many households had a consent to withdraw (one already
        withdrawn changes nothing)."""
        changed = 0
        async with transaction(self._sessions) as session:
            await lock_chain(session)  # after (or before) a running import, not amid it
            for request in requests:
                where = f"{request.where}:identifiant" if request.where else "champ « external_id »"
                person = await _person(session, request.external_id, where)
                every = list(
                    await session.scalars(
                        select(ConsentRow).where(ConsentRow.person_id == person.id)
                    )
                )
                kept = {
                    row.id: left
                    for row in every
                    if (left := kept_after_withdrawal(row.consent(), request.purposes)) is not None
                }
                touched = [row for row in every if row.id in kept]
                if not touched:
                    continue
                ids = list(kept)
                stopped = stopped_by_withdrawal([row.consent() for row in touched], now)
                stopped &= request.purposes
                await session.execute(
                    update(ConsentRow)
                    .where(ConsentRow.id.in_(ids))
                    .values(
                        withdrawn_at=now,
                        withdrawn_on_behalf_of=request.on_behalf_of,
                        withdrawal_channel=request.channel,
                        withdrawal_recorded_by=actor[:100],
                    )
                    .execution_options(synchronize_session=False)
                )
                for row in touched:
                    _keep(session, row, kept[row.id])
                if ConsentPurpose.REGULAR_CALLS in stopped:
                    await _cancel_callbacks(session, person.id)
                await append_entry(
                    session,
                    actor=actor,
                    action="consent.withdrawn",
                    target=f"person:{person.external_id}",
                    at=now,
                    details={
                        "on_behalf_of": request.on_behalf_of.value,
                        "channel": request.channel.value,
                        "consents": len(ids),
                        "stopped": sorted(purpose.value for purpose in stopped),
                        # what stays running, as a copy of the consent (a partial withdrawal)
                        "kept": sorted(
                            {purpose.value for left in kept.values() for purpose in left}
                        ),
                    },
                    person_id=person.id,
                    route=route,
                )
                changed += 1
        return changed

    async def in_emergency_campaign(self, person_id: int, cycle_id: int, at: datetime) -> bool:
        """Is the person a household of the veille-sociale list called in an emergency
        campaign (the cycle ``cycle_id`` is not a veille-sociale one) on its valid consent
        to emergency campaigns at ``at``? The agent's screen marks them « veille sociale »."""
        async with transaction(self._sessions) as session:
            kind = await session.scalar(
                select(Campaign.kind)
                .join(Cycle, Cycle.campaign_id == Campaign.id)
                .where(Cycle.id == cycle_id)
            )
            if kind is None or kind is CampaignKind.VEILLE_SOCIALE:
                return False
            found = await session.scalar(
                select(Person.id)
                .where(Person.id == person_id)
                .where(on_list_named(Person.id, CONSENT_LIST))
                .where(emergency_consented_at(Person.id, at))
            )
            return found is not None

    async def history(self, external_id: str) -> list[ConsentRow]:
        """The person's consents, the most recent first; :class:`NotFoundError` when the
        register has no such person."""
        async with transaction(self._sessions) as session:
            person = await _person(session, external_id, "champ « external_id »")
            return list(
                await session.scalars(
                    select(ConsentRow)
                    .where(ConsentRow.person_id == person.id)
                    .order_by(ConsentRow.recorded_at.desc(), ConsentRow.id.desc())
                )
            )

    async def _purgeable(self, session: AsyncSession, before: datetime) -> list[int]:
        """The households whose every consent was withdrawn before ``before`` and not
        purged yet."""
        rows = await session.scalars(
            select(ConsentRow).where(
                ConsentRow.person_id.in_(
                    select(ConsentRow.person_id)
                    .where(ConsentRow.withdrawn_at.is_not(None))
                    .where(ConsentRow.purged_at.is_(None))
                )
            )
        )
        by_person: dict[int, list[ConsentRow]] = {}
        for row in rows:
            by_person.setdefault(row.person_id, []).append(row)
        return sorted(
            person_id
            for person_id, consents in by_person.items()
            if purge_due([c.consent() for c in consents], before)
        )

    async def count_purgeable(self, before: datetime) -> int:
        async with transaction(self._sessions) as session:
            return len(await self._purgeable(session, before))

    async def purge_withdrawn(self, before: datetime, *, now: datetime) -> int:
        """For each household withdrawn from the regular calls before ``before``: the
        answers and notes the veille-sociale campaigns collected about them go, with their
        orientations and follow-ups (need, resource, dates: the needs analyses already
        published keep only aggregates), the coordinators' answers to help asked on those
        calls and the notes of calls coming in during those campaigns; nothing else (what
        the emergency campaigns collected is the register's side, which a consent kept
        for them still covers). The withdrawn consents stay (with ``purged_at``), as the
        proof of what was agreed and withdrawn; one still running is left as it is.
        Returns how many households."""
        async with transaction(self._sessions) as session:
            people = await self._purgeable(session, before)
            if not people:
                return 0
            cycles = _volunteer_cycles()
            sheets = (
                select(CallSheet.id)
                .where(CallSheet.person_id.in_(people))
                .where(CallSheet.cycle_id.in_(cycles))
            )
            await session.execute(delete(Answer).where(Answer.sheet_id.in_(sheets)))
            for facts in (OrientationRow, FollowUpRow):  # need, resource, dates: all go
                await session.execute(
                    delete(facts)
                    .where(facts.person_id.in_(people))
                    .where(facts.cycle_id.in_(cycles))
                )
            await session.execute(  # the coordinators' answers to help asked on their calls
                update(HelpRequest)
                .where(HelpRequest.person_id.in_(people))
                .where(
                    HelpRequest.attempt_id.in_(
                        select(Attempt.id).where(Attempt.cycle_id.in_(cycles))
                    )
                )
                .values(answer=None)
                .execution_options(synchronize_session=False)
            )
            for table in (CallSheet, Callback, CycleResultRow):
                await session.execute(
                    update(table)
                    .where(table.person_id.in_(people))
                    .where(table.cycle_id.in_(cycles))
                    .values(note="")
                    .execution_options(synchronize_session=False)
                )
            await session.execute(  # the volunteers' debriefs (only this mode writes them)
                update(Debrief)
                .where(Debrief.person_id.in_(people))
                .values(text="", answer=None)
                .execution_options(synchronize_session=False)
            )
            await session.execute(  # what agents noted about who called about them, in
                update(InboundNote)  # those campaigns (the emergency side's notes stay)
                .where(InboundNote.person_id.in_(people))
                .where(InboundNote.cycle_id.in_(cycles))
                .values(note="")
                .execution_options(synchronize_session=False)
            )
            await session.execute(  # the withdrawn consents; one still running is not purged
                update(ConsentRow)
                .where(ConsentRow.person_id.in_(people))
                .where(ConsentRow.withdrawn_at.is_not(None))
                .values(purged_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(people)


def _keep(session: AsyncSession, row: ConsentRow, kept: frozenset[ConsentPurpose]) -> None:
    """What a partial withdrawal leaves of ``row`` (now withdrawn), as a running consent
    of the same agreement: the proof of the original stays as it was, and the copy keeps
    who collected and recorded it, and when (the caller who recorded the withdrawal did
    not record a consent; the ``consent.withdrawn`` audit entry lists what was ``kept``)."""
    if not kept:
        return
    session.add(
        ConsentRow(
            person_id=row.person_id,
            agreed_by=row.agreed_by,
            relative_name=row.relative_name,
            agreed_at=row.agreed_at,
            channel=row.channel,
            regular_calls=ConsentPurpose.REGULAR_CALLS in kept,
            emergency_campaigns=ConsentPurpose.EMERGENCY_CAMPAIGNS in kept,
            collected_by=row.collected_by,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )
    )


async def _cancel_callbacks(session: AsyncSession, person_id: int) -> None:
    """The household's call-backs and follow-ups of the volunteer calls not made yet are
    cancelled (done): nobody is offered them again."""
    await session.execute(
        update(Callback)
        .where(Callback.person_id == person_id)
        .where(Callback.cycle_id.in_(_volunteer_cycles()))
        .where(Callback.done.is_(False))
        .values(done=True)
        .execution_options(synchronize_session=False)
    )


def _volunteer_cycles() -> Select[int]:
    return (
        select(Cycle.id)
        .join(Campaign, Campaign.id == Cycle.campaign_id)
        .where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
    )
