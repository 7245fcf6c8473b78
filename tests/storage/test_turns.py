"""Reading many rows a few at a time (:mod:`dialer.storage.turns`): every row, in order,
converted, and the event loop runs other tasks between batches (a report of a big register
does not hold the dialling engine), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from dialer.storage.database import SessionFactory, transaction
from dialer.storage.team_rows import Team
from dialer.storage.turns import read_in_turns

NOW = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.asyncio


async def test_rows_come_in_order_and_the_loop_runs_between_batches(
    sessions: SessionFactory,
) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            insert(Team), [{"name": f"équipe {i:03d}", "created_at": NOW} for i in range(95)]
        )
    turns = 0
    batches_seen: list[int] = []
    converted: list[str] = []

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    def convert(row: tuple[int, str]) -> str:
        batches_seen.append(turns)
        converted.append(row[1])
        return row[1].upper()

    running = asyncio.create_task(other_task())
    try:
        async with transaction(sessions) as session:
            names = await read_in_turns(
                session, select(Team.id, Team.name).order_by(Team.name), convert, per_turn=10
            )
    finally:
        running.cancel()
    assert names == [f"ÉQUIPE {i:03d}" for i in range(95)]
    # ten batches (10 × 9 + 5): the other task ran before each batch after the first
    batches = [batches_seen[i] for i in range(0, 95, 10)]
    assert len(batches) == 10
    assert all(later > earlier for earlier, later in itertools.pairwise(batches))
    # and within a batch it did not (the batch is converted in one go)
    assert all(batches_seen[i] == batches_seen[i - i % 10] for i in range(95))


async def test_an_empty_result_is_an_empty_list(sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        assert await read_in_turns(session, select(Team.id), lambda row: row[0]) == []
