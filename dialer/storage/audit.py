"""The audit log: who changed what, and when. Every steering operation (campaigns,
registers, agents, teams, API tokens) writes one entry; entries are never changed.

``actor`` is the login of the person (web session), ``api:<token name>`` for a script
using an API token, or ``cli:<system user>`` for a command run on the server itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150))
    #: e.g. ``campaign.start``, ``agent.logout``, ``register.import``
    action: Mapped[str] = mapped_column(String(50))
    #: what it acted on, e.g. ``campaign:3``, ``agent:dupont``, ``team:2``
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"AuditEntry(id={self.id}, action={self.action!r}, actor={self.actor!r})"


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    #: an action, or an action prefix ending in "." (``campaign.``)
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


class AuditLog:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self.recorded = 0

    async def record(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=at, actor=actor[:150], action=action, target=target[:200], details=details or {}
        )
        async with transaction(self._sessions) as session:
            session.add(entry)
        self.recorded += 1
        return entry

    async def search(self, query: AuditFilter = AuditFilter()) -> list[AuditEntry]:
        """The newest entries first."""
        statement = select(AuditEntry)
        if query.actor:
            statement = statement.where(AuditEntry.actor == query.actor)
        if query.action:
            if query.action.endswith("."):
                statement = statement.where(AuditEntry.action.startswith(query.action))
            else:
                statement = statement.where(AuditEntry.action == query.action)
        if query.target:
            statement = statement.where(AuditEntry.target == query.target)
        if query.since:
            statement = statement.where(AuditEntry.at >= query.since)
        if query.until:
            statement = statement.where(AuditEntry.at < query.until)
        statement = statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement.limit(max(1, min(query.limit, 1000)))))

    async def count(self) -> int:
        async with transaction(self._sessions) as session:
            return int(await session.scalar(select(func.count(AuditEntry.id))) or 0)

    def statistics(self) -> dict[str, object]:
        return {"recorded": self.recorded}
