"""An alert episode on the real rig with minute-long cycles: the service runs three cycles
by itself (no human action between the start and the end), the second with the register as
it stood at its start (a person added during the first is in, one removed is out), people
left waiting at each deadline are on that cycle's never-reached list, delivered to a
team's inbox and webhook (a local HTTP receiver), and a controller stopped across a cycle
boundary opens the next cycle once when it starts again.

The cycle length and retry delays are settings (``cycles.*``), the same code path as 48 h.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.never_reached import FIELD_VISIT_RESULTS
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import SUPERVISOR, provision_demo_people
from dialer.rig.robot_agents import RobotAgent
from dialer.rig.world import SimulatedWorld
from dialer.service import Service, running_service
from dialer.settings import CycleSettings, Settings
from dialer.storage.alert_rows import DeliveryState
from dialer.storage.alerts import TeamRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.campaigns import CycleRepository
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Cycle, CycleResultRow, Person
from dialer.storage.schedule import CycleMember
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_robot_agents import PASSWORD, SECRET_KEY, service_settings
from tests.stored import never_reached_delivered
from tests.web.test_delivery import Hook, webhook_server

__all__ = ["webhook_server"]  # the local webhook receiver's fixture, used by name
#: the field team every never-reached list goes to (it covers the whole city)
FIELD_TEAM = "Équipe terrain"

AGENTS = ["agent-1001", "agent-1002", "agent-1003"]
CALLEES = [
    # they answer and would talk for a minute: the robot agent hangs up first
    *(SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=i) for i in range(3)),
    SimulatedCallee(CalleeBehaviour.BUSY, ring_s=0, talk_s=0, serial=3),
    SimulatedCallee(CalleeBehaviour.REJECTS, ring_s=0, talk_s=0, serial=4),
]
#: added to the register during the first cycle (and R00004, who rejects, removed)
NEWCOMER = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=5)
MINUTE_CYCLES = CycleSettings(
    length_min=1.0,
    max_attempts=2,
    busy_delay_min=0.1,
    no_answer_delay_min=0.1,
    machine_delay_min=0.1,
    answered_delay_min=0.1,
    failure_delay_min=0.1,
    min_gap_min=0.05,
    time_of_day_spread_min=0,
    ring_allowance_min=0.3,
    all_day_windows=True,
    check_s=0.5,
)
LENGTH = timedelta(minutes=1)


def write_register(path: Path, people: dict[str, SimulatedCallee]) -> None:
    """The register as the city sends it: ``{id: callee}``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        for key, callee in people.items():
            writer.writerow([key, f"Personne {key}", "Jeanne", "01/02/1940", callee.number])


async def prepare(settings: Settings, register: Path, webhook_url: str) -> str:
    """The register imported, the accounts, the field team (its webhook at
    ``webhook_url``), and the supervisor's API token."""
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        await provision_demo_people(sessions, AGENTS, PASSWORD)
        await TeamRepository(sessions).add(
            name=FIELD_TEAM,
            webhook_url=webhook_url,
            webhook_secret="secret-du-banc",
            now=datetime.now(UTC),
        )
        _, token = await ApiTokenRepository(sessions).create(
            name="rig",
            username=SUPERVISOR,
            created_by="test",
            now=datetime.now(UTC),
            lifetime=timedelta(days=1),
        )
    finally:
        await database.dispose()
    return token


@asynccontextmanager
async def working(settings: Settings, rig: Rig) -> AsyncIterator[Service]:
    """The whole service with three robot agents at work."""
    async with running_service(
        settings, ami=rig.ami_credentials(), secret_key=SECRET_KEY, ring_timeout_s=15, tick_s=0.2
    ) as service:
        robots = [
            RobotAgent(service.url, agent, PASSWORD, rng=random.Random(i), wrap_up_s=0.5)
            for i, agent in enumerate(AGENTS)
        ]
        stop = asyncio.Event()
        shifts = [asyncio.create_task(robot.run(stop)) for robot in robots]
        try:
            yield service
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*shifts, return_exceptions=True), 30)
            await service.engine.flush()
        assert [error for robot in robots for error in robot.errors] == []


