"""Orienting a household to the directory's resources (veille sociale, second level), and
the follow-up call a caller may schedule. Pure: which resources a call sheet offers, and
the checks of an orientation, each refusal naming its field."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.attempts import CycleResult
from dialer.core.resources import NEED_WORDS, NeedKind
from dialer.errors import InputError

#: the veille-sociale questionnaire's question whose choices open the second level
NEEDS_QUESTION = "besoins"
NOTE_MAX = 2000
#: the furthest an appointment may be set from now
APPOINTMENT_HORIZON = timedelta(days=365)
#: a resource's « zone » in these words serves the whole city (every household)
CITY_WIDE = frozenset({"", "ville", "toute la ville", "tous", "toutes", "commune", "tout"})


class OrientationMode(StrEnum):
    """How the caller oriented the household."""

    INFORMATION = "information"  # information donnée
    HANDOVER = "mise_en_relation"  # mise en relation
    APPOINTMENT = "rendez_vous"  # rendez-vous pris (with its date)


@dataclass(frozen=True)
class DirectoryEntry:
    """A resource as the rules read it (the storage's row, copied)."""

    id: int
    name: str
    needs: tuple[str, ...]
    area: str
    contact: str
    hours: str
    active: bool


@dataclass(frozen=True)
class Orientation:
    """One orientation, checked."""

    resource_id: int
    need: NeedKind
    mode: OrientationMode
    appointment_at: datetime | None
    note: str


def needs_answered(answers: Mapping[str, object]) -> tuple[NeedKind, ...]:
    """The kinds of need the household named at the second level (the ``besoins``
    answer's choices that are directory words; « aucun » is none), in the directory's
    order."""
    chosen = answers.get(NEEDS_QUESTION)
    if not isinstance(chosen, Iterable) or isinstance(chosen, str):
        return ()
    found = {NEED_WORDS[word] for word in chosen if isinstance(word, str) and word in NEED_WORDS}
    return tuple(kind for kind in NeedKind if kind in found)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().replace("-", " ").split())


def serves_area(area: str, district: str | None) -> bool:
    """Does a resource whose « zone » is ``area`` serve a household of ``district``? A
    city-wide zone serves everyone; a named one, the households of that district (several
    names separated by ``,`` or ``/``); a household of unknown district is served by all."""
    if _plain(area) in CITY_WIDE or not district:
        return True
    names = {_plain(name) for name in area.replace("/", ",").split(",")}
    return _plain(district) in names


def matching_resources(
    entries: Sequence[DirectoryEntry], needs: Sequence[NeedKind], district: str | None
) -> list[DirectoryEntry]:
    """The active resources answering one of ``needs`` and serving the household's
    district: those of its own district first, then the city-wide ones, by name."""
    wanted = {kind.value for kind in needs}
    found = [
        entry
        for entry in entries
        if entry.active and wanted.intersection(entry.needs) and serves_area(entry.area, district)
    ]
    return sorted(found, key=lambda entry: (_plain(entry.area) in CITY_WIDE, _plain(entry.name)))


def checked_orientation(
    *,
    resource: DirectoryEntry | None,
    need: str,
    mode: str,
    appointment_at: datetime | None,
    note: str,
    household_needs: Sequence[NeedKind],
    now: datetime,
) -> Orientation:
    """An orientation from the form's fields, or :class:`InputError` naming the field:
    an active resource, a need it answers (by default the first of the household's needs
    it answers), a known way, the appointment's date (only and always for an appointment,
    in the future, within a year), a note of reasonable length."""
    if resource is None or not resource.active:
        raise InputError("champ « resource_id » : ressource inconnue ou qui n'est plus proposée")
    if need:
        kind = NEED_WORDS.get(need) or next((k for k in NeedKind if k.value == need), None)
        if kind is None or kind.value not in resource.needs:
            raise InputError("champ « need » : besoin auquel cette ressource ne répond pas")
    else:
        answered = [k for k in household_needs if k.value in resource.needs]
        kind = answered[0] if answered else NeedKind(resource.needs[0])
    try:
        way = OrientationMode(mode)
    except ValueError:
        raise InputError(
            f"champ « mode » : attendu {', '.join(m.value for m in OrientationMode)}"
        ) from None
    if way is OrientationMode.APPOINTMENT:
        if appointment_at is None:
            raise InputError("champ « appointment_at » : indiquez la date du rendez-vous")
        if appointment_at <= now:
            raise InputError("champ « appointment_at » : le rendez-vous doit être dans le futur")
        if appointment_at > now + APPOINTMENT_HORIZON:
            raise InputError(
                "champ « appointment_at » : le rendez-vous doit avoir lieu dans l'année"
            )
    elif appointment_at is not None:
        raise InputError("champ « appointment_at » : seulement pour un rendez-vous pris")
    if len(note) > NOTE_MAX:
        raise InputError(f"champ « note » : trop long ({NOTE_MAX} caractères au plus)")
    return Orientation(resource.id, kind, way, appointment_at, note.strip())


def result_with_follow_up(
    result: CycleResult | None, *, follow_up_pending: bool
) -> CycleResult | None:
    """The household's result for the planner once its call ends: a household reached
    with a follow-up still to make stays in the cycle (no result yet), so that its
    follow-up, an owned call-back, is offered at its time; any other result (a refusal,
    « ne plus appeler », a move…) ends the cycle all the same."""
    if follow_up_pending and result is CycleResult.REACHED:
        return None
    return result
