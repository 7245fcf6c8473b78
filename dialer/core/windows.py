"""Calling windows: when a person may be called, in the campaign's local wall-clock time.

Rules:

* Each local date has opening intervals ``[start, end)`` in wall-clock time. The first rule
  that matches the date gives them:

  1. the date is in ``closed_dates``: none, no calls that day;
  2. the date is in ``open_dates``: that date's own intervals;
  3. the date is a public holiday: ``holiday`` (default 10:00-19:00);
  4. otherwise the weekday's intervals (default Monday-Friday 09:00-19:00, Saturday and
     Sunday 10:00-19:00).

* A wall-clock time means the first instant at which the local clock shows that time or a
  later one: on the autumn fold (02:00-03:00 twice) the first occurrence, in the spring gap
  (02:00-03:00 skipped) the end of the gap. An interval can shrink across a change but never
  turns negative, and a day's intervals keep their order.
* Every datetime returned here is aware and in **UTC**, so that comparing and subtracting
  them is exact across daylight-saving changes (Python compares and subtracts two datetimes
  sharing one tzinfo by their wall clock). Arguments may be in any timezone but must be aware.
* Public holidays come from the ``holidays`` library, computed offline one year at a time and
  cached; any ``Container[date]`` (a ``frozenset`` in tests) can stand in for them.
"""

from __future__ import annotations

import functools
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError

PARIS = ZoneInfo("Europe/Paris")
#: how far ahead :func:`next_opening` looks before giving up
SEARCH_HORIZON = timedelta(days=400)
_ONE_DAY = timedelta(days=1)
_RESOLUTION = timedelta(microseconds=1)


class NoCallingWindowError(ConfigurationError):
    """No calling window opens within the search horizon: the windows are misconfigured."""


@dataclass(frozen=True, slots=True)
class OpeningInterval:
    """Calls allowed from ``start`` (included) to ``end`` (excluded), local wall-clock time,
    within one day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ConfigurationError(say("windows.local_times", interval=self))
        if not self.start < self.end:
            raise ConfigurationError(say("windows.start_after_end", interval=self))

    @classmethod
    def parse(cls, text: str) -> OpeningInterval:
        """``"09:00-19:00"`` → ``OpeningInterval(time(9), time(19))``."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            raise ConfigurationError(say("windows.bad_interval", text=text)) from exc
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


Intervals = tuple[OpeningInterval, ...]

WORKDAY_HOURS: Intervals = (OpeningInterval(time(9), time(19)),)
RESTDAY_HOURS: Intervals = (OpeningInterval(time(10), time(19)),)
#: Monday first, as ``date.weekday()`` counts
DEFAULT_WEEK: tuple[Intervals, ...] = (WORKDAY_HOURS,) * 5 + (RESTDAY_HOURS,) * 2


@functools.cache
def _french_holidays(year: int, subdiv: str | None) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", subdiv=subdiv, years=year).keys())


@dataclass(frozen=True, slots=True)
class FrenchPublicHolidays:
    """France's public holidays from the ``holidays`` library (no network), cached per year.
    ``subdiv`` adds a territory's own days, e.g. ``"57"`` (Moselle): Good Friday, 26 December.
    """

    subdiv: str | None = None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date) or isinstance(day, datetime):
            return False
        return day in _french_holidays(day.year, self.subdiv)


@dataclass(frozen=True)
class CallingWindows:
    """When the campaign may call: weekly hours, holiday hours, and per-date exceptions."""

    week: tuple[Intervals, ...] = DEFAULT_WEEK
    holiday: Intervals = RESTDAY_HOURS
    closed_dates: frozenset[date] = frozenset()
    open_dates: Mapping[date, Intervals] = field(default_factory=dict, hash=False)
    timezone: tzinfo = PARIS
    public_holidays: Container[date] = field(default_factory=FrenchPublicHolidays)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ConfigurationError(say("windows.week_length", count=len(self.week)))
        week = tuple(tuple(day) for day in self.week)
        *names, holidays_name = say("windows.days").split(",")
        for name, intervals in zip(names, week, strict=True):
            _check_disjoint(intervals, name)
        _check_disjoint(tuple(self.holiday), holidays_name)
        open_dates = {day: tuple(intervals) for day, intervals in self.open_dates.items()}
        for day, intervals in open_dates.items():
            _check_disjoint(intervals, day.isoformat())
        both = sorted(set(open_dates) & set(self.closed_dates))
        if both:
            dates = ", ".join(day.isoformat() for day in both)
            raise ConfigurationError(say("windows.open_and_closed", dates=dates))
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holiday", tuple(self.holiday))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "open_dates", MappingProxyType(open_dates))


