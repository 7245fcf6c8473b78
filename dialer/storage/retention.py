"""The purge's reads and deletions, per kind of personal data (:class:`DataKind`): how
many rows would go before a cutoff, and deleting them. Each deletion is one transaction.

What each kind covers:

- answers: the answers of call sheets last changed before the cutoff, and the free texts
  written before it, emptied: call sheets', callbacks done', cycle results' notes, the
  volunteers' debriefs (and the coordinators' answers), orientation and follow-up notes,
  the coordinators' answers to help requests;
- alerts: acknowledged alerts raised before the cutoff, with their deliveries (an open
  alert is kept until a team acknowledges it);
- never reached: the never-reached and wrong-number results of cycles closed before it;
- ledger: the attempts of cycles closed before it, with their call sheets, answers,
  alerts, callbacks, orientations, follow-ups, debriefs and help requests, and the
  numbers left in their schedule; never a cycle with an open alert. The cycle's billing
  totals are written in the same transaction
  (:class:`~dialer.storage.billing_periods.BillingPeriod`);
- audit: entries before the cutoff (``AuditLog.purge_before``: the chain stays verifiable);
- web sessions: expired or idle sessions, and any opened before the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    Update,
    and_,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import CycleResult
from dialer.core.retention import DataKind
from dialer.storage.account_rows import WebSession
from dialer.storage.accounts import WebSessionRepository, stale_session
from dialer.storage.alert_rows import Alert, AlertDelivery, AlertState
from dialer.storage.audit import AuditEntry
from dialer.storage.billing_periods import BillingPeriod, PeriodTotals
from dialer.storage.call_help import HelpRequest
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import Debrief
from dialer.storage.inbound_notes import InboundNote
from dialer.storage.models import Attempt, Callback, Cycle, CycleResultRow
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.schedule import CycleMember
from dialer.storage.visit_rows import VisitRequest

#: the results that make up the never-reached lists (the field follow-up)
FOLLOW_UP_RESULTS = (CycleResult.NEVER_REACHED, CycleResult.WRONG_NUMBER)


@dataclass(frozen=True)
class Cutoffs:
    """Per kind, the moment before which its rows go; ``idle_before``: a web session last
    seen before it has expired (the sessions' idle limit)."""

    before: dict[DataKind, datetime]
    now: datetime
    idle_before: datetime


@dataclass(frozen=True)
class ClosedCycle:
    """A cycle whose ledger the purge may delete."""

    id: int
    campaign_id: int
    number: int
    recorded: bool  # its billing totals are already kept


class RetentionStore:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def count(self, cutoffs: Cutoffs) -> dict[DataKind, int]:
        """How many rows of each kind the purge would delete (one read transaction)."""
        before = cutoffs.before
        ledger = _purgeable_cycles(before[DataKind.LEDGER])
        async with transaction(self._sessions) as session:
            return {
                DataKind.ANSWERS: await _count(session, _answers(before[DataKind.ANSWERS]))
                + await _count_notes(session, before[DataKind.ANSWERS]),
                DataKind.ALERTS: await _count(session, _alerts(before[DataKind.ALERTS])),
                DataKind.NEVER_REACHED: await _count(
                    session, _never_reached(before[DataKind.NEVER_REACHED])
                ),
                DataKind.LEDGER: await _count(
                    session, select(Attempt.id).where(Attempt.cycle_id.in_(ledger))
                ),
                DataKind.AUDIT: await _count(
                    session, select(AuditEntry.id).where(AuditEntry.at < before[DataKind.AUDIT])
                ),
                DataKind.WEB_SESSIONS: await _count(
                    session,
                    select(WebSession.token_digest).where(
                        stale_session(
                            cutoffs.now, cutoffs.idle_before, before[DataKind.WEB_SESSIONS]
                        )
                    ),
                ),
            }

    async def purge_answers(self, before: datetime) -> int:
        """Delete old answers and empty old notes; the rows affected."""
        async with transaction(self._sessions) as session:
            removed = await _rowcount(
                session, delete(Answer).where(Answer.sheet_id.in_(_answers_sheets(before)))
            )
            for statement in _note_erasures(before):
                removed += await _rowcount(session, statement)
        return removed

    async def purge_alerts(self, before: datetime) -> int:
        old = _alerts(before)
        async with transaction(self._sessions) as session:
            await session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id.in_(old)))
            # a field visit request goes with its alert (migration 0016)
            await session.execute(delete(VisitRequest).where(VisitRequest.alert_id.in_(old)))
            return await _rowcount(session, delete(Alert).where(Alert.id.in_(old)))

    async def purge_never_reached(self, before: datetime) -> int:
        old = _never_reached(before)
        async with transaction(self._sessions) as session:
            return await _rowcount(
                session, delete(CycleResultRow).where(CycleResultRow.id.in_(old))
            )

    async def closed_cycles(self, before: datetime) -> list[ClosedCycle]:
        """The cycles whose ledger goes: closed before ``before``, with attempts left and
        no open alert."""
        statement = (
            select(Cycle.id, Cycle.campaign_id, Cycle.number, BillingPeriod.cycle_id)
            .outerjoin(BillingPeriod, BillingPeriod.cycle_id == Cycle.id)
            .where(Cycle.id.in_(_purgeable_cycles(before)))
            .order_by(Cycle.id)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.execute(statement)).all()
        return [ClosedCycle(int(c), int(k), int(n), r is not None) for c, k, n, r in rows]

    async def purge_cycle_ledger(
        self, cycle_id: int, totals: PeriodTotals | None, *, now: datetime
    ) -> int:
        """Delete one closed cycle's ledger, writing its billing totals first (``None``:
        they are kept already); the attempts deleted."""
        sheets = select(CallSheet.id).where(CallSheet.cycle_id == cycle_id)
        alerts = select(Alert.id).where(Alert.sheet_id.in_(sheets))
        async with transaction(self._sessions) as session:
            if totals is not None:
                session.add(
                    BillingPeriod(
                        cycle_id=cycle_id,
                        billed_contacts=totals.billed_contacts,
                        useful_contacts=totals.useful_contacts,
                        handled_calls=totals.handled_calls,
                        handling_total_s=totals.handling_total_s,
                        recorded_at=now,
                    )
                )
                await session.flush()
            await session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id.in_(alerts)))
            await session.execute(delete(Alert).where(Alert.id.in_(alerts)))
            await session.execute(delete(Answer).where(Answer.sheet_id.in_(sheets)))
            await session.execute(delete(CallSheet).where(CallSheet.cycle_id == cycle_id))
            for facts in (OrientationRow, FollowUpRow):  # they point at its calls, callbacks
                await session.execute(delete(facts).where(facts.cycle_id == cycle_id))
            await session.execute(delete(Callback).where(Callback.cycle_id == cycle_id))
            calls = select(Attempt.id).where(Attempt.cycle_id == cycle_id)
            await session.execute(delete(Debrief).where(Debrief.attempt_id.in_(calls)))
            await session.execute(delete(HelpRequest).where(HelpRequest.attempt_id.in_(calls)))
            await session.execute(delete(InboundNote).where(InboundNote.cycle_id == cycle_id))
            await session.execute(
                update(CycleMember)
                .where(CycleMember.cycle_id == cycle_id)
                .values(next_number=None, attempt_id=None)
            )
            return await _rowcount(session, delete(Attempt).where(Attempt.cycle_id == cycle_id))

    async def purge_web_sessions(self, cutoffs: Cutoffs) -> int:
        return await WebSessionRepository(self._sessions).purge_expired(
            now=cutoffs.now,
            idle_before=cutoffs.idle_before,
            opened_before=cutoffs.before[DataKind.WEB_SESSIONS],
        )


