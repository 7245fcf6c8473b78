"""The stored alerts: an alert for one team, and its outbox (each delivery written before
it is sent, retried until it is).

The tables are created by the migration ``0003`` (never-reached lists: ``0014``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base, stored_enum
from dialer.storage.never_reached_rows import NeverReachedList


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryReason(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    NEVER_REACHED = "never_reached"  # a cycle's never-reached list


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"


class Alert(Base):
    """A triggered alert for one team (``team_id`` NULL: no team, not even a default one,
    covers it; supervisors see it). ``key`` identifies the triggered rule within the sheet,
    so the same alert is never raised twice for one call."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("sheet_id", "key", "team_id"),
        Index("ix_alerts_team_id_state", "team_id", "state"),
        Index("ix_alerts_state_next_escalation_at", "state", "next_escalation_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: None: a field visit request (no call sheet; ``visit_rows``; migration 0016)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("call_sheets.id"))
    key: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    need: Mapped[str] = mapped_column(String(30))
    priority: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
    #: the answers that triggered it: [{question_id, question_text, answer_label, weight}]
    because: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    risk_level: Mapped[str | None] = mapped_column(String(100))
    agent_instructions: Mapped[str | None] = mapped_column(Text)
    routed_to_default: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime]
    state: Mapped[AlertState] = mapped_column(stored_enum(AlertState))
    #: 0: the team; n: the team's n-th escalation contact
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None]
    next_escalation_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_note: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"Alert(id={self.id}, priority={self.priority}, state={self.state.value})"


class AlertDelivery(Base):
    """The outbox: one message to send on one channel, written in the same transaction as
    its alert (or escalation), or as a cycle's never-reached list (``never_reached_list_id``
    and ``team_id`` set, ``alert_id`` NULL; migration 0014), retried with back-off until it
    is sent."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_state_next_try_at", "state", "next_try_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    never_reached_list_id: Mapped[int | None] = mapped_column(ForeignKey(NeverReachedList.id))
    #: the team a never-reached list is sent to (an alert's team is the alert's)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    channel: Mapped[DeliveryChannel] = mapped_column(stored_enum(DeliveryChannel))
    target: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[DeliveryReason] = mapped_column(stored_enum(DeliveryReason))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[DeliveryState] = mapped_column(stored_enum(DeliveryState))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
