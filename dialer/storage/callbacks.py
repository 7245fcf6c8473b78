"""Calls back that agents schedule for a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from dialer.errors import ConflictError, NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Callback


class CallbackRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def schedule(
        self,
        *,
        person_id: int,
        cycle_id: int,
        due_at: datetime,
        number: str,
        agent: str | None,
        note: str = "",
        now: datetime,
    ) -> Callback:
        callback = Callback(
            person_id=person_id,
            cycle_id=cycle_id,
            due_at=due_at,
            number=number,
            agent=agent,
            note=note,
            done=False,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            session.add(callback)
        return callback

    async def due(self, at: datetime, *, cycle_id: int | None = None) -> list[Callback]:
        """Callbacks not done yet and due at ``at`` or before, earliest first."""
        statement = select(Callback).where(Callback.done.is_(False)).where(Callback.due_at <= at)
        if cycle_id is not None:
            statement = statement.where(Callback.cycle_id == cycle_id)
        async with transaction(self._sessions) as session:
            return list(await session.scalars(statement.order_by(Callback.due_at, Callback.id)))

    async def mark_done(self, callback_id: int) -> None:
        """Raises :class:`ConflictError` when it was already done."""
        async with transaction(self._sessions) as session:
            callback = await session.get(Callback, callback_id, with_for_update=True)
            if callback is None:
                raise NotFoundError(f"callback {callback_id}: no such callback")
            if callback.done:
                raise ConflictError(f"callback {callback_id}: already done")
            callback.done = True
