"""The whole ledger read at once, for an audit against outside records (``make chaos``
compares it with Asterisk's CDR and its witnesses' logs): attempts, cycle members, call
sheets and their answers, alerts. One read-only transaction; small databases only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from dialer.storage.alert_rows import Alert
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleMember


@dataclass
class LedgerSnapshot:
    attempts: list[Attempt]
    members: list[CycleMember]
    sheets: dict[str, CallSheet]  # by attempt id
    answers: dict[int, dict[str, object]]  # sheet id → question id → value
    alerts: list[Alert]


async def read_snapshot(sessions: SessionFactory) -> LedgerSnapshot:
    async with transaction(sessions) as session:
        attempts = list(await session.scalars(select(Attempt)))
        members = list(await session.scalars(select(CycleMember)))
        sheets = {s.attempt_id: s for s in await session.scalars(select(CallSheet))}
        answers: dict[int, dict[str, object]] = defaultdict(dict)
        for answer in await session.scalars(select(Answer)):
            answers[answer.sheet_id][answer.question_id] = answer.value
        alerts = list(await session.scalars(select(Alert)))
    return LedgerSnapshot(attempts, members, sheets, dict(answers), alerts)


async def alert_ids(sessions: SessionFactory) -> set[int]:
    """Every alert raised so far."""
    async with transaction(sessions) as session:
        return set(await session.scalars(select(Alert.id)))
