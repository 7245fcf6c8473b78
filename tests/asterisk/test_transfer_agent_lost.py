"""The agent's phone leg lost during a warm transfer's consultation, on the real rig: a
speaking sipp person is joined to agent-1001 (baresip), the agent transfers warm to the
« 15 » (the rig's sipp) and, while they consult it with the person on hold, the agent's
leg is hung up (AMI Hangup, as a softphone closed or a network lost would). The person is
taken off hold into the conference with the 15 (one bridge, RTP both ways on both legs,
from ``CHANNEL(rtcp,all)``); when the 15 hangs up the person left alone is hung up, and
the audit says what happened (``agent_lost`` step, ``agent_lost_handed_over`` end)."""

from __future__ import annotations

import httpx
import pytest

from dialer.telephony.ami import AmiClient
from tests.asterisk.test_call_listening import audit, rtp_both_ways, wait_for
from tests.asterisk.test_transfers import AGENT, both_ways
from tests.asterisk.transfer_rig import (
    Setup,
    agent_leg,
    agent_on_call,
    leg,
    service_of,
    warm_to_the_15,
)


@pytest.mark.asyncio
async def test_the_agents_leg_lost_in_consultation_leaves_the_person_with_the_15(
    transfer_setup: Setup, ami: AmiClient
) -> None:
    async with (
        service_of(transfer_setup) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine, attempt_id = await agent_on_call(agent)
        third = await warm_to_the_15(agent, mine)
        person = await leg(ami, attempt_id)
        assert person is not None
        assert person.get("Exten") == "hold"
        agent_line = await agent_leg(ami)
        assert agent_line is not None
        await ami.action("Hangup", {"Channel": agent_line.get("Channel"), "Cause": "16"})

        async def with_the_15() -> bool:
            person, the_15 = await leg(ami, attempt_id), await leg(ami, third)
            return bool(
                person
                and the_15
                and person.get("Application") == "ConfBridge"
                and person.get("BridgeId")
                and person.get("BridgeId") == the_15.get("BridgeId")
            )

        await wait_for("the person taken off hold, with the 15", with_the_15, 10)
        person, the_15 = await leg(ami, attempt_id), await leg(ami, third)
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
            return await leg(ami, attempt_id) is None

        await wait_for("the person, alone, hung up", person_gone, 10)

        async def ended() -> list[dict[str, object]] | None:
            ends = await audit(service.sessions, "call.transfer_end")
            return ends or None

        [end] = await wait_for("the transfer's end audited", ended, 10)
    assert end["outcome"] == "agent_lost_handed_over"
    assert end["actor"] == AGENT