async def cycles_of(sessions: SessionFactory, campaign_id: int) -> list[Cycle]:
    return await CycleRepository(sessions).list_for(campaign_id)


async def wait_for_cycle(sessions: SessionFactory, campaign_id: int, number: int) -> Cycle:
    limit = time.monotonic() + 120
    while time.monotonic() < limit:
        for cycle in await cycles_of(sessions, campaign_id):
            if cycle.number == number:
                return cycle
        await asyncio.sleep(0.5)
    raise AssertionError(f"cycle {number} never opened: {await cycles_of(sessions, campaign_id)}")


async def members(sessions: SessionFactory, cycle_id: int) -> set[str]:
    async with transaction(sessions) as session:
        return set(
            await session.scalars(
                select(Person.external_id)
                .join(CycleMember, CycleMember.person_id == Person.id)
                .where(CycleMember.cycle_id == cycle_id)
            )
        )


async def results(sessions: SessionFactory, cycle_id: int) -> dict[str, CycleResultRow]:
    """Each member's end of the cycle, once every call in progress at the closing ended."""
    limit = time.monotonic() + 40
    while True:
        async with transaction(sessions) as session:
            rows = (
                await session.execute(
                    select(Person.external_id, CycleResultRow)
                    .join(CycleResultRow, CycleResultRow.person_id == Person.id)
                    .where(CycleResultRow.cycle_id == cycle_id)
                )
            ).all()
        found = {str(key): row for key, row in rows}
        if len(found) == len(await members(sessions, cycle_id)) or time.monotonic() > limit:
            return found
        await asyncio.sleep(0.5)


async def lists_delivered(
    sessions: SessionFactory, cycles: int
) -> dict[int, tuple[set[str], set[DeliveryState]]]:
    """The field team's never-reached lists once the dispatcher sent those of ``cycles``
    cycles (it publishes a list once the calls in progress at the closing ended)."""
    limit = time.monotonic() + 60
    while True:
        delivered = await never_reached_delivered(sessions, FIELD_TEAM)
        sent = [n for n, (_, states) in delivered.items() if states == {DeliveryState.SENT}]
        if len(sent) == cycles or time.monotonic() > limit:
            return delivered
        await asyncio.sleep(0.5)


