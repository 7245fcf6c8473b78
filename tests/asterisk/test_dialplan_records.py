"""Asterisk's own record of how a call ended (AstDB, written by the dialplan) on the real
rig, for the paths the controller may not witness."""

from __future__ import annotations

import pytest

from dialer.core.outcomes import CallOutcome
from dialer.core.reconciliation import outcome_of
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.world import SimulatedWorld
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode
from dialer.telephony.port import CallAbandoned, CallAnswered, DialRequest
from tests.fixtures.ami.record import ended, until


@pytest.mark.asyncio
async def test_a_call_claimed_whose_redirect_never_came_is_recorded_abandoned(
    rig: Rig, world: SimulatedWorld, ami: AmiClient
) -> None:
    """The controller claims an answered call (``DIALER_JOINED``), then its AMI session is
    cut before the Redirect: the person hears the information message and nobody else.
    Found by the chaos run, where the record said "joined" and the call counted answered."""
    await world.wait_registered(ami)
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    attempt = "rec-claimed-1"
    callee = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=0, talk_s=60, serial=42)
    try:
        await node.place_call(DialRequest(attempt, callee.number, "", 30))
        await until(node, lambda e: isinstance(e, CallAnswered) and e.attempt_id == attempt)
        await ami.action(
            "Setvar", {"Channel": attempt, "Variable": "DIALER_JOINED", "Value": "agent-leg-gone"}
        )
        seen = await until(node, ended(attempt), timeout_s=60)
        record = await node.recorded_end(attempt)
    finally:
        await node.stop()
    assert [e for e in seen if isinstance(e, CallAbandoned)]
    assert record is not None
    assert record.dialer_state == "abandoned"
    assert outcome_of(record) is CallOutcome.ABANDONED
