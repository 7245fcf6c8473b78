"""The volunteer's desk stored (:mod:`dialer.core.volunteer_desk`): households assigned to
volunteers (a coordinator's assignment or take-over), the volunteers' calls with their
debriefs and help requests, and the coordinators' answers. Every change writes its audit
entry in the same transaction. Read by the volunteer's desk, the coordinators' activity
page, the API and ``dialer volunteers assign``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.assignees import assignment_refusal
from dialer.core.campaign_plans import today_in_paris
from dialer.core.campaigns import CampaignKind
from dialer.core.roles import Role
from dialer.core.volunteer_desk import checked_text
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.audit import append_entry
from dialer.storage.call_help import HelpRequest
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import Debrief, HouseholdAssignment
from dialer.storage.models import Attempt, Campaign, Cycle, Person
from dialer.storage.volunteer_rows import VolunteerProfile

#: the calls a page lists, the latest first
RECENT = 200


@dataclass(frozen=True)
class HelpAsked:
    id: int
    raised_at: datetime
    answered_by: str | None
    answer: str | None


@dataclass(frozen=True)
class VolunteerCall:
    """One call of a volunteer, with its debrief and help requests."""

    attempt_id: str
    volunteer: str
    when: datetime
    person_id: int
    first_name: str
    last_name: str
    campaign: str
    outcome: str | None
    debrief: Debrief | None
    helps: list[HelpAsked] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """A coordinator's answer to a debrief or a help request."""

    id: int
    answer: str
    answered_by: str


#: what a coordinator answers: the debriefs and the help requests
Answerable = Literal["debrief", "help"]
_ANSWERABLE: dict[str, tuple[str, str]] = {
    "debrief": ("volunteer.debrief_answered", "bilan"),
    "help": ("call.help_answered", "demande d'aide"),
}


@dataclass(frozen=True)
class Assigned:
    person_id: int
    external_id: str
    name: str
    account: str


async def _veille_campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"champ « campaign_id » : campagne {campaign_id} inconnue")
    if campaign.kind is not CampaignKind.VEILLE_SOCIALE:
        raise InputError("champ « campaign_id » : ce n'est pas une campagne de veille sociale")
    return campaign


