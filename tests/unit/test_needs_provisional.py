"""A needs analysis whose figures may still move is provisional (its notice says not to
publish it, its file is named « …-provisoire »): while a cycle it covers is still open."""

from __future__ import annotations

from datetime import date

from dialer.reports.needs import Period, provisional

OPEN_SINCE = date(2026, 12, 1)


def test_provisional_while_a_covered_cycle_is_open() -> None:
    assert provisional(Period(), open_since=OPEN_SINCE)  # the whole campaign, still calling
    assert provisional(Period(date(2026, 12, 1), date(2026, 12, 31)), open_since=OPEN_SINCE)
    assert provisional(Period(end=date(2026, 12, 31)), open_since=OPEN_SINCE)
    # a period that ended before the open cycle began: its figures are settled
    assert not provisional(Period(date(2026, 11, 1), date(2026, 11, 30)), open_since=OPEN_SINCE)
    # every cycle closed: nothing moves any more
    assert not provisional(Period(), open_since=None)
