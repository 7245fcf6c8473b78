"""Consents to the volunteer calls stored (:mod:`dialer.core.consent`): a file of consents
imported all or nothing, withdrawals (from a file, the API or the supervisor's page), each
person's history, and the purge of what the volunteer calls collected about a household
whose withdrawal is older than the retention. Every change writes its audit entry in the
same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import (
    CONSENT_LIST,
    AgreedBy,
    ConsentChannel,
    ConsentPurpose,
    kept_after_withdrawal,
    paris_day,
    purge_due,
    stopped_by_withdrawal,
    withdrawal_covering,
)
from dialer.errors import NotFoundError, RowsError
from dialer.storage.audit import PendingEntry, append_entries, append_entry, lock_chain
from dialer.storage.call_help import HelpRequest
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.consent_rows import ConsentRow, emergency_consented_at, on_list_named
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import Debrief
from dialer.storage.inbound_notes import InboundNote
from dialer.storage.models import Callback, Campaign, Cycle, CycleResultRow, Person
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow


@dataclass(frozen=True)
class ConsentRecord:
    """One consent to record. ``where``: the file and line an error names."""

    external_id: str
    agreed_by: AgreedBy
    relative_name: str | None
    agreed_at: datetime
    channel: ConsentChannel
    regular_calls: bool
    emergency_campaigns: bool
    collected_by: str
    where: str = ""


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


def _same(row: ConsentRow, record: ConsentRecord) -> bool:
    return (
        row.withdrawn_at is None
        and row.agreed_at == record.agreed_at
        and row.agreed_by is record.agreed_by
        and row.channel is record.channel
        and row.regular_calls == record.regular_calls
        and row.emergency_campaigns == record.emergency_campaigns
    )


def _withdrawn_one(row: ConsentRow, record: ConsentRecord) -> bool:
    """Is ``record`` the very agreement ``row`` recorded and then withdrawn (the same day
    in Paris, who, how, for what, collected by whom)?"""
    return (
        row.withdrawn_at is not None
        and paris_day(row.agreed_at) == paris_day(record.agreed_at)
        and row.agreed_by is record.agreed_by
        and (row.relative_name or None) == (record.relative_name or None)
        and row.channel is record.channel
        and row.regular_calls == record.regular_calls
        and row.emergency_campaigns == record.emergency_campaigns
        and row.collected_by == record.collected_by
    )


def _withdrawn_already(record: ConsentRecord, rows: Sequence[ConsentRow]) -> str | None:
    """Why ``record`` is skipped (not recorded, reported; not an error): the household
    withdrew and this is not a new consent (:func:`withdrawal_covering`)."""
    withdrawn_one = any(_withdrawn_one(row, record) for row in rows)
    withdrawn = withdrawal_covering(
        record.agreed_at, [row.consent() for row in rows], is_withdrawn_one=withdrawn_one
    )
    if withdrawn is None:
        return None
    where = f"{record.where}:date_accord" if record.where else "champ « agreed_at »"
    day = f"{paris_day(withdrawn):%d/%m/%Y}"
    if withdrawn_one:
        return (
            f"{where} : accord du {record.agreed_at:%d/%m/%Y} déjà retiré le {day} : "
            "non réenregistré"
        )
    return (
        f"{where} : accord du {record.agreed_at:%d/%m/%Y} antérieur au retrait du {day} : "
        "non enregistré (seul un nouvel accord, daté du jour du retrait ou après, fait "
        "appeler le foyer de nouveau)"
    )


@dataclass(frozen=True)
class RecordedConsents:
    """What :meth:`ConsentRegistry.record` did: how many consents it wrote, and each line
    it skipped because the household had withdrawn (named, with why)."""

    written: int
    skipped: tuple[str, ...] = ()


_CHUNK = 500  # ids per IN (...) of the checks


async def _people_and_consents(
    session: AsyncSession, external_ids: Sequence[str]
) -> tuple[dict[str, Person], dict[int, list[ConsentRow]]]:
    """The named people, by register id, and each one's consents (a few queries per
    :data:`_CHUNK` ids, not two per line)."""
    people: dict[str, Person] = {}
    unique = list(dict.fromkeys(external_ids))
    for first in range(0, len(unique), _CHUNK):
        chunk = unique[first : first + _CHUNK]
        for person in await session.scalars(select(Person).where(Person.external_id.in_(chunk))):
            people[person.external_id] = person
    ids = [person.id for person in people.values()]
    consents: dict[int, list[ConsentRow]] = {}
    for first in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(ConsentRow).where(ConsentRow.person_id.in_(ids[first : first + _CHUNK]))
        )
        for row in rows:
            consents.setdefault(row.person_id, []).append(row)
    return people, consents


def _values(row: ConsentRow) -> dict[str, object]:
    """A new consent's columns, for a multi-row insert."""
    return {
        column: getattr(row, column)
        for column in (
            "person_id", "agreed_by", "relative_name", "agreed_at", "channel",
            "regular_calls", "emergency_campaigns", "collected_by", "recorded_by",
            "recorded_at",
        )
    }  # fmt: skip


