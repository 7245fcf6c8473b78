"""Reading many rows without holding the event loop: a statement's rows are fetched and
turned into plain values a few hundred at a time, and the loop gets a turn between
batches (the engine keeps dialling while a supervisor opens a report of a 10,500-person
register). Column selects only: building ORM objects for every row costs several times
more, all of it on the loop (``bench/report_stall.py`` measures both)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
Columns = TypeVarTuple("Columns")
#: a row of any columns, for a converter that reads them by name
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

#: rows fetched and converted per turn of the event loop (about a millisecond's work)
ROWS_PER_TURN = 500


async def read_in_turns(
    session: AsyncSession,
    statement: Select[*Columns],
    convert: Callable[[Row[*Columns]], T],
    *,
    per_turn: int = ROWS_PER_TURN,
) -> list[T]:
    """``convert`` of each row of ``statement``, in order; the rows are streamed (a
    server-side cursor on PostgreSQL) and converted batch by batch."""
    result = await session.stream(statement)
    converted: list[T] = []
    async for batch in result.partitions(per_turn):
        converted.extend(convert(row) for row in batch)
        await asyncio.sleep(0)  # a batch may come from the driver's buffer, with no wait
    return converted
