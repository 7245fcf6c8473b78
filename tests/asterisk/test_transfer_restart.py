"""A controller restarted during a warm transfer, on the real rig: a speaking sipp person
joined to agent-1001 (baresip) is put on hold while the agent consults the « 15 » (the
rig's sipp); the service stops (nothing of the transfer is kept: it lived in memory) and
the person stays on hold. The restarted service's reconciliation finds them in
``[dialer-transfer]`` ``hold`` with no transfer known: the 15 is hung up and the person
bridged back with the agent's leg, still alive (one bridge, ``rejoin``)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dialer.rig.asterisk import Rig
from dialer.rig.callees import SippUas
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_call_listening import wait_for
from tests.asterisk.test_transfers import AGENT
from tests.asterisk.transfer_rig import (
    agent_leg,
    agent_on_call,
    leg,
    transfer_service,
    warm_to_the_15,
)


@pytest.mark.asyncio
async def test_a_person_on_hold_when_the_controller_stopped_is_back_with_the_agent(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    speaking_people: SippUas,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await world.wait_registered(ami, [AGENT])
    settings, options = await transfer_service(rig_settings, rig, tmp_path)
    async with (
        running_service(settings, **options) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine, attempt_id = await agent_on_call(agent)
        third = await warm_to_the_15(agent, mine)
    # the controller is gone: the person waits on hold, the agent with the 15
    person = await leg(ami, attempt_id)
    assert person is not None
    assert person.get("Exten") == "hold"
    assert await leg(ami, third) is not None

    async with running_service(settings, **options):

        async def back_together() -> bool:
            person, line = await leg(ami, attempt_id), await agent_leg(ami)
            return bool(
                person
                and line
                and person.get("Exten") == "rejoin"
                and person.get("BridgeId")
                and person.get("BridgeId") == line.get("BridgeId")
            )

        await wait_for("the person bridged back with the agent", back_together, 15)

        async def third_gone() -> bool:
            return await leg(ami, third) is None

        await wait_for("the 15 hung up", third_gone, 10)
        await ami.action("Hangup", {"Channel": attempt_id, "Cause": "16"})
