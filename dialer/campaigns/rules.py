"""A campaign's calling windows and retry policy as stored (JSON columns) and back.

Stored as plain JSON so a supervisor (or the API) can read and edit them::

    {"week": [["09:00-19:00"], ... 7 lists, Monday first], "holiday": ["10:00-19:00"],
     "closed_dates": ["2026-07-14"], "open_dates": {"2026-08-16": ["10:00-12:00"]},
     "timezone": "Europe/Paris"}

    {"max_attempts": 4, "cycle_length_s": 172800, "busy_delay_s": 900, ...}
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.errors import InputError


def windows_to_json(windows: CallingWindows) -> dict[str, Any]:
    return {
        "week": [[str(i) for i in day] for day in windows.week],
        "holiday": [str(i) for i in windows.holiday],
        "closed_dates": sorted(d.isoformat() for d in windows.closed_dates),
        "open_dates": {
            d.isoformat(): [str(i) for i in intervals]
            for d, intervals in sorted(windows.open_dates.items())
        },
        "timezone": str(windows.timezone),
    }


def windows_from_json(data: dict[str, Any]) -> CallingWindows:
    """Raises :class:`InputError` naming the bad field."""
    try:
        return CallingWindows(
            week=tuple(_intervals(day) for day in data["week"]),
            holiday=_intervals(data["holiday"]),
            closed_dates=frozenset(date.fromisoformat(d) for d in data.get("closed_dates", [])),
            open_dates={
                date.fromisoformat(d): _intervals(v) for d, v in data.get("open_dates", {}).items()
            },
            timezone=ZoneInfo(data.get("timezone", "Europe/Paris")),
        )
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise InputError(f"calling_windows: {exc}") from exc


def _intervals(texts: list[str]) -> tuple[OpeningInterval, ...]:
    return tuple(OpeningInterval.parse(text) for text in texts)


def policy_to_json(policy: RetryPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(policy):
        value = getattr(policy, field.name)
        if isinstance(value, timedelta):
            out[f"{field.name}_s"] = int(value.total_seconds())
        else:
            out[field.name] = value
    return out


def policy_from_json(data: dict[str, Any]) -> RetryPolicy:
    """Raises :class:`InputError` naming the bad field."""
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(RetryPolicy)}
    for key, value in data.items():
        name = key.removesuffix("_s")
        if name not in names:
            raise InputError(f"retry_policy.{key}: unknown setting")
        kwargs[name] = timedelta(seconds=value) if key.endswith("_s") else value
    try:
        return RetryPolicy(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"retry_policy: {exc}") from exc
