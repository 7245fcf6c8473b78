"""Orientations and follow-ups stored (:mod:`dialer.core.orientations`). A follow-up is an
owned call-back (``callbacks``, its caller as agent): the planner offers the household
to that caller again at its time, as any agent's callback. Every write has its audit
entry in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dialer.core.orientations import DirectoryEntry, Orientation
from dialer.storage.audit import append_entry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Callback
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.resource_rows import ResourceRow


@dataclass(frozen=True)
class CallOf:
    """The call an orientation or a follow-up is recorded on."""

    attempt_id: str
    person_id: int
    cycle_id: int
    number: str


def entry_of(row: ResourceRow) -> DirectoryEntry:
    return DirectoryEntry(
        row.id, row.name, tuple(row.needs), row.area, row.contact, row.hours, row.active
    )


class OrientationBook:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def directory(self) -> list[DirectoryEntry]:
        async with transaction(self._sessions) as session:
            rows = await session.scalars(select(ResourceRow).order_by(ResourceRow.name))
            return [entry_of(row) for row in rows]

    async def of_call(self, attempt_id: str) -> tuple[list[OrientationRow], FollowUpRow | None]:
        """The orientations recorded on the call, and its follow-up (the latest)."""
        async with transaction(self._sessions) as session:
            orientations = list(
                await session.scalars(
                    select(OrientationRow)
                    .where(OrientationRow.attempt_id == attempt_id)
                    .order_by(OrientationRow.id)
                )
            )
            follow_up = await session.scalar(
                select(FollowUpRow)
                .where(FollowUpRow.attempt_id == attempt_id)
                .order_by(FollowUpRow.id.desc())
                .limit(1)
            )
        return orientations, follow_up

    async def follow_up_pending(self, attempt_id: str) -> bool:
        """Has the call a follow-up whose call-back is still to be planned?"""
        async with transaction(self._sessions) as session:
            found = await session.scalar(
                select(FollowUpRow.id)
                .join(Callback, Callback.id == FollowUpRow.callback_id)
                .where(FollowUpRow.attempt_id == attempt_id, Callback.done.is_(False))
                .limit(1)
            )
        return found is not None

    async def record(
        self, call: CallOf, orientation: Orientation, *, caller: str, now: datetime, route: str = ""
    ) -> OrientationRow:
        row = OrientationRow(
            attempt_id=call.attempt_id,
            person_id=call.person_id,
            cycle_id=call.cycle_id,
            resource_id=orientation.resource_id,
            need=orientation.need.value,
            mode=orientation.mode,
            appointment_at=orientation.appointment_at,
            note=orientation.note,
            caller=caller[:100],
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            session.add(row)
            await session.flush()
            await append_entry(
                session,
                actor=caller,
                action="household.oriented",
                target=f"attempt:{call.attempt_id}",
                at=now,
                details={
                    "resource": orientation.resource_id,
                    "need": orientation.need.value,
                    "mode": orientation.mode.value,
                },
                person_id=call.person_id,
                route=route,
            )
        return row

    async def schedule_follow_up(
        self,
        call: CallOf,
        due_at: datetime,
        note: str,
        *,
        caller: str,
        now: datetime,
        route: str = "",
    ) -> FollowUpRow:
        """The follow-up and its call-back owned by ``caller``; a follow-up already set on
        this call is moved (its call-back with it), not doubled."""
        async with transaction(self._sessions) as session:
            row = await session.scalar(
                select(FollowUpRow)
                .where(FollowUpRow.attempt_id == call.attempt_id)
                .order_by(FollowUpRow.id.desc())
                .limit(1)
            )
            callback = await session.get(Callback, row.callback_id) if row is not None else None
            if callback is None or callback.done:
                callback = Callback(
                    person_id=call.person_id,
                    cycle_id=call.cycle_id,
                    number=call.number,
                    done=False,
                    created_at=now,
                )
                session.add(callback)
                row = None
            callback.due_at = due_at
            callback.agent = caller[:100]
            callback.note = note
            await session.flush()
            if row is None:
                row = FollowUpRow(
                    attempt_id=call.attempt_id,
                    person_id=call.person_id,
                    cycle_id=call.cycle_id,
                    callback_id=callback.id,
                    caller=caller[:100],
                    created_at=now,
                )
                session.add(row)
            row.due_at = due_at
            row.note = note
            await append_entry(
                session,
                actor=caller,
                action="household.follow_up",
                target=f"attempt:{call.attempt_id}",
                at=now,
                details={"due_at": due_at.isoformat()},
                person_id=call.person_id,
                route=route,
            )
        return row
