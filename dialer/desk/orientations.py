"""The « Orienter » panel of a veille-sociale call sheet: the directory's resources that
match the needs the household named at the second level (and its district), the
orientations recorded on the call, and the follow-up call the caller schedules (an owned
call-back: the household is offered to the same caller again at its time).

Only the caller the call is joined to reaches it (the web layer checks the call is
theirs, as for the sheet); only on a veille-sociale call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dialer.core.callbacks import callback_problem
from dialer.core.campaigns import CampaignKind
from dialer.core.labels import NEED_KIND_LABELS, ORIENTATION_MODE_LABELS
from dialer.core.orientations import (
    NOTE_MAX,
    DirectoryEntry,
    checked_orientation,
    matching_resources,
    needs_answered,
)
from dialer.core.resources import NEED_WORDS, NeedKind
from dialer.core.volunteers import follow_up_outside_slots
from dialer.core.windows import PARIS
from dialer.desk.attempts_left import attempts_left_on
from dialer.desk.call_view import CallContext, CallViews
from dialer.desk.withdrawn_consent import refuse_after_withdrawal
from dialer.errors import ConflictError, InputError
from dialer.storage.answers import CallSheetRepository
from dialer.storage.database import SessionFactory
from dialer.storage.orientations import CallOf, OrientationBook
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster

FOLLOW_UP_FIELD = "champ « at »"
_WORD_OF = {kind: word for word, kind in NEED_WORDS.items()}


def _need_json(kind: NeedKind) -> dict[str, str]:
    return {"id": kind.value, "word": _WORD_OF[kind], "label": NEED_KIND_LABELS[kind]}


def _resource_json(entry: DirectoryEntry) -> dict[str, Any]:
    kinds = [NeedKind(value) for value in entry.needs if value in NeedKind._value2member_map_]
    return {
        "id": entry.id,
        "name": entry.name,
        "needs": [_need_json(kind) for kind in kinds],
        "area": entry.area,
        "contact": entry.contact,
        "hours": entry.hours,
    }


def is_veille_sociale(context: CallContext) -> bool:
    return context.campaign.kind is CampaignKind.VEILLE_SOCIALE


class Orientations:
    def __init__(
        self, sessions: SessionFactory, views: CallViews, *, clock: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self._book = OrientationBook(sessions)
        self._sheets = CallSheetRepository(sessions)
        self._views = views
        self._clock = clock
        self._volunteers = VolunteerCalls(sessions)
        self._roster = VolunteerRoster(sessions)

    async def _context(self, caller: str, attempt_id: str) -> CallContext:
        context = await self._views.current(caller, attempt_id)
        if not is_veille_sociale(context):
            raise ConflictError("orientation : seulement pour un appel de la veille sociale")
        return context

    async def _needs(self, attempt_id: str) -> tuple[NeedKind, ...]:
        sheet = await self._sheets.by_attempt(attempt_id)
        return needs_answered(await self._sheets.answers(sheet.id)) if sheet else ()

    async def panel(self, caller: str, attempt_id: str) -> dict[str, Any]:
        """What the panel shows: the household's needs and district, the matching
        resources, the orientations recorded on this call, the follow-up (for a
        volunteer, whether it falls outside their availability slots)."""
        context = await self._context(caller, attempt_id)
        return await self._panel(context, caller)

    async def _panel(self, context: CallContext, caller: str) -> dict[str, Any]:
        """A volunteer's panel names no district (their view of the household hides its
        address, :func:`dialer.core.volunteer_desk.volunteer_view`); the resources still
        match it, as orienting the household to one near them is the panel's purpose."""
        attempt_id = context.attempt.id
        needs = await self._needs(attempt_id)
        directory = await self._book.directory()
        names = {entry.id: entry.name for entry in directory}
        district = context.person.district
        recorded, follow_up = await self._book.of_call(attempt_id)
        volunteer = await self._volunteers.is_volunteer(caller)
        shown = "" if volunteer else district or ""
        outside = None
        if volunteer and follow_up is not None:
            slots = (await self._roster.get(caller)).slots
            outside = follow_up_outside_slots(slots, follow_up.due_at.astimezone(PARIS))
        return {
            "needs": [_need_json(kind) for kind in needs],
            "district": shown,
            "resources": [
                _resource_json(e) for e in matching_resources(directory, needs, district)
            ],
            "modes": [
                {"id": m.value, "label": label} for m, label in ORIENTATION_MODE_LABELS.items()
            ],
            "orientations": [
                {
                    "id": row.id,
                    "resource": names.get(row.resource_id, "?"),
                    "need": NEED_KIND_LABELS[NeedKind(row.need)],
                    "mode": row.mode.value,
                    "mode_label": ORIENTATION_MODE_LABELS[row.mode],
                    "appointment_at": row.appointment_at.isoformat()
                    if row.appointment_at
                    else None,
                    "note": row.note,
                }
                for row in recorded
            ],
            "follow_up": (
                {
                    "due_at": follow_up.due_at.isoformat(),
                    "note": follow_up.note,
                    "outside_slots": outside,
                }
                if follow_up is not None
                else None
            ),
        }

    async def orient(
        self,
        caller: str,
        attempt_id: str,
        *,
        resource_id: int,
        need: str,
        mode: str,
        appointment_at: datetime | None,
        note: str,
        route: str = "",
    ) -> dict[str, Any]:
        context = await self._context(caller, attempt_id)
        now = self._clock()
        await refuse_after_withdrawal(self._sessions, context, "champ « resource_id »", now=now)
        directory = {entry.id: entry for entry in await self._book.directory()}
        orientation = checked_orientation(
            resource=directory.get(resource_id),
            need=need,
            mode=mode,
            appointment_at=appointment_at,
            note=note,
            household_needs=await self._needs(attempt_id),
            now=now,
        )
        await self._book.record(_call_of(context), orientation, caller=caller, now=now, route=route)
        return await self._panel(context, caller)

    async def follow_up(
        self, caller: str, attempt_id: str, *, at: datetime | None, note: str, route: str = ""
    ) -> dict[str, Any]:
        """Schedule (or move) the call's follow-up: a call-back owned by ``caller``."""
        context = await self._context(caller, attempt_id)
        if at is None:
            raise InputError(f"{FOLLOW_UP_FIELD} : indiquez la date et l'heure du suivi")
        if len(note) > NOTE_MAX:
            raise InputError(f"champ « note » : trop long ({NOTE_MAX} caractères au plus)")
        now = self._clock()
        await refuse_after_withdrawal(self._sessions, context, FOLLOW_UP_FIELD, now=now)
        problem = callback_problem(
            at,
            now=now,
            deadline=context.cycle_deadline,
            field=FOLLOW_UP_FIELD,
            attempts_left=await attempts_left_on(self._sessions, context),
        )
        if problem is not None:
            raise InputError(problem)
        await self._book.schedule_follow_up(
            _call_of(context), at, note.strip(), caller=caller, now=now, route=route
        )
        return await self._panel(context, caller)


def _call_of(context: CallContext) -> CallOf:
    attempt = context.attempt
    return CallOf(attempt.id, context.person.id, attempt.cycle_id, attempt.number)
