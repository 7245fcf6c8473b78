"""The stored never-reached lists: one per closed cycle (its publication), one entry per
person and team it was routed to, each entry a snapshot (the reason and the trace of every
attempt) so that what a team was sent never changes afterwards.

Their e-mail and webhook messages go through the alert outbox
(:class:`~dialer.storage.alert_rows.AlertDelivery` with ``never_reached_list_id``).
The tables are created by the migration ``0014``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.storage.models import Base, stored_enum


class NeverReachedList(Base):
    """A closed cycle's never-reached list (``people`` may be 0: published, nobody on it).
    One per cycle: its row is what says the cycle's list was published."""

    __tablename__ = "never_reached_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), unique=True)
    published_at: Mapped[datetime]
    people: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"NeverReachedList(id={self.id}, cycle_id={self.cycle_id}, people={self.people})"


class NeverReachedEntry(Base):
    """One person of a list, for one team (``team_id`` NULL: no team covers their district
    and there is no default team; supervisors see it)."""

    __tablename__ = "never_reached_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "person_id", "team_id"),
        Index("ix_never_reached_entries_team_id_list_id", "team_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("never_reached_lists.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    result: Mapped[CycleResult] = mapped_column(stored_enum(CycleResult))
    #: None: no valid number (a wrong number)
    reason: Mapped[NeverReachedReason | None] = mapped_column(stored_enum(NeverReachedReason, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: every attempt of the cycle, oldest first: [{at, number, outcome}]
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"NeverReachedEntry(list_id={self.list_id}, person_id={self.person_id})"
