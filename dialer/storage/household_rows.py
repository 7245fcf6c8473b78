"""The tables of the volunteer's desk (migration 0028; :mod:`dialer.core.volunteer_desk`):
which account a veille-sociale household is assigned to, the volunteers' debriefs (with
their coordinator's answer), and the SQL mirror of the offer rule the claims apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from dialer.core.roles import Role
from dialer.storage.account_rows import Account
from dialer.storage.consent_rows import veille_sociale_cycle
from dialer.storage.models import Attempt, Base, Cycle
from dialer.storage.volunteer_rows import VolunteerProfile


class HouseholdAssignment(Base):
    """A household of a veille-sociale campaign assigned to an account (a volunteer, or
    the coordinator who took it over)."""

    __tablename__ = "household_assignments"
    __table_args__ = (UniqueConstraint("campaign_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"HouseholdAssignment(campaign_id={self.campaign_id}, person_id={self.person_id})"


class Debrief(Base):
    """A volunteer's debrief of one call: free text and « situation à signaler »."""

    __tablename__ = "volunteer_debriefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(String(36), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    volunteer: Mapped[str] = mapped_column(String(100), index=True)
    text: Mapped[str] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    written_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Debrief(id={self.id}, attempt_id={self.attempt_id!r})"


def last_volunteer(person_id: InstrumentedAttribute[int]) -> ColumnElement[str | None]:
    """SQL: the trained, active volunteer who last talked to ``person_id`` (continuity)."""
    return (
        select(Attempt.agent)
        .join(Account, Account.username == Attempt.agent)
        .join(VolunteerProfile, VolunteerProfile.account_id == Account.id)
        .where(Attempt.person_id == person_id)
        .where(Attempt.bridged_at.is_not(None))
        .where(Account.role == Role.VOLUNTEER)
        .where(Account.active.is_(True))
        .where(VolunteerProfile.trained_on.is_not(None))
        .order_by(Attempt.bridged_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def assigned_account(
    cycle_id: int, person_id: InstrumentedAttribute[int]
) -> ColumnElement[str | None]:
    """SQL: the account ``person_id`` is assigned to in cycle ``cycle_id``'s campaign."""
    return (
        select(Account.username)
        .join(HouseholdAssignment, HouseholdAssignment.account_id == Account.id)
        .join(Cycle, Cycle.campaign_id == HouseholdAssignment.campaign_id)
        .where(Cycle.id == cycle_id)
        .where(HouseholdAssignment.person_id == person_id)
        .scalar_subquery()
    )


def offered_to_taker(
    cycle_id: int, taker: str, person_id: InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """SQL mirror of :func:`dialer.core.volunteer_desk.offered_to`: may the person
    ``person_id`` of cycle ``cycle_id`` be offered to the account ``taker``?"""
    veille = veille_sociale_cycle(cycle_id)
    volunteer = (
        select(Account.id)
        .where(Account.username == taker)
        .where(Account.role == Role.VOLUNTEER)
        .exists()
    )
    assigned = assigned_account(cycle_id, person_id)
    last = last_volunteer(person_id)
    in_veille = or_(
        assigned == taker,
        and_(assigned.is_(None), or_(last.is_(None), last == taker)),
    )
    return or_(and_(~veille, ~volunteer), and_(veille, in_veille))
