"""The readiness probe's question to the real Asterisk: is the information message there?
(A person no agent could take would otherwise hear silence.)"""

from __future__ import annotations

import asyncio

import pytest

from dialer.rig.asterisk import Rig
from dialer.telephony import prompts
from dialer.telephony.node import AsteriskNode


async def checked(node: AsteriskNode, checks: int) -> bool | None:
    """What the node found at its ``checks``-th check (one per AMI session)."""
    for _ in range(100):
        done = node.statistics()["prompt_checks"]
        assert isinstance(done, int)
        if done >= checks:
            return node.prompts_present
        await asyncio.sleep(0.1)
    raise AssertionError(f"no answer after 10 s: {node.statistics()}")


@pytest.mark.asyncio
async def test_a_node_says_whether_asterisk_has_the_information_message(rig: Rig) -> None:
    message = prompts.information_prompt(rig.chroot.sounds)
    assert message.is_file()
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    aside = message.with_suffix(".aside")
    try:
        assert await checked(node, 1) is True
        message.rename(aside)  # an operator forgot `dialer asterisk prompts`
        node.drop_session()  # the next session asks again
        assert await checked(node, 2) is False
        assert node.statistics()["prompts_present"] is False
        aside.rename(message)
        node.drop_session()
        assert await checked(node, 3) is True
    finally:
        if aside.exists():
            aside.rename(message)
        await node.stop()
