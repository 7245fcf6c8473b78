from __future__ import annotations

import pytest

from dialer.core.outcomes import CallOutcome, classify, parse_int


@pytest.mark.parametrize(
    ("reason", "cause", "tech", "expected"),
    [
        # measured on Asterisk 22.10.1 through a PJSIP trunk to sipp
        (4, 16, None, CallOutcome.ANSWERED),
        (4, 0, None, CallOutcome.ANSWERED),  # the callee hung up at once
        (0, 17, 486, CallOutcome.BUSY),
        (3, 19, 480, CallOutcome.NO_ANSWER),  # rang until Asterisk's Timeout
        (0, 19, 480, CallOutcome.UNREACHABLE),  # the callee's side said 480
        (0, 34, 503, CallOutcome.UNREACHABLE),
        (0, 1, 404, CallOutcome.INVALID_NUMBER),
        (0, 21, 603, CallOutcome.REJECTED),
        # no SIP status: the Q.850 cause decides
        (0, 34, None, CallOutcome.CONGESTION),
        (0, 17, None, CallOutcome.BUSY),
        (0, 38, None, CallOutcome.FAILED),
        (5, None, None, CallOutcome.BUSY),
        (8, None, None, CallOutcome.CONGESTION),
        (None, None, None, CallOutcome.FAILED),
    ],
)
def test_classification(
    reason: int | None, cause: int | None, tech: int | None, expected: CallOutcome
) -> None:
    assert classify(originate_reason=reason, cause=cause, tech_cause=tech) is expected


@pytest.mark.parametrize(
    ("raw", "value"), [("16", 16), (" 4 ", 4), ("", None), (None, None), ("x", None)]
)
def test_parse_int(raw: str | None, value: int | None) -> None:
    assert parse_int(raw) == value
