"""The rule of who a hold keeps out of calls (:mod:`dialer.core.holds`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.core.attempts import CycleResult
from dialer.core.holds import HOLD_OF_RESULT, Hold, HoldKind, hold_until, may_be_dialled

T = datetime(2026, 7, 1, 10, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_an_opposition_holds_until_lifted_and_a_refusal_holds_nothing() -> None:
    opposed = Hold(HoldKind.OPPOSITION, T)
    assert not may_be_dialled([opposed], now=T + 1000 * WEEK, fingerprint="f")
    lifted = Hold(HoldKind.OPPOSITION, T, lifted_at=T + WEEK)
    assert not may_be_dialled([lifted], now=T + timedelta(days=6), fingerprint="f")
    assert may_be_dialled([lifted], now=T + WEEK, fingerprint="f")
    assert CycleResult.REFUSED not in HOLD_OF_RESULT


def test_deceased_for_ever_hospitalised_for_its_time_moved_until_the_register_changes() -> None:
    assert not may_be_dialled([Hold(HoldKind.DECEASED, T)], now=T + 500 * WEEK, fingerprint="")
    until = hold_until(HoldKind.HOSPITALISED, T, WEEK)
    assert until == T + WEEK
    hospital = Hold(HoldKind.HOSPITALISED, T, until=until)
    assert not may_be_dialled([hospital], now=T + WEEK - timedelta(seconds=1), fingerprint="")
    assert may_be_dialled([hospital], now=T + WEEK, fingerprint="")
    moved = Hold(HoldKind.MOVED, T, fingerprint="old")
    assert not may_be_dialled([moved], now=T + 50 * WEEK, fingerprint="old")
    assert may_be_dialled([moved], now=T + timedelta(hours=1), fingerprint="new")
    assert hold_until(HoldKind.MOVED, T, WEEK) is None
