"""An AMI Originate through the carrier trunk ends with the right outcome for each callee
behaviour, observed from AMI events (OriginateResponse, Hangup)."""

from __future__ import annotations

import asyncio

import pytest

from dialer.core.outcomes import CallOutcome
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.telephony.ami import AmiClient
from dialer.telephony.probe import dial_and_classify

EXPECTED = [
    (CalleeBehaviour.ANSWERS, CallOutcome.ANSWERED, 4, None),
    (CalleeBehaviour.BUSY, CallOutcome.BUSY, 0, 486),
    (CalleeBehaviour.RINGS_FOREVER, CallOutcome.NO_ANSWER, 3, 480),
    (CalleeBehaviour.UNREACHABLE, CallOutcome.UNREACHABLE, 0, 480),
    (CalleeBehaviour.UNAVAILABLE, CallOutcome.UNREACHABLE, 0, 503),
    (CalleeBehaviour.INVALID_NUMBER, CallOutcome.INVALID_NUMBER, 0, 404),
    (CalleeBehaviour.HANGS_UP_AT_ONCE, CallOutcome.ANSWERED, 4, None),
    (CalleeBehaviour.REJECTS, CallOutcome.REJECTED, 0, 603),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("behaviour", "outcome", "reason", "sip_status"), EXPECTED)
async def test_each_callee_behaviour_ends_with_its_outcome(
    ami: AmiClient,
    rig: Rig,
    behaviour: CalleeBehaviour,
    outcome: CallOutcome,
    reason: int,
    sip_status: int | None,
) -> None:
    callee = SimulatedCallee(behaviour, ring_s=1, talk_s=2)
    result = await dial_and_classify(
        ami, callee.number, trunk=rig.settings.trunk.name, ring_timeout_s=3, hold_s=0.5
    )
    assert result.outcome is outcome
    assert result.originate_reason == reason
    assert result.tech_cause == sip_status


@pytest.mark.asyncio
async def test_a_number_outside_the_simulated_plan_is_an_invalid_number(
    ami: AmiClient, rig: Rig
) -> None:
    result = await dial_and_classify(
        ami, "+33145678910", trunk=rig.settings.trunk.name, ring_timeout_s=3
    )
    assert result.outcome is CallOutcome.INVALID_NUMBER
    assert result.cause == 1


@pytest.mark.asyncio
async def test_callee_talks_then_hangs_up_before_the_dialer(ami: AmiClient, rig: Rig) -> None:
    """The person hangs up after 1 s of talk while the dialplan would hold 10 s."""
    callee = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=1)
    result = await dial_and_classify(
        ami, callee.number, trunk=rig.settings.trunk.name, ring_timeout_s=5, hold_s=10
    )
    assert result.outcome is CallOutcome.ANSWERED
    assert 1.5 < result.seconds < 6.0  # ring 1 s + talk 1 s, far from the 10-s hold


@pytest.mark.asyncio
async def test_calls_run_concurrently_and_are_told_apart(ami: AmiClient, rig: Rig) -> None:
    """Ten overlapping calls, each correlated on its own ChannelId."""
    callees = [
        SimulatedCallee(CalleeBehaviour.ANSWERS if i % 2 else CalleeBehaviour.BUSY, 1, 1, i)
        for i in range(10)
    ]
    results = await asyncio.gather(
        *(
            dial_and_classify(ami, c.number, trunk=rig.settings.trunk.name, ring_timeout_s=5)
            for c in callees
        )
    )
    assert [r.number for r in results] == [c.number for c in callees]
    assert [r.outcome for r in results] == [
        CallOutcome.ANSWERED if i % 2 else CallOutcome.BUSY for i in range(10)
    ]
