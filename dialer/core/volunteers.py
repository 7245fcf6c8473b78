"""The volunteers of the veille sociale: their onboarding and availability. Pure.

A volunteer takes calls only once trained: the training is recorded with its date and
the supervisor who gave it (:func:`desk_refusal`). Each volunteer has a coordinator (a
supervisor) and availability slots (a day of the week, from, to), written in French:
``lundi 14:00-17:00``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
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
