"""The demo's count of follow-up calls (``dialer.rig.veille_funnel.follow_up_calls``):
booked (« prévus »), placed after their booking as ``CALLBACK`` attempts (« passés »),
bridged (« joints ») and by the volunteer who talked to the household before; the ones
still awaited (not placed, not late by more than a minute) keep the demo waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind, AttemptState
from dialer.rig.veille_funnel import LATE, follow_up_calls
from dialer.storage.models import Attempt
from dialer.storage.needs_rows import FollowUpFacts

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _attempt(person: int, at: datetime, kind: AttemptKind, agent: str, bridged: bool) -> Attempt:
    return Attempt(
        id=f"{person}-{at.timestamp()}",
        cycle_id=1,
        person_id=person,
        number="+33900000000",
        kind=kind,
        state=AttemptState.ENDED,
        planned_for=at,
        placed_at=at,
        bridged_at=at + timedelta(seconds=2) if bridged else None,
        agent=agent,
    )


def _booked(person: int, after: timedelta) -> FollowUpFacts:
    return FollowUpFacts(person, "11e", T0 + timedelta(seconds=5), T0 + after)


def test_follow_ups_placed_reached_by_the_same_volunteer_and_awaited() -> None:
    two_min = timedelta(minutes=2)
    attempts = [
        _attempt(1, T0, AttemptKind.PREVIEW, "camille", bridged=True),
        _attempt(2, T0, AttemptKind.PREVIEW, "malik", bridged=True),
        _attempt(3, T0, AttemptKind.PREVIEW, "theo", bridged=True),
        _attempt(4, T0, AttemptKind.PREVIEW, "rose", bridged=True),
        _attempt(1, T0 + two_min, AttemptKind.CALLBACK, "camille", bridged=True),
        _attempt(2, T0 + two_min, AttemptKind.CALLBACK, "paul", bridged=True),  # taken over
        _attempt(3, T0 + two_min, AttemptKind.CALLBACK, "theo", bridged=False),  # no answer
    ]
    booked = [_booked(person, two_min) for person in (1, 2, 3, 4)]
    now = T0 + two_min + LATE / 2
    counted = follow_up_calls(booked, attempts, now)
    assert (counted.planned, counted.placed, counted.reached, counted.same_volunteer) == (
        4,
        3,
        2,
        1,
    )
    assert counted.awaited == 1  # the fourth, due half a minute ago
    assert follow_up_calls(booked, attempts, now + LATE).awaited == 0  # too late: dropped
