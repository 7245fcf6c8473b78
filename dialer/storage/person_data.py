"""Everything held about one person, for their rights: the access export, the correction
of their register data, and the erasure. Each action writes its audit entry in the same
transaction as the change (:func:`dialer.storage.audit.append_entry`).

Erasure keeps what the law and the accounts require, without anything that identifies
the person (see ``docs/security.md``): the person's row (its id, which the ledger and the
bills refer to) with every identifying field emptied; the ledger's attempts (times,
outcome, agent; their number emptied); the call sheets' disposition, completeness, score
and risk level (the bills count useful contacts; the reports count results); the cycle
results (their note emptied); the alerts' existence, timing and acknowledgement (their
texts and triggering answers emptied); the consents to the volunteer calls (the proof
they were given and withdrawn; the relative's name who agreed for them emptied); and the
audit entries about the person, the erasure's own included. Deleted: the phone numbers,
the answers, the callbacks, the orientations and follow-ups, the volunteers' debriefs,
the help requests on their calls (with the coordinators' answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.errors import ConflictError, NotFoundError
from dialer.storage.alert_rows import Alert
from dialer.storage.audit import AuditEntry, append_entry
from dialer.storage.call_help import HelpRequest
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import Debrief, HouseholdAssignment
from dialer.storage.inbound_notes import InboundNote
from dialer.storage.models import Attempt, Callback, CycleResultRow, Person, PhoneNumber
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.people import PhoneRecord
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.storage.visit_rows import VisitRequest

EXPORT_FORMAT = "dialer-export-personne/1"
ERASED_TEXT = "[effacé]"
#: an erased person's register id becomes ``efface:<their number>`` (unique; it tells an
#: erased person apart)
ERASED_PREFIX = "efface:"


@dataclass(frozen=True)
class PersonCorrection:
    """A correction checked by :func:`dialer.register.correction.check_correction`:
    ``texts`` (None clears a field), ``birth_date`` and ``contact_phone`` when given
    (``cleared`` names those set to nothing), ``phones`` when the numbers are replaced."""

    texts: dict[str, str | None]
    birth_date: date | None
    contact_phone: str | None
    cleared: frozenset[str]
    phones: list[PhoneRecord] | None

    def changed_fields(self) -> list[str]:
        names = list(self.texts)
        if self.birth_date is not None or "birth_date" in self.cleared:
            names.append("birth_date")
        if self.contact_phone is not None or "contact_phone" in self.cleared:
            names.append("contact_phone")
        if self.phones is not None:
            names.append("phones")
        return names


@dataclass(frozen=True)
class Actor:
    """Who asks, and from where (for the audit entry)."""

    name: str
    route: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(row: Any) -> dict[str, Any]:
    """A stored row as JSON values, every column by its attribute name."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in orm_inspect(row).mapper.column_attrs
    }


