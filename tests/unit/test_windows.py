"""Calling windows, to the minute: weekdays, weekends, French public holidays, DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.windows import (
    PARIS,
    CallingWindows,
    FrenchPublicHolidays,
    NoCallingWindowError,
    OpeningInterval,
    calling_time_between,
    intervals_on,
    is_open,
    local_instant,
    next_opening,
    open_intervals,
    window_end,
)
from dialer.errors import ConfigurationError

WINDOWS = CallingWindows()


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def hours(text: str) -> tuple[OpeningInterval, ...]:
    return tuple(OpeningInterval.parse(part) for part in text.split(","))


# --- is_open ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (paris(2026, 7, 13, 8, 59, second=59), False),  # Monday
        (paris(2026, 7, 13, 9, 0), True),
        (paris(2026, 7, 13, 18, 59), True),
        (paris(2026, 7, 13, 18, 59, second=59), True),
        (paris(2026, 7, 13, 19, 0), False),
        (paris(2026, 7, 18, 9, 59), False),  # Saturday
        (paris(2026, 7, 18, 10, 0), True),
        (paris(2026, 7, 19, 9, 30), False),  # Sunday
        (paris(2026, 7, 19, 18, 59), True),
        (paris(2026, 7, 14, 9, 30), False),  # Bastille Day, a Tuesday
        (paris(2026, 7, 14, 10, 0), True),
        (paris(2025, 8, 15, 9, 30), False),  # Assumption, a Friday
        (paris(2025, 8, 15, 10, 0), True),
        (paris(2026, 4, 6, 9, 0), False),  # Easter Monday
        (paris(2026, 4, 6, 10, 0), True),
        (paris(2026, 5, 14, 9, 30), False),  # Ascension Thursday
        (paris(2026, 4, 3, 9, 30), True),  # Good Friday: not a holiday in most of France
        (paris(2026, 12, 25, 9, 30), False),
        (paris(2026, 12, 24, 9, 30), True),
    ],
)
def test_is_open_to_the_minute(instant: datetime, expected: bool) -> None:
    assert is_open(WINDOWS, instant) is expected


def test_is_open_takes_any_timezone() -> None:
    # 07:00 UTC is 09:00 in Paris in July: open; 06:59 UTC is 08:59: closed.
    assert is_open(WINDOWS, datetime(2026, 7, 13, 7, 0, tzinfo=UTC))
    assert not is_open(WINDOWS, datetime(2026, 7, 13, 6, 59, tzinfo=UTC))
    # in January Paris is UTC+1: 08:00 UTC is 09:00 local
    assert is_open(WINDOWS, datetime(2026, 1, 12, 8, 0, tzinfo=UTC))
    assert not is_open(WINDOWS, datetime(2026, 1, 12, 7, 59, tzinfo=UTC))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(WINDOWS, datetime(2026, 7, 13, 10, 0))  # noqa: DTZ001


def test_moselle_keeps_good_friday() -> None:
    moselle = CallingWindows(public_holidays=FrenchPublicHolidays(subdiv="57"))
    assert not is_open(moselle, paris(2026, 4, 3, 9, 30))
    assert is_open(moselle, paris(2026, 4, 3, 10, 0))
    assert not is_open(moselle, paris(2026, 12, 26, 9, 30))  # Saint Stephen, a Saturday anyway
    assert intervals_on(moselle, date(2026, 4, 3)) == hours("10:00-19:00")


def test_holidays_come_from_the_library_for_every_year() -> None:
    national = FrenchPublicHolidays()
    assert date(2030, 7, 14) in national
    assert date(2027, 3, 29) in national  # Easter Monday 2027
    assert date(2027, 3, 30) not in national
    assert datetime(2030, 7, 14, tzinfo=UTC) not in national  # a datetime is not a date


def test_an_injected_holiday_set_replaces_the_library() -> None:
    windows = CallingWindows(public_holidays=frozenset({date(2026, 7, 13)}))
    assert not is_open(windows, paris(2026, 7, 13, 9, 30))  # "holiday" Monday opens at 10
    assert is_open(windows, paris(2026, 7, 14, 9, 30))  # 14 July is a plain Tuesday here


def test_holiday_hours_are_their_own_setting() -> None:
    windows = CallingWindows(holiday=hours("14:00-16:00"))
    assert not is_open(windows, paris(2026, 7, 14, 13, 59))
    assert is_open(windows, paris(2026, 7, 14, 14, 0))
    assert not is_open(windows, paris(2026, 7, 14, 16, 0))
    assert is_open(windows, paris(2026, 7, 18, 10, 0))  # weekends keep 10:00-19:00


def test_extra_closed_and_open_dates() -> None:
    windows = CallingWindows(
        closed_dates=frozenset({date(2026, 7, 15)}),
        open_dates={date(2026, 7, 14): hours("08:00-12:00,13:00-20:00")},
    )
    assert not is_open(windows, paris(2026, 7, 15, 12, 0))
    assert is_open(windows, paris(2026, 7, 14, 8, 0))  # beats the holiday rule
    assert not is_open(windows, paris(2026, 7, 14, 12, 30))
    assert is_open(windows, paris(2026, 7, 14, 19, 59))
    assert next_opening(windows, paris(2026, 7, 14, 20, 0)) == paris(2026, 7, 16, 9, 0)


def test_night_windows_belong_to_their_local_date() -> None:
    # 00:30 in Paris on Monday 13 July is still Sunday 12 July in UTC
    windows = CallingWindows(open_dates={date(2026, 7, 13): hours("00:00-01:00")})
    assert is_open(windows, paris(2026, 7, 13, 0, 30))
    assert not is_open(windows, paris(2026, 7, 13, 1, 0))
    assert next_opening(windows, paris(2026, 7, 12, 19, 0)) == paris(2026, 7, 13, 0, 0)
    assert window_end(windows, paris(2026, 7, 13, 0, 30)) == paris(2026, 7, 13, 1, 0)


def test_invalid_windows_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="le début doit précéder la fin"):
        OpeningInterval(time(19), time(9))
    with pytest.raises(ConfigurationError, match="HH:MM"):
        OpeningInterval.parse("nine to five")
    with pytest.raises(
        ConfigurationError, match="jours fériés : 09:00-12:00 chevauche 11:00-13:00"
    ):
        CallingWindows(holiday=hours("09:00-12:00,11:00-13:00"))
    with pytest.raises(ConfigurationError, match="2026-07-15 à la fois ouvert"):
        CallingWindows(
            closed_dates=frozenset({date(2026, 7, 15)}),
            open_dates={date(2026, 7, 15): hours("09:00-10:00")},
        )
    with pytest.raises(ConfigurationError, match="7 jours attendus"):
        CallingWindows(week=(hours("09:00-10:00"),) * 6)


# --- next_opening, window_end ----------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "opening"),
    [
        (paris(2026, 7, 17, 19, 0), paris(2026, 7, 18, 10, 0)),  # Friday evening → Saturday
        (paris(2026, 7, 13, 8, 0), paris(2026, 7, 13, 9, 0)),
        (paris(2026, 7, 13, 12, 34), paris(2026, 7, 13, 12, 34)),  # open: itself
        (paris(2026, 7, 13, 19, 0), paris(2026, 7, 14, 10, 0)),  # Monday → Bastille Day
        (paris(2026, 4, 5, 19, 30), paris(2026, 4, 6, 10, 0)),  # Easter Sunday → Monday
        (paris(2026, 3, 28, 20, 0), paris(2026, 3, 29, 10, 0)),  # into summer time
        (paris(2026, 10, 24, 20, 0), paris(2026, 10, 25, 10, 0)),  # into winter time
    ],
)
def test_next_opening(instant: datetime, opening: datetime) -> None:
    result = next_opening(WINDOWS, instant)
    assert result == opening
    assert result.tzinfo is UTC


def test_next_opening_on_dst_days_is_local_ten_oclock() -> None:
    assert next_opening(WINDOWS, paris(2026, 3, 29)) == datetime(2026, 3, 29, 8, tzinfo=UTC)
    assert next_opening(WINDOWS, paris(2026, 10, 25)) == datetime(2026, 10, 25, 9, tzinfo=UTC)


def test_next_opening_gives_up_with_a_clear_error() -> None:
    never = CallingWindows(week=((),) * 7, holiday=())
    with pytest.raises(
        NoCallingWindowError, match="aucune plage d'appel ne s'ouvre dans les 400 jours"
    ):
        next_opening(never, paris(2026, 7, 13))
    assert isinstance(NoCallingWindowError("x"), ConfigurationError)


def test_window_end() -> None:
    assert window_end(WINDOWS, paris(2026, 7, 13, 12, 0)) == paris(2026, 7, 13, 19, 0)
    assert window_end(WINDOWS, paris(2026, 7, 13, 9, 0)) == paris(2026, 7, 13, 19, 0)
    assert window_end(WINDOWS, paris(2026, 7, 13, 19, 0)) is None
    assert window_end(WINDOWS, paris(2026, 7, 13, 8, 59)) is None
    split = CallingWindows(week=(hours("09:00-12:00,14:00-19:00"),) * 7)
    assert window_end(split, paris(2026, 7, 13, 10, 0)) == paris(2026, 7, 13, 12, 0)
    assert window_end(split, paris(2026, 7, 13, 12, 0)) is None
    assert next_opening(split, paris(2026, 7, 13, 12, 0)) == paris(2026, 7, 13, 14, 0)
    touching = CallingWindows(week=(hours("09:00-12:00,12:00-19:00"),) * 7)
    assert window_end(touching, paris(2026, 7, 13, 10, 0)) == paris(2026, 7, 13, 19, 0)


# --- calling_time_between, open_intervals ----------------------------------------------


def test_calling_time_across_a_weekend() -> None:
    # Friday 18:00 → Monday 10:00: 1 h Friday, 9 h Saturday, 9 h Sunday, 1 h Monday
    friday, monday = paris(2026, 7, 17, 18, 0), paris(2026, 7, 20, 10, 0)
    assert calling_time_between(WINDOWS, friday, monday) == timedelta(hours=20)
    assert calling_time_between(WINDOWS, monday, friday) == timedelta(0)


def test_calling_time_within_one_window_is_exact() -> None:
    start, deadline = paris(2026, 7, 13, 9, 17), paris(2026, 7, 13, 9, 48)
    assert calling_time_between(WINDOWS, start, deadline) == timedelta(minutes=31)


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_calling_time_on_dst_days_with_daytime_windows(day: date) -> None:
    start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=PARIS)
    deadline = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
    # Saturday and Sunday 10:00-19:00, whatever the clocks did at 02:00
    assert calling_time_between(WINDOWS, start, deadline) == timedelta(hours=18)


def test_calling_time_across_the_spring_gap_is_real_time() -> None:
    night = hours("00:00-06:00")
    windows = CallingWindows(open_dates={date(2026, 3, 29): night, date(2026, 10, 25): night})
    spring = calling_time_between(windows, paris(2026, 3, 29), paris(2026, 3, 30))
    autumn = calling_time_between(windows, paris(2026, 10, 25), paris(2026, 10, 26))
    assert spring == timedelta(hours=5)  # 02:00-03:00 never happened
    assert autumn == timedelta(hours=7)  # 02:00-03:00 happened twice


def test_wall_clock_times_in_the_gap_and_the_fold() -> None:
    # 02:30 does not exist on 29 March 2026: it means 03:00 CEST, the end of the gap
    assert local_instant(date(2026, 3, 29), time(2, 30), PARIS) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    # 02:30 happens twice on 25 October 2026: the first one, still CEST
    assert local_instant(date(2026, 10, 25), time(2, 30), PARIS) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    odd = hours("02:30-04:00")
    windows = CallingWindows(open_dates={date(2026, 3, 29): odd, date(2026, 10, 25): odd})
    assert open_intervals(windows, paris(2026, 3, 29), paris(2026, 3, 30)) == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC))
    ]
    assert open_intervals(windows, paris(2026, 10, 25), paris(2026, 10, 26)) == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    ]
    # the second 02:45 of the fold (CET, fold=1) is inside the window too
    assert is_open(windows, datetime(2026, 10, 25, 2, 45, tzinfo=PARIS, fold=1))
    # an interval wholly inside the spring gap is empty, not negative
    empty = CallingWindows(open_dates={date(2026, 3, 29): hours("02:10-02:50")})
    assert open_intervals(empty, paris(2026, 3, 29), paris(2026, 3, 30)) == []


def test_open_intervals_clip_and_order() -> None:
    spans = open_intervals(WINDOWS, paris(2026, 7, 17, 12, 0), paris(2026, 7, 18, 12, 0))
    assert spans == [
        (paris(2026, 7, 17, 12, 0), paris(2026, 7, 17, 19, 0)),
        (paris(2026, 7, 18, 10, 0), paris(2026, 7, 18, 12, 0)),
    ]
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in spans)


# --- properties -------------------------------------------------------------------------

_SPECIAL_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2025, 3, 30),
    date(2030, 10, 27),
    date(2026, 7, 14),
    date(2025, 8, 15),
    date(2027, 3, 29),
    date(2028, 5, 25),
]

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.builds(
        lambda day, minutes: (
            datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
            + timedelta(minutes=minutes)
        ),
        st.sampled_from(_SPECIAL_DAYS),
        st.integers(min_value=0, max_value=24 * 60),
    ),
)


@settings(max_examples=200, deadline=None)
@given(instants)
def test_next_opening_and_window_end_agree_with_is_open(instant: datetime) -> None:
    opening = next_opening(WINDOWS, instant)
    assert opening >= instant
    assert is_open(WINDOWS, opening)
    # closed all the way from instant to opening
    assert calling_time_between(WINDOWS, instant, opening) == timedelta(0)
    end = window_end(WINDOWS, opening)
    assert end is not None
    assert end > opening
    assert not is_open(WINDOWS, end)
    assert is_open(WINDOWS, end - timedelta(microseconds=1))
    local_end = end.astimezone(PARIS)
    assert local_end.time() == time(19, 0)
    assert window_end(WINDOWS, instant) == (end if opening == instant else None)


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(0, 4 * 24 * 60), st.integers(0, 4 * 24 * 60))
def test_calling_time_adds_up(start: datetime, first: int, second: int) -> None:
    middle = start + timedelta(minutes=first)
    end = middle + timedelta(minutes=second)
    whole = calling_time_between(WINDOWS, start, end)
    assert whole == calling_time_between(WINDOWS, start, middle) + calling_time_between(
        WINDOWS, middle, end
    )
    assert timedelta(0) <= whole <= end - start
