"""The agent's phone leg lost during a warm transfer's consultation, on the real rig: a
speaking sipp person is joined to agent-1001 (baresip), the agent transfers warm to the
« 15 » (the rig's sipp) and, while they consult it with the person on hold, the agent's
leg is hung up (AMI Hangup, as a softphone closed or a network lost would). The person is
taken off hold into the conference with the 15 (one bridge, RTP both ways on both legs,
from ``CHANNEL(rtcp,all)``); when the 15 hangs up the person left alone is hung up, and
the audit says what happened (``agent_lost`` step, ``agent_lost_handed_over`` end)."""

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
from tests.asterisk.test_call_listening import audit, channels, rtp_both_ways, wait_for
from tests.asterisk.test_robot_agents import (
    PASSWORD,
    SECRET_KEY,
    prepare,
    service_settings,
    write_register,
)
from tests.asterisk.test_transfers import AGENT, CALLEE, both_ways
from tests.web.conftest import log_in


@pytest.mark.asyncio
async def test_the_agents_leg_lost_in_consultation_leaves_the_person_with_the_15(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    speaking_people: SippUas,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await world.wait_registered(ami, [AGENT])
    settings = service_settings(rig_settings, tmp_path / "perdu.db").model_copy(
        update={"transfers": TransferSettings(numbers={"SAMU (15)": "15"})}
    )
    register = tmp_path / "registre.csv"
    write_register(register, [CALLEE], random.Random(42))
    campaign_id, _ = await prepare(settings, register)
    async with (
        running_service(
            settings,
            campaign_id=campaign_id,
            ami=rig.ami_credentials(),
            secret_key=SECRET_KEY,
            ring_timeout_s=15,
            tick_s=0.2,
        ) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}
        assert (await agent.post("/api/v1/agent/phone", headers=mine)).status_code == 200
        assert (await agent.post("/api/v1/agent/ready", headers=mine)).status_code == 200

        async def on_call() -> str | None:
            state = (await agent.get("/api/v1/agent/state")).json()
            return state["attempt_id"] if state["state"] == "on_call" else None

        attempt_id = await wait_for("the person answered and joined", on_call)

        async def leg(uniqueid: str) -> AmiMessage | None:
            found = [c for c in await channels(ami) if c.get("Uniqueid") == uniqueid]
            return found[0] if found else None

        async def consulting() -> bool:
            current = (await agent.get("/api/v1/agent/transfer")).json()["current"]
            return bool(current and current["state"] == "consulting")

        started = await agent.post(
            "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=mine
        )
        assert started.status_code == 201, started.text
        third = f"xfer-{started.json()['id']}"
        await wait_for("the 15 answered", consulting, 15)
        person = await leg(attempt_id)
        assert person is not None
        assert person.get("Exten") == "hold"
        agent_line = next(
            c for c in await channels(ami) if c.get("Channel").startswith(f"PJSIP/{AGENT}-")
        )
        await ami.action("Hangup", {"Channel": agent_line.get("Channel"), "Cause": "16"})

        async def with_the_15() -> bool:
            person, the_15 = await leg(attempt_id), await leg(third)
            return bool(
                person
                and the_15
                and person.get("Application") == "ConfBridge"
                and person.get("BridgeId")
                and person.get("BridgeId") == the_15.get("BridgeId")
            )

        await wait_for("the person taken off hold, with the 15", with_the_15, 10)
        person, the_15 = await leg(attempt_id), await leg(third)
        assert person is not None
        assert the_15 is not None
        names = [person.get("Channel"), the_15.get("Channel")]
        flows = await rtp_both_ways(ami, names)
        print("agent lost, handed over", flows)
        both_ways(flows, *names)
        assert (await agent.get("/api/v1/agent/transfer")).json()["current"] is None
        steps = await audit(service.sessions, "call.transfer_step")
        assert [s["step"] for s in steps] == ["agent_lost"]

        await ami.action("Hangup", {"Channel": third, "Cause": "16"})

        async def person_gone() -> bool:
            return await leg(attempt_id) is None

        await wait_for("the person, alone, hung up", person_gone, 10)

        async def ended() -> list[dict[str, object]] | None:
            ends = await audit(service.sessions, "call.transfer_end")
            return ends or None

        [end] = await wait_for("the transfer's end audited", ended, 10)
    assert end["outcome"] == "agent_lost_handed_over"
    assert end["actor"] == AGENT
