"""The audit log: who changed what, and who read what, and when. Every steering operation
(campaigns, registers, agents, teams, API tokens) and every view or export of personal
data (a person's record, answers, alerts, never-reached lists, report downloads) writes
one entry.

The log is append-only and tamper-evident: each entry stores the SHA-256 of its content
chained to the previous entry's hash (:mod:`dialer.core.audit_chain`). Appends are
serialised on the single row of ``audit_chain_head`` (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's write transaction, begun ``IMMEDIATE``, already is), so concurrent
writers never fork the chain. Nothing in the code changes or deletes an entry except
:meth:`AuditLog.purge_before` (retention), which deletes the oldest entries and keeps the
hash of the last one deleted as the chain's checkpoint.

``actor`` is the login of the person (web session), ``api:<token name>`` for a script
using an API token, or ``cli:<system user>`` for a command run on the server itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dialer.core.audit_chain import GENESIS, ChainBreak, ChainedFields, check_link, entry_hash
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Base

HEAD_ID = 1
VERIFY_BATCH = 2000
_INSERT_CHUNK = 1000  # entries per insert of append_entries


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150))
    #: e.g. ``campaign.start``, ``agent.logout``, ``read.person``, ``export.csv``
    action: Mapped[str] = mapped_column(String(50))
    #: what it acted on, e.g. ``campaign:3``, ``agent:dupont``, ``person:12``
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the person the entry is about, when there is one (migration 0011)
    person_id: Mapped[int | None] = mapped_column(Integer)
    #: the screen or route it came from (``/agent``, ``GET /api/v1/persons/3``, ``cli``)
    route: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def fields(self) -> ChainedFields:
        return ChainedFields(
            prev_hash=self.prev_hash,
            at=self.at,
            actor=self.actor,
            action=self.action,
            target=self.target,
            person_id=self.person_id,
            route=self.route,
            details=self.details,
        )

    def __repr__(self) -> str:
        return f"AuditEntry(id={self.id}, action={self.action!r}, actor={self.actor!r})"


class AuditChainHead(Base):
    """The chain's one row: the newest entry's hash (appends lock this row), and the
    checkpoint left by the retention purge (the hash of the last entry it deleted)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    checkpoint_hash: Mapped[str] = mapped_column(String(64))
    #: the id of the last entry the purge deleted (0: none)
    checkpoint_entry_id: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    #: an action (kind), or an action prefix ending in "." (``campaign.``, ``read.``)
    action: str | None = None
    target: str | None = None
    person_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    #: entries to skip first (a page after the first)
    offset: int = 0


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: ChainBreak | None


async def _locked_head(session: AsyncSession) -> AuditChainHead:
    head = await session.scalar(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    )
    if head is None:  # a database created before migration 0011 ran: never in service
        head = AuditChainHead(
            id=HEAD_ID, last_hash=GENESIS, checkpoint_hash=GENESIS, checkpoint_entry_id=0
        )
        session.add(head)
    return head


async def append_entry(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str,
    at: datetime,
    details: dict[str, Any] | None = None,
    person_id: int | None = None,
    route: str = "",
) -> AuditEntry:
    """Appends an entry in ``session``'s transaction (with the change it records, which
    then commits with it or not at all); the chain head stays locked until it ends."""
    head = await _locked_head(session)
    entry = AuditEntry(
        at=at,
        actor=actor[:150],
        action=action[:50],
        target=target[:200],
        details=details or {},
        person_id=person_id,
        route=route[:200],
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry.fields())
    session.add(entry)
    head.last_hash = entry.hash
    return entry


async def lock_chain(session: AsyncSession) -> None:
    """Takes the chain head's lock now (held until ``session``'s transaction ends): a
    writer that must see every audited change committed before its own reads (a consents
    import against a withdrawal) serialises with them here, before reading."""
    await _locked_head(session)


@dataclass(frozen=True)
class PendingEntry:
    """One entry of :func:`append_entries` (the fields it does not share with the others)."""

    target: str
    details: dict[str, Any]
    person_id: int | None = None


