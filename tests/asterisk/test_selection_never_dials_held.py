"""Issue 17 on the real rig: a campaign whose selection (the register's list, 65 and over)
includes a person opposed to calls and a person recorded deceased. It runs on the real
Asterisk: neither of them is ever dialled (no attempt in the ledger, no call in Asterisk's
records), every other person of the selection is."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from dialer.core.holds import HoldKind
from dialer.rig.asterisk import Rig
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings
from dialer.storage import create_engine, create_session_factory
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.storage.models import Attempt, Person
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_campaign import read_cdr_rows
from tests.asterisk.test_episode_cycles import (
    AGENTS,
    CALLEES,
    MINUTE_CYCLES,
    members,
    prepare,
    working,
    write_register,
)
from tests.asterisk.test_robot_agents import service_settings
from tests.stored import person_by_external_id
from tests.web.test_delivery import Hook, webhook_server

__all__ = ["webhook_server"]  # the local webhook receiver's fixture, used by name
PEOPLE = {f"R{index:05d}": callee for index, callee in enumerate(CALLEES)}
OPPOSED, DECEASED = "R00000", "R00001"


async def hold_two(settings: Settings) -> None:
    """R00000 opposed (« ne plus appeler »), R00001 recorded deceased."""
    database = create_engine(settings.database_url)
    try:
        sessions = create_session_factory(database)
        now = datetime.now(UTC)
        await PersonHolds(sessions).oppose(
            [OppositionRequest(OPPOSED, "ne plus appeler")], actor="test", now=now
        )
        deceased = await person_by_external_id(sessions, DECEASED)
        assert deceased is not None
        async with transaction(sessions) as session:
            session.add(
                PersonHold(
                    person_id=deceased.id,
                    kind=HoldKind.DECEASED,
                    reason="décès signalé",
                    recorded_by="test",
                    recorded_at=now,
                )
            )
    finally:
        await database.dispose()


def _is_attempt_id(uniqueid: str) -> bool:
    """A dialer's call to a person (agents' legs and checks have other ids)."""
    return len(uniqueid) == 36 and uniqueid.count("-") == 4


async def dialled(sessions: SessionFactory) -> dict[str, list[Attempt]]:
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Person.external_id, Attempt).join(Person, Person.id == Attempt.person_id)
        )
        found: dict[str, list[Attempt]] = {}
        for key, attempt in rows.all():
            found.setdefault(key, []).append(attempt)
        return found


async def all_dialled(sessions: SessionFactory, wanted: set[str]) -> dict[str, list[Attempt]]:
    """The ledger once every one of ``wanted`` has an attempt that ended (up to 90 s)."""
    limit = time.monotonic() + 90
    while True:
        found = await dialled(sessions)
        ended = {key for key, attempts in found.items() if any(a.ended_at for a in attempts)}
        if wanted <= ended or time.monotonic() > limit:
            return found
        await asyncio.sleep(0.5)


@pytest.mark.asyncio
async def test_the_opposed_and_the_deceased_of_a_selection_are_never_dialled(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
    webhook_server: tuple[str, Hook],
) -> None:
    webhook_url, _ = webhook_server
    await world.wait_registered(ami, AGENTS)
    settings = service_settings(rig_settings, tmp_path / "selection.db").model_copy(
        update={"cycles": MINUTE_CYCLES}
    )
    register = tmp_path / "registre.csv"
    write_register(register, PEOPLE)
    token = await prepare(settings, register, webhook_url)
    await hold_two(settings)
    auth = {"Authorization": f"Bearer {token}"}
    others = set(PEOPLE) - {OPPOSED, DECEASED}
    before = len(read_cdr_rows(rig))  # its records keep earlier tests' calls

    async with (
        working(settings, rig) as service,
        httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api,
    ):
        created = await api.post("/campaigns", json={"template": "heatwave"})
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        chosen = await api.put(
            f"/campaigns/{campaign_id}/selection",
            json={"selection": {"lists": ["registre"], "min_age": 65}},
        )
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["count"] == len(others)  # shown before the start
        started = await api.post(f"/campaigns/{campaign_id}/start")
        assert started.status_code == 200, started.text
        found = await all_dialled(service.sessions, others)
        stopped = await api.post(f"/campaigns/{campaign_id}/stop")
        assert stopped.status_code == 200, stopped.text
        cycle_id = next(a.cycle_id for attempts in found.values() for a in attempts)
        assert await members(service.sessions, cycle_id) == others

    assert set(found) == others  # the ledger: never the opposed nor the deceased
    # Asterisk's records (the CDR's uniqueid is the attempt's id): every call to the
    # people since the start is one of the others' attempts, and each of them was called
    placed = {a.id for attempts in found.values() for a in attempts if a.placed_at}
    ended = {key: {a.id for a in found[key] if a.ended_at and a.placed_at} for key in others}
    limit = time.monotonic() + 10  # a call's record is written when it hangs up
    while True:
        rows = read_cdr_rows(rig)[before:]
        seen = {row["uniqueid"] for row in rows if _is_attempt_id(row["uniqueid"])}
        if all(ended[key] & seen for key in others) or time.monotonic() > limit:
            break
        await asyncio.sleep(0.5)
    assert seen <= placed
    assert all(ended[key] & seen for key in others), (ended, seen)
