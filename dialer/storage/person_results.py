"""What the city gets back, person by person: the rows of each person's result in a cycle
(their sheet and its answers, score, risk level, disposition, the cycle's result, the
alerts raised and their handling).

A register of 10,000 people and more is read in batches (:meth:`PersonResultsRepository.batch`),
each batch one short read transaction: memory stays bounded, and on SQLite the one
connection is never held for the whole export (the dialler writes between two batches).
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import CycleResult, Disposition
from dialer.errors import NotFoundError
from dialer.storage.alert_rows import Alert
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Campaign, Cycle, CycleResultRow, Person
from dialer.storage.report_rows import member_ids
from dialer.storage.team_rows import Team


@dataclass(frozen=True)
class ResultScope:
    """The cycles an export covers, and everyone on them, in order (cycle, then person)."""

    campaign_id: int
    campaign_name: str
    #: cycle id → cycle number
    cycles: dict[int, int]
    members: tuple[tuple[int, int], ...]
    #: ``(questionnaire id, version)`` of every sheet of these cycles, and the campaign's
    questionnaires: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ResultSheet:
    id: int
    questionnaire_id: str
    questionnaire_version: int
    agent: str
    disposition: Disposition | None
    score: float | None
    risk_level: str | None
    complete: bool
    submitted_at: datetime | None
    #: each answer's stored JSON text, by question id (decoded by :attr:`answers`, off
    #: the event loop: the rows are read on it, the results built in a worker thread)
    answer_texts: dict[str, str]

    @property
    def answers(self) -> dict[str, Any]:
        return {question: json.loads(text) for question, text in self.answer_texts.items()}


@dataclass(frozen=True)
class ResultAlert:
    id: int
    priority: int
    need: str
    team: str | None
    raised_at: datetime
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str


@dataclass(frozen=True)
class PersonResultRows:
    """One person in one cycle."""

    cycle_number: int
    person_id: int
    external_id: str
    last_name: str
    first_name: str
    district: str | None
    dialled: int
    result: CycleResult | None
    #: their sheets of the cycle, oldest first
    sheets: tuple[ResultSheet, ...]
    alerts: tuple[ResultAlert, ...]


class PersonResultsRepository:
    """Each method is one read transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def scope(self, campaign_id: int, cycle_number: int | None) -> ResultScope:
        """Campaign ``campaign_id``'s cycle ``cycle_number`` (None: every cycle).
        :class:`NotFoundError` for an unknown campaign or cycle."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFoundError(f"campagne {campaign_id} inconnue")
            statement = select(Cycle.id, Cycle.number).where(Cycle.campaign_id == campaign_id)
            if cycle_number is not None:
                statement = statement.where(Cycle.number == cycle_number)
            cycles = {int(i): int(n) for i, n in (await session.execute(statement)).all()}
            if cycle_number is not None and not cycles:
                raise NotFoundError(f"la campagne {campaign_id} n'a pas de cycle {cycle_number}")
            ids = list(cycles)
            members = member_ids(ids)
            pairs = (await session.execute(select(members.c.cycle_id, members.c.person_id))).all()
            used = await session.execute(
                select(CallSheet.questionnaire_id, CallSheet.questionnaire_version)
                .where(CallSheet.cycle_id.in_(ids))
                .distinct()
            )
            versions = {(str(q), int(v)) for q, v in used.all()}
        with contextlib.suppress(ValueError):  # a version that is no number: none
            versions.add((campaign.questionnaire_id, int(campaign.questionnaire_version)))
        ordered = sorted(((int(c), int(p)) for c, p in pairs), key=lambda m: (cycles[m[0]], m[1]))
        return ResultScope(
            campaign_id, campaign.name, cycles, tuple(ordered), tuple(sorted(versions))
        )

    async def batch(
        self, scope: ResultScope, members: Sequence[tuple[int, int]]
    ) -> list[PersonResultRows]:
        """The rows of ``members`` (``(cycle id, person id)`` of ``scope``), in their order."""
        if not members:
            return []
        wanted = list(members)
        async with transaction(self._sessions) as session:
            return await _load(session, scope, wanted)


def _pair(cycle_column: Any, person_column: Any, members: list[tuple[int, int]]) -> Any:
    return tuple_(cycle_column, person_column).in_(members)


async def _load(
    session: AsyncSession, scope: ResultScope, members: list[tuple[int, int]]
) -> list[PersonResultRows]:
    person_ids = sorted({p for _, p in members})
    people = {
        row.id: row
        for row in await session.execute(
            select(
                Person.id, Person.external_id, Person.last_name, Person.first_name, Person.district
            ).where(Person.id.in_(person_ids))
        )
    }
    dialled_rows = await session.execute(
        select(Attempt.cycle_id, Attempt.person_id, func.count())
        .where(_pair(Attempt.cycle_id, Attempt.person_id, members))
        .where(Attempt.placed_at.is_not(None))
        .group_by(Attempt.cycle_id, Attempt.person_id)
    )
    dialled = {(int(c), int(p)): int(n) for c, p, n in dialled_rows.all()}
    results = {
        (int(c), int(p)): r
        for c, p, r in await session.execute(
            select(CycleResultRow.cycle_id, CycleResultRow.person_id, CycleResultRow.result).where(
                _pair(CycleResultRow.cycle_id, CycleResultRow.person_id, members)
            )
        )
    }
    sheets = (
        await session.execute(
            select(
                CallSheet.id,
                CallSheet.cycle_id,
                CallSheet.person_id,
                CallSheet.questionnaire_id,
                CallSheet.questionnaire_version,
                CallSheet.agent,
                CallSheet.disposition,
                CallSheet.score,
                CallSheet.risk_level,
                CallSheet.complete,
                CallSheet.submitted_at,
            )
            .where(_pair(CallSheet.cycle_id, CallSheet.person_id, members))
            .order_by(CallSheet.id)
        )
    ).all()
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    if sheets:
        rows = await session.execute(
            select(Answer.sheet_id, Answer.question_id, cast(Answer.value, Text))
            .where(Answer.sheet_id.in_([s.id for s in sheets]))
            .order_by(Answer.id)
        )
        for sheet_id, question, text in rows.all():
            # the JSON text (SQL NULL: none)
            answers[sheet_id][question] = text if isinstance(text, str) else json.dumps(text)
    by_member: dict[tuple[int, int], list[ResultSheet]] = defaultdict(list)
    cycle_of_sheet: dict[int, int] = {}
    for s in sheets:
        cycle_of_sheet[s.id] = s.cycle_id
        by_member[(s.cycle_id, s.person_id)].append(
            ResultSheet(
                s.id,
                s.questionnaire_id,
                s.questionnaire_version,
                s.agent,
                s.disposition,
                s.score,
                s.risk_level,
                s.complete,
                s.submitted_at,
                answers.get(s.id, {}),
            )
        )
    alerts: dict[tuple[int, int], list[ResultAlert]] = defaultdict(list)
    if sheets:
        found = await session.execute(
            select(Alert, Team.name)
            .outerjoin(Team, Team.id == Alert.team_id)
            .where(Alert.sheet_id.in_(list(cycle_of_sheet)))
            .order_by(Alert.raised_at, Alert.id)
        )
        for alert, team in found.all():
            alerts[(cycle_of_sheet[alert.sheet_id or 0], alert.person_id)].append(
                ResultAlert(
                    alert.id,
                    alert.priority,
                    alert.need,
                    team,
                    alert.raised_at,
                    alert.escalation_level,
                    alert.acknowledged_at,
                    alert.acknowledged_by,
                    alert.acknowledgement_note,
                )
            )
    lines = []
    for member in members:
        cycle_id, person_id = member
        person = people[person_id]
        lines.append(
            PersonResultRows(
                cycle_number=scope.cycles[cycle_id],
                person_id=person_id,
                external_id=person.external_id,
                last_name=person.last_name,
                first_name=person.first_name,
                district=person.district,
                dialled=dialled.get(member, 0),
                result=results.get(member),
                sheets=tuple(by_member.get(member, ())),
                alerts=tuple(alerts.get(member, ())),
            )
        )
    return lines
