"""The own-line rules (pure): which numbers may be an agent's own line, and how often the
dialer may call it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.own_line import (
    CALL_WINDOW,
    CALLS_PER_WINDOW,
    OwnLineRefusal,
    may_call_again,
    own_line_refusal,
)
from dialer.core.phones import PhoneKind

NOW = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("e164", "kind", "refusal"),
    [
        ("+33612345678", PhoneKind.MOBILE, None),
        ("+33145678910", PhoneKind.LANDLINE, None),
        ("+33912345678", PhoneKind.VOIP, None),
        ("+33892680122", PhoneKind.OTHER, OwnLineRefusal.NOT_PERSONAL),  # premium rate
        ("+33800123456", PhoneKind.OTHER, OwnLineRefusal.NOT_PERSONAL),  # toll free
        ("+442079460958", PhoneKind.LANDLINE, OwnLineRefusal.ABROAD),
        ("+262262123456", PhoneKind.LANDLINE, OwnLineRefusal.ABROAD),  # La Réunion
        ("+3361234567", PhoneKind.MOBILE, OwnLineRefusal.ABROAD),  # not a +33 plan number
    ],
)
def test_only_french_personal_lines_may_be_an_agents_line(
    e164: str, kind: PhoneKind, refusal: OwnLineRefusal | None
) -> None:
    assert own_line_refusal(e164, kind) is refusal


def test_calls_again_are_capped_within_the_window() -> None:
    recent = [NOW - timedelta(minutes=n) for n in range(CALLS_PER_WINDOW - 1)]
    assert may_call_again(recent, NOW)
    full = [*recent, NOW - timedelta(minutes=CALLS_PER_WINDOW)]
    assert not may_call_again(full, NOW)
    # the oldest call leaves the window: one more is allowed
    assert may_call_again(full, full[-1] + CALL_WINDOW + timedelta(seconds=1))