def _answers_sheets(before: datetime) -> Select[int]:
    return select(CallSheet.id).where(CallSheet.updated_at < before)


def _answers(before: datetime) -> Select[int]:
    return select(Answer.id).where(Answer.sheet_id.in_(_answers_sheets(before)))


def _old_notes(before: datetime) -> list[tuple[Any, ColumnElement[bool], dict[str, Any]]]:
    """Per table with free text, which of its rows hold text written before ``before``,
    and the values that empty it: the call sheets', callbacks' and cycle results' notes,
    and the volunteer calls' debriefs (and their coordinators' answers), orientation and
    follow-up notes, and the coordinators' answers to help requests."""
    return [
        (CallSheet, and_(CallSheet.updated_at < before, CallSheet.note != ""), {"note": ""}),
        (
            Callback,
            and_(Callback.created_at < before, Callback.done.is_(True), Callback.note != ""),
            {"note": ""},
        ),
        (
            CycleResultRow,
            and_(CycleResultRow.decided_at < before, CycleResultRow.note != ""),
            {"note": ""},
        ),
        (
            Debrief,
            and_(Debrief.written_at < before, (Debrief.text != "") | Debrief.answer.is_not(None)),
            {"text": "", "answer": None},
        ),
        (
            OrientationRow,
            and_(OrientationRow.created_at < before, OrientationRow.note != ""),
            {"note": ""},
        ),
        (
            FollowUpRow,
            and_(FollowUpRow.created_at < before, FollowUpRow.note != ""),
            {"note": ""},
        ),
        (
            HelpRequest,
            and_(HelpRequest.raised_at < before, HelpRequest.answer.is_not(None)),
            {"answer": None},
        ),
    ]


def _note_erasures(before: datetime) -> list[Update]:
    return [update(table).where(old).values(**values) for table, old, values in _old_notes(before)]


async def _count_notes(session: AsyncSession, before: datetime) -> int:
    return sum(
        [await _count(session, select(table.id).where(old)) for table, old, _ in _old_notes(before)]
    )


def _alerts(before: datetime) -> Select[int]:
    return select(Alert.id).where(Alert.raised_at < before, Alert.state == AlertState.ACKNOWLEDGED)


def _closed_before(before: datetime) -> Select[int]:
    return select(Cycle.id).where(Cycle.closed_at.is_not(None), Cycle.closed_at < before)


def _never_reached(before: datetime) -> Select[int]:
    return select(CycleResultRow.id).where(
        CycleResultRow.cycle_id.in_(_closed_before(before)),
        CycleResultRow.result.in_(FOLLOW_UP_RESULTS),
    )


def _purgeable_cycles(before: datetime) -> Select[int]:
    open_alert = (
        select(Alert.id)
        .join(CallSheet, CallSheet.id == Alert.sheet_id)
        .where(CallSheet.cycle_id == Cycle.id, Alert.state == AlertState.OPEN)
    )
    has_attempts = select(Attempt.id).where(Attempt.cycle_id == Cycle.id)
    return select(Cycle.id).where(
        Cycle.closed_at.is_not(None),
        Cycle.closed_at < before,
        exists(has_attempts),
        ~exists(open_alert),
    )


async def _count(session: AsyncSession, statement: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


async def _rowcount(session: AsyncSession, statement: Delete | Update) -> int:
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
