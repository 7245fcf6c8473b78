"""Help during a call on the real rig, through the service's HTTP API: a person (sipp, who
speaks: it echoes the audio it receives) answers and is joined to agent-1001 (baresip);
the agent raises « besoin d'aide »; a
supervisor whose phone is a baresip softphone (agent-1005's endpoint serves as the
supervisor's phone) listens, whispers and barges. Asterisk must show the supervisor's
channel in ``ChanSpy`` on the agent's leg with the mode's options, and RTP flowing on the
supervisor's, the agent's and the person's legs in both directions, in each mode (each
channel's ``CHANNEL(rtcp,all)`` counts, read over AMI); each
listening's end (the supervisor hanging up, or the agent's call ending) is stored and
audited with its duration."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import select

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee, SippUas
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_help import CallSupervision
from dialer.storage.database import SessionFactory, migrated_database, transaction
from dialer.telephony.ami import AmiClient
from dialer.telephony.events import AmiMessage
from tests.asterisk.test_robot_agents import (
    PASSWORD,
    SECRET_KEY,
    prepare,
    service_settings,
    write_register,
)
from tests.web.conftest import log_in

AGENT = "agent-1001"
SUPERVISOR = "chef.ecoute"
SUPERVISOR_PHONE = "agent-1005"
CALLEE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=90, serial=41)
OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}


T = TypeVar("T")


async def wait_for(
    what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = 30.0
) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout_s:.0f} s: {what}")


async def channels(ami: AmiClient) -> list[AmiMessage]:
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return [r for r in replies if r.name == "CoreShowChannel"]


async def rtp_counts(ami: AmiClient, channel: str) -> tuple[int, int]:
    """RTP packets received and sent on ``channel``, from Asterisk's ``CHANNEL(rtcp,all)``
    (``…;rxcount=N;…;txcount=M;…``) read over AMI."""
    reply = await ami.action("Getvar", {"Channel": channel, "Variable": "CHANNEL(rtcp,all)"})
    fields = dict(item.split("=", 1) for item in reply[0].get("Value").split(";") if "=" in item)
    return int(fields["rxcount"]), int(fields["txcount"])


async def rtp_flows(ami: AmiClient, names: list[str]) -> dict[str, tuple[int, int]]:
    """The packets each named leg received and sent over one second (both must grow)."""
    before = {name: await rtp_counts(ami, name) for name in names}
    await asyncio.sleep(1.0)
    after = {name: await rtp_counts(ami, name) for name in names}
    return {
        name: (after[name][0] - before[name][0], after[name][1] - before[name][1]) for name in names
    }


async def rtp_both_ways(
    ami: AmiClient, names: list[str], windows: int = 3
) -> dict[str, tuple[int, int]]:
    """:func:`rtp_flows` over up to ``windows`` one-second windows, until every leg both
    received and sent in the same window (the last window's counts). A leg's received count
    restarts when the stream it receives changes source (measured: the rig's echoing sipp
    person, whose echo follows Asterisk's stream as ChanSpy attaches, showed -42 received
    over the first second), so one window may see no growth."""
    flows: dict[str, tuple[int, int]] = {}
    for _ in range(windows):
        flows = await rtp_flows(ami, names)
        if all(received > 0 and sent > 0 for received, sent in flows.values()):
            break
    return flows


async def audit(sessions: SessionFactory, action: str) -> list[dict[str, object]]:
    entries = await AuditLog(sessions).search(AuditFilter(action=action))
    return [{"actor": e.actor, "target": e.target, **e.details} for e in entries]


async def supervision_rows(sessions: SessionFactory) -> list[CallSupervision]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(CallSupervision).order_by(CallSupervision.id)))


@pytest.mark.asyncio
async def test_a_supervisor_listens_whispers_and_barges_on_a_real_call(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    speaking_people: SippUas,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await world.wait_registered(ami, [AGENT, SUPERVISOR_PHONE])
    settings = service_settings(rig_settings, tmp_path / "ecoute.db")
    register = tmp_path / "registre.csv"
    write_register(register, [CALLEE], random.Random(18))
    campaign_id, _ = await prepare(settings, register)
    async with migrated_database(settings.database_url) as sessions:
        await create_account(
            sessions, SUPERVISOR, PASSWORD, Role.SUPERVISOR, sip_endpoint=SUPERVISOR_PHONE
        )
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
        httpx.AsyncClient(base_url=service.url, timeout=40) as chief,
    ):
        mine = {"X-CSRF-Token": await log_in(agent, AGENT, PASSWORD)}
        assert (await agent.post("/api/v1/agent/phone", headers=mine)).status_code == 200
        assert (await agent.post("/api/v1/agent/ready", headers=mine)).status_code == 200

        async def on_call() -> str | None:
            state = (await agent.get("/api/v1/agent/state")).json()
            return state["attempt_id"] if state["state"] == "on_call" else None

        attempt_id = await wait_for("the person answered and joined", on_call)
        raised = await agent.post("/api/v1/agent/help", headers=mine)
        assert raised.status_code == 201, raised.text

        theirs = {"X-CSRF-Token": await log_in(chief, SUPERVISOR, PASSWORD)}
        requests = (await chief.get("/api/v1/help-requests")).json()["requests"]
        assert [(r["agent"], r["attempt_id"]) for r in requests] == [(AGENT, attempt_id)]
        assert requests[0]["call_since"] is not None
        done = await chief.post(
            f"/api/v1/help-requests/{requests[0]['id']}/acknowledge", headers=theirs
        )
        assert done.status_code == 200
        refused = await agent.post(
            f"/api/v1/agents/{AGENT}/listening", json={"mode": "listen"}, headers=mine
        )
        assert refused.status_code == 403

        person = next(c for c in await channels(ami) if c.get("Uniqueid") == attempt_id)
        agent_leg = next(
            c for c in await channels(ami) if c.get("Channel").startswith(f"PJSIP/{AGENT}-")
        )
        for mode in ("listen", "whisper", "barge"):
            started = await chief.post(
                f"/api/v1/agents/{AGENT}/listening", json={"mode": mode}, headers=theirs
            )
            assert started.status_code == 201, started.text
            spy_id = started.json()["channel"]

            async def spying(spy_id: str = spy_id) -> AmiMessage | None:
                found = [c for c in await channels(ami) if c.get("Uniqueid") == spy_id]
                return found[0] if found and found[0].get("Application") == "ChanSpy" else None

            spy = await wait_for(f"the {mode} ChanSpy channel", spying, 10)
            assert isinstance(spy, AmiMessage)
            assert spy.get("Channel").startswith(f"PJSIP/{SUPERVISOR_PHONE}-")
            assert spy.get("ApplicationData") == f"{agent_leg.get('Channel')},{OPTIONS[mode]}"
            flows = await rtp_both_ways(
                ami, [spy.get("Channel"), agent_leg.get("Channel"), person.get("Channel")]
            )
            print(mode, flows)
            # audio both ways on the three legs: the supervisor's phone sends (whisper and
            # barge: its voice) and ChanSpy sends it the call; the agent's voice reaches the
            # person and the person's (sipp echoes what it hears) reaches the agent, into
            # whose frames ChanSpy mixes the supervisor's voice (whisper, barge)
            for name, (received, sent) in flows.items():
                assert received > 0, (mode, name, flows)
                assert sent > 0, (mode, name, flows)
            if mode != "barge":  # the supervisor hangs up
                await ami.action("Hangup", {"Channel": spy_id, "Cause": "16"})

                async def ended(spy_id: str = spy_id) -> bool:
                    rows = await supervision_rows(service.sessions)
                    return any(r.channel_id == spy_id and r.ended_at for r in rows)

                await wait_for(f"the {mode} listening's end stored", ended, 10)
        # the agent hangs up: the barging supervisor's phone is hung up with the call
        assert (await agent.post("/api/v1/agent/hang-up", headers=mine)).status_code == 200

        async def all_ended() -> bool:
            rows = await supervision_rows(service.sessions)
            return len(rows) == 3 and all(r.ended_at for r in rows)

        await wait_for("the barge ended with the call", all_ended, 10)

        async def wrapping_up() -> bool:
            state = (await agent.get("/api/v1/agent/state")).json()
            return bool(state["state"] == "wrap_up")

        # the person's channel, held by the barge, is gone too: the agent is in wrap-up
        await wait_for("the call's end reached the agent", wrapping_up, 10)
        assert [c for c in await channels(ami) if c.get("Uniqueid").startswith("spy-")] == []
        rows = await supervision_rows(service.sessions)
        starts = await audit(service.sessions, "call.spy_start")
        ends = await audit(service.sessions, "call.spy_end")

    assert [(r.supervisor, r.agent, r.attempt_id, r.mode.value, r.failure) for r in rows] == [
        (SUPERVISOR, AGENT, attempt_id, mode, None) for mode in ("listen", "whisper", "barge")
    ]
    assert all(r.ended_at is not None and r.ended_at > r.started_at for r in rows)
    assert sorted(str(e["mode"]) for e in starts) == ["barge", "listen", "whisper"]
    assert all(e["actor"] == SUPERVISOR and e["target"] == f"attempt:{attempt_id}" for e in starts)
    assert sorted(str(e["channel"]) for e in ends) == sorted(r.channel_id for r in rows)
    assert all(isinstance(e["seconds"], int) and e["seconds"] >= 1 for e in ends)
