"""The stored entities of the web service and of alert delivery.

Same :class:`~dialer.storage.models.Base` (and so the same metadata and naming convention)
as :mod:`dialer.storage.models`; the tables are created by the migration ``0003``.

- :class:`Team`, :class:`TeamContact`: intervention teams, their scope (districts, kinds of
  need), their channels (in-app inbox always, e-mail and webhook when set) and their ordered
  escalation list.
- :class:`Account`, :class:`WebSession`: people who log in, and their server-side sessions
  (only a keyed digest of the session token is stored).
- :class:`CallSheet`, :class:`Answer`: what an agent records about one call (one sheet per
  attempt), answers saved one by one as they are given.
- :class:`Alert`, :class:`AlertDelivery`: an alert for one team, and its outbox (each
  delivery written before it is sent, retried until it is).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    OPERATIONS = "operations"
    TEAM_MEMBER = "team_member"
    ADMINISTRATOR = "administrator"


class Disposition(StrEnum):
    """How an agent closes a call sheet."""

    COMPLETE = "complete"  # questionnaire complet: a contact utile
    INTERRUPTED = "interrupted"
    REFUSED = "refused"
    CALLBACK = "callback"
    ABSENT = "absent"
    WRONG_NUMBER = "wrong_number"
    HOSPITALISED = "hospitalised"
    MOVED = "moved"
    DECEASED = "deceased"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryReason(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"


def _enum(cls: type[StrEnum], length: int = 16) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Team(Base):
    """An intervention team. An empty ``districts`` (or ``needs``) list covers them all."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    #: HMAC key of the webhook's ``X-Dialer-Signature`` (never shown, never logged)
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    #: receives the alerts no other team's scope matches
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Team(id={self.id}, name={self.name!r})"


class TeamContact(Base):
    """One step of a team's escalation list (position 1 is the first contact)."""

    __tablename__ = "team_contacts"
    __table_args__ = (UniqueConstraint("team_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))

    def __repr__(self) -> str:
        return f"TeamContact(team_id={self.team_id}, position={self.position})"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: also the agent's id for the dialing engine
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, 20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    #: the agent's PJSIP endpoint
    sip_endpoint: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Account(id={self.id}, username={self.username!r}, role={self.role.value})"


class WebSession(Base):
    """A logged-in browser. ``token_digest`` is an HMAC of the cookie's token."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_account_id", "account_id"),)

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


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
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition))
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
    sheet_id: Mapped[int] = mapped_column(ForeignKey("call_sheets.id"))
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
    state: Mapped[AlertState] = mapped_column(_enum(AlertState))
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
    its alert (or escalation), retried with back-off until it is sent."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_state_next_try_at", "state", "next_try_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    channel: Mapped[DeliveryChannel] = mapped_column(_enum(DeliveryChannel))
    target: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[DeliveryReason] = mapped_column(_enum(DeliveryReason))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
