"""The stored call sheets: what an agent records about one call (one sheet per attempt),
and the answers, saved one by one as they are given.

The tables are created by the migration ``0003``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.attempts import Disposition
from dialer.storage.models import Base, stored_enum


class CallSheet(Base):
    """What an agent records about one call: answers, note, disposition, score."""

    __tablename__ = "call_sheets"
    __table_args__ = (Index("ix_call_sheets_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    agent: Mapped[str] = mapped_column(String(100))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[Disposition | None] = mapped_column(stored_enum(Disposition))
    callback_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    risk_level: Mapped[str | None] = mapped_column(String(100))
    #: every visible required question answered: a contact utile
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"CallSheet(id={self.id}, attempt_id={self.attempt_id!r})"


class Answer(Base):
    """One answer, saved as soon as it is given. ``value`` is JSON: true/false, an int,
    a choice id, a list of choice ids, or null (asked, no answer)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("sheet_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("call_sheets.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    answered_at: Mapped[datetime]