class VolunteerCalls:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def is_volunteer(self, username: str) -> bool:
        async with transaction(self._sessions) as session:
            role = await session.scalar(select(Account.role).where(Account.username == username))
            return role is Role.VOLUNTEER

    async def serving_facts(self) -> tuple[list[str], list[int]]:
        """The volunteers' usernames and the veille-sociale campaigns' ids (what the
        engine's serving of volunteers is cut down to)."""
        async with transaction(self._sessions) as session:
            volunteers = await session.scalars(
                select(Account.username).where(Account.role == Role.VOLUNTEER)
            )
            campaigns = await session.scalars(
                select(Campaign.id).where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
            )
            return list(volunteers), list(campaigns)

    async def campaign_kinds(self) -> dict[int, CampaignKind]:
        """Each campaign's kind (the engine gives a volunteer only veille-sociale calls)."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(select(Campaign.id, Campaign.kind))
            return {row.id: row.kind for row in rows}

    # ---- households assigned ---------------------------------------------------------------
    async def assign(
        self,
        campaign_id: int,
        external_id: str,
        account: str,
        *,
        actor: str,
        now: datetime,
        route: str = "",
    ) -> Assigned:
        """The household ``external_id`` of the veille-sociale campaign is offered only to
        ``account`` from now: a trained, active volunteer, or a supervisor taking it over
        (the volunteers stop calling it; it ends the cycle « suivi par le coordinateur »).
        Anyone else is refused (:func:`~dialer.core.assignees.assignment_refusal`)."""
        async with transaction(self._sessions) as session:
            campaign = await _veille_campaign(session, campaign_id)
            person = await session.scalar(select(Person).where(Person.external_id == external_id))
            if person is None:
                raise NotFoundError(f"champ « person » : foyer « {external_id[:50]} » inconnu")
            chosen = await session.scalar(select(Account).where(Account.username == account))
            trained_on = (
                await session.scalar(
                    select(VolunteerProfile.trained_on).where(
                        VolunteerProfile.account_id == chosen.id
                    )
                )
                if chosen is not None
                else None
            )
            refusal = assignment_refusal(
                account,
                chosen.role if chosen is not None else None,
                active=chosen is not None and chosen.active,
                trained_on=trained_on,
                today=today_in_paris(now),
            )
            if chosen is None or refusal is not None:
                raise InputError(refusal or "champ « volunteer » : compte inconnu")
            row = await session.scalar(
                select(HouseholdAssignment)
                .where(HouseholdAssignment.campaign_id == campaign.id)
                .where(HouseholdAssignment.person_id == person.id)
            )
            before = None
            if row is None:
                row = HouseholdAssignment(campaign_id=campaign.id, person_id=person.id)
                session.add(row)
            else:
                previous = await session.get(Account, row.account_id)
                before = previous.username if previous is not None else None
            row.account_id = chosen.id
            row.assigned_by = actor[:100]
            row.assigned_at = now
            await append_entry(
                session,
                actor=actor,
                action="volunteer.household_assigned",
                target=f"campaign:{campaign.id}",
                at=now,
                person_id=person.id,
                details={"to": chosen.username, "before": before},
                route=route,
            )
            return Assigned(person.id, person.external_id, _name(person), chosen.username)

    async def assignments(self, campaign_id: int | None = None) -> list[Assigned]:
        """The households assigned (of one campaign, or all), by household."""
        statement = (
            select(HouseholdAssignment, Person, Account.username)
            .join(Person, Person.id == HouseholdAssignment.person_id)
            .join(Account, Account.id == HouseholdAssignment.account_id)
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
        if campaign_id is not None:
            statement = statement.where(HouseholdAssignment.campaign_id == campaign_id)
        async with transaction(self._sessions) as session:
            rows = await session.execute(statement)
            return [Assigned(p.id, p.external_id, _name(p), who) for _, p, who in rows]

    # ---- debriefs --------------------------------------------------------------------------
    async def write_debrief(
        self,
        attempt_id: str,
        volunteer: str,
        text: str,
        *,
        flagged: bool,
        now: datetime,
        route: str = "",
    ) -> Debrief:
        """The volunteer's debrief of their call ``attempt_id`` (one per call)."""
        text = checked_text(text, field="text")
        async with transaction(self._sessions) as session:
            attempt = await _own_call(session, attempt_id, volunteer)
            if await session.scalar(select(Debrief.id).where(Debrief.attempt_id == attempt.id)):
                raise ConflictError("le bilan de cet appel est déjà écrit")
            row = Debrief(
                attempt_id=attempt.id,
                person_id=attempt.person_id,
                volunteer=volunteer,
                text=text,
                flagged=flagged,
                written_at=now,
            )
            session.add(row)
            await session.flush()
            await append_entry(
                session,
                actor=volunteer,
                action="volunteer.debrief",
                target=f"attempt:{attempt.id}",
                at=now,
                person_id=attempt.person_id,
                details={"debrief": row.id, "flagged": flagged},
                route=route,
            )
            return row

    async def debriefs_of(self, person_id: int) -> list[Debrief]:
        """The household's debriefs, the latest first."""
        async with transaction(self._sessions) as session:
            rows = await session.scalars(
                select(Debrief)
                .where(Debrief.person_id == person_id)
                .order_by(Debrief.written_at.desc(), Debrief.id.desc())
            )
            return list(rows)

    async def answer(
        self,
        subject: Answerable,
        item_id: int,
        text: str,
        *,
        by: str,
        now: datetime,
        route: str = "",
    ) -> Answer:
        """A coordinator answers a volunteer's debrief or « besoin d'aide » (acknowledging
        the request if nobody did); the answer shows on the volunteer's desk."""
        text = checked_text(text, field="answer")
        action, unknown = _ANSWERABLE[subject]
        async with transaction(self._sessions) as session:
            row: Debrief | HelpRequest | None = (
                await session.get(Debrief, item_id)
                if subject == "debrief"
                else await session.get(HelpRequest, item_id)
            )
            if row is None or (
                isinstance(row, HelpRequest) and not await _a_volunteers_request(session, row)
            ):  # an agent's request is the supervisors' (acknowledged on the dashboard)
                raise NotFoundError(f"{unknown} {item_id} inconnu(e)")
            if isinstance(row, Debrief):
                row.answered_by, row.answered_at, volunteer = by[:100], now, row.volunteer
            else:
                if row.acknowledged_at is None:
                    row.acknowledged_at, row.acknowledged_by = now, by[:100]
                volunteer = row.agent
            row.answer = text
            await append_entry(
                session,
                actor=by,
                action=action,
                target=f"attempt:{row.attempt_id}",
                at=now,
                person_id=row.person_id,
                details={subject: row.id, "volunteer": volunteer},
                route=route,
            )
            return Answer(row.id, text, by[:100])

    async def own_call(self, attempt_id: str, volunteer: str) -> Attempt:
        """The volunteer's call ``attempt_id`` (:class:`NotFoundError` for anybody else's)."""
        async with transaction(self._sessions) as session:
            return await _own_call(session, attempt_id, volunteer)

    # ---- the calls -------------------------------------------------------------------------
    async def calls(self, volunteer: str | None = None) -> list[VolunteerCall]:
        """The volunteers' latest calls (or one volunteer's), the latest first (at most
        :data:`RECENT`), with their debriefs and help requests."""
        statement = _volunteers_calls().limit(RECENT)
        if volunteer is not None:
            statement = statement.where(Attempt.agent == volunteer)
        return await self._calls(statement)

    async def awaiting_answer(self) -> list[VolunteerCall]:
        """Every volunteer's call, however old, whose flagged debrief or help request
        nobody answered yet: the coordinators' to-do list, never cut off by the number of
        calls made since."""
        flagged = select(Debrief.attempt_id).where(
            Debrief.flagged.is_(True), Debrief.answer.is_(None)
        )
        helped = select(HelpRequest.attempt_id).where(HelpRequest.answer.is_(None))
        return await self._calls(
            _volunteers_calls().where(Attempt.id.in_(flagged) | Attempt.id.in_(helped))
        )

    async def _calls(self, statement: Select[Attempt, str, str, str]) -> list[VolunteerCall]:
        async with transaction(self._sessions) as session:
            rows = list(await session.execute(statement))
            ids = [attempt.id for attempt, *_ in rows]
            debriefs = {
                d.attempt_id: d
                for d in await session.scalars(select(Debrief).where(Debrief.attempt_id.in_(ids)))
            }
            helps: dict[str, list[HelpAsked]] = {}
            for help_row in await session.scalars(
                select(HelpRequest)
                .where(HelpRequest.attempt_id.in_(ids))
                .order_by(HelpRequest.raised_at)
            ):
                helps.setdefault(help_row.attempt_id, []).append(
                    HelpAsked(
                        help_row.id, help_row.raised_at, help_row.acknowledged_by, help_row.answer
                    )
                )
            return [
                VolunteerCall(
                    attempt.id,
                    attempt.agent or "",
                    attempt.placed_at or attempt.planned_for,
                    attempt.person_id,
                    first,
                    last,
                    campaign,
                    attempt.outcome.value if attempt.outcome else None,
                    debriefs.get(attempt.id),
                    helps.get(attempt.id, []),
                )
                for attempt, first, last, campaign in rows
            ]


