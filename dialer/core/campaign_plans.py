"""Campaigns planned by dates: the volunteer calls (« veille sociale ») run 1 to 3 times a
year around key moments (year-end holidays, the school year's start), each over a date
range chosen ahead by a supervisor, over the list of the households who agreed.

A *plan* is a campaign in preparation with a start date and an end date (Paris days,
both included) and the list it calls. :func:`check_plan` is the rule a new plan obeys
(not in the past, not ending before it starts, not longer than :data:`MAX_PLAN_DAYS`, not
overlapping another plan of the same list), every error naming its field;
:func:`plan_step` says what the service's loop does with a plan at ``now``: open its
campaign from the start date, close it after the end date. Pure: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from dialer.core.windows import PARIS
from dialer.errors import InputError

#: a plan lasts at most this many days (a campaign « around a key moment »)
MAX_PLAN_DAYS = 92
#: a plan starts at most this many days ahead
MAX_LEAD_DAYS = 400


@dataclass(frozen=True)
class PlannedDates:
    """Another plan of the same list, as the overlap check sees it."""

    campaign_id: int
    starts_on: date
    ends_on: date


def parse_plan_date(raw: object, field: str) -> date:
    """``raw`` (« AAAA-MM-JJ », or a date) as a date, or :class:`InputError` naming ``field``."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str) or len(raw) > 20:
        raise InputError(f"champ « {field} » : une date AAAA-MM-JJ est attendue")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"champ « {field} » : date invalide « {raw[:20]} » (AAAA-MM-JJ)") from None


def today_in_paris(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def check_plan(
    starts_on: date, ends_on: date, *, now: datetime, others: Iterable[PlannedDates] = ()
) -> None:
    """Refuse (:class:`InputError`, French, naming the field) a plan starting before today
    (Paris), ending before it starts, too long or too far ahead, or overlapping one of
    ``others`` (the plans of the same list)."""
    today = today_in_paris(now)
    if starts_on < today:
        raise InputError(
            f"champ « starts_on » : la date de début {starts_on:%d/%m/%Y} est passée "
            f"(aujourd'hui : {today:%d/%m/%Y})"
        )
    if (starts_on - today).days > MAX_LEAD_DAYS:
        raise InputError(f"champ « starts_on » : au plus {MAX_LEAD_DAYS} jours à l'avance")
    if ends_on < starts_on:
        raise InputError(
            f"champ « ends_on » : la date de fin {ends_on:%d/%m/%Y} est avant la date de début "
            f"{starts_on:%d/%m/%Y}"
        )
    if (ends_on - starts_on).days + 1 > MAX_PLAN_DAYS:
        raise InputError(
            f"champ « ends_on » : une campagne planifiée dure au plus {MAX_PLAN_DAYS} jours"
        )
    for other in others:
        if starts_on <= other.ends_on and other.starts_on <= ends_on:
            raise InputError(
                f"champ « starts_on » : la liste a déjà une campagne planifiée du "
                f"{other.starts_on:%d/%m/%Y} au {other.ends_on:%d/%m/%Y} "
                f"(campagne n° {other.campaign_id}) ; les dates se chevauchent"
            )


def opens_at(starts_on: date) -> datetime:
    """The instant (UTC) a plan opens: its start date's midnight in Paris."""
    return datetime.combine(starts_on, time(0), PARIS).astimezone(UTC)


def closes_at(ends_on: date) -> datetime:
    """The instant (UTC) a plan closes: the midnight after its end date in Paris."""
    return datetime.combine(ends_on + timedelta(days=1), time(0), PARIS).astimezone(UTC)


class PlanStep(StrEnum):
    NOTHING = "nothing"
    OPEN = "open"
    CLOSE = "close"


def plan_step(
    starts_on: date, ends_on: date, *, opened: bool, closed: bool, now: datetime
) -> PlanStep:
    """What the service does with a plan at ``now``: close it once its end date is over
    (opened or not: a service down for the whole range closes it without calling), open
    it from its start date, else nothing."""
    if closed:
        return PlanStep.NOTHING
    if now >= closes_at(ends_on):
        return PlanStep.CLOSE
    if not opened and now >= opens_at(starts_on):
        return PlanStep.OPEN
    return PlanStep.NOTHING
