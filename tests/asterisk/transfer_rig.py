"""What the rig's transfer tests share: the service's settings and options for one speaking
person and the « 15 », agent-1001 brought onto the call through the API, and where a leg
is in Asterisk (``CoreShowChannels``)."""

from __future__ import annotations

import random
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx

from dialer.rig.asterisk import Rig
from dialer.service import Service, running_service
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


async def transfer_service(
    rig_settings: Settings, rig: Rig, path: Path
) -> tuple[Settings, dict[str, Any]]:
    """The settings (the 15 offered) and ``running_service``'s options for a campaign
    calling the one speaking person."""
    settings = service_settings(rig_settings, path / "transferts.db").model_copy(
        update={"transfers": TransferSettings(numbers={"SAMU (15)": "15"})}
    )
    register = path / "registre.csv"
    write_register(register, [CALLEE], random.Random(42))
    campaign_id, _ = await prepare(settings, register)
    return settings, {
        "campaign_id": campaign_id,
        "ami": rig.ami_credentials(),
        "secret_key": SECRET_KEY,
        "ring_timeout_s": 15,
        "tick_s": 0.2,
    }


#: what ``transfer_setup`` gives: the settings and ``running_service``'s options
Setup = tuple[Settings, dict[str, Any]]


def service_of(setup: Setup) -> AbstractAsyncContextManager[Service]:
    """The transfer tests' service, running (:func:`dialer.service.running_service`)."""
    settings, options = setup
    return running_service(settings, **options)


async def agent_on_call(agent: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    """agent-1001 logged in, phone connected, ready, then on the person's call: (the
    headers of their requests, the call's id)."""
    mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}
    assert (await agent.post("/api/v1/agent/phone", headers=mine)).status_code == 200
    assert (await agent.post("/api/v1/agent/ready", headers=mine)).status_code == 200

    async def on_call() -> str | None:
        state = (await agent.get("/api/v1/agent/state")).json()
        return state["attempt_id"] if state["state"] == "on_call" else None

    return mine, await wait_for("the person answered and joined", on_call)


async def warm_to_the_15(agent: httpx.AsyncClient, mine: dict[str, str]) -> str:
    """A warm transfer to the 15, once they answered: the 15's channel id."""
    return await to_the_15(agent, mine, "warm")


async def to_the_15(agent: httpx.AsyncClient, mine: dict[str, str], kind: str) -> str:
    """A transfer of ``kind`` to the 15, once they answered (consulting, or the three in
    conference): the 15's channel id."""
    started = await agent.post(
        "/api/v1/agent/transfer", json={"number": "15", "kind": kind}, headers=mine
    )
    assert started.status_code == 201, started.text
    answered = "conference" if kind == "conference" else "consulting"

    async def reached() -> bool:
        current = (await agent.get("/api/v1/agent/transfer")).json()["current"]
        return bool(current and current["state"] == answered)

    await wait_for("the 15 answered", reached, 15)
    return f"xfer-{started.json()['id']}"


async def leg(ami: AmiClient, uniqueid: str) -> AmiMessage | None:
    found = [c for c in await channels(ami) if c.get("Uniqueid") == uniqueid]
    return found[0] if found else None


async def agent_leg(ami: AmiClient) -> AmiMessage | None:
    found = [c for c in await channels(ami) if c.get("Channel").startswith(f"PJSIP/{AGENT}-")]
    return found[0] if found else None
