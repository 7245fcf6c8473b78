"""What the needs analysis of a veille-sociale campaign reads (:mod:`dialer.reports.needs`):
its households per cycle with their district and the outcomes of their submitted call
sheets, the answers that say needs and expectations, the orientations and the follow-ups.
Plain dataclasses, read in one short transaction a few hundred rows per turn of the
event loop and assembled in a worker thread; nothing here names a person (ids only,
for counting each household once)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dialer.core.attempts import Disposition
from dialer.core.campaigns import CampaignKind
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Campaign, Cycle, Person
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.schedule import CycleMember
from dialer.storage.turns import read_in_turns

#: the veille-sociale questionnaire's answers the analysis reads
READ_QUESTIONS = ("besoins", "rappel_souhaite", "solitude_souhait")


@dataclass(frozen=True)
class MemberFacts:
    """A household in a cycle, and how its submitted sheets of that cycle ended."""

    person_id: int
    cycle_id: int
    district: str | None
    cycle_started_at: datetime
    dispositions: tuple[Disposition, ...]


@dataclass(frozen=True)
class SheetFacts:
    """A submitted call sheet: when, the household's district, its answers read."""

    person_id: int
    district: str | None
    at: datetime
    answers: dict[str, object]


@dataclass(frozen=True)
class OrientationFacts:
    person_id: int
    district: str | None
    at: datetime
    need: str
    mode: str


@dataclass(frozen=True)
class FollowUpFacts:
    person_id: int
    district: str | None
    at: datetime
    due_at: datetime


@dataclass(frozen=True)
class NeedsRows:
    campaign_id: int
    campaign_name: str
    members: tuple[MemberFacts, ...]
    sheets: tuple[SheetFacts, ...]
    orientations: tuple[OrientationFacts, ...]
    follow_ups: tuple[FollowUpFacts, ...]
    #: when the campaign's earliest cycle still open started (None: every cycle closed);
    #: the figures of a period reaching it may still move
    open_since: datetime | None = None


async def load_needs_rows(sessions: SessionFactory, campaign_id: int) -> NeedsRows:
    """The campaign's facts; :class:`NotFoundError` for an unknown campaign,
    :class:`ConflictError` for a campaign that is not a veille-sociale one."""
    async with transaction(sessions) as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFoundError(f"campagne {campaign_id} inconnue")
        if campaign.kind is not CampaignKind.VEILLE_SOCIALE:
            raise ConflictError(
                f"« {campaign.name} » n'est pas une campagne de la veille sociale : "
                "pas d'analyse des besoins"
            )
        every_cycle = list(
            await session.scalars(select(Cycle).where(Cycle.campaign_id == campaign_id))
        )
        cycles = {row.id: row.started_at for row in every_cycle}
        open_since = min(
            (row.started_at for row in every_cycle if row.closed_at is None), default=None
        )
        districts: dict[int, str | None] = {}
        members_of = (
            select(Person.id, Person.district)
            .join(CycleMember, CycleMember.person_id == Person.id)
            .where(CycleMember.cycle_id.in_(cycles))
        )
        await read_in_turns(session, members_of, lambda row: districts.update({row[0]: row[1]}))
        submitted = select(
            CallSheet.id,
            CallSheet.person_id,
            CallSheet.cycle_id,
            CallSheet.disposition,
            CallSheet.submitted_at,
            CallSheet.opened_at,
        ).where(CallSheet.cycle_id.in_(cycles), CallSheet.submitted_at.is_not(None))
        sheets = await read_in_turns(
            session, submitted, lambda r: (r[0], r[1], r[2], r[3], r[4], r[5])
        )
        answers: dict[int, dict[str, object]] = defaultdict(dict)
        read = select(Answer.sheet_id, Answer.question_id, Answer.value).where(
            Answer.sheet_id.in_(submitted.with_only_columns(CallSheet.id)),
            Answer.question_id.in_(READ_QUESTIONS),
        )
        await read_in_turns(session, read, lambda row: answers[row[0]].update({row[1]: row[2]}))
        members = await read_in_turns(
            session,
            select(CycleMember.person_id, CycleMember.cycle_id).where(
                CycleMember.cycle_id.in_(cycles)
            ),
            lambda row: (row[0], row[1]),
        )
        orientations = await read_in_turns(
            session,
            select(
                OrientationRow.person_id,
                OrientationRow.created_at,
                OrientationRow.need,
                OrientationRow.mode,
            ).where(OrientationRow.cycle_id.in_(cycles)),
            lambda row: OrientationFacts(
                row[0], districts.get(row[0]), row[1], row[2], row[3].value
            ),
        )
        follow_ups = await read_in_turns(
            session,
            select(FollowUpRow.person_id, FollowUpRow.created_at, FollowUpRow.due_at).where(
                FollowUpRow.cycle_id.in_(cycles)
            ),
            lambda row: FollowUpFacts(row[0], districts.get(row[0]), row[1], row[2]),
        )
        name = campaign.name
    return await asyncio.to_thread(
        _assembled,
        campaign_id,
        name,
        cycles=cycles,
        districts=districts,
        members=members,
        sheets=sheets,
        answers=answers,
        orientations=orientations,
        follow_ups=follow_ups,
        open_since=open_since,
    )


def _assembled(
    campaign_id: int,
    name: str,
    *,
    cycles: dict[int, datetime],
    districts: dict[int, str | None],
    members: list[tuple[int, int]],
    sheets: list[tuple[int, int, int, Disposition | None, datetime | None, datetime]],
    answers: dict[int, dict[str, object]],
    orientations: list[OrientationFacts],
    follow_ups: list[FollowUpFacts],
    open_since: datetime | None,
) -> NeedsRows:
    """The facts of the rows read (in a worker thread: thousands of households)."""
    ended: dict[tuple[int, int], list[Disposition]] = defaultdict(list)
    for _, person_id, cycle_id, disposition, _, _ in sheets:
        if disposition is not None:
            ended[(person_id, cycle_id)].append(disposition)
    return NeedsRows(
        campaign_id=campaign_id,
        campaign_name=name,
        members=tuple(
            MemberFacts(
                person_id,
                cycle_id,
                districts.get(person_id),
                cycles[cycle_id],
                tuple(ended[(person_id, cycle_id)]),
            )
            for person_id, cycle_id in members
        ),
        sheets=tuple(
            SheetFacts(
                person_id, districts.get(person_id), submitted_at or opened_at, answers[sheet_id]
            )
            for sheet_id, person_id, _, _, submitted_at, opened_at in sheets
        ),
        orientations=tuple(orientations),
        follow_ups=tuple(follow_ups),
        open_since=open_since,
    )
