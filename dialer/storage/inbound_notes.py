"""Calls from a number on no register, in storage: the agent's search of the campaign's
register for the person the call is about (bounded: :mod:`dialer.core.inbound_search`), and
the agent's note about who called, kept with the call (table ``inbound_notes``, migration
``0031``) for the supervisors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.inbound_search import MAX_RESULTS, RegisterSearch
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.inbound_calls import out_of_calls
from dialer.storage.models import Base, Person, PhoneNumber
from dialer.storage.schedule import CycleMember


class InboundNote(Base):
    """What an agent noted about who called (one note per call coming in)."""

    __tablename__ = "inbound_notes"
    __table_args__ = (Index("ix_inbound_notes_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the call coming in (its channel's Uniqueid; no attempt when the number is unknown)
    attempt_id: Mapped[str] = mapped_column(String(36), unique=True)
    caller: Mapped[str] = mapped_column(String(40))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    agent: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text)
    #: the person of the register the call was then attached to, if any
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class NoteWritten:
    attempt_id: str
    caller: str
    cycle_id: int | None
    agent: str
    note: str
    person_id: int | None
    created_at: datetime
    updated_at: datetime


def _written(row: InboundNote) -> NoteWritten:
    return NoteWritten(
        row.attempt_id,
        row.caller,
        row.cycle_id,
        row.agent,
        row.note,
        row.person_id,
        row.created_at,
        row.updated_at,
    )


class InboundNotes:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def search(self, cycle_id: int, search: RegisterSearch, *, at: datetime) -> list[Person]:
        """The cycle's members matching every part of ``search`` who may be called at
        ``at`` (no hold, consent, on the register: :func:`out_of_calls`), at most
        :data:`MAX_RESULTS`, by name."""
        statement = (
            select(Person)
            .join(CycleMember, CycleMember.person_id == Person.id)
            .where(CycleMember.cycle_id == cycle_id)
            .where(~out_of_calls(cycle_id, Person.id, at))
        )
        if search.name is not None:
            words = [w for w in search.name.replace("-", " ").split() if w]
            for word in words:
                pattern = f"%{_escaped(word)}%"
                statement = statement.where(
                    or_(
                        Person.last_name.ilike(pattern, escape="\\"),
                        Person.first_name.ilike(pattern, escape="\\"),
                    )
                )
        if search.postcode is not None:
            statement = statement.where(Person.postcode == search.postcode)
        if search.number_end is not None:
            holders = select(PhoneNumber.person_id).where(
                PhoneNumber.e164.like(f"%{search.number_end}")
            )
            statement = statement.where(Person.id.in_(holders))
        statement = statement.order_by(Person.last_name, Person.first_name, Person.id).limit(
            MAX_RESULTS
        )
        async with transaction(self._sessions) as session:
            return list((await session.scalars(statement)).unique())

    async def write(
        self,
        attempt_id: str,
        *,
        caller: str,
        cycle_id: int | None,
        agent: str,
        note: str,
        at: datetime,
    ) -> NoteWritten:
        """Keep (or replace) the note about who called on ``attempt_id``."""
        async with transaction(self._sessions) as session:
            row = await session.scalar(
                select(InboundNote).where(InboundNote.attempt_id == attempt_id).with_for_update()
            )
            if row is None:
                row = InboundNote(
                    attempt_id=attempt_id,
                    caller=caller[:40],
                    cycle_id=cycle_id,
                    agent=agent,
                    note=note,
                    created_at=at,
                    updated_at=at,
                )
                session.add(row)
            else:
                row.note, row.agent, row.updated_at = note, agent, at
            return _written(row)

    async def attached(self, attempt_id: str, person_id: int) -> None:
        """The call the note is about was attached to ``person_id``."""
        async with transaction(self._sessions) as session:
            row = await session.scalar(
                select(InboundNote).where(InboundNote.attempt_id == attempt_id)
            )
            if row is not None:
                row.person_id = person_id

    async def recent(self, limit: int = 100) -> list[NoteWritten]:
        """The latest notes, newest first."""
        async with transaction(self._sessions) as session:
            rows = await session.scalars(
                select(InboundNote).order_by(InboundNote.created_at.desc()).limit(limit)
            )
            return [_written(row) for row in rows]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
