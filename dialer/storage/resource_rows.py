"""The directory of resources (migration 0027; :mod:`dialer.core.resources`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base


class ResourceRow(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: the kinds of need it answers (:class:`~dialer.core.resources.NeedKind` values)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    area: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(300))
    hours: Mapped[str] = mapped_column(String(300), default="")
    #: a resource no longer offered stays listed for past orientations, not proposed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"ResourceRow(id={self.id}, name={self.name!r})"
