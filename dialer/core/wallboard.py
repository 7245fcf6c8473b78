"""The operations wallboard's rules: the day's trend in buckets, the colour of each figure
against its threshold, and the alarms. Pure: ``now`` and the counts are passed in; the
thresholds come from the settings' ``[wallboard]`` section; the French words are in
:mod:`dialer.core.labels`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.agent_states import AgentState

#: the most buckets a trend shows (a day of 15 minute buckets)
MAX_BUCKETS = 96


class Level(StrEnum):
    """A figure's colour on the wallboard."""

    NORMAL = "normal"
    WARNING = "warning"
    ALARM = "alarm"


class AlarmKind(StrEnum):
    ABANDON_RATE = "abandon_rate"  #: today's abandon rate near or over the campaign's cap
    LONG_PAUSE = "long_pause"  #: an agent paused too long
    PEOPLE_WAITING = "people_waiting"  #: answered people waiting for an agent
    CALLBACKS_OVERDUE = "callbacks_overdue"  #: reserved calls nobody took in time


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a figure turns orange (warning) or red (alarm)."""

    #: share of the campaign's abandon cap from which today's rate is a warning (at the cap:
    #: an alarm)
    abandon_warning_share: float = 0.8
    pause_warning: timedelta = timedelta(minutes=10)
    pause_alarm: timedelta = timedelta(minutes=20)
    waiting_warning: int = 1
    waiting_alarm: int = 3
    trend_bucket: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class TrendBucket:
    start: datetime
    answered: int
    abandoned: int
    useful: int


@dataclass(frozen=True, slots=True)
class Alarm:
    kind: AlarmKind
    level: Level
    #: the agent it is about (a long pause), else ""
    agent: str = ""
    #: the figure that raised it (a rate, seconds, a count)
    value: float = 0.0
    #: the threshold it passed
    limit: float = 0.0


def bucket_count(day_start: datetime, now: datetime, width: timedelta) -> int:
    """How many buckets of ``width`` from ``day_start`` up to and including ``now``'s."""
    return max(1, min(MAX_BUCKETS, math.floor((now - day_start) / width) + 1))


def day_trend(
    day_start: datetime,
    now: datetime,
    width: timedelta,
    *,
    answered: Mapping[int, int],
    abandoned: Mapping[int, int],
    useful: Mapping[int, int],
    shown: int = 8,
) -> tuple[TrendBucket, ...]:
    """The day's trend: one bucket per ``width`` from the first that counted anything (at
    least the last ``shown``) to ``now``'s; the counts are keyed by bucket number from
    ``day_start`` (0: the first)."""
    last = bucket_count(day_start, now, width) - 1
    busy = [i for counts in (answered, abandoned, useful) for i, n in counts.items() if n > 0]
    first = max(0, min([last - shown + 1, *[i for i in busy if 0 <= i <= last]]))
    first = max(first, last - MAX_BUCKETS + 1)
    return tuple(
        TrendBucket(
            day_start + i * width, answered.get(i, 0), abandoned.get(i, 0), useful.get(i, 0)
        )
        for i in range(first, last + 1)
    )


def abandon_level(rate: float | None, cap: float, thresholds: Thresholds) -> Level:
    """Today's abandon rate against the campaign's cap."""
    if rate is None or cap <= 0:
        return Level.NORMAL
    if rate >= cap:
        return Level.ALARM
    if rate >= cap * thresholds.abandon_warning_share:
        return Level.WARNING
    return Level.NORMAL


def agent_level(state: AgentState, in_state: timedelta, thresholds: Thresholds) -> Level:
    """An agent's row: orange or red when paused too long."""
    if state is not AgentState.PAUSED:
        return Level.NORMAL
    if in_state >= thresholds.pause_alarm:
        return Level.ALARM
    if in_state >= thresholds.pause_warning:
        return Level.WARNING
    return Level.NORMAL


def waiting_level(waiting: int, thresholds: Thresholds) -> Level:
    """Answered people waiting for an agent (each may become an abandon)."""
    if waiting >= thresholds.waiting_alarm:
        return Level.ALARM
    if waiting >= thresholds.waiting_warning:
        return Level.WARNING
    return Level.NORMAL


def alarms(
    *,
    abandon_rate: float | None,
    abandon_cap: float,
    paused: Iterable[tuple[str, timedelta]],
    waiting: int,
    callbacks_overdue: int,
    thresholds: Thresholds,
) -> tuple[Alarm, ...]:
    """Everything the room should act on now, the most urgent first."""
    found: list[Alarm] = []
    level = abandon_level(abandon_rate, abandon_cap, thresholds)
    if level is not Level.NORMAL and abandon_rate is not None:
        found.append(Alarm(AlarmKind.ABANDON_RATE, level, value=abandon_rate, limit=abandon_cap))
    for agent, in_state in paused:
        level = agent_level(AgentState.PAUSED, in_state, thresholds)
        if level is not Level.NORMAL:
            limit = thresholds.pause_alarm if level is Level.ALARM else thresholds.pause_warning
            found.append(
                Alarm(
                    AlarmKind.LONG_PAUSE,
                    level,
                    agent=agent,
                    value=in_state.total_seconds(),
                    limit=limit.total_seconds(),
                )
            )
    level = waiting_level(waiting, thresholds)
    if level is not Level.NORMAL:
        found.append(Alarm(AlarmKind.PEOPLE_WAITING, level, value=waiting))
    if callbacks_overdue > 0:
        found.append(Alarm(AlarmKind.CALLBACKS_OVERDUE, Level.ALARM, value=callbacks_overdue))
    return tuple(sorted(found, key=lambda alarm: alarm.level is not Level.ALARM))


#: the thresholds when the settings leave them out
DEFAULT_THRESHOLDS = Thresholds()
