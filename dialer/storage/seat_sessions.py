"""The agents' seat sessions: from the moment an agent's phone is logged in to the moment it
is not (log-out, phone lost, the service stopped), what the city pays as seat-hours.

Written by :class:`dialer.reports.seat_time.SeatWatch`, which watches the engine's seat
board; ``last_seen_at`` is its heartbeat, so a session a dead controller left open is
closed at the last moment it was seen (:meth:`SeatSessionRepository.close_orphans`). The
table is created by migration ``0020``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base


class SeatSession(Base):
    """One agent logged in, from ``started_at`` to ``ended_at`` (NULL: still logged in)."""

    __tablename__ = "seat_sessions"
    __table_args__ = (
        Index("ix_seat_sessions_ended_at", "ended_at"),
        Index("ix_seat_sessions_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    #: the last time the watch saw the agent logged in
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SeatSessionRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def record(
        self,
        logged_in: Mapping[str, datetime],
        at: datetime,
        logged_out: Mapping[str, datetime] | None = None,
    ) -> None:
        """The agents logged in at ``at`` (each with when they logged in): the sessions of
        those who left end (when they logged out, if known, else ``at``), those who came
        get one, the others are seen."""
        left = logged_out or {}
        async with transaction(self._sessions) as session:
            open_rows = list(
                await session.scalars(select(SeatSession).where(SeatSession.ended_at.is_(None)))
            )
            known = set()
            for row in open_rows:
                if row.agent in logged_in and row.agent not in known:
                    row.last_seen_at = at
                    known.add(row.agent)
                else:
                    row.ended_at = max(row.started_at, min(left.get(row.agent, at), at))
            session.add_all(
                SeatSession(agent=agent, started_at=min(since, at), last_seen_at=at)
                for agent, since in sorted(logged_in.items())
                if agent not in known
            )

    async def close_orphans(self) -> int:
        """Sessions left open by a controller that stopped without closing them end when
        they were last seen; how many."""
        async with transaction(self._sessions) as session:
            result = await session.execute(
                update(SeatSession)
                .where(SeatSession.ended_at.is_(None))
                .values(ended_at=SeatSession.last_seen_at)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """``(start, end)`` of the sessions overlapping ``[start, end]``; an open session
        ends when it was last seen."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(SeatSession.started_at, SeatSession.last_seen_at, SeatSession.ended_at)
                .where(SeatSession.started_at < end)
                .where((SeatSession.ended_at.is_(None)) | (SeatSession.ended_at > start))
            )
            return [(s, e if e is not None else seen) for s, seen, e in rows.all()]
