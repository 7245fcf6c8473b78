"""Call sheets and their answers: what an agent records about one call.

One sheet per attempt, opened by the first answer (or the submission) and owned by the
agent who opened it. Every answer is saved as soon as it is given, so a call the person
ends mid-questionnaire keeps the answers given so far. Submitting closes the sheet with
its disposition and score, and writes the alerts it raised (and their outbox) in the same
transaction: an alert is never lost between the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from dialer.core.attempts import AttemptKind, Disposition
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.alert_rows import Alert
from dialer.storage.alerts import NewAlert, stage_alerts
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt


@dataclass(frozen=True)
class SheetSubmission:
    disposition: Disposition
    note: str
    callback_at: datetime | None
    score: float
    risk_level: str
    complete: bool


def reached_in(cycle_id: int) -> Select[int]:
    """The people of cycle ``cycle_id`` an agent or a volunteer reached: a complete call
    sheet on one of their own calls (a relative's call apart)."""
    return (
        select(Attempt.person_id)
        .join(CallSheet, CallSheet.attempt_id == Attempt.id)
        .where(Attempt.cycle_id == cycle_id)
        .where(Attempt.kind != AttemptKind.RELATIVE)
        .where(CallSheet.disposition == Disposition.COMPLETE)
    )


class CallSheetRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def submitted_dispositions(
        self, attempt_ids: Sequence[str]
    ) -> dict[str, Disposition | None]:
        """The disposition of each of these attempts whose sheet was submitted (absent: no
        sheet, or not submitted)."""
        if not attempt_ids:
            return {}
        statement = (
            select(CallSheet.attempt_id, CallSheet.disposition)
            .where(CallSheet.attempt_id.in_(list(attempt_ids)))
            .where(CallSheet.submitted_at.is_not(None))
        )
        async with transaction(self._sessions) as session:
            return {row.attempt_id: row.disposition for row in await session.execute(statement)}

    async def open(
        self,
        *,
        attempt_id: str,
        person_id: int,
        cycle_id: int,
        agent: str,
        questionnaire_id: str,
        questionnaire_version: int,
        now: datetime,
    ) -> CallSheet:
        """The attempt's sheet, opened now when it has none. :class:`ConflictError` when
        another agent owns it."""
        async with transaction(self._sessions) as session:
            sheet = await session.scalar(
                select(CallSheet).where(CallSheet.attempt_id == attempt_id)
            )
            if sheet is None:
                sheet = CallSheet(
                    attempt_id=attempt_id,
                    person_id=person_id,
                    cycle_id=cycle_id,
                    agent=agent,
                    questionnaire_id=questionnaire_id,
                    questionnaire_version=questionnaire_version,
                    note="",
                    complete=False,
                    opened_at=now,
                    updated_at=now,
                )
                session.add(sheet)
            elif sheet.agent != agent:
                raise ConflictError(f"la fiche de l'appel {attempt_id} appartient à un autre agent")
        return sheet

    async def reached_in_cycle(self, person_id: int, cycle_id: int) -> bool:
        async with transaction(self._sessions) as session:
            found = await session.scalar(
                reached_in(cycle_id).where(Attempt.person_id == person_id).limit(1)
            )
        return found is not None

    async def by_attempt(self, attempt_id: str) -> CallSheet | None:
        async with transaction(self._sessions) as session:
            return await session.scalar(select(CallSheet).where(CallSheet.attempt_id == attempt_id))

    async def get(self, sheet_id: int) -> CallSheet:
        async with transaction(self._sessions) as session:
            sheet = await session.get(CallSheet, sheet_id)
        if sheet is None:
            raise NotFoundError(f"fiche {sheet_id} inconnue")
        return sheet

    async def save_answer(
        self, sheet_id: int, question_id: str, value: Any, *, now: datetime
    ) -> None:
        """Record (or replace) one answer; ``value`` is JSON-ready. :class:`ConflictError`
        once the sheet is submitted."""
        async with transaction(self._sessions) as session:
            sheet = await _open_sheet(session, sheet_id)
            answer = await session.scalar(
                select(Answer)
                .where(Answer.sheet_id == sheet_id)
                .where(Answer.question_id == question_id)
            )
            if answer is None:
                session.add(
                    Answer(sheet_id=sheet_id, question_id=question_id, value=value, answered_at=now)
                )
            else:
                answer.value = value
                answer.answered_at = now
            sheet.updated_at = now

    async def forget_answer(self, sheet_id: int, question_id: str, *, now: datetime) -> None:
        """The agent cleared an answer (the question is not answered any more)."""
        async with transaction(self._sessions) as session:
            sheet = await _open_sheet(session, sheet_id)
            answer = await session.scalar(
                select(Answer)
                .where(Answer.sheet_id == sheet_id)
                .where(Answer.question_id == question_id)
            )
            if answer is not None:
                await session.delete(answer)
            sheet.updated_at = now

    async def save_note(self, sheet_id: int, note: str, *, now: datetime) -> None:
        async with transaction(self._sessions) as session:
            sheet = await _open_sheet(session, sheet_id)
            sheet.note = note
            sheet.updated_at = now

    async def answers(self, sheet_id: int) -> dict[str, Any]:
        """The sheet's answers as saved (JSON values), by question id."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(Answer.question_id, Answer.value).where(Answer.sheet_id == sheet_id)
            )
            return {str(row[0]): row[1] for row in rows.all()}

    async def submit(
        self,
        sheet_id: int,
        submission: SheetSubmission,
        *,
        alerts: Sequence[NewAlert],
        raised_by: str,
        now: datetime,
    ) -> list[Alert]:
        """Close the sheet and write the alerts it raised (with their outbox), at once.
        Returns the alerts written (those not already raised for this sheet)."""
        async with transaction(self._sessions) as session:
            sheet = await _open_sheet(session, sheet_id)
            sheet.disposition = submission.disposition
            sheet.note = submission.note
            sheet.callback_at = submission.callback_at
            sheet.score = submission.score
            sheet.risk_level = submission.risk_level
            sheet.complete = submission.complete
            sheet.submitted_at = now
            sheet.updated_at = now
            return await stage_alerts(session, sheet, alerts, raised_by=raised_by, now=now)

    async def for_person(self, person_id: int) -> list[tuple[CallSheet, dict[str, Any]]]:
        """A person's sheets, oldest first, each with its answers."""
        async with transaction(self._sessions) as session:
            sheets = list(
                await session.scalars(
                    select(CallSheet)
                    .where(CallSheet.person_id == person_id)
                    .order_by(CallSheet.opened_at, CallSheet.id)
                )
            )
            rows = await session.execute(
                select(Answer.sheet_id, Answer.question_id, Answer.value).where(
                    Answer.sheet_id.in_([sheet.id for sheet in sheets])
                )
            )
            answers: dict[int, dict[str, Any]] = {}
            for sheet_id, question_id, value in rows.all():
                answers.setdefault(sheet_id, {})[question_id] = value
        return [(sheet, answers.get(sheet.id, {})) for sheet in sheets]

    async def for_agent(self, agent: str, *, limit: int = 100) -> list[CallSheet]:
        """An agent's own sheets, newest first."""
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(CallSheet)
                    .where(CallSheet.agent == agent)
                    .order_by(CallSheet.opened_at.desc(), CallSheet.id.desc())
                    .limit(limit)
                )
            )


async def _open_sheet(session: Any, sheet_id: int) -> CallSheet:
    sheet: CallSheet | None = await session.get(CallSheet, sheet_id, with_for_update=True)
    if sheet is None:
        raise NotFoundError(f"fiche {sheet_id} inconnue")
    if sheet.submitted_at is not None:
        raise ConflictError("la fiche est déjà validée")
    return sheet
