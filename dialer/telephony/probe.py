"""One test call through the trunk, classified from AMI events.

Used by the demo and the real-Asterisk tests to check the telephony path end to end. The
dialing engine places campaign calls with its own lifecycle; this is the smallest honest
probe of the same path.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from dialer.core.outcomes import CallOutcome, classify, parse_int
from dialer.telephony.ami import AmiClient
from dialer.telephony.events import AmiMessage


@dataclass(frozen=True)
class DialResult:
    number: str
    outcome: CallOutcome
    originate_reason: int | None
    cause: int | None
    tech_cause: int | None
    seconds: float


async def dial_and_classify(
    ami: AmiClient,
    number: str,
    *,
    trunk: str,
    ring_timeout_s: float,
    hold_s: float = 1.0,
    caller_id: str = "",
) -> DialResult:
    """Originate one call through the trunk and classify how it ended, from AMI events.

    The attempt id is the channel's ``ChannelId`` (so its Uniqueid) and ``DIALER_ATTEMPT``.
    An answered call waits ``hold_s`` in the ``dialer-probe`` context, then hangs up.
    """
    attempt_id = f"demo-{uuid.uuid4()}"
    events = ami.subscribe()
    started = time.monotonic()
    try:
        headers = {
            "Channel": f"PJSIP/{number}@{trunk}",
            "Context": "dialer-probe",
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "ChannelId": attempt_id,
            "Timeout": str(int(ring_timeout_s * 1000)),
            "Variable": [f"DIALER_ATTEMPT={attempt_id}", f"DIALER_HOLD={hold_s}"],
        }
        if caller_id:
            headers["CallerID"] = caller_id
        replies = await ami.action(
            "Originate", headers, expect_list=True, timeout_s=ring_timeout_s + 10
        )
        reason = next(
            (parse_int(m.get("Reason")) for m in replies if m.name == "OriginateResponse"), None
        )
        hangup = await _wait_for_hangup(events, attempt_id, timeout_s=hold_s + 60)
    finally:
        ami.unsubscribe(events)
    cause = parse_int(hangup.get("Cause")) if hangup else None
    tech_cause = parse_int(hangup.get("TechCause")) if hangup else None
    return DialResult(
        number=number,
        outcome=classify(originate_reason=reason, cause=cause, tech_cause=tech_cause),
        originate_reason=reason,
        cause=cause,
        tech_cause=tech_cause,
        seconds=time.monotonic() - started,
    )


async def _wait_for_hangup(
    events: asyncio.Queue[AmiMessage], attempt_id: str, *, timeout_s: float
) -> AmiMessage | None:
    """The ``Hangup`` of the channel whose Uniqueid is ``attempt_id`` (None if the channel
    was never created, e.g. the trunk refused at once and no event arrives in time)."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                event = await events.get()
                if event.name == "Hangup" and event.get("Uniqueid") == attempt_id:
                    return event
    except TimeoutError:
        return None
