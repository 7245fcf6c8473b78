"""The table of consents to the volunteer calls (migration 0027; :mod:`dialer.core.consent`).
A row is never deleted: a withdrawal fills ``withdrawn_*``, so the history of who agreed,
when, how, for what, and who withdrew it stays (the proof the law asks for)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, Consent, ConsentChannel, ConsentPurpose
from dialer.storage.models import Base, Campaign, Cycle, stored_enum


class ConsentRow(Base):
    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_person_id_withdrawn_at", "person_id", "withdrawn_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    agreed_by: Mapped[AgreedBy] = mapped_column(stored_enum(AgreedBy))
    #: the relative who agreed for the person (``agreed_by`` relative only)
    relative_name: Mapped[str | None] = mapped_column(String(200))
    agreed_at: Mapped[datetime]
    channel: Mapped[ConsentChannel] = mapped_column(stored_enum(ConsentChannel, 20))
    regular_calls: Mapped[bool] = mapped_column(Boolean)
    emergency_campaigns: Mapped[bool] = mapped_column(Boolean)
    #: who collected it (a social worker, a volunteer, the city's desk…)
    collected_by: Mapped[str] = mapped_column(String(200))
    #: an account name, « api:<token> » or « cli:<user> », and when
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    #: who asked to withdraw (the person or a relative), by which channel, recorded by whom
    withdrawn_on_behalf_of: Mapped[AgreedBy | None] = mapped_column(stored_enum(AgreedBy))
    withdrawal_channel: Mapped[ConsentChannel | None] = mapped_column(
        stored_enum(ConsentChannel, 20)
    )
    withdrawal_recorded_by: Mapped[str | None] = mapped_column(String(100))
    #: when the purge deleted what the volunteer calls collected (the retention after the
    #: withdrawal had passed)
    purged_at: Mapped[datetime | None]

    def consent(self) -> Consent:
        purposes = {
            ConsentPurpose.REGULAR_CALLS: self.regular_calls,
            ConsentPurpose.EMERGENCY_CAMPAIGNS: self.emergency_campaigns,
        }
        return Consent(
            self.agreed_at, frozenset(p for p, on in purposes.items() if on), self.withdrawn_at
        )

    def __repr__(self) -> str:
        return f"ConsentRow(person_id={self.person_id}, withdrawn={self.withdrawn_at is not None})"


def consented_at(person_id: InstrumentedAttribute[int], at: datetime) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` has a valid consent to regular calls at ``at`` (the
    rule of :func:`dialer.core.consent.valid_consent`)."""
    return (
        select(ConsentRow.id)
        .where(ConsentRow.person_id == person_id)
        .where(ConsentRow.regular_calls.is_(True))
        .where(ConsentRow.agreed_at <= at)
        .where(or_(ConsentRow.withdrawn_at.is_(None), ConsentRow.withdrawn_at > at))
        .exists()
    )


def unconsented_in_cycle(
    cycle_id: int, person_id: InstrumentedAttribute[int], at: datetime
) -> ColumnElement[bool]:
    """SQL: the cycle ``cycle_id`` is a veille-sociale one and the person ``person_id`` has
    no valid consent to regular calls at ``at``: they are neither enrolled nor called."""
    return and_(veille_sociale_cycle(cycle_id), ~consented_at(person_id, at))


def veille_sociale_cycle(cycle_id: int) -> ColumnElement[bool]:
    """SQL: the cycle ``cycle_id`` is one of a veille-sociale campaign."""
    return (
        select(Cycle.id)
        .join(Campaign, Campaign.id == Cycle.campaign_id)
        .where(Cycle.id == cycle_id)
        .where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
        .exists()
    )
