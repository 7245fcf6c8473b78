"""The wallboard's rules (:mod:`dialer.core.wallboard`): the day's trend, the colours
against the thresholds, the alarms, and their French sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dialer.core.agent_states import AgentState
from dialer.core.labels import ALARM_KIND_LABELS, alarm_text
from dialer.core.wallboard import (
    DEFAULT_THRESHOLDS,
    MAX_BUCKETS,
    AlarmKind,
    Level,
    abandon_level,
    agent_level,
    alarms,
    bucket_count,
    day_trend,
    waiting_level,
)
from dialer.settings import WallboardSettings
from tests.english_leaks import english_leaks

MIDNIGHT = datetime(2026, 7, 12, 22, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def test_the_trend_runs_from_the_first_busy_bucket_to_now() -> None:
    now = MIDNIGHT + timedelta(hours=10, minutes=7)  # bucket 40
    trend = day_trend(
        MIDNIGHT, now, QUARTER, answered={30: 4, 39: 1}, abandoned={30: 1}, useful={35: 2}
    )
    assert [b.start for b in trend] == [MIDNIGHT + i * QUARTER for i in range(30, 41)]
    assert (trend[0].answered, trend[0].abandoned, trend[0].useful) == (4, 1, 0)
    assert trend[5].useful == 2
    assert trend[-1].start <= now < trend[-1].start + QUARTER


def test_a_quiet_day_shows_the_last_buckets_and_never_the_future() -> None:
    now = MIDNIGHT + timedelta(hours=3)
    trend = day_trend(MIDNIGHT, now, QUARTER, answered={99: 5}, abandoned={}, useful={})
    assert len(trend) == 8
    assert all(b.answered == 0 for b in trend)
    assert bucket_count(MIDNIGHT, MIDNIGHT + timedelta(days=3), QUARTER) == MAX_BUCKETS


def test_colours_follow_the_thresholds() -> None:
    t = DEFAULT_THRESHOLDS
    assert abandon_level(None, 0.01, t) is Level.NORMAL
    assert abandon_level(0.0079, 0.01, t) is Level.NORMAL
    assert abandon_level(0.008, 0.01, t) is Level.WARNING
    assert abandon_level(0.01, 0.01, t) is Level.ALARM
    assert agent_level(AgentState.PAUSED, timedelta(minutes=9), t) is Level.NORMAL
    assert agent_level(AgentState.PAUSED, timedelta(minutes=10), t) is Level.WARNING
    assert agent_level(AgentState.PAUSED, timedelta(minutes=20), t) is Level.ALARM
    assert agent_level(AgentState.ON_CALL, timedelta(hours=1), t) is Level.NORMAL
    assert [waiting_level(n, t) for n in (0, 1, 2, 3)] == [
        Level.NORMAL,
        Level.WARNING,
        Level.WARNING,
        Level.ALARM,
    ]


def test_alarms_most_urgent_first_in_french() -> None:
    found = alarms(
        abandon_rate=0.009,
        abandon_cap=0.01,
        paused=[("agent1", timedelta(minutes=12)), ("agent2", timedelta(minutes=25))],
        waiting=0,
        callbacks_overdue=2,
        thresholds=DEFAULT_THRESHOLDS,
    )
    assert [(a.kind, a.level, a.agent) for a in found] == [
        (AlarmKind.LONG_PAUSE, Level.ALARM, "agent2"),
        (AlarmKind.CALLBACKS_OVERDUE, Level.ALARM, ""),
        (AlarmKind.ABANDON_RATE, Level.WARNING, ""),
        (AlarmKind.LONG_PAUSE, Level.WARNING, "agent1"),
    ]
    texts = [alarm_text(a) for a in found]
    assert texts == [
        "agent2 en pause depuis 25 min (seuil : 20 min)",
        "2 rappels en retard (voir Supervision)",
        "Taux d'abandon du jour 0,9 % : approche le plafond de 1,0 %",
        "agent1 en pause depuis 12 min (seuil : 10 min)",
    ]
    assert all(english_leaks(text) == [] for text in texts)
    assert set(ALARM_KIND_LABELS) == set(AlarmKind)


def test_nothing_to_act_on_raises_no_alarm() -> None:
    assert (
        alarms(
            abandon_rate=None,
            abandon_cap=0.01,
            paused=[("agent1", timedelta(minutes=1))],
            waiting=0,
            callbacks_overdue=0,
            thresholds=DEFAULT_THRESHOLDS,
        )
        == ()
    )


def test_the_thresholds_come_from_the_settings() -> None:
    settings = WallboardSettings(pause_warning_min=5, pause_alarm_min=8, trend_bucket_min=30)
    thresholds = settings.thresholds()
    assert thresholds.pause_warning == timedelta(minutes=5)
    assert thresholds.trend_bucket == timedelta(minutes=30)


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValidationError, match="pause_alarm_min"):
        WallboardSettings(pause_warning_min=30, pause_alarm_min=10)
