"""The readiness probe's question to the real Asterisk: is the information message there?
(A person no agent could take would otherwise hear silence.)"""

from __future__ import annotations

import asyncio

import pytest

from dialer.core.labels import pacing_text
from dialer.core.pacing import PacingDecision
from dialer.engine.engine import DialingEngine
from dialer.rig.asterisk import Rig
from dialer.telephony import prompts
from dialer.telephony.node import AsteriskNode
from dialer.telephony.port import NodeConnected
from dialer.testing import Clock, MemoryAttemptLog, MemoryQueue
from tests.unit.test_engine import T0, dials


async def checked(node: AsteriskNode, expected: bool) -> bool | None:
    """What the node's checks say once they say ``expected`` (or after 10 s)."""
    for _ in range(100):
        if node.prompts_present is expected:
            break
        await asyncio.sleep(0.1)
    return node.prompts_present


@pytest.mark.asyncio
async def test_a_node_says_whether_asterisk_has_the_information_message(rig: Rig) -> None:
    message = prompts.information_prompt(rig.chroot.sounds)
    assert message.is_file()
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    aside = message.with_suffix(".aside")
    watching = asyncio.create_task(node.watch_prompts(every_s=0.2))  # as the service does
    try:
        assert await checked(node, True) is True
        message.rename(aside)  # an operator forgot `dialer asterisk prompts`
        assert await checked(node, False) is False
        assert node.statistics()["prompts_present"] is False
        # the engine places no call on it, and says why
        ledger = MemoryAttemptLog()
        queue = MemoryQueue(ledger, dials(1))
        engine = DialingEngine(
            nodes=[node],
            attempt_log=ledger,
            queue=queue,
            pacer=lambda _engine, _now: PacingDecision(1, "one"),
            clock=Clock(T0),
        )
        await engine.handle(NodeConnected(node.name, T0), node)
        plan = await engine.tick()
        assert plan.dials == 0
        assert queue.taken == {}
        assert "message d'information ou d'attente absent sur rig" in pacing_text(plan)
        aside.rename(message)
        assert await checked(node, True) is True
        # the messages of calls coming in count too
        for path, _ in prompts.inbound_prompts(rig.chroot.sounds, rig.settings.dialing):
            path.rename(aside)
            assert await checked(node, False) is False
            aside.rename(path)
            assert await checked(node, True) is True
    finally:
        watching.cancel()
        if aside.exists():
            aside.rename(message)
        await node.stop()
