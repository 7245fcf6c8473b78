"""The pure rules of campaigns planned by dates (:mod:`dialer.core.campaign_plans`): the
checks naming their field, and when the service opens and closes a plan (Paris days,
summer and winter time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dialer.core.campaign_plans import (
    MAX_PLAN_DAYS,
    PlannedDates,
    PlanStep,
    check_plan,
    closes_at,
    opens_at,
    parse_plan_date,
    plan_step,
)
from dialer.errors import InputError

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_dates_are_read_or_refused_naming_the_field() -> None:
    assert parse_plan_date("2026-12-14", "starts_on") == date(2026, 12, 14)
    assert parse_plan_date(date(2026, 12, 14), "starts_on") == date(2026, 12, 14)
    for bad in ("14/12/2026", "", "2026-02-30", 20261214, None, "x" * 50):
        with pytest.raises(InputError, match="« starts_on »"):
            parse_plan_date(bad, "starts_on")


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field"),
    [
        (date(2026, 12, 6), date(2026, 12, 20), "starts_on"),  # yesterday
        (date(2026, 12, 20), date(2026, 12, 19), "ends_on"),
        (date(2026, 12, 8), date(2026, 12, 8) + timedelta(days=MAX_PLAN_DAYS), "ends_on"),
        (date(2028, 6, 1), date(2028, 6, 10), "starts_on"),  # too far ahead
        (date(2026, 12, 31), date(2027, 1, 5), "starts_on"),  # over the other plan
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(starts_on: date, ends_on: date, field: str) -> None:
    other = PlannedDates(7, date(2026, 12, 14), date(2026, 12, 31))
    with pytest.raises(InputError, match=f"« {field} »"):
        check_plan(starts_on, ends_on, now=NOW, others=[other])


def test_today_and_a_plan_just_after_another_are_allowed() -> None:
    other = PlannedDates(7, date(2026, 12, 14), date(2026, 12, 31))
    check_plan(date(2026, 12, 7), date(2026, 12, 13), now=NOW, others=[other])
    check_plan(date(2027, 1, 1), date(2027, 1, 10), now=NOW, others=[other])


def test_a_plan_opens_at_paris_midnight_and_closes_after_its_last_day() -> None:
    assert opens_at(date(2026, 12, 14)) == datetime(2026, 12, 13, 23, 0, tzinfo=UTC)
    assert closes_at(date(2026, 8, 31)) == datetime(2026, 8, 31, 22, 0, tzinfo=UTC)
    first, last = date(2026, 12, 14), date(2026, 12, 31)
    before = datetime(2026, 12, 13, 22, 59, tzinfo=UTC)
    assert plan_step(first, last, opened=False, closed=False, now=before) is PlanStep.NOTHING
    start = opens_at(first)
    assert plan_step(first, last, opened=False, closed=False, now=start) is PlanStep.OPEN
    assert plan_step(first, last, opened=True, closed=False, now=start) is PlanStep.NOTHING
    end = closes_at(last)
    assert plan_step(first, last, opened=True, closed=False, now=end) is PlanStep.CLOSE
    # a service down for the whole range closes it without opening it
    assert plan_step(first, last, opened=False, closed=False, now=end) is PlanStep.CLOSE
    assert plan_step(first, last, opened=True, closed=True, now=end) is PlanStep.NOTHING