def _check_disjoint(intervals: Intervals, where: str) -> None:
    ordered = sorted(intervals, key=lambda interval: interval.start)
    if list(ordered) != list(intervals):
        raise ConfigurationError(say("windows.unordered", where=where))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise ConfigurationError(
                say("windows.overlap", where=where, before=before, after=after)
            )


def to_utc(instant: datetime) -> datetime:
    """``instant`` in UTC. Raises ``ValueError`` for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive: pass an aware datetime")
    return instant.astimezone(UTC)


def local_date(windows: CallingWindows, instant: datetime) -> date:
    """The campaign's local date at ``instant``."""
    return to_utc(instant).astimezone(windows.timezone).date()


def intervals_on(windows: CallingWindows, day: date) -> Intervals:
    """The wall-clock opening intervals of ``day`` (closed, open, holiday, weekday rules)."""
    if day in windows.closed_dates:
        return ()
    if day in windows.open_dates:
        return windows.open_dates[day]
    if day in windows.public_holidays:
        return windows.holiday
    return windows.week[day.weekday()]


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The first instant (UTC) at which the clock of ``tz`` on ``day`` shows ``at`` or later."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first occurrence
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # ``at`` falls in a spring-forward gap: find the end of the gap by bisection.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # shows a time before ``at``
    after = first  # shows a time after ``at``
    while after - before > _RESOLUTION:
        middle = before + (after - before) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _day_spans(windows: CallingWindows, day: date) -> list[tuple[datetime, datetime]]:
    spans = []
    for interval in intervals_on(windows, day):
        start = local_instant(day, interval.start, windows.timezone)
        end = local_instant(day, interval.end, windows.timezone)
        if start < end:
            spans.append((start, end))
    return spans


def open_intervals(
    windows: CallingWindows, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The open spans ``[from, to)`` within ``[start, end)``, clipped, merged when they touch,
    in order, in UTC."""
    start, end = to_utc(start), to_utc(end)
    spans: list[tuple[datetime, datetime]] = []
    day, last_day = local_date(windows, start), local_date(windows, end)
    while day <= last_day:
        for span_start, span_end in _day_spans(windows, day):
            lower, upper = max(span_start, start), min(span_end, end)
            if lower >= upper:
                continue
            if spans and spans[-1][1] >= lower:
                spans[-1] = (spans[-1][0], max(spans[-1][1], upper))
            else:
                spans.append((lower, upper))
        day += _ONE_DAY
    return spans


def is_open(windows: CallingWindows, instant: datetime) -> bool:
    """May a person be called at ``instant``?"""
    instant = to_utc(instant)
    spans = _day_spans(windows, local_date(windows, instant))
    return any(start <= instant < end for start, end in spans)


def next_opening(
    windows: CallingWindows, instant: datetime, *, horizon: timedelta = SEARCH_HORIZON
) -> datetime:
    """``instant`` itself (in UTC) when a window is open then, else the instant the next window
    opens. Raises :class:`NoCallingWindowError` when none opens within ``horizon``."""
    instant = to_utc(instant)
    day, last_day = local_date(windows, instant), local_date(windows, instant + horizon)
    while day <= last_day:
        for start, end in _day_spans(windows, day):
            if end > instant:
                return max(start, instant)
        day += _ONE_DAY
    raise NoCallingWindowError(
        say("windows.none_open", days=horizon.days, instant=instant.isoformat())
    )


def window_end(windows: CallingWindows, instant: datetime) -> datetime | None:
    """When the window open at ``instant`` closes (UTC), or ``None`` when none is open."""
    instant = to_utc(instant)
    spans = open_intervals(windows, instant, instant + 2 * _ONE_DAY)
    if spans and spans[0][0] == instant:
        return spans[0][1]
    return None


def calling_time_between(windows: CallingWindows, start: datetime, deadline: datetime) -> timedelta:
    """How much calling time the windows leave between ``start`` and ``deadline``."""
    return sum(
        (end - begin for begin, end in open_intervals(windows, start, deadline)), timedelta()
    )
