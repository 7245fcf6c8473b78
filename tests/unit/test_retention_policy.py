"""Retention cutoffs (pure): calendar months, and the daily purge's next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.retention import DataKind, RetentionPolicy, months_before, next_daily_run
from dialer.retention.purge import policy_of
from dialer.settings import Settings


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 12, 6, 9, 30, tzinfo=UTC), 12, datetime(2025, 12, 6, 9, 30, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), 12, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 6, 30, tzinfo=UTC), 24, datetime(2024, 6, 30, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


def test_the_next_daily_run_is_strictly_after_now() -> None:
    before = datetime(2026, 7, 1, 1, 59, tzinfo=UTC)
    assert next_daily_run(before, 2) == datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    on_time = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    assert next_daily_run(on_time, 2) == datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
    assert next_daily_run(datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 2) == datetime(
        2027, 1, 1, 2, 0, tzinfo=UTC
    )


def test_the_default_policy_of_the_settings() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    policy = policy_of(Settings())
    assert policy == RetentionPolicy(12, 24, 6, 24, 12, timedelta(hours=12))
    cutoffs = policy.cutoffs(now)
    assert list(cutoffs) == list(DataKind)
    assert cutoffs[DataKind.ANSWERS] == datetime(2025, 12, 6, 12, 0, tzinfo=UTC)
    assert cutoffs[DataKind.NEVER_REACHED] == datetime(2026, 6, 6, 12, 0, tzinfo=UTC)
    assert cutoffs[DataKind.WEB_SESSIONS] == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [("audit_months", 5), ("answers_months", 0), ("web_sessions_h", 0), ("purge_hour_utc", 24)],
)
def test_retention_settings_refuse_what_would_defeat_them(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        Settings(retention={field: value})  # type: ignore[arg-type]
