"""The stored entities, named as the domain names them.

Every timestamp is a timezone-aware UTC ``datetime`` (:class:`UtcDateTime`), on SQLite too.
Enumerations are stored as their string values (``VARCHAR``, no database enum type), so a
migration never has to alter a PostgreSQL enum.

The schema itself is created by the Alembic migrations in ``migrations/versions``; a test checks
that they match these models.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dialer.core.attempts import AttemptKind, AttemptState, CycleResult
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.cycles import NeverReachedReason
from dialer.core.episodes import AlertKind
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing_settings import PacingMode
from dialer.core.phones import PhoneKind


class UtcDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that only accepts aware datetimes and always returns
    aware UTC ones (SQLite stores naive text: the UTC offset is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass an aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def stored_enum(cls: type[StrEnum], length: int = 16) -> Enum:
    """A column of ``cls``'s values, stored as ``VARCHAR(length)`` (no database enum type)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        str: String(255),
    }


class Person(Base):
    """Someone on the register. Never deleted: a re-import that no longer lists them sets
    ``removed_at``, and their attempts and results stay."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the city's id column when the register has one, else a key derived from the identity
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[date | None]
    address: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the register's disability and medical columns as it gives them: {column: value}
    register_flags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    #: the person or their relative objected to the relative being called (migration 0016)
    #: (a server default: the register's bulk writes leave it alone)
    relative_objected: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: digest of the imported fields, to tell changed from unchanged on a re-import
    fingerprint: Mapped[str] = mapped_column(String(32), default="")
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    phones: Mapped[list[PhoneNumber]] = relationship(
        back_populates="person",
        order_by="PhoneNumber.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"Person(id={self.id}, external_id={self.external_id!r})"


class PhoneNumber(Base):
    """One of a person's numbers; ``position`` 0 is the preferred one."""

    __tablename__ = "phone_numbers"
    __table_args__ = (UniqueConstraint("person_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    position: Mapped[int]
    e164: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[PhoneKind] = mapped_column(stored_enum(PhoneKind))
    #: another person on the register (e.g. a spouse) has this number too
    shared_with_other_person: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship(back_populates="phones", lazy="raise")

    def __repr__(self) -> str:
        return f"PhoneNumber(person_id={self.person_id}, position={self.position})"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[CampaignKind] = mapped_column(stored_enum(CampaignKind))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[str] = mapped_column(String(50))
    calling_windows: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retry_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pacing_mode: Mapped[PacingMode] = mapped_column(stored_enum(PacingMode))
    caller_id: Mapped[str] = mapped_column(String(20))
    #: answering-machine detection (Asterisk AMD()); off by default: it takes ~2 s and
    #: calls slow or silent elderly people machines
    answering_machine_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the pacing's abandon cap, a share of live answers (never above 3 %; migration 0006)
    max_abandon_rate: Mapped[float] = mapped_column(Float, default=0.01)
    #: the pacing's dial level cap: calls in progress per agent logged in and not paused
    #: (1 to 10; migration 0007)
    max_lines_per_agent: Mapped[float] = mapped_column(Float, default=3.0)
    #: seconds a dialled number rings before it counts as no answer; ``None``: the
    #: service's (``[dialing] ring_timeout_s``; migration 0018)
    ring_timeout_s: Mapped[int | None] = mapped_column(Integer)
    #: raised by every settings change: an edit made on an older version is refused (409)
    settings_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: who the campaign calls (:mod:`dialer.core.selection`); ``None``: the whole register
    #: (migration 0023)
    selection: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[CampaignState] = mapped_column(stored_enum(CampaignState))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Campaign(id={self.id}, name={self.name!r}, state={self.state.value})"


class Cycle(Base):
    """One pass of a campaign over the register (cycle 1, 2, ...)."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    number: Mapped[int]
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Cycle(id={self.id}, campaign_id={self.campaign_id}, number={self.number})"


class Attempt(Base):
    """The ledger: one dial of one number. ``id`` is a UUID made before the dial and used as
    Asterisk's ChannelId, so a restart can find the call again."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_cycle_id_state", "cycle_id", "state"),
        Index("ix_attempts_person_id", "person_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[AttemptKind] = mapped_column(stored_enum(AttemptKind))
    state: Mapped[AttemptState] = mapped_column(stored_enum(AttemptState))
    outcome: Mapped[CallOutcome | None] = mapped_column(stored_enum(CallOutcome, 20))
    hangup_cause: Mapped[int | None]
    sip_status: Mapped[int | None]
    planned_for: Mapped[datetime]
    placed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    bridged_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    agent: Mapped[str | None] = mapped_column(String(100))
    node: Mapped[str | None] = mapped_column(String(100))
    #: when the agent finished the wrap-up, and the person's result their disposition gave
    #: (None: it gave none; migration 0002)
    wrap_up_done_at: Mapped[datetime | None]
    disposition: Mapped[CycleResult | None] = mapped_column(stored_enum(CycleResult, 20))
    #: the agent passed the person offered in preview, for this reason (never dialled;
    #: migration 0015)
    skip_reason: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"Attempt(id={self.id!r}, state={self.state.value})"


class Callback(Base):
    """A call back an agent scheduled for a person."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_done_due_at", "done", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    due_at: Mapped[datetime]
    number: Mapped[str] = mapped_column(String(20))
    agent: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Callback(id={self.id}, person_id={self.person_id}, done={self.done})"


class CycleResultRow(Base):
    """What finally became of a person in a cycle (one per person and cycle)."""

    __tablename__ = "cycle_results"
    __table_args__ = (UniqueConstraint("cycle_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    result: Mapped[CycleResult] = mapped_column(stored_enum(CycleResult))
    decided_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    #: why a ``never_reached`` person was not reached, and how many attempts of the cycle
    #: were dialled (migration 0013)
    never_reached_reason: Mapped[NeverReachedReason | None] = mapped_column(
        stored_enum(NeverReachedReason, 20)
    )
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"CycleResultRow(cycle_id={self.cycle_id}, person_id={self.person_id})"


class AlertEpisode(Base):
    """An alert, from its start to its end (migration 0013). Its cycles are those of its
    campaign: one campaign per episode, so billing's volume bands run across cycles."""

    __tablename__ = "alert_episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(stored_enum(AlertKind))
    level: Mapped[int]
    #: the districts covered; empty: the whole city
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), unique=True)

    def __repr__(self) -> str:
        return f"AlertEpisode(id={self.id}, kind={self.kind.value}, level={self.level})"