class PersonData:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def find(self, text: str, *, limit: int = 50) -> list[Person]:
        """People whose number, register id or last name (start, any case) is ``text``."""
        text = text.strip()
        if not text:
            return []
        condition = Person.external_id == text
        condition = condition | func.lower(Person.last_name).startswith(text.lower()[:200])
        if text.isdigit() and len(text) <= 18:
            condition = condition | (Person.id == int(text))
        statement = select(Person).where(condition).order_by(Person.last_name, Person.id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement.limit(limit)))

    async def export(
        self, person_id: int, *, actor: Actor, now: datetime, action: str = "person.export"
    ) -> dict[str, Any]:
        """Everything held about the person, as JSON values (their access right);
        ``action`` is ``read.person`` when a page only shows it."""
        async with transaction(self._sessions) as session:
            person = await _person(session, person_id)

            async def rows(model: Any, *order: Any) -> list[dict[str, Any]]:
                found = await session.scalars(
                    select(model).where(model.person_id == person_id).order_by(*order)
                )
                return [_row(row) for row in found]

            sheets = await rows(CallSheet, CallSheet.id)
            answers = await session.scalars(
                select(Answer)
                .join(CallSheet, CallSheet.id == Answer.sheet_id)
                .where(CallSheet.person_id == person_id)
                .order_by(Answer.id)
            )
            by_sheet: dict[int, list[dict[str, Any]]] = {}
            for answer in answers:
                by_sheet.setdefault(answer.sheet_id, []).append(_row(answer))
            for sheet in sheets:
                sheet["answers"] = by_sheet.get(sheet["id"], [])
            document = {
                "format": EXPORT_FORMAT,
                "exported_at": now.isoformat(),
                "person": _row(person),
                "phones": await rows(PhoneNumber, PhoneNumber.position),
                "cycles": await rows(CycleMember, CycleMember.cycle_id),
                "attempts": await rows(Attempt, Attempt.planned_for, Attempt.id),
                "call_sheets": sheets,
                "cycle_results": await rows(CycleResultRow, CycleResultRow.cycle_id),
                "alerts": await rows(Alert, Alert.id),
                "visit_requests": await rows(VisitRequest, VisitRequest.id),
                "callbacks": await rows(Callback, Callback.id),
                "orientations": await rows(OrientationRow, OrientationRow.id),
                "follow_ups": await rows(FollowUpRow, FollowUpRow.id),
                "volunteer_debriefs": await rows(Debrief, Debrief.id),
                "household_assignments": await rows(HouseholdAssignment, HouseholdAssignment.id),
                "inbound_notes": await rows(InboundNote, InboundNote.id),
                "help_requests": await rows(HelpRequest, HelpRequest.id),
                "consents": await rows(ConsentRow, ConsentRow.id),
                "audit": await rows(AuditEntry, AuditEntry.id),
            }
            await append_entry(
                session,
                actor=actor.name,
                action=action,
                target=f"person:{person_id}",
                at=now,
                person_id=person_id,
                route=actor.route,
            )
        return document

    async def correct(
        self, person_id: int, correction: PersonCorrection, *, actor: Actor, now: datetime
    ) -> Person:
        """Sets the corrected fields (and replaces the numbers when given); the audit entry
        names the fields, never their old or new values."""
        async with transaction(self._sessions) as session:
            person = await _person(session, person_id)
            if _erased(person):
                raise ConflictError(f"personne {person_id} : effacée, plus rien à corriger")
            for name, value in correction.texts.items():
                setattr(person, name, value if name != "first_name" else (value or ""))
            if correction.birth_date is not None or "birth_date" in correction.cleared:
                person.birth_date = correction.birth_date
            if correction.contact_phone is not None or "contact_phone" in correction.cleared:
                person.contact_phone = correction.contact_phone
            person.updated_at = now
            if correction.phones is not None:
                await _replace_phones(session, person_id, correction.phones)
            await append_entry(
                session,
                actor=actor.name,
                action="person.correct",
                target=f"person:{person_id}",
                at=now,
                person_id=person_id,
                route=actor.route,
                details={"fields": correction.changed_fields()},
            )
        return person

    async def erase(self, person_id: int, *, actor: Actor, now: datetime) -> dict[str, int]:
        """Erases what identifies the person (see the module's docstring for what stays);
        refused while they are on a call or in its wrap-up. Returns what was done, by
        kind of data."""
        async with transaction(self._sessions) as session:
            person = await _person(session, person_id)
            if _erased(person):
                raise ConflictError(f"personne {person_id} : déjà effacée")
            busy = await session.scalar(
                select(func.count(CycleMember.id)).where(
                    CycleMember.person_id == person_id,
                    CycleMember.status.in_((MemberStatus.IN_CALL, MemberStatus.WRAP_UP)),
                )
            )
            if busy:
                raise ConflictError(
                    f"personne {person_id} : un appel est en cours, effacez-la après l'appel"
                )
            done = await _erase_rows(session, person_id)
            _anonymise(person, now)
            await append_entry(
                session,
                actor=actor.name,
                action="person.erase",
                target=f"person:{person_id}",
                at=now,
                person_id=person_id,
                route=actor.route,
                details=done,
            )
        return done


async def _person(session: AsyncSession, person_id: int) -> Person:
    if not 0 < person_id < 2**63:
        raise NotFoundError(f"personne {str(person_id)[:20]} inconnue")
    person = await session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise NotFoundError(f"personne {person_id} inconnue")
    return person


async def _replace_phones(session: AsyncSession, person_id: int, phones: list[PhoneRecord]) -> None:
    old = set(
        await session.scalars(select(PhoneNumber.e164).where(PhoneNumber.person_id == person_id))
    )
    await session.execute(delete(PhoneNumber).where(PhoneNumber.person_id == person_id))
    for position, phone in enumerate(phones):
        session.add(
            PhoneNumber(person_id=person_id, position=position, e164=phone.e164, kind=phone.kind)
        )
    await session.flush()
    await flag_shared(session, old | {phone.e164 for phone in phones})


