"""A controller restarted during a warm transfer, on the real rig: a speaking sipp person
joined to agent-1001 (baresip) is put on hold while the agent consults the « 15 » (the
rig's sipp); the service stops (nothing of the transfer is kept: it lived in memory) and
the person stays on hold. The restarted service's reconciliation finds them in
``[dialer-transfer]`` ``hold`` with no transfer known: the 15 is hung up and the person
bridged back with the agent's leg, still alive (one bridge, ``rejoin``)."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from dialer.rig.asterisk import Rig
from dialer.rig.callees import SippUas
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, TransferSettings
from dialer.telephony.ami import AmiClient
from dialer.telephony.events import AmiMessage
from tests.asterisk.test_call_listening import channels, wait_for
from tests.asterisk.test_robot_agents import (
    PASSWORD,
    SECRET_KEY,
    prepare,
    service_settings,
    write_register,
)
from tests.asterisk.test_transfers import AGENT, CALLEE
from tests.web.conftest import log_in


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
    settings = service_settings(rig_settings, tmp_path / "reprise.db").model_copy(
        update={"transfers": TransferSettings(numbers={"SAMU (15)": "15"})}
    )
    register = tmp_path / "registre.csv"
    write_register(register, [CALLEE], random.Random(42))
    campaign_id, _ = await prepare(settings, register)
    options = {
        "campaign_id": campaign_id,
        "ami": rig.ami_credentials(),
        "secret_key": SECRET_KEY,
        "ring_timeout_s": 15,
        "tick_s": 0.2,
    }

    async def leg(uniqueid: str) -> AmiMessage | None:
        found = [c for c in await channels(ami) if c.get("Uniqueid") == uniqueid]
        return found[0] if found else None

    async def agent_leg() -> AmiMessage | None:
        found = [c for c in await channels(ami) if c.get("Channel").startswith(f"PJSIP/{AGENT}-")]
        return found[0] if found else None

    async with (
        running_service(settings, **options) as service,  # type: ignore[arg-type]
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}
        assert (await agent.post("/api/v1/agent/phone", headers=mine)).status_code == 200
        assert (await agent.post("/api/v1/agent/ready", headers=mine)).status_code == 200

        async def on_call() -> str | None:
            state = (await agent.get("/api/v1/agent/state")).json()
            return state["attempt_id"] if state["state"] == "on_call" else None

        attempt_id = await wait_for("the person answered and joined", on_call)

        async def consulting() -> bool:
            current = (await agent.get("/api/v1/agent/transfer")).json()["current"]
            return bool(current and current["state"] == "consulting")

        started = await agent.post(
            "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=mine
        )
        assert started.status_code == 201, started.text
        third = f"xfer-{started.json()['id']}"
        await wait_for("the 15 answered", consulting, 15)
    # the controller is gone: the person waits on hold, the agent with the 15
    person = await leg(attempt_id)
    assert person is not None
    assert person.get("Exten") == "hold"
    assert await leg(third) is not None

    async with running_service(settings, **options):  # type: ignore[arg-type]

        async def back_together() -> bool:
            person, line = await leg(attempt_id), await agent_leg()
            return bool(
                person
                and line
                and person.get("Exten") == "rejoin"
                and person.get("BridgeId")
                and person.get("BridgeId") == line.get("BridgeId")
            )

        await wait_for("the person bridged back with the agent", back_together, 15)

        async def third_gone() -> bool:
            return await leg(third) is None

        await wait_for("the 15 hung up", third_gone, 10)
        await ami.action("Hangup", {"Channel": attempt_id, "Cause": "16"})
