"""The live dashboard moving during a real-rig run, in headless Chromium.

The whole service (``running_service``: the engine on the rig's Asterisk, the web app), a
small heatwave campaign, and three robot agents working it through the web interface
(their baresip softphones answer). A supervisor in Chromium opens ``/tableau-de-bord``
before the agents start: the page must show the agents arriving and moving between states
(their rows on the wallboard, each with its time in state moving),
the attempted count growing as the engine dials, and at the end every funnel figure and
the day's dial counts equal to what the ledger's rows say.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.core.attempts import AttemptState, Disposition
from dialer.core.outcomes import CallOutcome
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import SUPERVISOR
from dialer.rig.robot_agents import RobotAgent
from dialer.rig.robot_personas import Ending, Health, Persona
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleMember, CycleSchedule, MemberStatus
from dialer.telephony.ami import AmiClient
from tests.asterisk.persona_deck import PersonaDeck
from tests.asterisk.test_robot_agents import PASSWORD, SECRET_KEY, prepare, service_settings
from tests.asterisk.test_robot_agents import write_register as write_people
from tests.browser.helpers import Browser, Page, login, require_chromium

pytestmark = pytest.mark.browser

AGENTS = ["agent-1001", "agent-1002", "agent-1003"]
#: seven people answer (the robot hangs up first), one is busy, one declines the call
CALLEES = [
    *(SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=i) for i in range(7)),
    SimulatedCallee(CalleeBehaviour.BUSY, ring_s=0, talk_s=0, serial=7),
    SimulatedCallee(CalleeBehaviour.REJECTS, ring_s=0, talk_s=0, serial=8),
]
CARDS = [
    Persona(Health.AT_RISK, Ending.COMPLETE),
    *[Persona(Health.FINE, Ending.COMPLETE)] * 4,
    Persona(Health.FINE, Ending.REFUSED),
]
CAMPAIGN_TIMEOUT_S = 60.0
#: the dashboard reads the ledger at most every 2 s and pushes every second
SETTLE_S = 4.0
FUNNEL = ("register", "attempted", "reached", "complete", "alerts_raised", "alerts_acknowledged")


# ---- in the browser (a thread: the service runs on the test's event loop) ---------------
@dataclass
class Watched:
    """What the dashboard showed: one sample of every figure every ~0.2 s."""

    samples: list[dict[str, str]] = field(default_factory=list)
    updates_at_open: int = 0
    final: dict[str, str] = field(default_factory=dict)
    updates: int = 0
    #: the wallboard's per-agent rows at each sample: agent → (state, seconds in state)
    rows: list[dict[str, tuple[str, int]]] = field(default_factory=list)


FIGURES = (
    "return Object.fromEntries(Array.from(document.querySelectorAll('[data-champ]'))"
    ".map((e) => [e.dataset.champ, e.textContent.trim()]))"
)


def figures(page: Page) -> dict[str, str]:
    shown = page.js(FIGURES)
    assert isinstance(shown, dict)
    return {str(k): str(v) for k, v in shown.items()}


AGENT_ROWS = (
    "return Array.from(document.querySelectorAll('#agents-en-direct tbody tr[data-agent]'))"
    ".map((tr) => [tr.dataset.agent, tr.dataset.etat, Number(tr.dataset.depuis)])"
)


def agent_rows(page: Page) -> dict[str, tuple[str, int]]:
    shown = page.js(AGENT_ROWS)
    assert isinstance(shown, list)
    return {str(agent): (str(state), int(seconds)) for agent, state, seconds in shown}


def time_in_state_moved(rows: list[dict[str, tuple[str, int]]]) -> set[str]:
    """The agents whose row showed the same state with more seconds later on."""
    moved = set()
    for before, after in itertools.pairwise(rows):
        for agent, (state, seconds) in after.items():
            earlier = before.get(agent)
            if earlier is not None and earlier[0] == state and seconds > earlier[1]:
                moved.add(agent)
    return moved


def updates(page: Page) -> int:
    """How many snapshots the page has shown."""
    return int(str(page.js("return window.__dashboardUpdates || 0")))


def watch(base_url: str, opened: threading.Event, stop: threading.Event, seen: Watched) -> None:
    browser = Browser(base_url)
    try:
        page = browser.new_page()
        login(page, SUPERVISOR, PASSWORD)
        page.goto("/supervision")
        page.find("#lien-tableau-de-bord").click()
        page.wait(lambda: page.path() == "/tableau-de-bord", what="the dashboard")
        page.wait(
            lambda: page.js("return document.getElementById('tableau').dataset.connecte") == "oui",
            what="the dashboard's socket",
        )
        page.wait(lambda: updates(page) >= 2, what="pushes")
        seen.updates_at_open = updates(page)
        seen.samples.append(figures(page))
        opened.set()
        while not stop.is_set():
            seen.samples.append(figures(page))
            seen.rows.append(agent_rows(page))
            time.sleep(0.2)
        seen.final = figures(page)
        seen.updates = updates(page)
    finally:
        opened.set()
        browser.close()


def number(shown: dict[str, str], key: str) -> int:
    text = shown[key].replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    return int(text)


# ---- the ledger --------------------------------------------------------------------------
async def wait_campaign_done(sessions: SessionFactory, cycle_id: int) -> float:
    started = time.monotonic()
    schedule = CycleSchedule(sessions)
    counts: dict[MemberStatus, int] = {}
    while time.monotonic() - started < CAMPAIGN_TIMEOUT_S:
        counts = await schedule.counts(cycle_id)
        if counts[MemberStatus.DONE] == len(CALLEES):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise AssertionError(f"campaign not finished after {CAMPAIGN_TIMEOUT_S:.0f} s: {counts}")


async def ledger_counts(sessions: SessionFactory, cycle_id: int) -> dict[str, int]:
    """The funnel and the day's dials, counted here from the rows."""
    async with transaction(sessions) as session:
        attempts = list(await session.scalars(select(Attempt).where(Attempt.cycle_id == cycle_id)))
        members = list(
            await session.scalars(select(CycleMember).where(CycleMember.cycle_id == cycle_id))
        )
        sheets = list(
            await session.scalars(select(CallSheet).where(CallSheet.cycle_id == cycle_id))
        )
        alerts = list(await session.scalars(select(Alert)))
    sheet_ids = {s.id for s in sheets}
    mine = [a for a in alerts if a.sheet_id in sheet_ids]
    ended = [a for a in attempts if a.state is AttemptState.ENDED]
    live = [a for a in ended if a.answered_at is not None and a.outcome is not CallOutcome.MACHINE]
    return {
        "funnel.register": len(members),
        "funnel.attempted": len({a.person_id for a in attempts if a.placed_at is not None}),
        "funnel.reached": len({a.person_id for a in attempts if a.bridged_at is not None}),
        "funnel.complete": len(
            {
                s.person_id
                for s in sheets
                if s.disposition is Disposition.COMPLETE and s.submitted_at is not None
            }
        ),
        "funnel.alerts_raised": len(mine),
        "funnel.alerts_acknowledged": len([a for a in mine if a.state is AlertState.ACKNOWLEDGED]),
        "today.settled": len(ended),
        "today.live_answers": len(live),
        "today.abandons": len([a for a in live if a.outcome is CallOutcome.ABANDONED]),
        "useful.contacts": len(
            {
                s.person_id
                for s in sheets
                if s.disposition is Disposition.COMPLETE and s.submitted_at is not None
            }
        ),
    }


