"""Who a campaign calls: its selection of people, from one or more named lists, narrowed
by districts, postcodes, age at the cycle's start and register flags.

A selection is stored on the campaign as JSON (:func:`selection_to_json`) and read back,
from the API, a page, the command line or the database, by :func:`read_selection`, which
checks every value and raises :class:`~dialer.errors.InputError` naming the field
(« selection.lists : … »). :func:`selects` is the rule itself, for one person; the
database applies the same rule in SQL (:mod:`dialer.storage.selection`).

Age: a person's age at the start of the cycle (full years). A person without a birth date
has no known age: an age filter leaves them OUT (a campaign for the 65+ calls only people
known to be 65+; the register owner is told to fill the birth dates). No I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from dialer.core.consent import emergency_inclusion
from dialer.errors import InputError

#: a list's name: at most this many characters (the column's width)
MAX_LIST_NAME = 100
#: at most this many lists, districts or postcodes in a selection
MAX_LISTS = 50
MAX_PLACES = 500
MAX_AGE = 130
#: the register flags a selection may require: name -> the person's column
FLAGS: dict[str, str] = {"disability": "disabled", "medical": "medical_flag"}
#: the selection's fields, as the API and the stored JSON name them
FIELDS = ("lists", "districts", "postcodes", "min_age", "max_age", "flags")


@dataclass(frozen=True, slots=True)
class Selection:
    """Empty lists: no narrowing on that field. ``lists`` empty: every person on the
    register (a campaign created before there were lists)."""

    lists: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the selection looks at in one person."""

    lists: frozenset[str]
    district: str | None
    postcode: str | None
    birth_date: date | None
    disabled: bool
    medical_flag: bool
    #: a valid consent to emergency campaigns (:mod:`dialer.core.consent`) at the start
    emergency_consent: bool = False


def check_list_name(name: str, *, field: str = "list") -> str:
    """``name`` as a list's name, or :class:`InputError` naming ``field``."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{field} : nom de liste vide")
    if len(name) > MAX_LIST_NAME:
        raise InputError(
            f"{field} : nom de liste trop long ({len(name)} caractères, au plus {MAX_LIST_NAME})"
        )
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError(f"{field} : caractère de contrôle dans le nom de liste")
    return name.strip()


def read_selection(raw: object, *, known_lists: Collection[str]) -> Selection:
    """``raw`` (a JSON object) as a :class:`Selection`, every name checked: lists among
    ``known_lists``, at most :data:`MAX_PLACES` districts and postcodes, ages 0 to
    :data:`MAX_AGE`, flags among :data:`FLAGS`. :class:`InputError` names the field."""
    if raw is None:
        return Selection()
    if not isinstance(raw, Mapping):
        raise InputError("selection : un objet est attendu")
    unknown = sorted(str(key) for key in raw if key not in FIELDS)
    if unknown:
        raise InputError(
            f"selection.{unknown[0][:50]} : champ inconnu (champs : {', '.join(FIELDS)})"
        )
    lists = _names(raw.get("lists"), "lists", MAX_LISTS)
    for name in lists:
        check_list_name(name, field="selection.lists")
    missing = [name for name in lists if name not in known_lists]
    if missing:
        raise InputError(f"selection.lists : liste inconnue « {missing[0]} »")
    flags = _names(raw.get("flags"), "flags", len(FLAGS))
    wrong = [flag for flag in flags if flag not in FLAGS]
    if wrong:
        raise InputError(
            f"selection.flags : indicateur inconnu « {wrong[0][:50]} » "
            f"(indicateurs : {', '.join(FLAGS)})"
        )
    min_age = _age(raw.get("min_age"), "min_age")
    max_age = _age(raw.get("max_age"), "max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InputError("selection.max_age : plus petit que selection.min_age")
    return Selection(
        lists=lists,
        districts=_names(raw.get("districts"), "districts", MAX_PLACES),
        postcodes=_names(raw.get("postcodes"), "postcodes", MAX_PLACES),
        min_age=min_age,
        max_age=max_age,
        flags=flags,
    )


def stored_selection(raw: object) -> Selection:
    """A selection as the campaign stores it (checked when it was stored: its lists are
    taken as they are); ``None``: the whole register."""
    if raw is None:
        return Selection()
    names = raw.get("lists") if isinstance(raw, Mapping) else None
    known = [name for name in names if isinstance(name, str)] if isinstance(names, list) else []
    return read_selection(raw, known_lists=known)


def selection_to_json(selection: Selection) -> dict[str, Any]:
    return {
        "lists": list(selection.lists),
        "districts": list(selection.districts),
        "postcodes": list(selection.postcodes),
        "min_age": selection.min_age,
        "max_age": selection.max_age,
        "flags": list(selection.flags),
    }


def age_on(birth_date: date, day: date) -> int:
    """Full years from ``birth_date`` to ``day``."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def born_by(age: int, day: date) -> date:
    """The latest birth date of someone ``age`` or older on ``day`` (29 February: 28)."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:
        return day.replace(year=day.year - age, day=28)


def selects(selection: Selection, person: Candidate, *, day: date, emergency: bool = False) -> bool:
    """The selection's rule for one person, ``day`` being the cycle's start (holds and
    removal from the register are the caller's: :mod:`dialer.core.holds`). ``emergency``:
    for an emergency campaign (not a veille-sociale one), where a household of the
    veille-sociale list counts as on it only with a valid consent to emergency campaigns
    (:func:`~dialer.core.consent.emergency_inclusion`); one on no other list is left out
    without it."""
    if emergency:
        lists = emergency_inclusion(person.lists, person.emergency_consent)
        if person.lists and not lists:
            return False
        person = replace(person, lists=lists)
    if selection.lists and not person.lists.intersection(selection.lists):
        return False
    if selection.districts and person.district not in selection.districts:
        return False
    if selection.postcodes and person.postcode not in selection.postcodes:
        return False
    if selection.min_age is not None or selection.max_age is not None:
        if person.birth_date is None:
            return False
        age = age_on(person.birth_date, day)
        if selection.min_age is not None and age < selection.min_age:
            return False
        if selection.max_age is not None and age > selection.max_age:
            return False
    values = {"disability": person.disabled, "medical": person.medical_flag}
    return all(values[flag] for flag in selection.flags)


def _names(value: object, field: str, most: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(f"selection.{field} : une liste de textes est attendue")
    if len(value) > most:
        raise InputError(f"selection.{field} : {len(value)} valeurs, au plus {most}")
    names = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    for name in names:
        if len(name) > MAX_LIST_NAME:
            raise InputError(f"selection.{field} : valeur trop longue ({len(name)} caractères)")
    return names


def _age(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE:
        raise InputError(f"selection.{field} : un âge entier de 0 à {MAX_AGE} est attendu")
    return value
