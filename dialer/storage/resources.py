"""The directory of resources stored (:mod:`dialer.core.resources`): a file imported all
or nothing (a resource is known by its name: a line naming a known one updates it), a
resource added or edited by an administrator, the list by kind of need. Every change
writes its audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.resources import NeedKind, ResourceEntry
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.audit import append_entry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.resource_rows import ResourceRow


def _fill(row: ResourceRow, entry: ResourceEntry, *, actor: str, now: datetime) -> None:
    row.name = entry.name
    row.needs = [kind.value for kind in entry.needs]
    row.area = entry.area
    row.contact = entry.contact
    row.hours = entry.hours
    row.updated_by = actor[:100]
    row.updated_at = now


async def _named(session: AsyncSession, name: str) -> ResourceRow | None:
    return await session.scalar(select(ResourceRow).where(ResourceRow.name == name))


class ResourceDirectory:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def list(self, need: NeedKind | None = None) -> list[ResourceRow]:
        """The resources (answering ``need``, when given), active first, by name."""
        async with transaction(self._sessions) as session:
            rows = list(
                await session.scalars(
                    select(ResourceRow).order_by(ResourceRow.active.desc(), ResourceRow.name)
                )
            )
        if need is not None:
            rows = [row for row in rows if need.value in row.needs]
        return rows

    async def import_entries(
        self, entries: Sequence[ResourceEntry], *, actor: str, now: datetime, route: str = ""
    ) -> tuple[int, int]:
        """Add or update (by name) these resources, all in one transaction: (added,
        updated)."""
        added = updated = 0
        async with transaction(self._sessions) as session:
            for entry in entries:
                row = await _named(session, entry.name)
                if row is None:
                    row = ResourceRow(active=True)
                    session.add(row)
                    added += 1
                else:
                    updated += 1
                _fill(row, entry, actor=actor, now=now)
            await append_entry(
                session,
                actor=actor,
                action="resources.imported",
                target="resources",
                at=now,
                details={"added": added, "updated": updated},
                route=route,
            )
        return added, updated

    async def add(
        self, entry: ResourceEntry, *, actor: str, now: datetime, route: str = ""
    ) -> ResourceRow:
        """A new resource; :class:`ConflictError` when one has this name already."""
        async with transaction(self._sessions) as session:
            if await _named(session, entry.name) is not None:
                raise ConflictError(f"champ « nom » : « {entry.name} » existe déjà")
            row = ResourceRow(active=True)
            _fill(row, entry, actor=actor, now=now)
            session.add(row)
            await session.flush()
            await append_entry(
                session,
                actor=actor,
                action="resource.added",
                target=f"resource:{row.id}",
                at=now,
                details={"name": entry.name},
                route=route,
            )
            return row

    async def edit(
        self,
        resource_id: int,
        entry: ResourceEntry,
        *,
        active: bool,
        actor: str,
        now: datetime,
        route: str = "",
    ) -> ResourceRow:
        """Replace the resource's fields; :class:`NotFoundError`, or
        :class:`ConflictError` when another resource has the new name."""
        async with transaction(self._sessions) as session:
            row = await session.get(ResourceRow, resource_id)
            if row is None:
                raise NotFoundError(f"ressource {resource_id} inconnue")
            other = await _named(session, entry.name)
            if other is not None and other.id != row.id:
                raise ConflictError(f"champ « nom » : « {entry.name} » existe déjà")
            _fill(row, entry, actor=actor, now=now)
            row.active = active
            await append_entry(
                session,
                actor=actor,
                action="resource.edited",
                target=f"resource:{row.id}",
                at=now,
                details={"name": entry.name, "active": active},
                route=route,
            )
            return row
