"""The table of holds (migration 0019): what keeps a person out of every campaign's calls
(:mod:`dialer.core.holds`). A row is never deleted: lifting it fills ``lifted_*``, so the
history of who asked, when, why and who lifted it stays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, aliased, mapped_column

from dialer.core.holds import HoldKind, OnBehalfOf
from dialer.storage.models import Base, Person, stored_enum


class PersonHold(Base):
    __tablename__ = "person_holds"
    __table_args__ = (Index("ix_person_holds_person_id_lifted_at", "person_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[HoldKind] = mapped_column(stored_enum(HoldKind))
    #: who asked (oppositions only)
    on_behalf_of: Mapped[OnBehalfOf | None] = mapped_column(stored_enum(OnBehalfOf))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: an account name, « api:<token> », « cli », or the agent whose call found it
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    #: hospitalised holds end by themselves then
    until: Mapped[datetime | None]
    #: moved holds: the person's register fingerprint when the move was found
    fingerprint: Mapped[str | None] = mapped_column(String(32))
    #: the call (attempt) and cycle that found it, when one did
    attempt_id: Mapped[str | None] = mapped_column(String(36))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"PersonHold(person_id={self.person_id}, kind={self.kind.value})"


def held_at(person_id: InstrumentedAttribute[int], now: datetime) -> ColumnElement[bool]:
    """SQL: a hold keeps the person ``person_id`` out of calls at ``now``: the rule of
    :func:`dialer.core.holds.holds_person` (not lifted, not ended, and a move still matches
    the register's record of them)."""
    register = aliased(Person)
    current = select(register.fingerprint).where(register.id == PersonHold.person_id)
    return (
        select(PersonHold.id)
        .where(PersonHold.person_id == person_id)
        .where(PersonHold.lifted_at.is_(None))
        .where(or_(PersonHold.until.is_(None), PersonHold.until > now))
        .where(
            or_(
                PersonHold.kind != HoldKind.MOVED,
                PersonHold.fingerprint == current.scalar_subquery(),
            )
        )
        .exists()
    )
