"""Consent imports at the same time as each other and as withdrawals, on SQLite and
PostgreSQL (review 9, item 10): two imports of the same file at once write each consent
once; an import racing a withdrawal of the same households never leaves one of them with
a running consent (resurrected); and the audit chain stays whole, one
``consent.recorded`` entry per consent written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.storage import PersonRepository
from dialer.storage.audit import AuditEntry, AuditLog
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.people import encode_batch
from tests.storage.conftest import person

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)
AGREED = datetime(2026, 9, 1, tzinfo=UTC)
HOUSEHOLDS = [f"V{n}" for n in range(1, 61)]


async def _on_the_list(sessions: SessionFactory) -> None:
    people = PersonRepository(sessions)
    records = [person(key, "Nom", f"+3314{n:08d}") for n, key in enumerate(HOUSEHOLDS)]
    await people.write_encoded(
        encode_batch(await people.dialect(), records, [], now=AGREED, list_name=CONSENT_LIST)
    )


def _records(channel: ConsentChannel) -> list[ConsentRecord]:
    return [
        ConsentRecord(key, AgreedBy.PERSON, None, AGREED, channel, True, True, "CCAS", f"f:{line}")
        for line, key in enumerate(HOUSEHOLDS, start=2)
    ]


async def _count(sessions: SessionFactory, *where: object) -> int:
    async with transaction(sessions) as session:
        statement = select(func.count()).select_from(ConsentRow)
        for condition in where:
            statement = statement.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(statement) or 0)


async def _recorded_entries(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        statement = select(func.count()).where(AuditEntry.action == "consent.recorded")
        return int(await session.scalar(statement) or 0)


async def test_two_imports_at_once_write_each_consent_once(sessions: SessionFactory) -> None:
    await _on_the_list(sessions)
    registry = ConsentRegistry(sessions)
    records = _records(ConsentChannel.PHONE)
    first, second = await asyncio.gather(
        registry.record(records, actor="cli:a", now=NOW),
        registry.record(records, actor="api:b", now=NOW),
    )
    assert sorted([first.written, second.written]) == [0, len(HOUSEHOLDS)]
    assert await _count(sessions) == len(HOUSEHOLDS)
    assert await _recorded_entries(sessions) == len(HOUSEHOLDS)
    assert (await AuditLog(sessions).verify()).broken is None


async def test_an_import_racing_a_withdrawal_does_not_bring_the_households_back(
    sessions: SessionFactory,
) -> None:
    """Each household agreed by phone; the city's file carries its paper consent of the
    same day. The supervisor withdraws them all while the file is imported: whichever
    runs first, no household is left with a running consent."""
    await _on_the_list(sessions)
    registry = ConsentRegistry(sessions)
    await registry.record(_records(ConsentChannel.PHONE), actor="t", now=NOW)
    withdrawals = [
        WithdrawalRequest(key, AgreedBy.PERSON, ConsentChannel.PHONE) for key in HOUSEHOLDS
    ]
    later = NOW + timedelta(hours=1)
    imported, withdrawn = await asyncio.gather(
        registry.record(_records(ConsentChannel.PAPER), actor="cli:ville", now=later),
        registry.withdraw(withdrawals, actor="superviseur", now=later),
    )
    assert withdrawn == len(HOUSEHOLDS)
    assert await _count(sessions, ConsentRow.withdrawn_at.is_(None)) == 0
    # the file ran first (every paper consent written, then withdrawn) or second (every
    # line skipped and reported), never a mix that leaves one running
    assert (imported.written, len(imported.skipped)) in ((len(HOUSEHOLDS), 0), (0, len(HOUSEHOLDS)))
    assert (await AuditLog(sessions).verify()).broken is None
