"""What became of one dial, classified from what Asterisk reports.

``OriginateResponse.Reason`` alone cannot tell busy from unreachable from an invalid number
(all are 0), and ``DialEnd`` calls an invalid number NOANSWER. The ``Hangup`` event's
``Cause`` (Q.850) plus ``TechCause`` (the SIP status, Asterisk >= 22.7) can. Measured on
Asterisk 22.10.1 through a PJSIP trunk to sipp:

=====================  ======  =====  =========
callee did             Reason  Cause  TechCause
=====================  ======  =====  =========
answered               4       16     -
486 Busy Here          0       17     486
rang until Timeout     3       19     480
480 Temp. Unavailable  0       19     480
503 Service Unavail.   0       34     503
404 Not Found          0       1      404
603 Decline            0       21     603
=====================  ======  =====  =========
"""

from __future__ import annotations

from enum import StrEnum


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"
    INVALID_NUMBER = "invalid_number"
    REJECTED = "rejected"
    CONGESTION = "congestion"
    FAILED = "failed"
    #: a person answered and no agent was joined within 2 s: the dialplan played the
    #: information message (recorded by the engine; counts against the abandon cap)
    ABANDONED = "abandoned"
    #: a person answered and hung up before the join window ended: nobody dropped them
    HUNG_UP = "hung_up"
    #: answering-machine detection (when the campaign enables it) heard a machine
    MACHINE = "machine"


# OriginateResponse Reason values (Asterisk's enum ast_control_frame_type subset)
REASON_FAILED = 0
REASON_NO_ANSWER = 1
REASON_RANG_NO_ANSWER = 3
REASON_ANSWERED = 4
REASON_BUSY = 5
REASON_CONGESTION = 8

_BY_SIP_STATUS: dict[int, CallOutcome] = {
    486: CallOutcome.BUSY,
    600: CallOutcome.BUSY,
    404: CallOutcome.INVALID_NUMBER,
    484: CallOutcome.INVALID_NUMBER,
    604: CallOutcome.INVALID_NUMBER,
    410: CallOutcome.INVALID_NUMBER,
    403: CallOutcome.REJECTED,
    603: CallOutcome.REJECTED,
    480: CallOutcome.UNREACHABLE,
    408: CallOutcome.UNREACHABLE,
    503: CallOutcome.UNREACHABLE,
    502: CallOutcome.UNREACHABLE,
    504: CallOutcome.UNREACHABLE,
}

_BY_Q850_CAUSE: dict[int, CallOutcome] = {
    1: CallOutcome.INVALID_NUMBER,  # unallocated number
    3: CallOutcome.INVALID_NUMBER,  # no route to destination
    28: CallOutcome.INVALID_NUMBER,  # invalid number format
    17: CallOutcome.BUSY,
    18: CallOutcome.UNREACHABLE,  # no user responding
    19: CallOutcome.NO_ANSWER,  # user alerting, no answer
    20: CallOutcome.UNREACHABLE,  # subscriber absent
    21: CallOutcome.REJECTED,
    34: CallOutcome.CONGESTION,  # no circuit available
    42: CallOutcome.CONGESTION,  # switching equipment congestion
    38: CallOutcome.FAILED,  # network out of order
}


def classify(
    *, originate_reason: int | None, cause: int | None, tech_cause: int | None
) -> CallOutcome:
    """The outcome of one dial from ``OriginateResponse.Reason`` and ``Hangup`` Cause and
    TechCause (each may be missing)."""
    if originate_reason == REASON_ANSWERED:
        return CallOutcome.ANSWERED
    if originate_reason in (REASON_RANG_NO_ANSWER, REASON_NO_ANSWER):
        # Asterisk gave up ringing (it reports cause 19 / 480 of its own making)
        return CallOutcome.NO_ANSWER
    if tech_cause is not None and tech_cause in _BY_SIP_STATUS:
        return _BY_SIP_STATUS[tech_cause]
    if cause is not None and cause in _BY_Q850_CAUSE:
        return _BY_Q850_CAUSE[cause]
    if originate_reason == REASON_BUSY:
        return CallOutcome.BUSY
    if originate_reason == REASON_CONGESTION:
        return CallOutcome.CONGESTION
    return CallOutcome.FAILED


def parse_int(value: str | None) -> int | None:
    """An AMI header's integer value, or None when absent or empty."""
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
