"""One person at a time on the register (the city's online sign-up form): put (add,
update, or bring back someone withdrawn) and withdraw. Each change writes its audit entry
in the same transaction (:func:`dialer.storage.audit.append_entry`): who, when, which
fields (never their values); a request that changes nothing writes nothing.

A person is written as an import writes them (:func:`dialer.storage.people.write_encoded`:
same columns, fingerprint and numbers), and withdrawn as an import takes them off the
register (``removed_at``: nothing deleted, their attempts and results stay). Like an
import's, these changes reach the calls at the next cycle: a cycle enrols the register as
it stands when it opens (:func:`dialer.storage.schedule.open_cycle_with_register`).

Two requests for the same new id at once give one person: the database's unique
``external_id`` refuses the second insert (on PostgreSQL; SQLite runs one writing
transaction at a time), which then updates the person the first one added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.errors import InputError, NotFoundError, StorageError
from dialer.storage.audit import append_entry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.list_rows import (
    DEFAULT_LIST,
    ListMembership,
    join_list,
    known_list_id,
    leave_list,
    list_id,
)
from dialer.storage.models import Person, PhoneNumber
from dialer.storage.people import PersonRecord, PhoneRecord, encode_batch, write_encoded
from dialer.storage.person_data import Actor, flag_shared

#: the fields of a person a put may change, as the audit entry names them
COMPARED = (
    "last_name",
    "first_name",
    "birth_date",
    "address",
    "postcode",
    "city",
    "district",
    "disabled",
    "medical_flag",
    "register_flags",
    "contact_name",
    "contact_phone",
    "phones",
)


class EntryChange(StrEnum):
    """What a put did."""

    CREATED = "created"
    UPDATED = "updated"
    #: a withdrawn person back on the register (with their fields as given)
    RESTORED = "restored"
    UNCHANGED = "unchanged"


#: the audit log's action for each change (none for ``UNCHANGED``)
AUDIT_ACTIONS = {
    EntryChange.CREATED: "person.add",
    EntryChange.UPDATED: "person.update",
    EntryChange.RESTORED: "person.restore",
}
WITHDRAW_ACTION = "person.withdraw"


@dataclass(frozen=True)
class PutOutcome:
    """The person's number, what the put did, and which fields it changed."""

    person_id: int
    change: EntryChange
    fields: list[str]


@dataclass(frozen=True)
class Withdrawal:
    """When the person left the register; ``changed``: by this request (False: they had
    been withdrawn before, by an earlier request or an import)."""

    person_id: int
    withdrawn_at: datetime
    changed: bool


