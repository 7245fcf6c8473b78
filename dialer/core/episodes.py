"""Alert episodes: the city's alert, from the prefect's start to its end.

An episode is a thing of its own: what kind of alert (heatwave, cold spell, epidemic,
flood, other), its plan level, the area it covers (the whole city or some districts),
when it started and ended and who did it. While it lasts the service runs the cycles of
its campaign by itself (:mod:`dialer.core.cycles`). Pure rules, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dialer.core.campaigns import CampaignKind
from dialer.errors import ConflictError, InputError

#: the plan levels (1 watch … 4 maximal mobilisation)
LEVELS = range(1, 5)
#: the level an alert starts at when none is given (« Démarrer depuis l'alerte »): the
#: city's obligation (start within 4 h, cycles every 48 h) is for plan level 3
DEFAULT_LEVEL = 3
#: a district's name on the register, as typed
MAX_DISTRICT_LENGTH = 100
MAX_DISTRICTS = 100


class AlertKind(StrEnum):
    HEATWAVE = "heatwave"
    COLD_SPELL = "cold_spell"
    EPIDEMIC = "epidemic"
    FLOOD = "flood"
    OTHER = "other"


#: which kind of campaign (and questionnaire) an alert calls for
CAMPAIGN_KIND_OF: dict[AlertKind, CampaignKind] = {
    AlertKind.HEATWAVE: CampaignKind.HEATWAVE,
    AlertKind.COLD_SPELL: CampaignKind.COLD_SPELL,
    AlertKind.EPIDEMIC: CampaignKind.EPIDEMIC,
    AlertKind.FLOOD: CampaignKind.OTHER,
    AlertKind.OTHER: CampaignKind.OTHER,
}


def parse_alert_kind(text: str) -> AlertKind:
    """:class:`InputError` naming the known kinds when ``text`` is none of them."""
    try:
        return AlertKind(text.strip())
    except ValueError:
        known = ", ".join(kind.value for kind in AlertKind)
        raise InputError(f"kind: {text!r} n'est pas un type d'alerte ({known})") from None


def check_level(level: int) -> int:
    if level not in LEVELS:
        raise InputError(f"level: {level} hors des niveaux du plan ({LEVELS[0]} à {LEVELS[-1]})")
    return level


def parse_districts(districts: Iterable[str]) -> tuple[str, ...]:
    """The area's districts, trimmed, without duplicates, in order; empty: the whole city.
    :class:`InputError` for a district too long or too many."""
    area = tuple(dict.fromkeys(d.strip() for d in districts if d.strip()))
    if len(area) > MAX_DISTRICTS:
        raise InputError(f"districts: {len(area)} quartiers (au plus {MAX_DISTRICTS})")
    for district in area:
        if len(district) > MAX_DISTRICT_LENGTH or not district.isprintable():
            raise InputError(f"districts: quartier {district[:40]!r}… invalide")
    return area


@dataclass(frozen=True)
class EpisodeView:
    """An episode as the pages, the API and the CLI show it."""

    id: int
    kind: AlertKind
    level: int
    districts: tuple[str, ...]  # empty: the whole city
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    ended_by: str | None
    campaign_id: int | None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "level": self.level,
            "districts": list(self.districts),
            "started_at": self.started_at.isoformat(),
            "started_by": self.started_by,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ended_by": self.ended_by,
            "campaign_id": self.campaign_id,
            "active": self.active,
        }


def overlaps(first: Sequence[str], second: Sequence[str]) -> bool:
    """Whether two areas share a district (an empty area is the whole city)."""
    return not first or not second or bool(set(first) & set(second))


def check_may_start(
    running: Iterable[EpisodeView], kind: AlertKind, districts: Sequence[str]
) -> None:
    """Several episodes may last at once, each with its own campaign and cycles (a
    city-wide heatwave and a flood in one district), but never two of the same kind over
    a shared area: :class:`ConflictError` naming the one that lasts."""
    for episode in running:
        if episode.active and episode.kind is kind and overlaps(episode.districts, districts):
            raise ConflictError(
                f"l'épisode d'alerte n° {episode.id} ({kind.value}) est en cours sur la même "
                "zone : terminez-le d'abord"
            )


def the_one_running(running: Sequence[EpisodeView]) -> EpisodeView:
    """The episode to end when none is named: the only one lasting. :class:`ConflictError`
    when none lasts, or several (naming them)."""
    lasting = [episode for episode in running if episode.active]
    if not lasting:
        raise ConflictError("aucun épisode d'alerte en cours")
    if len(lasting) > 1:
        numbers = ", ".join(f"n° {episode.id}" for episode in lasting)
        raise ConflictError(f"plusieurs épisodes d'alerte en cours ({numbers}) : précisez lequel")
    return lasting[0]
