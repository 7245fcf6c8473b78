"""Two campaigns at once on the real rig (a city-wide heatwave and a flood in one
district), through the service's campaign control: each with its own agents (softphones)
and its own people (the flood: its stored selection, a named list); every agent is joined
only to calls of a campaign they serve, and a person on both campaigns' lists is never in
two calls at once."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.start import create_from_template
from dialer.campaigns.template_files import shipped_templates
from dialer.core.outcomes import CallOutcome
from dialer.core.roles import Role
from dialer.core.selection import Selection
from dialer.core.windows import CallingWindows
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage.account_rows import Account
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.selection import set_campaign_selection
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode
from tests.asterisk.test_campaign import (
    ALL_DAY,
    FAST_RETRIES,
    assert_nobody_in_two_calls,
    stored_attempts,
    wait_done,
)

PEOPLE_PER_DISTRICT = 6
#: the flood's list, imported under its name
FLOOD = "crue Sud"


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'campaigns.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


def write_register(path: Path, *, districts: tuple[str, ...] = ("Nord", "Sud")) -> None:
    """People of two districts who all answer (Nord: the heatwave only; Sud: both);
    ``districts``: only the people of these."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone", "Quartier"]
        )
        for index in range(2 * PEOPLE_PER_DISTRICT):
            callee = SimulatedCallee(
                CalleeBehaviour.ANSWERS, ring_s=1, talk_s=2 + index % 2, serial=40 + index
            )
            district = "Nord" if index < PEOPLE_PER_DISTRICT else "Sud"
            if district not in districts:
                continue
            writer.writerow(
                [
                    f"M{index:03d}",
                    "Martin",
                    f"Odette{'abcdefghijklmnop'[index]}",
                    f"{index + 1:02d}/02/1940",
                    callee.number,
                    district,
                ]
            )


async def agent_accounts(sessions: SessionFactory, usernames: list[str]) -> None:
    async with transaction(sessions) as session:
        for username in usernames:
            session.add(
                Account(
                    username=username,
                    password_hash="!",
                    role=Role.AGENT,
                    sip_endpoint=username,
                    created_at=datetime.now(UTC),
                )
            )


@pytest.mark.asyncio
async def test_two_campaigns_run_at_once_each_with_its_own_agents_and_people(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    write_register(register)
    report = await import_register(sessions, register, now=datetime.now(UTC))
    assert report.rejected == 0, report.issues[:3]
    flooded = tmp_path / "crue-sud.csv"  # the flood's own list: the Sud's people again
    write_register(flooded, districts=("Sud",))
    report = await import_register(sessions, flooded, now=datetime.now(UTC), list_name=FLOOD)
    assert (report.rejected, report.added) == (0, 0)  # the same people, on a second list
    agents = [phone.account.username for phone in world.softphones]
    assert len(agents) >= 3
    await agent_accounts(sessions, agents)
    now = datetime.now(UTC)
    all_day = CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY)
    templates = shipped_templates()
    heatwave = await create_from_template(
        sessions,
        replace(templates.get("heatwave"), windows=all_day, policy=FAST_RETRIES),
        now=now,
        name="Canicule (ville)",
        caller_id="+33100000001",
    )
    flood = await create_from_template(
        sessions,
        replace(templates.get("flood"), windows=all_day, policy=FAST_RETRIES),
        now=now,
        name="Inondation (Sud)",
        caller_id="+33100000002",
    )
    # the flood calls its list only: its selection, stored, enrols its cycles at the start
    await set_campaign_selection(sessions, flood.id, Selection(lists=(FLOOD,)))

    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine = DialingEngine(
        nodes=[node],
        attempt_log=StoredAttemptLog(sessions),
        ring_timeout_s=15,
        screens=desk,
        tick_s=0.2,
    )
    desk.engine = engine
    control = CampaignControl(sessions, engine)
    heatwave_only, flood_only, both = agents[:1], agents[1:2], agents[2:]
    for agent in heatwave_only:
        await control.agents.serve(agent, heatwave.id, actor="test")
    for agent in flood_only:
        await control.agents.serve(agent, flood.id, actor="test")
    for agent in both:  # the flood first when both have a call for them
        await control.agents.serve(agent, heatwave.id, actor="test", priority=1)
        await control.agents.serve(agent, flood.id, actor="test", priority=5)
    try:
        await engine.start()
        await asyncio.sleep(0.5)
        for agent in agents:
            await engine.log_in(agent, agent)
            engine.go_ready(agent)
        await control.start(heatwave.id, actor="test")
        await control.start(flood.id, actor="test")
        assert set(control.attached) == {heatwave.id, flood.id}
        heatwave_cycle = control.attached[heatwave.id].cycle_id
        flood_cycle = control.attached[flood.id].cycle_id
        await wait_done(sessions, heatwave_cycle, 2 * PEOPLE_PER_DISTRICT, timeout_s=240)
        await wait_done(sessions, flood_cycle, PEOPLE_PER_DISTRICT, timeout_s=120)
        await engine.flush()
    finally:
        await engine.stop()
        await node.stop()
    attempts = await stored_attempts(sessions)
    assert all(a.state.value in {"ended", "failed"} for a in attempts)
    assert_nobody_in_two_calls(attempts)  # the Sud's people are on both lists
    by_cycle = {heatwave_cycle: "heatwave", flood_cycle: "flood"}
    joined = [(a.agent or "", by_cycle[a.cycle_id]) for a in attempts if a.bridged_at]
    assert {campaign for _, campaign in joined} == {"heatwave", "flood"}
    for agent, campaign in joined:
        if agent in heatwave_only:
            assert campaign == "heatwave", agent
        elif agent in flood_only:
            assert campaign == "flood", agent
    sud = {a.person_id for a in attempts if a.cycle_id == flood_cycle}
    assert len(sud) == PEOPLE_PER_DISTRICT
    heatwave_people = {a.person_id for a in attempts if a.cycle_id == heatwave_cycle}
    assert len(heatwave_people) == 2 * PEOPLE_PER_DISTRICT
    answered = [a for a in attempts if a.outcome is CallOutcome.ANSWERED]
    assert all(a.agent in agents for a in answered)
    assert engine.statistics()["abandoned"] == 0