class ConsentRegistry:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def record(
        self, records: Sequence[ConsentRecord], *, actor: str, now: datetime, route: str = ""
    ) -> RecordedConsents:
        """Record these consents, all or none. An unknown person is refused: every one is
        named (its ``where``) in one :class:`RowsError` and nothing is written. A consent
        the household withdrew, re-sent (:func:`withdrawal_covering`), is skipped and
        reported, not an error: the city re-sends its whole list. A consent already
        recorded the same way is not written twice. The consents go in as one multi-row
        insert with one ``consent.recorded`` entry per person, chained at once
        (:func:`append_entries`): a city's whole list holds the audit chain (and, on
        SQLite, the database) for well under a second.

        The chain head is locked first: two imports at once, or an import and a
        withdrawal, run one after the other, the later one reading what the earlier
        committed (a withdrawal is audited in its own transaction, so an import never
        reads the consents while one it did not see is about to commit)."""
        async with transaction(self._sessions) as session:
            await lock_chain(session)
            people, consents = await _people_and_consents(
                session, [record.external_id for record in records]
            )
            problems: list[str] = []
            for record in records:
                if record.external_id not in people:
                    where = (
                        f"{record.where}:identifiant" if record.where else "champ « external_id »"
                    )
                    problems.append(f"{where} : personne inconnue « {record.external_id[:100]} »")
            if problems:
                raise RowsError(problems)
            skipped: list[str] = []
            rows: list[dict[str, object]] = []
            entries: list[PendingEntry] = []
            for record in records:
                person = people[record.external_id]
                known = consents.get(person.id, [])
                refused = _withdrawn_already(record, known)
                if refused is not None:
                    skipped.append(refused)
                    continue
                if any(_same(row, record) for row in known):
                    continue
                row = ConsentRow(
                    person_id=person.id,
                    agreed_by=record.agreed_by,
                    relative_name=record.relative_name,
                    agreed_at=record.agreed_at,
                    channel=record.channel,
                    regular_calls=record.regular_calls,
                    emergency_campaigns=record.emergency_campaigns,
                    collected_by=record.collected_by,
                    recorded_by=actor[:100],
                    recorded_at=now,
                )
                consents.setdefault(person.id, []).append(row)  # a line twice: once
                rows.append(_values(row))
                entries.append(
                    PendingEntry(
                        target=f"person:{person.external_id}",
                        person_id=person.id,
                        details={
                            "agreed_by": record.agreed_by.value,
                            "channel": record.channel.value,
                            "regular_calls": record.regular_calls,
                            "emergency_campaigns": record.emergency_campaigns,
                            "agreed_at": record.agreed_at.isoformat(),
                        },
                    )
                )
            for first in range(0, len(rows), _CHUNK):
                await session.execute(insert(ConsentRow), rows[first : first + _CHUNK])
            await append_entries(
                session, entries, actor=actor, action="consent.recorded", at=now, route=route
            )
        return RecordedConsents(len(rows), tuple(skipped))

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
                    _keep(session, row, kept[row.id], actor=actor, now=now)
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
        """For each household withdrawn before ``before``: the answers and notes the
        veille-sociale campaigns collected about them go, with their orientations and
        follow-ups (need, resource, dates: the needs analyses already published keep only
        aggregates) and the coordinators' answers to help asked on their calls; the
        consents stay (with ``purged_at``), as the proof of what was agreed and withdrawn.
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
            await session.execute(  # the coordinators' answers to help asked about them
                update(HelpRequest)
                .where(HelpRequest.person_id.in_(people))
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
            await session.execute(  # what agents noted about who called about them
                update(InboundNote)
                .where(InboundNote.person_id.in_(people))
                .values(note="")
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(ConsentRow)
                .where(ConsentRow.person_id.in_(people))
                .values(purged_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(people)


def _keep(
    session: AsyncSession,
    row: ConsentRow,
    kept: frozenset[ConsentPurpose],
    *,
    actor: str,
    now: datetime,
) -> None:
    """What a partial withdrawal leaves of ``row`` (now withdrawn), as a running consent
    of the same agreement: the proof of the original stays as it was."""
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
            recorded_by=actor[:100],
            recorded_at=now,
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
