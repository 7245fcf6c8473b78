"""Orientations of households to the directory's resources, and the follow-up calls
callers schedule (migration 0029; :mod:`dialer.core.orientations`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.orientations import OrientationMode
from dialer.storage.models import Base, stored_enum


class OrientationRow(Base):
    """One orientation recorded on a call: to which resource, for which need, how."""

    __tablename__ = "orientations"
    __table_args__ = (Index("ix_orientations_cycle_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    #: the kind of need it answers (a :class:`~dialer.core.resources.NeedKind` value)
    need: Mapped[str] = mapped_column(String(30))
    mode: Mapped[OrientationMode] = mapped_column(stored_enum(OrientationMode, 20))
    appointment_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    caller: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class FollowUpRow(Base):
    """A follow-up call scheduled for the household: its owned call-back
    (``callbacks``) is what offers the household to the caller again."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_cycle_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"))
    due_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    caller: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
