"""The directory of resources the volunteers orient households to: the city's services
and local partners, each with the kinds of need it answers, the area it serves, how to
contact it and its hours. Pure: the checks of one entry, whatever it comes from (a file, a
page, the API), with the field named."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dialer.errors import InputError

NAME_MAX = 200
AREA_MAX = 200
CONTACT_MAX = 300
HOURS_MAX = 300


class NeedKind(StrEnum):
    """The kinds of need of the veille sociale's second level (its questionnaire's
    domains), by which resources are found."""

    FOOD = "food"
    MONEY_AND_RIGHTS = "money_and_rights"
    HEALTH = "health"
    HOUSING = "housing"
    LONELINESS = "loneliness"
    DIGITAL = "digital"
    OTHER = "other"


#: the words of the files and forms (the questionnaire's choice ids)
NEED_WORDS: dict[str, NeedKind] = {
    "alimentation": NeedKind.FOOD,
    "argent_droits": NeedKind.MONEY_AND_RIGHTS,
    "sante": NeedKind.HEALTH,
    "logement": NeedKind.HOUSING,
    "solitude": NeedKind.LONELINESS,
    "numerique": NeedKind.DIGITAL,
    "autre": NeedKind.OTHER,
}


@dataclass(frozen=True)
class ResourceEntry:
    """One resource, checked."""

    name: str
    needs: tuple[NeedKind, ...]
    area: str
    contact: str
    hours: str


def _text(where: str, field: str, value: str, longest: int, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise InputError(f"{where}{field} : champ obligatoire manquant")
    if len(value) > longest:
        raise InputError(f"{where}{field} : trop long ({longest} caractères au plus)")
    return value


def needs_of(words: str, *, where: str = "", field: str = "besoins") -> tuple[NeedKind, ...]:
    """``alimentation, logement`` → the kinds, in the directory's order, each once."""
    found = set()
    for word in (w.strip().lower() for w in words.replace(";", ",").split(",")):
        if not word:
            continue
        kind = NEED_WORDS.get(word)
        if kind is None:
            raise InputError(
                f"{where}{field} : « {word[:30]} » inconnu (attendu : {', '.join(NEED_WORDS)})"
            )
        found.add(kind)
    if not found:
        raise InputError(f"{where}{field} : au moins un type de besoin")
    return tuple(kind for kind in NeedKind if kind in found)


def checked_resource(cells: Mapping[str, str], *, where: str = "") -> ResourceEntry:
    """A resource from its French fields (``nom``, ``besoins``, ``zone``, ``contact``,
    ``horaires``); :class:`InputError` naming ``where`` and the field. ``where`` ends
    with ``:`` when it names a file line (``ressources.csv:3:``)."""
    prefix = where or "champ « "
    suffix = "" if where else " »"

    def named(field: str) -> str:
        return field + suffix

    name = _text(prefix, named("nom"), cells.get("nom", ""), NAME_MAX)
    needs = needs_of(cells.get("besoins", ""), where=prefix, field=named("besoins"))
    area = _text(prefix, named("zone"), cells.get("zone", ""), AREA_MAX)
    contact = _text(prefix, named("contact"), cells.get("contact", ""), CONTACT_MAX)
    hours = _text(prefix, named("horaires"), cells.get("horaires", ""), HOURS_MAX, required=False)
    return ResourceEntry(name, needs, area, contact, hours)
