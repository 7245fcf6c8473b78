"""The tables of the volunteers (migration 0027; :mod:`dialer.core.volunteers`): one
profile per volunteer account (training, coordinator) and their availability slots."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base


class VolunteerProfile(Base):
    __tablename__ = "volunteer_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    #: the supervisor who coordinates the volunteer
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    #: the training: its date and the supervisor who gave it (None: not trained)
    trained_on: Mapped[date | None]
    trained_by: Mapped[str | None] = mapped_column(String(50))
    #: who recorded the training, and when
    training_recorded_by: Mapped[str | None] = mapped_column(String(100))
    training_recorded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"VolunteerProfile(account_id={self.account_id})"


class VolunteerSlot(Base):
    """A weekly availability of a volunteer: ``day`` 0 (Monday) to 6, ``HH:MM`` times."""

    __tablename__ = "volunteer_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.id"), index=True)
    day: Mapped[int]
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))

    def __repr__(self) -> str:
        return f"VolunteerSlot(profile_id={self.profile_id}, day={self.day})"