@pytest.mark.asyncio
async def test_an_episode_runs_its_minute_long_cycles_by_itself_across_a_restart(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
    webhook_server: tuple[str, Hook],
) -> None:
    webhook_url, hook = webhook_server
    await world.wait_registered(ami, AGENTS)
    base = service_settings(rig_settings, tmp_path / "episode.db")
    settings = base.model_copy(
        update={
            "cycles": MINUTE_CYCLES,
            "rig": base.rig.model_copy(update={"loopback_webhooks": True}),  # the receiver
        }
    )
    register = tmp_path / "registre.csv"
    everyone = {f"R{index:05d}": callee for index, callee in enumerate([*CALLEES, NEWCOMER])}
    write_register(register, {key: everyone[key] for key in sorted(everyone)[:5]})
    token = await prepare(settings, register, webhook_url)
    auth = {"Authorization": f"Bearer {token}"}

    async with working(settings, rig) as service:
        async with httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api:
            started = await api.post(
                "/episodes", json={"kind": "heatwave", "level": 3, "districts": []}
            )
        assert started.status_code == 201, started.text
        episode_id = started.json()["episode"]["id"]
        campaign_id = started.json()["campaign"]["id"]
        assert len(await cycles_of(service.sessions, campaign_id)) == 1
        # during the first cycle the city sends a new register: one added, one removed
        write_register(register, {k: c for k, c in everyone.items() if k != "R00004"})
        report = await import_register(service.sessions, register, now=datetime.now(UTC))
        assert (report.added, report.removed) == (1, 1), report.summary_fr()
        second = await wait_for_cycle(service.sessions, campaign_id, 2)
        # stopped in the middle of the second cycle, down across its deadline
        await asyncio.sleep(max(0.0, (second.deadline - datetime.now(UTC)).total_seconds() / 2))
    down_until = second.deadline + timedelta(seconds=8)
    await asyncio.sleep(max(0.0, (down_until - datetime.now(UTC)).total_seconds()))

    async with working(settings, rig) as service:
        third = await wait_for_cycle(service.sessions, campaign_id, 3)
        await asyncio.sleep(3)  # a few more turns of the cycle keeper: still one cycle 3
        assert [c.number for c in await cycles_of(service.sessions, campaign_id)] == [1, 2, 3]
        await asyncio.sleep(max(0.0, (third.deadline - datetime.now(UTC)).total_seconds() - 15))
        async with httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api:
            ended = await api.post(f"/episodes/{episode_id}/end")
        assert ended.status_code == 200, ended.text
        await asyncio.sleep(3)
        cycles = await cycles_of(service.sessions, campaign_id)
        ends = {c.number: await results(service.sessions, c.id) for c in cycles}
        register_of = {c.number: await members(service.sessions, c.id) for c in cycles}
        delivered = await lists_delivered(service.sessions, len(cycles))

    print(
        "\n"
        + "\n".join(
            f"cycle {c.number}: {c.started_at:%H:%M:%S}→{c.closed_at:%H:%M:%S}" for c in cycles
        )
    )
    for number, found in ends.items():
        print(number, {k: (r.result.value, r.never_reached_reason) for k, r in found.items()})
    assert [c.number for c in cycles] == [1, 2, 3]  # the end opened no fourth
    for before, after in itertools.pairwise(cycles):
        assert after.started_at == before.started_at + LENGTH  # on time, on the grid
        assert before.closed_at is not None
        assert before.closed_at >= before.deadline  # closed at its deadline, not before
    assert cycles[2].closed_at is not None
    assert cycles[2].closed_at < cycles[2].deadline
    assert register_of[1] == {"R00000", "R00001", "R00002", "R00003", "R00004"}
    assert register_of[2] == register_of[3] == {"R00000", "R00001", "R00002", "R00003", "R00005"}
    # every person ends every cycle with a final result or on its never-reached list
    for number, found in ends.items():
        assert set(found) == register_of[number], (number, found)
        for key, row in found.items():
            if row.result is CycleResult.NEVER_REACHED:
                assert row.never_reached_reason in set(NeverReachedReason), (number, key)
    # the busy person is never reached: attempts exhausted, or the deadline after some
    assert all(ends[n]["R00003"].result is CycleResult.NEVER_REACHED for n in (1, 2, 3))
    assert ends[1]["R00003"].never_reached_reason in {
        NeverReachedReason.ATTEMPTS_EXHAUSTED,
        NeverReachedReason.DEADLINE_REACHED,
    }
    assert any(row.result is CycleResult.REACHED for row in ends[1].values())
    assert any(row.result is CycleResult.REACHED for row in ends[2].values())
    # each cycle's never-reached people are on its list, in the team's inbox (its entries)
    # and posted to its webhook, once
    for number, found in ends.items():
        listed = {key for key, row in found.items() if row.result in FIELD_VISIT_RESULTS}
        assert delivered[number] == (listed, {DeliveryState.SENT}), number
    posted = [json.loads(body) for _, body in hook.received]
    posted = [body for body in posted if body["event"] == "never_reached.published"]
    assert sorted(body["cycle"]["number"] for body in posted) == [1, 2, 3]
    for body in posted:
        names = {person["person"]["last_name"] for person in body["people"]}
        assert "Personne R00003" in names, body
