"""Issue 17 on the real rig: during an alert episode's first (minute-long) cycle, the city's
sign-up form puts a person through ``PUT /api/v1/people/{external_id}`` and withdraws
another with ``DELETE``; the service opens the second cycle by itself with the newcomer in
and the withdrawn person out, and the newcomer is dialled and answered by an agent."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from dialer.rig.asterisk import Rig
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Person
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_episode_cycles import (
    AGENTS,
    CALLEES,
    MINUTE_CYCLES,
    NEWCOMER,
    members,
    prepare,
    wait_for_cycle,
    working,
    write_register,
)
from tests.asterisk.test_robot_agents import service_settings
from tests.web.test_delivery import Hook, webhook_server

__all__ = ["webhook_server"]  # the local webhook receiver's fixture, used by name


async def answered_in(sessions: SessionFactory, cycle_id: int, external_id: str) -> bool:
    """The person was dialled in the cycle and picked up (waits up to 60 s)."""
    limit = time.monotonic() + 60
    while time.monotonic() < limit:
        async with transaction(sessions) as session:
            answered = await session.scalar(
                select(Attempt.answered_at)
                .join(Person, Person.id == Attempt.person_id)
                .where(Attempt.cycle_id == cycle_id)
                .where(Person.external_id == external_id)
                .where(Attempt.answered_at.is_not(None))
            )
        if answered is not None:
            return True
        await asyncio.sleep(0.5)
    return False


@pytest.mark.asyncio
async def test_a_person_put_through_the_api_during_a_cycle_is_dialled_in_the_next(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
    webhook_server: tuple[str, Hook],
) -> None:
    webhook_url, _ = webhook_server
    await world.wait_registered(ami, AGENTS)
    base = service_settings(rig_settings, tmp_path / "people.db")
    settings = base.model_copy(
        update={
            "cycles": MINUTE_CYCLES,
            "rig": base.rig.model_copy(update={"loopback_webhooks": True}),
        }
    )
    register = tmp_path / "registre.csv"
    write_register(register, {f"R{index:05d}": callee for index, callee in enumerate(CALLEES[:3])})
    token = await prepare(settings, register, webhook_url)
    auth = {"Authorization": f"Bearer {token}"}

    async with (
        working(settings, rig) as service,
        httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api,
    ):
        started = await api.post("/episodes", json={"kind": "heatwave", "level": 3})
        assert started.status_code == 201, started.text
        episode_id = started.json()["episode"]["id"]
        campaign_id = started.json()["campaign"]["id"]
        first = await wait_for_cycle(service.sessions, campaign_id, 1)
        signed_up = await api.put(
            "/people/INSCR-1",
            json={"last_name": "Inscrite", "first_name": "Jeanne", "phones": [NEWCOMER.number]},
        )
        assert signed_up.status_code == 201, signed_up.text
        withdrawn = await api.delete("/people/R00002")
        assert withdrawn.status_code == 200, withdrawn.text
        assert await members(service.sessions, first.id) == {"R00000", "R00001", "R00002"}
        second = await wait_for_cycle(service.sessions, campaign_id, 2)
        assert await members(service.sessions, second.id) == {"R00000", "R00001", "INSCR-1"}
        assert await answered_in(service.sessions, second.id, "INSCR-1")
        ended = await api.post(f"/episodes/{episode_id}/end")
        assert ended.status_code == 200, ended.text
