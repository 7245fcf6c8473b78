"""Help during a call, stored: the agents' « besoin d'aide » requests (open until a
supervisor acknowledges them) and every time a supervisor listened to, whispered to or
joined an agent's call (who, which call, when, until when). Both are also in the audit log
(:mod:`dialer.desk.call_help` writes the entries)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.call_help import SpyMode
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Base, Person, stored_enum


class HelpRequest(Base):
    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_acknowledged_at", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent: Mapped[str] = mapped_column(String(100))
    attempt_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    #: the coordinator's answer to a volunteer's request, shown on their desk (0028)
    answer: Mapped[str | None] = mapped_column(Text)


class CallSupervision(Base):
    """One listening: ``channel_id`` is the supervisor's phone channel (its Asterisk
    Uniqueid), whose hang-up ends it (``ended_at``)."""

    __tablename__ = "call_supervisions"
    __table_args__ = (Index("ix_call_supervisions_ended_at", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(100), unique=True)
    supervisor: Mapped[str] = mapped_column(String(100))
    agent: Mapped[str] = mapped_column(String(100))
    attempt_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[SpyMode] = mapped_column(stored_enum(SpyMode, 20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    #: why it never started (the supervisor's phone did not answer), or None
    failure: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True)
class OpenHelp:
    """A request no supervisor acknowledged yet, with its call: the person (name) and
    since when the agent talks with them (``call_since``: the join, None before it)."""

    id: int
    agent: str
    attempt_id: str
    person_id: int | None
    raised_at: datetime
    person: str = ""
    call_since: datetime | None = None
    call_ended: datetime | None = None


class CallHelpRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def raise_help(self, agent: str, attempt_id: str, now: datetime) -> tuple[OpenHelp, bool]:
        """The agent's open request for this call, made now if there is none:
        (the request, made now)."""
        async with transaction(self._sessions) as session:
            existing = await session.scalar(
                select(HelpRequest).where(
                    HelpRequest.agent == agent,
                    HelpRequest.attempt_id == attempt_id,
                    HelpRequest.acknowledged_at.is_(None),
                )
            )
            if existing is not None:
                return _open(existing), False
            person_id = await session.scalar(
                select(Attempt.person_id).where(Attempt.id == attempt_id)
            )
            row = HelpRequest(
                agent=agent, attempt_id=attempt_id, person_id=person_id, raised_at=now
            )
            session.add(row)
            await session.flush()
            return _open(row), True

    async def open_requests(self) -> list[OpenHelp]:
        """Every request not acknowledged, oldest first, with its call and person."""
        async with transaction(self._sessions) as session:
            rows = await session.execute(
                select(HelpRequest, Attempt, Person)
                .outerjoin(Attempt, Attempt.id == HelpRequest.attempt_id)
                .outerjoin(Person, Person.id == Attempt.person_id)
                .where(HelpRequest.acknowledged_at.is_(None))
                .order_by(HelpRequest.raised_at, HelpRequest.id)
            )
            return [
                replace(
                    _open(request),
                    person=f"{person.first_name} {person.last_name}".strip() if person else "",
                    call_since=attempt.bridged_at if attempt else None,
                    call_ended=attempt.ended_at if attempt else None,
                )
                for request, attempt, person in rows.all()
            ]

    async def acknowledge(self, request_id: int, by: str, now: datetime) -> OpenHelp:
        """Mark the request taken by ``by``; :class:`ConflictError` if it already was."""
        async with transaction(self._sessions) as session:
            row = await session.get(HelpRequest, request_id)
            if row is None:
                raise NotFoundError(f"demande d'aide {request_id} : introuvable")
            if row.acknowledged_at is not None:
                raise ConflictError(
                    f"demande d'aide {request_id} : déjà prise en charge par {row.acknowledged_by}"
                )
            row.acknowledged_at = now
            row.acknowledged_by = by
            return _open(row)

    async def start_supervision(  # noqa: PLR0917 - the row's fields
        self,
        channel_id: str,
        supervisor: str,
        agent: str,
        attempt_id: str,
        mode: SpyMode,
        now: datetime,
    ) -> None:
        async with transaction(self._sessions) as session:
            session.add(
                CallSupervision(
                    channel_id=channel_id,
                    supervisor=supervisor,
                    agent=agent,
                    attempt_id=attempt_id,
                    mode=mode,
                    started_at=now,
                )
            )

    async def end_supervision(
        self, channel_id: str, at: datetime, *, failure: str | None = None
    ) -> CallSupervision | None:
        """Record the end (once): the row as ended, or None when it had ended already."""
        async with transaction(self._sessions) as session:
            ended = await session.execute(
                update(CallSupervision)
                .where(CallSupervision.channel_id == channel_id)
                .where(CallSupervision.ended_at.is_(None))
                .values(ended_at=at, failure=failure)
            )
            if getattr(ended, "rowcount", 0) != 1:
                return None
            return await session.scalar(
                select(CallSupervision).where(CallSupervision.channel_id == channel_id)
            )

    async def open_supervisions(self) -> list[str]:
        """The channels of the listenings not ended yet."""
        async with transaction(self._sessions) as session:
            rows = await session.scalars(
                select(CallSupervision.channel_id).where(CallSupervision.ended_at.is_(None))
            )
            return list(rows)


def _open(row: HelpRequest) -> OpenHelp:
    return OpenHelp(row.id, row.agent, row.attempt_id, row.person_id, row.raised_at)
