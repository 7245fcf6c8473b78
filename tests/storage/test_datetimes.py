from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from dialer.core.attempts import AttemptKind
from dialer.errors import StorageError
from dialer.storage import AttemptLedger, SessionFactory
from dialer.storage.models import Attempt

from .conftest import Scene

PARIS_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.asyncio
async def test_aware_datetimes_come_back_aware_in_utc(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    local = datetime(2025, 7, 1, 11, 30, 15, 123456, tzinfo=PARIS_SUMMER)
    attempt = await ledger.record_planned(
        cycle_id=scene.cycle_id,
        person_id=scene.alice_id,
        number="+33145678910",
        kind=AttemptKind.PREVIEW,
        planned_for=local,
    )
    stored = await ledger.get(attempt.id)
    assert stored.planned_for == local
    assert stored.planned_for.tzinfo is UTC
    assert stored.planned_for.hour == 9
    assert stored.planned_for.microsecond == 123456

    async with sessions() as session:
        found = await session.scalar(
            select(Attempt.id).where(Attempt.planned_for < datetime(2025, 7, 1, 10, tzinfo=UTC))
        )
        raw = await session.scalar(text("SELECT planned_for FROM attempts"))
    assert found == attempt.id
    assert raw is not None


@pytest.mark.asyncio
async def test_a_naive_datetime_is_refused(sessions: SessionFactory, scene: Scene) -> None:
    ledger = AttemptLedger(sessions)
    with pytest.raises(StorageError, match="naive datetime"):
        await ledger.record_planned(
            cycle_id=scene.cycle_id,
            person_id=scene.alice_id,
            number="+33145678910",
            kind=AttemptKind.AUTOMATIC,
            planned_for=datetime(2025, 7, 1, 9, 30),  # noqa: DTZ001 - on purpose
        )