async def _a_volunteers_request(session: AsyncSession, request: HelpRequest) -> bool:
    """Was the help request raised by a volunteer on a veille-sociale call?"""
    found = await session.scalar(
        _volunteers_calls()
        .where(Attempt.id == request.attempt_id, Attempt.agent == request.agent)
        .with_only_columns(Attempt.id)
    )
    return found is not None


def _volunteers_calls() -> Select[Attempt, str, str, str]:
    """The calls volunteers placed in veille-sociale campaigns, the latest first."""
    return (
        select(Attempt, Person.first_name, Person.last_name, Campaign.name)
        .join(Person, Person.id == Attempt.person_id)
        .join(Cycle, Cycle.id == Attempt.cycle_id)
        .join(Campaign, Campaign.id == Cycle.campaign_id)
        .join(Account, Account.username == Attempt.agent)
        .where(Account.role == Role.VOLUNTEER)
        .where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
        .where(Attempt.placed_at.is_not(None))
        .order_by(Attempt.placed_at.desc(), Attempt.id)
    )


async def _own_call(session: AsyncSession, attempt_id: str, volunteer: str) -> Attempt:
    attempt = await session.get(Attempt, attempt_id[:36])
    if attempt is None or attempt.agent != volunteer or attempt.placed_at is None:
        raise NotFoundError("appel inconnu, ou qui n'est pas le vôtre")
    return attempt


def _name(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name.upper()) if p)
