"""Agents' softphones register with their own credentials, the registration is seen over
AMI, and a softphone auto-answers a call to its endpoint."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from dialer.errors import RigError
from dialer.rig.asterisk import Rig
from dialer.rig.softphones import Softphone
from dialer.rig.world import SimulatedWorld
from dialer.telephony.ami import AmiClient
from dialer.telephony.events import AmiMessage
from dialer.telephony.queries import contact_statuses

SECURITY_FAILURES = {"ChallengeResponseFailed", "InvalidPassword", "InvalidAccountID"}


@pytest.mark.asyncio
async def test_every_agent_softphone_registers_and_ami_sees_it(
    ami: AmiClient, world: SimulatedWorld
) -> None:
    statuses = await world.wait_registered(ami)
    assert set(statuses) >= {"agent-1001", "agent-1002", "agent-1003"}
    assert statuses["agent-1001"] in {"Reachable", "NonQualified", "Unknown"}


@pytest.mark.asyncio
async def test_a_softphone_with_a_wrong_password_is_refused(
    ami: AmiClient, rig: Rig, world: SimulatedWorld, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """agent-1003's endpoint with another password: Asterisk must not register it."""
    genuine = next(p for p in world.softphones if p.account.username == "agent-1003")
    genuine.stop()  # baresip unregisters on a clean exit
    await _wait_until_absent(ami, "agent-1003")
    events = ami.subscribe()
    impostor = Softphone(
        dataclasses.replace(genuine.account, password="not-the-password"),
        host="127.0.0.1",
        port=5098,
        registrar_host=rig.settings.sip.bind_host,
        registrar_port=rig.settings.sip.port,
        state_dir=tmp_path_factory.mktemp("impostor"),
    )
    impostor.start()
    try:
        refused = await _security_event_for(events, "agent-1003", timeout_s=5)
        assert refused.name in {"ChallengeResponseFailed", "InvalidPassword"}
        with pytest.raises(RigError, match="agent-1003"):
            await world.wait_registered(ami, ["agent-1003"], timeout_s=2)
    finally:
        ami.unsubscribe(events)
        impostor.stop()
        genuine.start()
    statuses = await world.wait_registered(ami, ["agent-1003"])
    assert "agent-1003" in statuses


@pytest.mark.asyncio
async def test_a_softphone_auto_answers_a_call_to_its_endpoint(
    ami: AmiClient, world: SimulatedWorld
) -> None:
    await world.wait_registered(ami, ["agent-1001"])
    replies = await ami.action(
        "Originate",
        {
            "Channel": "PJSIP/agent-1001",
            "Application": "Wait",
            "Data": "1",
            "Async": "true",
            "ChannelId": "test-agent-leg-1001",
            "Timeout": "5000",
        },
        expect_list=True,
        timeout_s=10,
    )
    reasons = [r.get("Reason") for r in replies if r.name == "OriginateResponse"]
    assert reasons == ["4"]  # answered without anyone touching the phone
    assert "agent-1001" in await contact_statuses(ami)


async def _wait_until_absent(ami: AmiClient, endpoint: str, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if endpoint not in await contact_statuses(ami):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{endpoint} still registered after {timeout_s} s")


async def _security_event_for(
    events: asyncio.Queue[AmiMessage], account: str, *, timeout_s: float
) -> AmiMessage:
    async with asyncio.timeout(timeout_s):
        while True:
            event = await events.get()
            if event.name in SECURITY_FAILURES and account in event.get("AccountID"):
                return event
