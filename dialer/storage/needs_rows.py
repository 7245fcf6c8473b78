"""What the needs analysis of a veille-sociale campaign reads (:mod:`dialer.reports.needs`):
its households per cycle with their district and the outcomes of their submitted call
sheets, the answers that say needs and expectations, the orientations and the follow-ups.
Plain dataclasses, read in one short transaction; nothing here names a person (ids only,
for counting each household once)."""

from __future__ import annotations

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
        cycles = {
            row.id: row.started_at
            for row in await session.scalars(select(Cycle).where(Cycle.campaign_id == campaign_id))
        }
        districts = dict(
            (
                await session.execute(
                    select(Person.id, Person.district)
                    .join(CycleMember, CycleMember.person_id == Person.id)
                    .where(CycleMember.cycle_id.in_(cycles))
                )
            ).all()
        )
        submitted = select(CallSheet).where(
            CallSheet.cycle_id.in_(cycles), CallSheet.submitted_at.is_not(None)
        )
        sheets = list(await session.scalars(submitted))
        answers: dict[int, dict[str, object]] = defaultdict(dict)
        for sheet_id, question_id, value in await session.execute(
            select(Answer.sheet_id, Answer.question_id, Answer.value).where(
                Answer.sheet_id.in_(submitted.with_only_columns(CallSheet.id)),
                Answer.question_id.in_(READ_QUESTIONS),
            )
        ):
            answers[sheet_id][question_id] = value
        members = list(
            (
                await session.execute(
                    select(CycleMember.person_id, CycleMember.cycle_id).where(
                        CycleMember.cycle_id.in_(cycles)
                    )
                )
            ).all()
        )
        orientations = list(
            await session.scalars(select(OrientationRow).where(OrientationRow.cycle_id.in_(cycles)))
        )
        follow_ups = list(
            await session.scalars(select(FollowUpRow).where(FollowUpRow.cycle_id.in_(cycles)))
        )
        name = campaign.name
    ended: dict[tuple[int, int], list[Disposition]] = defaultdict(list)
    for sheet in sheets:
        if sheet.disposition is not None:
            ended[(sheet.person_id, sheet.cycle_id)].append(sheet.disposition)
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
                sheet.person_id,
                districts.get(sheet.person_id),
                sheet.submitted_at or sheet.opened_at,
                answers[sheet.id],
            )
            for sheet in sheets
        ),
        orientations=tuple(
            OrientationFacts(
                row.person_id,
                districts.get(row.person_id),
                row.created_at,
                row.need,
                row.mode.value,
            )
            for row in orientations
        ),
        follow_ups=tuple(
            FollowUpFacts(row.person_id, districts.get(row.person_id), row.created_at, row.due_at)
            for row in follow_ups
        ),
    )
