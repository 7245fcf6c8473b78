"""The volunteers of the veille sociale: their onboarding and availability. Pure.

A volunteer takes calls only once trained: the training is recorded with its date and
the supervisor who gave it (:func:`desk_refusal`). Each volunteer has a coordinator (a
supervisor) and availability slots (a day of the week, from, to), written in French:
``lundi 14:00-17:00``. The slots say when the volunteer is there: the coordinators' page
shows who is available now or when next (:func:`next_available`), and a follow-up call a
volunteer books outside their slots is pointed out to them with their next slot
(:func:`follow_up_outside_slots`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from dialer.errors import InputError

#: the days of the week as volunteers write them, Monday first
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_SLOT = re.compile(r"\s*(\w+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*\Z")
#: a volunteer gives a handful of slots, not a timetable
MAX_SLOTS = 21


@dataclass(frozen=True, order=True)
class Slot:
    """A weekly availability: ``day`` 0 (Monday) to 6, from ``starts`` to ``ends``."""

    day: int
    starts: time
    ends: time

    def __str__(self) -> str:
        return f"{DAYS[self.day]} {self.starts:%H:%M}-{self.ends:%H:%M}"


def parse_slot(text: str, *, field: str = "slots") -> Slot:
    """``lundi 14:00-17:00``; :class:`InputError` naming ``field`` otherwise."""
    match = _SLOT.match(text)
    if match is None or match.group(1).lower() not in DAYS:
        raise InputError(
            f"champ « {field} » : « {text[:40]} » : attendu « jour HH:MM-HH:MM » "
            f"(jour : {', '.join(DAYS)})"
        )
    day = DAYS.index(match.group(1).lower())
    hours = [int(match.group(i)) for i in range(2, 6)]
    if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        raise InputError(f"champ « {field} » : « {text[:40]} » : heure invalide")
    starts, ends = time(hours[0], hours[1]), time(hours[2], hours[3])
    if ends <= starts:
        raise InputError(f"champ « {field} » : « {text[:40]} » : la fin doit suivre le début")
    return Slot(day, starts, ends)


def checked_slots(slots: list[Slot], *, field: str = "slots") -> list[Slot]:
    """The slots in order; :class:`InputError` when too many or when two overlap."""
    if len(slots) > MAX_SLOTS:
        raise InputError(f"champ « {field} » : {MAX_SLOTS} créneaux au plus")
    ordered = sorted(slots)
    for before, after in pairwise(ordered):
        if before.day == after.day and after.starts < before.ends:
            raise InputError(f"champ « {field} » : « {before} » et « {after} » se chevauchent")
    return ordered


def desk_refusal(*, trained_on: date | None, today: date) -> str | None:
    """Why the volunteer may not take calls now, in French, or ``None``: only a trained
    volunteer takes calls (a training dated in the future has not happened yet)."""
    if trained_on is None:
        return (
            "Vous ne pouvez pas encore prendre d'appels : votre formation de bénévole n'est "
            "pas enregistrée. Votre coordinateur l'enregistre une fois la formation suivie."
        )
    if trained_on > today:
        return (
            f"Vous ne pouvez pas encore prendre d'appels : votre formation est prévue le "
            f"{trained_on:%d/%m/%Y}."
        )
    return None


def within_slots(slots: Sequence[Slot], local: datetime) -> bool:
    """Is ``local`` (the local time) inside one of the slots (its start included, its end
    not)?"""
    moment = local.time()
    return any(s.day == local.weekday() and s.starts <= moment < s.ends for s in slots)


def next_available(slots: Sequence[Slot], local: datetime) -> datetime | None:
    """``local`` itself when within a slot, else the start of the next slot (within the
    week to come); ``None`` without slots. ``local`` keeps its time zone."""
    if within_slots(slots, local):
        return local
    ordered = sorted(slots, key=lambda s: s.starts)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        for slot in ordered:
            if slot.day != day.weekday():
                continue
            start = datetime.combine(day, slot.starts, tzinfo=local.tzinfo)
            if start >= local:
                return start
    return None


def availability_text(slots: Sequence[Slot], local: datetime) -> str:
    """What the coordinators' page says of a volunteer's availability, in French."""
    upcoming = next_available(slots, local)
    if upcoming is None:
        return "aucun créneau"
    if upcoming == local:
        return "disponible maintenant"
    return f"prochain créneau : {DAYS[upcoming.weekday()]} {upcoming:%d/%m à %H:%M}"


def follow_up_outside_slots(slots: Sequence[Slot], due_local: datetime) -> str | None:
    """A French warning when a volunteer books a follow-up (due at ``due_local``) outside
    their slots, with their next slot after it; ``None`` within a slot or without slots
    (the follow-up is booked all the same: the household may have asked for that hour)."""
    if not slots or within_slots(slots, due_local):
        return None
    upcoming = next_available(slots, due_local)
    then = (
        f" ; votre créneau suivant : {DAYS[upcoming.weekday()]} {upcoming:%d/%m à %H:%M}"
        if upcoming is not None
        else ""
    )
    return f"Ce suivi tombe en dehors de vos disponibilités{then}."
