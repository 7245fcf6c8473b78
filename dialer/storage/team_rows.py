"""The stored intervention teams: their scope (districts, kinds of need), their channels
(in-app inbox always, e-mail and webhook when set) and their ordered escalation list.

The tables are created by the migration ``0003``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base


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
    #: the webhook carries only the alert's id and a link to it, no personal data
    webhook_link_only: Mapped[bool] = mapped_column(Boolean, default=False)
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
