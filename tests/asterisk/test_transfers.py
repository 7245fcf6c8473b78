"""Transfers on the real rig, through the service's HTTP API: a person (sipp, speaking:
``rtp_echo``) answers and is joined to agent-1001 (baresip); the agent transfers the call
to the « 15 » (the rig's sipp answers the short service numbers) as a three-way conference,
then warm. Asterisk's own view is checked at each step: where each leg is in the dialplan
(``CoreShowChannels``) and that RTP flows on the person's, the third party's and the
agent's legs (each channel's ``CHANNEL(rtcp,all)`` counts, read over AMI).

- conference: the three in the transfer's ConfBridge; the 15 hangs up, the person is back
  in a two-party bridge with the agent's leg;
- warm: the person on hold (the hold message, sent to them) while the agent consults the
  15; the agent joins the three, then leaves: the agent's leg is back in [dialer-agent]
  (waiting, in no bridge) and in wrap-up, the person and the 15 go on talking; when the
  person hangs up, the 15 left alone is hung up. Every transfer is audited."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee, SippUas
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
from tests.web.conftest import log_in

AGENT = "agent-1001"
CALLEE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=180, serial=42)
#: a third party who does not answer (480 after a second's ringing)
UNREACHABLE = SimulatedCallee(CalleeBehaviour.UNREACHABLE, ring_s=1, talk_s=0, serial=0).number


def both_ways(flows: dict[str, tuple[int, int]], *names: str) -> None:
    for name in names:
        received, sent = flows[name]
        assert received > 0, (name, flows)
        assert sent > 0, (name, flows)


@pytest.mark.asyncio
async def test_an_agent_transfers_to_the_15_in_conference_and_warm(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    speaking_people: SippUas,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await world.wait_registered(ami, [AGENT])
    settings = service_settings(rig_settings, tmp_path / "transferts.db").model_copy(
        update={
            "transfers": TransferSettings(numbers={"SAMU (15)": "15", "Injoignable": UNREACHABLE})
        }
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
        offered = (await agent.get("/api/v1/agent/transfer")).json()["offered"]
        assert {"label": "SAMU (15)", "number": "15"} in offered

        async def leg(uniqueid: str) -> AmiMessage | None:
            found = [c for c in await channels(ami) if c.get("Uniqueid") == uniqueid]
            return found[0] if found else None

        async def agent_leg() -> AmiMessage | None:
            found = [
                c for c in await channels(ami) if c.get("Channel").startswith(f"PJSIP/{AGENT}-")
            ]
            return found[0] if found else None

        async def transfer_state(wanted: str) -> bool:
            current = (await agent.get("/api/v1/agent/transfer")).json()["current"]
            return bool(current and current["state"] == wanted)

        # ---- warm to a third party who does not answer: the person is back with the agent
        async def ended_count() -> int:
            return len(await audit(service.sessions, "call.transfer_end"))

        async def back_together() -> bool:
            person, line = await leg(attempt_id), await agent_leg()
            return bool(
                person
                and line
                and person.get("Exten") == "rejoin"
                and person.get("Application") == "Bridge"
                and person.get("BridgeId")
                and person.get("BridgeId") == line.get("BridgeId")
            )

        refused = await agent.post(
            "/api/v1/agent/transfer", json={"number": UNREACHABLE, "kind": "warm"}, headers=mine
        )
        assert refused.status_code == 201, refused.text
        await wait_for("the unanswered transfer's end", ended_count, 15)
        await wait_for("the person back in a bridge with the agent", back_together, 10)
        assert (await agent.get("/api/v1/agent/transfer")).json()["current"] is None

        # ---- a three-way conference; the 15 hangs up: the person is back with the agent
        started = await agent.post(
            "/api/v1/agent/transfer", json={"number": "15", "kind": "conference"}, headers=mine
        )
        assert started.status_code == 201, started.text
        third = f"xfer-{started.json()['id']}"
        await wait_for("the 15 answered", lambda: transfer_state("conference"), 15)
        person, agent_line, the_15 = await leg(attempt_id), await agent_leg(), await leg(third)
        assert person is not None
        assert agent_line is not None
        assert the_15 is not None
        for channel in (person, agent_line, the_15):
            assert channel.get("Application") == "ConfBridge", channel
        names = [person.get("Channel"), agent_line.get("Channel"), the_15.get("Channel")]
        flows = await rtp_both_ways(ami, names)
        print("conference", flows)
        both_ways(flows, *names)

        await ami.action("Hangup", {"Channel": third, "Cause": "16"})

        await wait_for("the person back in a bridge with the agent", back_together, 10)
        assert (await agent.get("/api/v1/agent/transfer")).json()["current"] is None
        assert (await agent.get("/api/v1/agent/state")).json()["state"] == "on_call"

        # ---- warm: the person on hold while the agent consults the 15
        started = await agent.post(
            "/api/v1/agent/transfer", json={"number": "15", "kind": "warm"}, headers=mine
        )
        assert started.status_code == 201, started.text
        third = f"xfer-{started.json()['id']}"
        await wait_for("the 15 answered", lambda: transfer_state("consulting"), 15)
        person, agent_line, the_15 = await leg(attempt_id), await agent_leg(), await leg(third)
        assert person is not None
        assert agent_line is not None
        assert the_15 is not None
        assert person.get("Exten") == "hold"
        assert person.get("BridgeId") == ""
        assert agent_line.get("Application") == "ConfBridge"
        assert the_15.get("Application") == "ConfBridge"
        names = [person.get("Channel"), agent_line.get("Channel"), the_15.get("Channel")]
        flows = await rtp_both_ways(ami, names)
        print("consulting", flows)
        both_ways(flows, *names)  # the person hears the hold message (and answers it)

        joined = await agent.post("/api/v1/agent/transfer/join", headers=mine)
        assert joined.status_code == 200, joined.text
        assert joined.json()["state"] == "conference"

        async def in_room() -> bool:
            person = await leg(attempt_id)
            return bool(person and person.get("Application") == "ConfBridge")

        await wait_for("the person joined the three", in_room, 5)
        left = await agent.post("/api/v1/agent/transfer/leave", headers=mine)
        assert left.status_code == 200, left.text
        assert left.json()["state"] == "handed_over"

        async def agent_waiting() -> bool:
            line = await agent_leg()
            return bool(
                line
                and line.get("Context") == "dialer-agent"
                and line.get("Application") == "Wait"
                and not line.get("BridgeId")
            )

        await wait_for("the agent's leg back in [dialer-agent]", agent_waiting, 5)

        async def wrapping_up() -> bool:
            state = (await agent.get("/api/v1/agent/state")).json()
            return bool(state["state"] == "wrap_up")

        await wait_for("the agent's part of the call ended", wrapping_up, 5)
        person, the_15 = await leg(attempt_id), await leg(third)
        assert person is not None
        assert the_15 is not None
        assert person.get("BridgeId") == the_15.get("BridgeId") != ""
        names = [person.get("Channel"), the_15.get("Channel")]
        flows = await rtp_both_ways(ami, names)
        print("handed over", flows)
        both_ways(flows, *names)

        # the person hangs up: the 15, alone, is hung up
        await ami.action("Hangup", {"Channel": attempt_id, "Cause": "16"})

        async def all_gone() -> bool:
            return await leg(third) is None and await leg(attempt_id) is None

        await wait_for("the 15 hung up after the person", all_gone, 10)

        async def two_ends() -> list[dict[str, object]] | None:
            ends = await audit(service.sessions, "call.transfer_end")
            return ends if len(ends) == 3 else None

        ends = await wait_for("the three transfers' ends audited", two_ends, 10)
        starts = await audit(service.sessions, "call.transfer_start")
        line = await agent_leg()
        assert line is not None
        assert line.get("Context") == "dialer-agent"

    assert sorted((str(e["kind"]), str(e["outcome"])) for e in ends) == [
        ("conference", "third_hung_up"),
        ("warm", "handed_over"),
        ("warm", "not_answered"),
    ]
    assert sorted((str(s["kind"]), str(s["number"])) for s in starts) == [
        ("conference", "15"),
        ("warm", UNREACHABLE),
        ("warm", "15"),
    ]
    assert all(s["actor"] == AGENT for s in starts)
    assert all(s["target"] == f"attempt:{attempt_id}" for s in starts)