class RegisterEntries:
    """People put on and withdrawn from the register one at a time. Each method is one
    committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def put(
        self,
        record: PersonRecord,
        *,
        actor: Actor,
        now: datetime,
        list_name: str = DEFAULT_LIST,
    ) -> PutOutcome:
        """Add the person of ``record.external_id``, or make them exactly ``record`` (every
        field: what it does not give is cleared), back on the register, on the list
        ``list_name`` (« lists » among the fields when only that changed)."""
        async with transaction(self._sessions) as session:
            person = await _locked(session, record.external_id)
            if person is None:
                added = await _add(session, record, now=now, list_name=list_name)
                if added is not None:
                    given = [name for name in COMPARED if getattr(record, name)]
                    outcome = PutOutcome(added, EntryChange.CREATED, given)
                    await _audit(session, outcome, actor=actor, now=now)
                    return outcome
                person = await _locked(session, record.external_id)  # another request's
                if person is None:
                    raise StorageError(f"person {record.external_id!r}: refused, yet absent")
            stored = await _record_of(session, person)
            fields = [name for name in COMPARED if getattr(stored, name) != getattr(record, name)]
            connection = await session.connection()
            listed = await list_id(connection, list_name, now=now)
            if person.removed_at is None and not fields:
                if await _on(session, person.id, listed):
                    return PutOutcome(person.id, EntryChange.UNCHANGED, [])
                await join_list(connection, [person.id], listed, now=now)
                outcome = PutOutcome(person.id, EntryChange.UPDATED, ["lists"])
                await _audit(session, outcome, actor=actor, now=now)
                return outcome
            change = EntryChange.UPDATED if person.removed_at is None else EntryChange.RESTORED
            await _write(session, record, added=False, now=now, list_name=list_name)
            await flag_shared(session, {p.e164 for p in (*stored.phones, *record.phones)})
            outcome = PutOutcome(person.id, change, fields)
            await _audit(session, outcome, actor=actor, now=now)
            return outcome

    async def withdraw(
        self, external_id: str, *, actor: Actor, now: datetime, list_name: str = DEFAULT_LIST
    ) -> Withdrawal:
        """Take the person off the list ``list_name``, and off the register when they are
        on no other list (history kept). :class:`NotFoundError` for an id the register
        never had; :class:`InputError` for a list that does not exist; a person withdrawn
        already (or not on the list) stays as they were."""
        async with transaction(self._sessions) as session:
            person = await _locked(session, external_id)
            if person is None:
                raise NotFoundError(f"personne « {external_id} » inconnue du registre")
            connection = await session.connection()
            listed = await known_list_id(connection, list_name)
            if listed is None:
                raise InputError(f"list : liste inconnue « {list_name} »")
            if person.removed_at is not None:
                return Withdrawal(person.id, person.removed_at, changed=False)
            if not await _on(session, person.id, listed):
                return Withdrawal(person.id, now, changed=False)
            await leave_list(connection, [external_id], listed, now=now)
            await session.refresh(person)
            numbers = await session.scalars(
                select(PhoneNumber.e164).where(PhoneNumber.person_id == person.id)
            )
            await flag_shared(session, set(numbers))
            await append_entry(
                session,
                actor=actor.name,
                action=WITHDRAW_ACTION,
                target=f"person:{person.id}",
                at=now,
                person_id=person.id,
                route=actor.route,
            )
            return Withdrawal(person.id, now, changed=True)


async def _locked(session: AsyncSession, external_id: str) -> Person | None:
    """The person of ``external_id``, their row locked until the transaction ends."""
    return await session.scalar(
        select(Person)
        .where(Person.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _on(session: AsyncSession, person_id: int, listed: int) -> bool:
    """The person is on the list ``listed`` now."""
    found = await session.scalar(
        select(ListMembership.id)
        .where(ListMembership.person_id == person_id)
        .where(ListMembership.list_id == listed)
        .where(ListMembership.removed_at.is_(None))
    )
    return found is not None


async def _add(
    session: AsyncSession, record: PersonRecord, *, now: datetime, list_name: str
) -> int | None:
    """Insert the person (in a savepoint) and flag their shared numbers; their number, or
    None when another transaction added the same id first (the unique ``external_id``
    refused this insert, which is undone)."""
    try:
        async with session.begin_nested():
            await _write(session, record, added=True, now=now, list_name=list_name)
    except IntegrityError:
        return None
    await flag_shared(session, {phone.e164 for phone in record.phones})
    return await session.scalar(select(Person.id).where(Person.external_id == record.external_id))


async def _write(
    session: AsyncSession, record: PersonRecord, *, added: bool, now: datetime, list_name: str
) -> None:
    connection = await session.connection()
    dialect = connection.dialect.name
    batch = encode_batch(
        dialect,
        [record] if added else [],
        [] if added else [record],
        now=now,
        list_name=list_name,
    )
    await write_encoded(connection, batch)


async def _record_of(session: AsyncSession, person: Person) -> PersonRecord:
    """The stored person as the register would give them."""
    phones = await session.execute(
        select(PhoneNumber.e164, PhoneNumber.kind)
        .where(PhoneNumber.person_id == person.id)
        .order_by(PhoneNumber.position)
    )
    return PersonRecord(
        external_id=person.external_id,
        last_name=person.last_name,
        first_name=person.first_name,
        birth_date=person.birth_date,
        address=person.address,
        postcode=person.postcode,
        city=person.city,
        district=person.district,
        disabled=person.disabled,
        medical_flag=person.medical_flag,
        register_flags=dict(person.register_flags or {}),
        contact_name=person.contact_name,
        contact_phone=person.contact_phone,
        phones=[PhoneRecord(e164, kind) for e164, kind in phones],
    )


async def _audit(
    session: AsyncSession, outcome: PutOutcome, *, actor: Actor, now: datetime
) -> None:
    await append_entry(
        session,
        actor=actor.name,
        action=AUDIT_ACTIONS[outcome.change],
        target=f"person:{outcome.person_id}",
        at=now,
        person_id=outcome.person_id,
        route=actor.route,
        details={"fields": outcome.fields},
    )
