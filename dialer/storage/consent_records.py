"""Consents recorded (a city's file, the CLI, the API): checked whole, then written at once.

An unknown person refuses everything (each one named, nothing written). A consent the
household withdrew, re-sent, is skipped and reported, not an error (the city re-sends its
whole list; :func:`dialer.core.consent.withdrawal_covering`). A consent already recorded
the same way is not written twice. What is written goes in as multi-row inserts with one
``consent.recorded`` audit entry per person, chained at once
(:func:`dialer.storage.audit.append_entries`), and the checks run off the event loop: a
city's list holds the audit chain (and, on SQLite, the database) for well under a second.

The chain head is locked before anything is read: two imports at once, or an import and a
withdrawal (audited in its own transaction), run one after the other, the later one
reading what the earlier committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.consent import (
    AgreedBy,
    ConsentChannel,
    consent_of,
    paris_day,
    withdrawal_covering,
)
from dialer.errors import RowsError
from dialer.storage.audit import PendingEntry, append_entries, lock_chain
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Person

_CHUNK = 500  # ids per IN (...) of the checks
_INSERT_CHUNK = 1000  # rows per insert (the event loop runs between them)


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
class RecordedConsents:
    """What :func:`record_consents` did: how many consents it wrote, and each line it
    skipped because the household had withdrawn (named, with why)."""

    written: int
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Known:
    """A consent already stored (or met earlier in the same file), as the checks read it."""

    agreed_at: datetime
    agreed_by: AgreedBy
    relative_name: str | None
    channel: ConsentChannel
    regular_calls: bool
    emergency_campaigns: bool
    collected_by: str
    withdrawn_at: datetime | None


def _known(record: ConsentRecord) -> _Known:
    return _Known(
        record.agreed_at, record.agreed_by, record.relative_name, record.channel,
        record.regular_calls, record.emergency_campaigns, record.collected_by, None,
    )  # fmt: skip


def _same(row: _Known, record: ConsentRecord) -> bool:
    return (
        row.withdrawn_at is None
        and row.agreed_at == record.agreed_at
        and row.agreed_by is record.agreed_by
        and row.channel is record.channel
        and row.regular_calls == record.regular_calls
        and row.emergency_campaigns == record.emergency_campaigns
    )


def _withdrawn_one(row: _Known, record: ConsentRecord) -> bool:
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


def withdrawn_already(record: ConsentRecord, rows: Sequence[_Known]) -> str | None:
    """Why ``record`` is skipped (reported, not an error): the household withdrew and this
    is not a new consent (:func:`withdrawal_covering`)."""
    withdrawn_one = any(_withdrawn_one(row, record) for row in rows)
    consents = [
        consent_of(r.agreed_at, regular=r.regular_calls, emergency=r.emergency_campaigns,
                   withdrawn_at=r.withdrawn_at)
        for r in rows
    ]  # fmt: skip
    withdrawn = withdrawal_covering(record.agreed_at, consents, is_withdrawn_one=withdrawn_one)
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


async def _people_and_consents(
    session: AsyncSession, external_ids: Iterable[str]
) -> tuple[dict[str, int], dict[int, list[_Known]]]:
    """The named people's ids, by register id, and each one's consents (a few
    column-only queries per :data:`_CHUNK` ids, not two per line)."""
    people: dict[str, int] = {}
    unique = list(dict.fromkeys(external_ids))
    for first in range(0, len(unique), _CHUNK):
        chunk = unique[first : first + _CHUNK]
        found = await session.execute(
            select(Person.external_id, Person.id).where(Person.external_id.in_(chunk))
        )
        people.update({str(external_id): int(person_id) for external_id, person_id in found})
    ids = list(people.values())
    consents: dict[int, list[_Known]] = {}
    for first in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(
                ConsentRow.person_id, ConsentRow.agreed_at, ConsentRow.agreed_by,
                ConsentRow.relative_name, ConsentRow.channel, ConsentRow.regular_calls,
                ConsentRow.emergency_campaigns, ConsentRow.collected_by,
                ConsentRow.withdrawn_at,
            ).where(ConsentRow.person_id.in_(ids[first : first + _CHUNK]))
        )  # fmt: skip
        for row in rows:
            consents.setdefault(row.person_id, []).append(
                _Known(
                    row.agreed_at,
                    row.agreed_by,
                    row.relative_name,
                    row.channel,
                    row.regular_calls,
                    row.emergency_campaigns,
                    row.collected_by,
                    row.withdrawn_at,
                )
            )
    return people, consents


@dataclass(frozen=True)
class _Plan:
    rows: list[dict[str, Any]]
    entries: list[PendingEntry]
    skipped: list[str]


def _plan(
    records: Sequence[ConsentRecord],
    people: Mapping[str, int],
    consents: dict[int, list[_Known]],
    *,
    actor: str,
    now: datetime,
) -> _Plan:
    """What to write (pure, run off the event loop): the new consents' rows and audit
    entries, and the lines skipped (the household withdrew)."""
    plan = _Plan([], [], [])
    for record in records:
        person_id = people[record.external_id]
        known = consents.setdefault(person_id, [])
        refused = withdrawn_already(record, known)
        if refused is not None:
            plan.skipped.append(refused)
            continue
        if any(_same(row, record) for row in known):
            continue
        known.append(_known(record))  # the same line twice in the file: once
        plan.rows.append(
            {
                "person_id": person_id,
                "agreed_by": record.agreed_by,
                "relative_name": record.relative_name,
                "agreed_at": record.agreed_at,
                "channel": record.channel,
                "regular_calls": record.regular_calls,
                "emergency_campaigns": record.emergency_campaigns,
                "collected_by": record.collected_by,
                "recorded_by": actor[:100],
                "recorded_at": now,
            }
        )
        plan.entries.append(
            PendingEntry(
                target=f"person:{record.external_id}",
                person_id=person_id,
                details={
                    "agreed_by": record.agreed_by.value,
                    "channel": record.channel.value,
                    "regular_calls": record.regular_calls,
                    "emergency_campaigns": record.emergency_campaigns,
                    "agreed_at": record.agreed_at.isoformat(),
                },
            )
        )
    return plan


async def record_consents(
    sessions: SessionFactory,
    records: Sequence[ConsentRecord],
    *,
    actor: str,
    now: datetime,
    route: str = "",
) -> RecordedConsents:
    """Record these consents in one transaction (see the module): :class:`RowsError`
    naming every unknown person, nothing written."""
    async with transaction(sessions) as session:
        await lock_chain(session)
        people, consents = await _people_and_consents(
            session, (record.external_id for record in records)
        )
        problems = [
            (f"{record.where}:identifiant" if record.where else "champ « external_id »")
            + f" : personne inconnue « {record.external_id[:100]} »"
            for record in records
            if record.external_id not in people
        ]
        if problems:
            raise RowsError(problems)
        plan = await asyncio.to_thread(_plan, records, people, consents, actor=actor, now=now)
        table = ConsentRow.metadata.tables[ConsentRow.__tablename__]
        for first in range(0, len(plan.rows), _INSERT_CHUNK):
            await session.execute(insert(table), plan.rows[first : first + _INSERT_CHUNK])
        await append_entries(
            session, plan.entries, actor=actor, action="consent.recorded", at=now, route=route
        )
    return RecordedConsents(len(plan.rows), tuple(plan.skipped))
