"""A campaign's settings as a supervisor edits them: calling windows (per weekday, public
holidays, closed and open dates), retry policy, answering-machine detection, caller id,
ring timeout, cycle length and questionnaire version.

One vocabulary for the API, the steering page, the template files and the audit log: the
flat names of :data:`FIELDS` (delays in minutes, the cycle length in hours). Changes are
applied by :func:`changed_settings`, which checks every value and raises
:class:`~dialer.errors.InputError` naming the field (« champ « busy_delay_min » : ... »);
:func:`differences` gives the audit's old → new values. No I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, Intervals, OpeningInterval
from dialer.errors import ConfigurationError, InputError

#: the ring timeout's bounds (seconds): under 15 s elderly people cannot reach the phone
MIN_RING_TIMEOUT_S = 15
MAX_RING_TIMEOUT_S = 120
MAX_ATTEMPTS = 20
#: the cycle length's bounds (hours)
MAX_CYCLE_LENGTH_H = 24 * 30
#: at most this many closed or open dates, and opening intervals a day
MAX_DATES = 400
MAX_INTERVALS = 12
#: a delay is at most a month (minutes)
MAX_DELAY_MIN = 60 * 24 * 30
CALLER_ID = re.compile(r"\+?[0-9]{2,20}\Z")
#: the retry policy's delays as edited, in minutes: flat name -> RetryPolicy field
DELAY_FIELDS: dict[str, str] = {
    f"{f.name}_min": f.name
    for f in fields(RetryPolicy)
    if f.type in ("timedelta", timedelta) and f.name != "cycle_length"
}
#: the delays shown and edited on the page and the API (the others: template files only)
EDITED_DELAYS = (
    "busy_delay_min",
    "no_answer_delay_min",
    "machine_delay_min",
    "answered_delay_min",
    "failure_delay_min",
    "min_gap_between_attempts_min",
)
WINDOW_FIELDS = ("week", "holiday", "closed_dates", "open_dates")
#: every field one may change, in display order
FIELDS = (
    *WINDOW_FIELDS,
    "max_attempts",
    "cycle_length_h",
    *EDITED_DELAYS,
    "answering_machine_detection",
    "caller_id",
    "ring_timeout_s",
    "questionnaire_version",
)


@dataclass(frozen=True)
class CampaignSettings:
    windows: CallingWindows
    policy: RetryPolicy
    answering_machine_detection: bool
    caller_id: str
    #: ``None``: the service's (``[dialing] ring_timeout_s``)
    ring_timeout_s: int | None
    questionnaire_version: int


def settings_json(settings: CampaignSettings) -> dict[str, Any]:
    """The settings under their flat names (JSON values)."""
    windows, policy = settings.windows, settings.policy
    return {
        "week": [[str(i) for i in day] for day in windows.week],
        "holiday": [str(i) for i in windows.holiday],
        "closed_dates": sorted(d.isoformat() for d in windows.closed_dates),
        "open_dates": {
            d.isoformat(): [str(i) for i in intervals]
            for d, intervals in sorted(windows.open_dates.items())
        },
        "max_attempts": policy.max_attempts,
        "cycle_length_h": _number(policy.cycle_length.total_seconds() / 3600),
        **{
            name: _number(getattr(policy, DELAY_FIELDS[name]).total_seconds() / 60)
            for name in EDITED_DELAYS
        },
        "answering_machine_detection": settings.answering_machine_detection,
        "caller_id": settings.caller_id,
        "ring_timeout_s": settings.ring_timeout_s,
        "questionnaire_version": settings.questionnaire_version,
    }


def differences(before: CampaignSettings, after: CampaignSettings) -> dict[str, dict[str, Any]]:
    """``{"before": {field: old}, "after": {field: new}}`` for the fields that changed (the
    audit entry's details)."""
    old, new = settings_json(before), settings_json(after)
    changed = [name for name in FIELDS if old[name] != new[name]]
    return {
        "before": {name: old[name] for name in changed},
        "after": {name: new[name] for name in changed},
    }


def changed_settings(current: CampaignSettings, change: Mapping[str, Any]) -> CampaignSettings:
    """``current`` with ``change`` (flat names, JSON values) applied; :class:`InputError`
    naming the first bad field."""
    unknown = sorted(set(change) - set(FIELDS))
    if unknown:
        raise _bad(unknown[0], "réglage inconnu")
    windows = _windows(current.windows, change)
    policy = retry_policy(current.policy, change)
    amd = change.get("answering_machine_detection", current.answering_machine_detection)
    if not isinstance(amd, bool):
        raise _bad("answering_machine_detection", "oui ou non (true ou false)")
    return CampaignSettings(
        windows=windows,
        policy=policy,
        answering_machine_detection=amd,
        caller_id=_caller_id(change.get("caller_id", current.caller_id)),
        ring_timeout_s=_ring_timeout(change.get("ring_timeout_s", current.ring_timeout_s)),
        questionnaire_version=_whole(
            "questionnaire_version",
            change.get("questionnaire_version", current.questionnaire_version),
            1,
            10**6,
        ),
    )


def retry_policy(base: RetryPolicy, change: Mapping[str, Any]) -> RetryPolicy:
    """``base`` with the retry fields of ``change`` (``max_attempts``, ``cycle_length_h``,
    ``relative_calls_per_cycle``, ``*_min`` delays); other keys are ignored."""
    values: dict[str, Any] = {}
    if "max_attempts" in change:
        values["max_attempts"] = _whole("max_attempts", change["max_attempts"], 1, MAX_ATTEMPTS)
    if "relative_calls_per_cycle" in change:
        values["relative_calls_per_cycle"] = _whole(
            "relative_calls_per_cycle", change["relative_calls_per_cycle"], 0, 10
        )
    if "cycle_length_h" in change:
        hours = _amount("cycle_length_h", change["cycle_length_h"], MAX_CYCLE_LENGTH_H)
        if hours <= 0:
            raise _bad("cycle_length_h", "doit être supérieure à 0")
        values["cycle_length"] = timedelta(hours=hours)
    for name, field in DELAY_FIELDS.items():
        if name in change:
            values[field] = timedelta(minutes=_amount(name, change[name], MAX_DELAY_MIN))
    try:
        return replace(base, **values)
    except ConfigurationError as exc:
        raise InputError(f"règles de rappel : {exc}") from None


def _windows(current: CallingWindows, change: Mapping[str, Any]) -> CallingWindows:
    week = current.week
    if "week" in change:
        days = change["week"]
        if not isinstance(days, list) or len(days) != 7:
            raise _bad("week", "7 listes de plages attendues, lundi d'abord")
        week = tuple(_intervals(f"week[{n}]", day) for n, day in enumerate(days))
    holiday = _intervals("holiday", change["holiday"]) if "holiday" in change else current.holiday
    closed = current.closed_dates
    if "closed_dates" in change:
        raw = change["closed_dates"]
        if not isinstance(raw, list) or len(raw) > MAX_DATES:
            raise _bad("closed_dates", f"une liste de {MAX_DATES} dates AAAA-MM-JJ au plus")
        closed = frozenset(_date("closed_dates", d) for d in raw)
    open_dates: Mapping[date, Intervals] = current.open_dates
    if "open_dates" in change:
        raw = change["open_dates"]
        if not isinstance(raw, dict) or len(raw) > MAX_DATES:
            raise _bad("open_dates", f"un objet {{date: [plages]}}, {MAX_DATES} dates au plus")
        open_dates = {
            _date("open_dates", d): _intervals(f"open_dates.{d}", v) for d, v in raw.items()
        }
    try:
        return replace(
            current, week=week, holiday=holiday, closed_dates=closed, open_dates=open_dates
        )
    except ConfigurationError as exc:
        where = "open_dates" if "ouvert" in str(exc) else "week"
        raise _bad(where, str(exc)) from None


def _intervals(name: str, raw: object) -> Intervals:
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_INTERVALS
        or not all(isinstance(t, str) and len(t) <= 20 for t in raw)
    ):
        raise _bad(name, f"une liste de {MAX_INTERVALS} plages HH:MM-HH:MM au plus")
    try:
        return tuple(OpeningInterval.parse(text) for text in raw)
    except ConfigurationError as exc:
        raise _bad(name, str(exc)) from None


def _date(name: str, raw: object) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise _bad(name, f"date invalide {str(raw)[:20]!r} (AAAA-MM-JJ)") from None


def _caller_id(raw: object) -> str:
    text = raw.strip() if isinstance(raw, str) else raw
    if not isinstance(text, str) or (text and not CALLER_ID.match(text)):
        raise _bad("caller_id", "un numéro de 2 à 20 chiffres, + possible devant (ou vide)")
    return text


def _ring_timeout(raw: object) -> int | None:
    if raw is None:
        return None
    return _whole("ring_timeout_s", raw, MIN_RING_TIMEOUT_S, MAX_RING_TIMEOUT_S)


def _whole(name: str, raw: object, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _bad(name, "doit être un nombre entier")
    if not low <= raw <= high:
        raise _bad(name, f"entre {low} et {high}")
    return raw


def _amount(name: str, raw: object, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or math.isnan(raw):
        raise _bad(name, "doit être un nombre")
    if not 0 <= raw <= high:
        raise _bad(name, f"entre 0 et {high:g}")
    return float(raw)


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else round(value, 3)


def _bad(name: str, reason: str) -> InputError:
    return InputError(f"champ « {name} » : {reason}")