async def append_entries(
    session: AsyncSession,
    entries: Sequence[PendingEntry],
    *,
    actor: str,
    action: str,
    at: datetime,
    route: str = "",
) -> None:
    """Appends many entries at once (an import: one per person), chained as
    :func:`append_entry` would, with one lock of the head and one multi-row insert; the
    hashes are computed off the event loop."""
    if not entries:
        return
    head = await _locked_head(session)
    rows = await asyncio.to_thread(
        _chained, head.last_hash, entries, actor=actor[:150], action=action[:50], at=at,
        route=route[:200],
    )  # fmt: skip
    table = AuditEntry.metadata.tables[AuditEntry.__tablename__]
    for first in range(0, len(rows), _INSERT_CHUNK):  # the event loop runs between them
        await session.execute(insert(table), rows[first : first + _INSERT_CHUNK])
    head.last_hash = rows[-1]["hash"]


def _chained(
    last_hash: str,
    entries: Sequence[PendingEntry],
    *,
    actor: str,
    action: str,
    at: datetime,
    route: str,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for pending in entries:
        fields = ChainedFields(
            prev_hash=last_hash,
            at=at,
            actor=actor,
            action=action,
            target=pending.target[:200],
            person_id=pending.person_id,
            route=route,
            details=pending.details,
        )
        last_hash = entry_hash(fields)
        rows.append(
            {
                "at": at,
                "actor": actor,
                "action": action,
                "target": fields.target,
                "details": pending.details,
                "person_id": pending.person_id,
                "route": route,
                "prev_hash": fields.prev_hash,
                "hash": last_hash,
            }
        )
    return rows


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
        person_id: int | None = None,
        route: str = "",
    ) -> AuditEntry:
        async with transaction(self._sessions) as session:
            entry = await append_entry(
                session,
                actor=actor,
                action=action,
                target=target,
                at=at,
                details=details,
                person_id=person_id,
                route=route,
            )
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
        if query.person_id is not None:
            statement = statement.where(AuditEntry.person_id == query.person_id)
        if query.since:
            statement = statement.where(AuditEntry.at >= query.since)
        if query.until:
            statement = statement.where(AuditEntry.at < query.until)
        statement = statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    statement.offset(max(0, query.offset)).limit(max(1, min(query.limit, 1001)))
                )
            )

    async def count(self) -> int:
        async with transaction(self._sessions) as session:
            return int(await session.scalar(select(func.count(AuditEntry.id))) or 0)

    async def verify(self) -> ChainReport:
        """Walks the chain oldest first; the first entry that does not follow is reported,
        and so is a head that does not match the newest entry (entries cut off the end)."""
        checked = 0
        async with transaction(self._sessions) as session:
            head = await session.get(AuditChainHead, HEAD_ID)
            expected = head.checkpoint_hash if head is not None else GENESIS
            after = 0
            while True:
                batch = list(
                    await session.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.id > after)
                        .order_by(AuditEntry.id)
                        .limit(VERIFY_BATCH)
                    )
                )
                for entry in batch:
                    reason = check_link(expected, entry.fields(), entry.hash)
                    if reason is not None:
                        return ChainReport(checked, ChainBreak(entry.id, reason))
                    expected = entry.hash
                    checked += 1
                if len(batch) < VERIFY_BATCH:
                    break
                after = batch[-1].id
                session.expunge_all()
        if head is not None and head.last_hash != expected:
            return ChainReport(
                checked,
                ChainBreak(None, "la tête de chaîne ne correspond pas à la dernière entrée"),
            )
        return ChainReport(checked, None)

    async def purge_before(self, cutoff: datetime) -> int:
        """Deletes the oldest entries older than ``cutoff`` (the longest run from the start
        of the log: an entry is never deleted while an older-numbered one is kept), and
        keeps the last deleted entry's hash as the checkpoint, so the rest still verifies.
        The one delete path of the log (retention)."""
        async with transaction(self._sessions) as session:
            head = await _locked_head(session)
            first_kept = await session.scalar(
                select(func.min(AuditEntry.id)).where(AuditEntry.at >= cutoff)
            )
            doomed = select(AuditEntry.id, AuditEntry.hash)
            if first_kept is not None:
                doomed = doomed.where(AuditEntry.id < first_kept)
            last = (await session.execute(doomed.order_by(AuditEntry.id.desc()).limit(1))).first()
            if last is None:
                return 0
            last_id, last_hash = int(last[0]), str(last[1])
            result = await session.execute(delete(AuditEntry).where(AuditEntry.id <= last_id))
            head.checkpoint_hash = last_hash
            head.checkpoint_entry_id = last_id
            return int(getattr(result, "rowcount", 0) or 0)

    def statistics(self) -> dict[str, object]:
        return {"recorded": self.recorded}