@pytest.mark.asyncio
async def test_the_dashboard_moves_during_a_real_run_and_ends_equal_to_the_ledger(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    require_chromium()
    await world.wait_registered(ami, AGENTS)
    rng = random.Random(6)
    settings = service_settings(rig_settings, tmp_path / "tableau.db")
    register = tmp_path / "registre.csv"
    write_people(register, CALLEES, rng)
    campaign_id, cycle_id = await prepare(settings, register)
    deck = PersonaDeck(CARDS, rng)
    seen = Watched()
    opened, stop_watching = threading.Event(), threading.Event()
    async with running_service(
        settings,
        campaign_id=campaign_id,
        ami=rig.ami_credentials(),
        secret_key=SECRET_KEY,
        ring_timeout_s=15,
        tick_s=0.2,
    ) as service:
        assert service.engine is not None
        watcher = asyncio.create_task(
            asyncio.to_thread(watch, service.url, opened, stop_watching, seen)
        )
        try:
            await asyncio.to_thread(opened.wait, 60)
            assert seen.samples, "the dashboard did not open"
            robots = [
                RobotAgent(
                    service.url,
                    agent,
                    PASSWORD,
                    rng=random.Random(index),
                    personas=deck,
                    callback_after=timedelta(seconds=8),
                )
                for index, agent in enumerate(AGENTS)
            ]
            stop_robots = asyncio.Event()
            shifts = [asyncio.create_task(robot.run(stop_robots)) for robot in robots]
            try:
                took = await wait_campaign_done(service.sessions, cycle_id)
            finally:
                stop_robots.set()
                await asyncio.wait_for(asyncio.gather(*shifts), 30)
            await service.engine.flush()
            await asyncio.sleep(SETTLE_S)  # the ledger read again, pushed, shown
        finally:
            stop_watching.set()
            await asyncio.wait_for(watcher, 30)
        ledger = await ledger_counts(service.sessions, cycle_id)
        engine_stats = service.engine.statistics()

    print(
        f"\ncampaign of {len(CALLEES)} people done in {took:.1f} s; "
        f"{len(seen.samples)} samples, {seen.updates} pushes shown; ledger {ledger}"
    )
    assert [e for robot in robots for e in robot.errors] == []

    # the page kept receiving a snapshot a second
    assert seen.updates - seen.updates_at_open >= took

    # the campaign as it happened: nothing attempted before the agents, then growing
    attempted = [number(s, "funnel.attempted") for s in seen.samples]
    assert attempted[0] == 0
    assert attempted == sorted(attempted), attempted  # never goes back
    assert len(set(attempted)) >= 3, attempted  # seen growing in steps, not only at the end
    assert number(seen.final, "funnel.attempted") == len(CALLEES)
    assert number(seen.samples[0], "live.agents_logged_in") == 0

    # the agents seen arriving and moving between states
    def states(sample: dict[str, str]) -> tuple[int, ...]:
        return tuple(
            number(sample, f"live.agents.{state}")
            for state in ("paused", "ready", "reserved", "on_call", "wrap_up")
        )

    seen_states = {states(s) for s in seen.samples}
    assert len(seen_states) >= 4, seen_states
    assert any(number(s, "live.agents.on_call") >= 1 for s in seen.samples)
    assert any(number(s, "live.agents.ready") >= 1 for s in seen.samples)
    assert any(number(s, "live.calls_connected") >= 1 for s in seen.samples)
    assert number(seen.final, "live.agents.paused") == len(AGENTS)  # robots paused to stop

    # the wallboard's per-agent rows: every robot seen, and their time in state moving
    assert {agent for rows in seen.rows for agent in rows} == set(AGENTS)
    assert time_in_state_moved(seen.rows) == set(AGENTS), seen.rows[-5:]
    assert any(state == "on_call" for rows in seen.rows for state, _ in rows.values())

    # at the end, every figure equals the ledger
    for key, expected in ledger.items():
        assert number(seen.final, key) == expected, (key, seen.final[key], expected)
    assert ledger["funnel.complete"] >= 3
    assert ledger["funnel.alerts_raised"] >= 1
    assert engine_stats["abandoned"] == 0
    assert seen.final["campaign.name"] != "Aucune campagne en cours"
    assert seen.final["forecast.projected_share"] != "—"
