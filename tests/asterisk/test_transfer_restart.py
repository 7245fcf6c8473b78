"""A controller restarted during a warm transfer, on the real rig: a speaking sipp person
joined to agent-1001 (baresip) is put on hold while the agent consults the « 15 » (the
rig's sipp); the service stops (nothing of the transfer is kept: it lived in memory) and
the person stays on hold. The restarted service's reconciliation finds them in
``[dialer-transfer]`` ``hold`` with no transfer known: the 15 is hung up and the person
bridged back with the agent's leg, still alive (one bridge, ``rejoin``). When the agent's
leg died with the controller, the person is released with the information message and,
once they hung up, the agent connecting again is given the call's sheet to finish."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from dialer.service import Service
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_call_listening import audit, wait_for
from tests.asterisk.test_robot_agents import PASSWORD
from tests.asterisk.test_transfers import AGENT
from tests.asterisk.transfer_rig import (
    Setup,
    agent_leg,
    agent_on_call,
    leg,
    service_of,
    to_the_15,
    warm_to_the_15,
)
from tests.web.conftest import log_in


async def consulting_when_stopped(setup: Setup, ami: AmiClient) -> tuple[str, str]:
    """agent-1001 consults the 15 with the person on hold when the service stops (the
    transfer lived in memory): (the call's id, the 15's channel id)."""
    attempt_id, third = await stopped_during(setup, warm_to_the_15)
    person = await leg(ami, attempt_id)
    assert person is not None
    assert person.get("Exten") == "hold"
    assert await leg(ami, third) is not None
    return attempt_id, third


Step = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[str]]


async def stopped_during(setup: Setup, step: Step) -> tuple[str, str]:
    """agent-1001 on the person's call takes the transfer's ``step`` (which returns the
    15's channel id), then the service stops: (the call's id, the 15's channel id)."""
    async with (
        service_of(setup) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine, attempt_id = await agent_on_call(agent)
        third = await step(agent, mine)
    return attempt_id, third


async def conference(agent: httpx.AsyncClient, mine: dict[str, str]) -> str:
    return await to_the_15(agent, mine, "conference")


async def handed_over(agent: httpx.AsyncClient, mine: dict[str, str]) -> str:
    third = await warm_to_the_15(agent, mine)
    left = await agent.post("/api/v1/agent/transfer/leave", headers=mine)
    assert left.status_code == 200, left.text
    return third


async def gone(ami: AmiClient, uniqueid: str, what: str, timeout_s: float) -> None:
    async def is_gone() -> bool:
        return await leg(ami, uniqueid) is None

    await wait_for(what, is_gone, timeout_s)


@pytest.mark.asyncio
async def test_a_person_on_hold_when_the_controller_stopped_is_back_with_the_agent(
    transfer_setup: Setup, ami: AmiClient
) -> None:
    attempt_id, third = await consulting_when_stopped(transfer_setup, ami)

    async with service_of(transfer_setup):

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
        await gone(ami, third, "the 15 hung up", 10)
        await ami.action("Hangup", {"Channel": attempt_id, "Cause": "16"})


@pytest.mark.asyncio
async def test_the_agent_whose_leg_died_with_the_controller_gets_the_sheet_back(
    transfer_setup: Setup, ami: AmiClient
) -> None:
    attempt_id, third = await consulting_when_stopped(transfer_setup, ami)
    line = await agent_leg(ami)
    assert line is not None
    await ami.action("Hangup", {"Channel": line.get("Channel"), "Cause": "16"})

    async with (
        service_of(transfer_setup) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        await gone(ami, third, "the 15 hung up", 10)
        # released: the information message, then the dialplan hangs the person up
        await gone(ami, attempt_id, "the person released and hung up", 30)
        mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}
        assert (await agent.post("/api/v1/agent/phone", headers=mine)).status_code == 200

        async def sheet_back() -> bool:
            state = (await agent.get("/api/v1/agent/state")).json()
            return bool(state["state"] == "wrap_up" and state["attempt_id"] == attempt_id)

        await wait_for("the agent back on the call's sheet", sheet_back, 10)


async def transfer_ended(service: Service) -> dict[str, object]:
    async def ended() -> list[dict[str, object]] | None:
        return await audit(service.sessions, "call.transfer_end") or None

    [end] = await wait_for("the transfer's end audited", ended, 10)
    return end


@pytest.mark.asyncio
async def test_a_conference_when_the_controller_stopped_is_followed_again(
    transfer_setup: Setup, ami: AmiClient
) -> None:
    attempt_id, third = await stopped_during(transfer_setup, conference)
    for uniqueid in (attempt_id, third):
        channel = await leg(ami, uniqueid)
        assert channel is not None
        assert channel.get("Application") == "ConfBridge"

    async with (
        service_of(transfer_setup) as service,
        httpx.AsyncClient(base_url=service.url, timeout=40) as agent,
    ):
        mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}

        async def in_conference() -> bool:
            current = (await agent.get("/api/v1/agent/transfer")).json()["current"]
            return bool(current and current["state"] == "conference")

        await wait_for("the conference followed again", in_conference, 15)
        left = await agent.post("/api/v1/agent/transfer/leave", headers=mine)
        assert left.status_code == 200, left.text

        async def agent_waiting() -> bool:
            line = await agent_leg(ami)
            return bool(line and line.get("Context") == "dialer-agent" and not line.get("BridgeId"))

        await wait_for("the agent's leg back in [dialer-agent]", agent_waiting, 5)
        person, the_15 = await leg(ami, attempt_id), await leg(ami, third)
        assert person is not None
        assert the_15 is not None
        assert person.get("BridgeId") == the_15.get("BridgeId") != ""
        await ami.action("Hangup", {"Channel": third, "Cause": "16"})
        await gone(ami, attempt_id, "the person, alone, hung up", 10)
        end = await transfer_ended(service)
    assert end["outcome"] == "handed_over"
    assert end["actor"] == AGENT


@pytest.mark.asyncio
async def test_a_hand_over_when_the_controller_stopped_ends_with_its_legs(
    transfer_setup: Setup, ami: AmiClient
) -> None:
    attempt_id, third = await stopped_during(transfer_setup, handed_over)
    assert await leg(ami, attempt_id) is not None
    assert await leg(ami, third) is not None

    async with service_of(transfer_setup) as service:
        await asyncio.sleep(2)  # the restarted service has found the hand-over
        await ami.action("Hangup", {"Channel": attempt_id, "Cause": "16"})
        await gone(ami, third, "the 15, alone, hung up", 10)
        end = await transfer_ended(service)
    assert end["outcome"] == "handed_over"
