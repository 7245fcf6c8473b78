"""Everything the agent's screen shows about a call: the person's register data, their
earlier attempts and answers, the questionnaire and the campaign's guidance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from dialer.alerts.messages import age_on, local_time
from dialer.core.attempts import AttemptKind
from dialer.core.labels import DISPOSITION_LABELS, OUTCOME_LABELS, PHONE_KIND_LABELS
from dialer.core.questionnaire import Questionnaire
from dialer.core.relatives import RELATIVE_QUESTIONNAIRE
from dialer.core.scoring import score
from dialer.core.volunteer_desk import volunteer_view
from dialer.desk.questionnaire_json import labelled_answers, progress_json, questionnaire_json
from dialer.errors import NotFoundError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage.answers import CallSheetRepository
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import SessionFactory
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.inbound_calls import InboundCallClaims
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt, Campaign, Person
from dialer.storage.people import PersonRepository
from dialer.storage.volunteer_calls import VolunteerCalls


@dataclass(frozen=True)
class CallContext:
    """The stored facts of one attempt the web layer needs to check and save answers."""

    attempt: Attempt
    person: Person
    campaign: Campaign
    questionnaire: Questionnaire
    #: the latest a callback may be set for: the end of the attempt's cycle, or None when
    #: an alert episode that lasts runs the campaign (its next cycle takes the callback)
    cycle_deadline: datetime | None = None


def phone_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _name(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name.upper()) if p)


def person_json(person: Person, today: Any) -> dict[str, Any]:
    flags = []
    if person.disabled:
        flags.append("Situation de handicap")
    if person.medical_flag:
        flags.append("Suivi médical signalé")
    flags += [f"{column} : {value}" for column, value in sorted(person.register_flags.items())]
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "name": _name(person),
        "birth_date": person.birth_date.strftime("%d/%m/%Y") if person.birth_date else None,
        "age": age_on(person.birth_date, today),
        "address": person.address,
        "postcode": person.postcode,
        "city": person.city,
        "district": person.district,
        "phones": [
            {
                "e164": phone.e164,
                "display": phone_display(phone.e164),
                "kind": PHONE_KIND_LABELS[phone.kind],
                "shared": phone.shared_with_other_person,
            }
            for phone in person.phones
        ],
        "contact": (
            {
                "name": person.contact_name,
                "phone": phone_display(person.contact_phone) if person.contact_phone else None,
            }
            if person.contact_name or person.contact_phone
            else None
        ),
        "flags": flags,
    }


class CallViews:
    """Looks calls up in the ledger and builds the agent screen's payload.

    The context of each agent's current call is kept from when its screen is prepared (at
    reservation) until the wrap-up ends (:meth:`forget`), so saving an answer reads none of
    it again. One per agent: a new call replaces the previous one's.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        questionnaires: QuestionnaireCatalog,
        *,
        clock: Callable[[], datetime],
        zone: ZoneInfo,
    ) -> None:
        self._ledger = AttemptLedger(sessions)
        self._people = PersonRepository(sessions)
        self._cycles = CycleRepository(sessions)
        self._campaigns = CampaignRepository(sessions)
        self._episodes = EpisodeRepository(sessions)
        self._sheets = CallSheetRepository(sessions)
        self._volunteer_calls = VolunteerCalls(sessions)
        self._consents = ConsentRegistry(sessions)
        self._line = InboundCallClaims(sessions)
        self.questionnaires = questionnaires
        self._clock = clock
        self.zone = zone
        self._current: dict[str, CallContext] = {}

    async def current(self, agent: str, attempt_id: str) -> CallContext:
        """The context of ``agent``'s current call ``attempt_id``: the one kept since the
        reservation, or read now (and kept)."""
        kept = self._current.get(agent)
        if kept is not None and kept.attempt.id == attempt_id:
            return kept
        context = await self.context(attempt_id)
        self._current[agent] = context
        return context

    def forget(self, agent: str, attempt_id: str) -> None:
        """The wrap-up of ``attempt_id`` has ended: its context is no longer needed."""
        kept = self._current.get(agent)
        if kept is not None and kept.attempt.id == attempt_id:
            del self._current[agent]

    async def context(self, attempt_id: str) -> CallContext:
        """The call's context, read from the repositories."""
        attempt = await self._ledger.get(attempt_id)
        person = await self._people.get(attempt.person_id)
        cycle = await self._cycles.get(attempt.cycle_id)
        campaign = await self._campaigns.get(cycle.campaign_id)
        version = campaign.questionnaire_version.strip()
        if attempt.kind is AttemptKind.RELATIVE:  # the person's relative: their questionnaire
            questionnaire = self.questionnaires.get(RELATIVE_QUESTIONNAIRE)
        else:
            questionnaire = self.questionnaires.get(
                campaign.questionnaire_id, int(version) if version.isdigit() else None
            )
        in_episode = any(e.campaign_id == campaign.id for e in await self._episodes.running())
        deadline = None if in_episode else cycle.deadline
        return CallContext(attempt, person, campaign, questionnaire, deadline)

    def _questionnaire(self, questionnaire_id: str, version: int) -> Questionnaire | None:
        try:
            return self.questionnaires.get(questionnaire_id, version)
        except NotFoundError:
            return None

    async def view(self, attempt_id: str, *, agent: str | None = None) -> dict[str, Any]:
        """The payload pushed to the agent's screen when the call is joined (for ``agent``'s
        current call, its context is kept: see :meth:`current`)."""
        context = await (
            self.current(agent, attempt_id) if agent is not None else self.context(attempt_id)
        )
        attempt, person = context.attempt, context.person
        today = self._clock().astimezone(self.zone).date()
        attempts = [
            {
                "when": local_time(a.placed_at or a.planned_for, self.zone),
                "outcome": OUTCOME_LABELS[a.outcome].capitalize() if a.outcome else "—",
                "agent": a.agent,
            }
            for a in await self._ledger.for_person(person.id)
            if a.id != attempt.id and a.placed_at is not None
        ]
        sheets = []
        current: dict[str, Any] = {"answers": {}, "note": "", "submitted": False}
        for sheet, answers in await self._sheets.for_person(person.id):
            if sheet.attempt_id == attempt.id:
                current = {
                    "answers": answers,
                    "note": sheet.note,
                    "submitted": sheet.submitted_at is not None,
                }
                continue
            questionnaire = self._questionnaire(sheet.questionnaire_id, sheet.questionnaire_version)
            sheets.append(
                {
                    "when": local_time(sheet.opened_at, self.zone),
                    "cycle_id": sheet.cycle_id,
                    "agent": sheet.agent,
                    "disposition": (
                        DISPOSITION_LABELS[sheet.disposition]
                        if sheet.disposition
                        else "Non validée"
                    ),
                    "risk_level": sheet.risk_level,
                    "score": sheet.score,
                    "note": sheet.note,
                    "questionnaire": f"{sheet.questionnaire_id} v{sheet.questionnaire_version}",
                    "answers": labelled_answers(questionnaire, answers),
                }
            )
        holders = []
        if attempt.kind is AttemptKind.INBOUND:  # a shared line: the agent chooses who it is
            holders = [
                {"id": p.id, "name": _name(p), "age": age_on(p.birth_date, today)}
                for p in await self._line.line_holders(
                    attempt.cycle_id, attempt.number, at=self._clock()
                )
            ]
        given = current["answers"]  # the server decides what the screen shows of them
        progress = progress_json(context.questionnaire, given, score(context.questionnaire, given))
        view: dict[str, Any] = {
            "attempt_id": attempt.id,
            "number": attempt.number,
            "number_display": phone_display(attempt.number),
            "cycle_id": attempt.cycle_id,
            "person": person_json(person, today),
            #: a call to the person's relative (not to the person): the screen says so
            "relative_call": attempt.kind is AttemptKind.RELATIVE,
            #: the person called the campaign's number: the screen says so
            "inbound_call": attempt.kind is AttemptKind.INBOUND,
            #: a household of the veille-sociale list in an emergency campaign, on its
            #: consent: the screen shows the « veille sociale » badge
            "veille_sociale": await self._consents.in_emergency_campaign(
                person.id, attempt.cycle_id, self._clock()
            ),
            #: the people of the register on the calling number, when several: the agent
            #: says who is on the phone (only what telling them apart needs)
            "line_holders": holders if len(holders) > 1 else [],
            "campaign": {"name": context.campaign.name},
            "questionnaire": questionnaire_json(context.questionnaire),
            "history": {"attempts": attempts, "sheets": list(reversed(sheets))},
            "sheet": current | progress,
        }
        if agent is not None and await self._volunteer_calls.is_volunteer(agent):
            return volunteer_view(view, await self.debriefs(person.id))
        return view

    async def debriefs(self, person_id: int) -> list[dict[str, Any]]:
        """The household's previous debriefs, as a volunteer's screen shows them."""
        return [
            {
                "when": local_time(d.written_at, self.zone),
                "volunteer": d.volunteer,
                "text": d.text,
                "flagged": d.flagged,
                "answer": d.answer,
                "answered_by": d.answered_by,
            }
            for d in await self._volunteer_calls.debriefs_of(person_id)
        ]