async def flag_shared(session: AsyncSession, numbers: set[str]) -> None:
    """``shared_with_other_person`` again for these numbers (as an import sets it)."""
    if not numbers:
        return
    other = PhoneNumber.__table__.alias("other")
    shared = exists(
        select(other.c.id)
        .join(Person, Person.id == other.c.person_id)
        .where(
            other.c.e164 == PhoneNumber.e164,
            other.c.person_id != PhoneNumber.person_id,
            Person.removed_at.is_(None),
        )
    )
    await session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.e164.in_(numbers))
        .values(shared_with_other_person=shared)
        .execution_options(synchronize_session=False)
    )


async def _erase_rows(session: AsyncSession, person_id: int) -> dict[str, int]:
    def count(result: Any) -> int:
        return int(getattr(result, "rowcount", 0) or 0)

    numbers = set(
        await session.scalars(select(PhoneNumber.e164).where(PhoneNumber.person_id == person_id))
    )
    sheets = select(CallSheet.id).where(CallSheet.person_id == person_id).scalar_subquery()
    done = {
        "phones": count(
            await session.execute(delete(PhoneNumber).where(PhoneNumber.person_id == person_id))
        ),
        "answers": count(await session.execute(delete(Answer).where(Answer.sheet_id.in_(sheets)))),
        "orientations": count(
            await session.execute(
                delete(OrientationRow).where(OrientationRow.person_id == person_id)
            )
        ),
        "follow_ups": count(
            await session.execute(delete(FollowUpRow).where(FollowUpRow.person_id == person_id))
        ),
        "volunteer_debriefs": count(
            await session.execute(delete(Debrief).where(Debrief.person_id == person_id))
        ),
        "household_assignments": count(
            await session.execute(
                delete(HouseholdAssignment).where(HouseholdAssignment.person_id == person_id)
            )
        ),
        "inbound_notes": count(
            await session.execute(delete(InboundNote).where(InboundNote.person_id == person_id))
        ),
        "callbacks": count(
            await session.execute(delete(Callback).where(Callback.person_id == person_id))
        ),
        "help_requests": count(
            await session.execute(delete(HelpRequest).where(HelpRequest.person_id == person_id))
        ),
        "consents_anonymised": count(
            await session.execute(
                update(ConsentRow)
                .where(ConsentRow.person_id == person_id)
                .where(ConsentRow.relative_name.is_not(None))
                .values(relative_name=None)
            )
        ),
        "attempts_anonymised": count(
            await session.execute(
                update(Attempt).where(Attempt.person_id == person_id).values(number="")
            )
        ),
        "call_sheets_anonymised": count(
            await session.execute(
                update(CallSheet).where(CallSheet.person_id == person_id).values(note="")
            )
        ),
        "cycle_results_anonymised": count(
            await session.execute(
                update(CycleResultRow).where(CycleResultRow.person_id == person_id).values(note="")
            )
        ),
        "visit_notes_erased": count(
            await session.execute(
                update(VisitRequest)
                .where(VisitRequest.person_id == person_id)
                .values(outcome_note="")
            )
        ),
        "alerts_anonymised": count(
            await session.execute(
                update(Alert)
                .where(Alert.person_id == person_id)
                .values(
                    message=ERASED_TEXT,
                    because=[],
                    agent_instructions=None,
                    acknowledgement_note="",
                )
            )
        ),
        "cycles_closed": count(
            await session.execute(
                update(CycleMember)
                .where(
                    CycleMember.person_id == person_id,
                    CycleMember.status == MemberStatus.WAITING,
                )
                .values(status=MemberStatus.DONE, next_due_at=None, next_number=None)
            )
        ),
    }
    await flag_shared(session, numbers)
    return done


def _erased(person: Person) -> bool:
    return person.external_id == f"{ERASED_PREFIX}{person.id}"


def _anonymise(person: Person, now: datetime) -> None:
    person.external_id = f"{ERASED_PREFIX}{person.id}"
    person.last_name = ERASED_TEXT
    person.first_name = ""
    person.birth_date = None
    person.address = None
    person.postcode = None
    person.city = None
    person.district = None
    person.disabled = False
    person.medical_flag = False
    person.register_flags = {}
    person.contact_name = None
    person.contact_phone = None
    person.fingerprint = ""
    person.removed_at = person.removed_at or now
    person.updated_at = now
