"""The named lists of people (migration 0023): the heatwave register, a district's flood
list, the consenting isolated households… and who is on each, since when. A membership is
never deleted: leaving a list fills ``removed_at``, so the history stays. A person is on
the register while they are on at least one list (``persons.removed_at`` is set when they
leave the last one)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from dialer.errors import ConflictError
from dialer.storage.models import Base, Person

#: the list every import and every person written without a list name goes to (the
#: register as it was before there were lists)
DEFAULT_LIST = "registre"


class PersonList(Base):
    __tablename__ = "person_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"PersonList(id={self.id}, name={self.name!r})"


class ListMembership(Base):
    __tablename__ = "list_memberships"
    __table_args__ = (
        Index("ix_list_memberships_list_id_removed_at", "list_id", "removed_at"),
        Index("ix_list_memberships_person_id_removed_at", "person_id", "removed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    list_id: Mapped[int] = mapped_column(ForeignKey("person_lists.id"))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ListMembership(person_id={self.person_id}, list_id={self.list_id})"


def on_list(person_id: InstrumentedAttribute[int], list_ids: Iterable[int]) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` is on one of ``list_ids`` now."""
    return (
        select(ListMembership.id)
        .where(ListMembership.person_id == person_id)
        .where(ListMembership.list_id.in_(list(list_ids)))
        .where(ListMembership.removed_at.is_(None))
        .exists()
    )


def on_no_list(person_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` is on no list any more."""
    return ~(
        select(ListMembership.id)
        .where(ListMembership.person_id == person_id)
        .where(ListMembership.removed_at.is_(None))
        .exists()
    )


async def list_id(connection: AsyncConnection, name: str, *, now: datetime) -> int:
    """The id of the list ``name``, created if there is none yet (on the caller's
    connection, inside its transaction). Insert-or-get: two imports creating the same new
    list at once both get its one id (the second waits for the first's insert, then its
    ``ON CONFLICT DO NOTHING`` leaves it be and it reads the row), never a unique-name
    violation."""
    found = await connection.scalar(select(PersonList.id).where(PersonList.name == name))
    if found is not None:
        return int(found)
    values = {"name": name, "created_at": now}
    if connection.dialect.name == "postgresql":
        await connection.execute(
            pg_insert(PersonList).values(values).on_conflict_do_nothing(index_elements=["name"])
        )
    else:  # SQLite: one writer at a time
        await connection.execute(sqlite_insert(PersonList).values(values).on_conflict_do_nothing())
    created = await connection.scalar(select(PersonList.id).where(PersonList.name == name))
    if created is None:  # pragma: no cover - inserted or already there
        raise ConflictError(f"liste « {name} » : création impossible")
    return int(created)


async def known_list_id(connection: AsyncConnection, name: str) -> int | None:
    found = await connection.scalar(select(PersonList.id).where(PersonList.name == name))
    return None if found is None else int(found)


async def join_list(
    connection: AsyncConnection, person_ids: Iterable[int], list_id: int, *, now: datetime
) -> None:
    """Put these people on the list (those on it already stay as they are)."""
    wanted = list(person_ids)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        already = set(
            await connection.scalars(
                select(ListMembership.person_id)
                .where(ListMembership.list_id == list_id)
                .where(ListMembership.removed_at.is_(None))
                .where(ListMembership.person_id.in_(chunk))
            )
        )
        rows = [
            {"person_id": person, "list_id": list_id, "added_at": now}
            for person in dict.fromkeys(chunk)
            if person not in already
        ]
        if rows:
            await connection.execute(insert(ListMembership), rows)


async def leave_list(
    connection: AsyncConnection, external_ids: Iterable[str], list_id: int, *, now: datetime
) -> int:
    """Take these people off the list, and off the register those left on no list; how
    many left the list."""
    done = 0
    keys = list(external_ids)
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        people = select(Person.id).where(Person.external_id.in_(chunk)).scalar_subquery()
        left = await connection.execute(
            update(ListMembership)
            .where(ListMembership.list_id == list_id)
            .where(ListMembership.removed_at.is_(None))
            .where(ListMembership.person_id.in_(people))
            .values(removed_at=now)
        )
        done += left.rowcount
        await connection.execute(
            update(Person)
            .where(Person.external_id.in_(chunk))
            .where(Person.removed_at.is_(None))
            .where(on_no_list(Person.id))
            .values(removed_at=now, updated_at=now)
        )
    return done


async def list_counts(connection: AsyncConnection) -> list[tuple[str, int]]:
    """Every list's name and how many people are on it now, by name."""
    on_it = (
        select(ListMembership.list_id, func.count().label("people"))
        .join(Person, Person.id == ListMembership.person_id)
        .where(ListMembership.removed_at.is_(None))
        .where(Person.removed_at.is_(None))
        .group_by(ListMembership.list_id)
        .subquery()
    )
    rows = await connection.execute(
        select(PersonList.name, func.coalesce(on_it.c.people, 0))
        .outerjoin(on_it, on_it.c.list_id == PersonList.id)
        .order_by(PersonList.name)
    )
    return [(str(name), int(count)) for name, count in rows]
