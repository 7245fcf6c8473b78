"""The stored field visit requests (issue #22): a person the phone did not reach, for the
field team of their district. Each is delivered as an :class:`~dialer.storage.alert_rows.
Alert` without a call sheet (inbox, e-mail, webhook, escalation until acknowledged); the
team records what it found here. The table is created by the migration ``0016``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.relatives import VisitOutcome, VisitReason
from dialer.storage.alert_rows import Alert
from dialer.storage.models import Base, stored_enum


class VisitRequest(Base):
    """One person to visit, for one team (``team_id`` NULL: no team covers them)."""

    __tablename__ = "visit_requests"
    __table_args__ = (UniqueConstraint("cycle_id", "person_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey(Alert.id), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    reason: Mapped[VisitReason] = mapped_column(stored_enum(VisitReason, 20))
    requested_at: Mapped[datetime]
    outcome: Mapped[VisitOutcome | None] = mapped_column(stored_enum(VisitOutcome, 20))
    outcome_by: Mapped[str | None] = mapped_column(String(100))
    outcome_at: Mapped[datetime | None]
    outcome_note: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"VisitRequest(id={self.id}, person_id={self.person_id})"
