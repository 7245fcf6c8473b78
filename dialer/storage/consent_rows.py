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
    column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import (
    CONSENT_LIST,
    AgreedBy,
    Consent,
    ConsentChannel,
    consent_of,
)
from dialer.storage.list_rows import ListMembership, PersonList
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
        return consent_of(
            self.agreed_at,
            regular=self.regular_calls,
            emergency=self.emergency_campaigns,
            withdrawn_at=self.withdrawn_at,
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


def emergency_consented_at(
    person_id: InstrumentedAttribute[int], at: datetime
) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` has a valid consent to emergency campaigns at ``at``."""
    return (
        select(ConsentRow.id)
        .where(ConsentRow.person_id == person_id)
        .where(ConsentRow.emergency_campaigns.is_(True))
        .where(ConsentRow.agreed_at <= at)
        .where(or_(ConsentRow.withdrawn_at.is_(None), ConsentRow.withdrawn_at > at))
        .exists()
    )


def on_list_named(person_id: InstrumentedAttribute[int], name: str) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` is on the list called ``name`` now."""
    return (
        select(ListMembership.id)
        .join(PersonList, PersonList.id == ListMembership.list_id)
        .where(ListMembership.person_id == person_id)
        .where(ListMembership.removed_at.is_(None))
        .where(PersonList.name == name)
        .exists()
    )


def kept_from_emergency(person_id: InstrumentedAttribute[int], at: datetime) -> ColumnElement[bool]:
    """SQL: the person ``person_id`` is a household of the veille-sociale list only (on
    :data:`~dialer.core.consent.CONSENT_LIST` and on no other list now) with no valid
    consent to emergency campaigns at ``at``: no emergency campaign selects or calls them."""
    on_consent_list = on_list_named(person_id, CONSENT_LIST)
    on_another_list = (
        select(ListMembership.id)
        .join(PersonList, PersonList.id == ListMembership.list_id)
        .where(ListMembership.person_id == person_id)
        .where(ListMembership.removed_at.is_(None))
        .where(PersonList.name != CONSENT_LIST)
        .exists()
    )
    return and_(on_consent_list, ~on_another_list, ~emergency_consented_at(person_id, at))


def unconsented_in_cycle(
    cycle_id: int, person_id: InstrumentedAttribute[int], at: datetime
) -> ColumnElement[bool]:
    """SQL: the cycle ``cycle_id`` is a veille-sociale one and the person ``person_id`` has
    no valid consent to regular calls at ``at``, or the cycle is an emergency campaign's
    that enrolled the person on their consent only (``cycle_members.by_consent``: through
    the veille-sociale list) and they have no valid consent to emergency campaigns at
    ``at`` any more: they are neither enrolled nor called. (A ``table`` construct: the
    members' model imports this module.)"""
    volunteer_cycle = veille_sociale_cycle(cycle_id)
    members = table(
        "cycle_members", column("cycle_id"), column("person_id"), column("by_consent")
    ).alias("member_on_consent")  # aliased: the gates' own rows are cycle_members too
    by_consent = (
        select(members.c.person_id)
        .where(members.c.cycle_id == cycle_id)
        .where(members.c.person_id == person_id)
        .where(members.c.by_consent.is_(True))
        .exists()
    )
    return or_(
        and_(volunteer_cycle, ~consented_at(person_id, at)),
        and_(~volunteer_cycle, by_consent, ~emergency_consented_at(person_id, at)),
    )


def veille_sociale_cycle(cycle_id: int) -> ColumnElement[bool]:
    """SQL: the cycle ``cycle_id`` is one of a veille-sociale campaign."""
    return (
        select(Cycle.id)
        .join(Campaign, Campaign.id == Cycle.campaign_id)
        .where(Cycle.id == cycle_id)
        .where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
        .exists()
    )
