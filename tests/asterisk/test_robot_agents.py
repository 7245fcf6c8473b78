"""Robot agents on the real rig: three simulated agents work a small campaign to its end
through the web interface a person uses (login form, the screen's WebSocket and JSON
calls), with the whole service (``running_service``: engine, Asterisk, web app, alerts).

Every answered call must end with a submitted sheet and a disposition, complete
questionnaires are stored as useful contacts, and the alerts stored are exactly those the
people's answers raise (none for people who are fine, an emergency for those in one)."""

from __future__ import annotations

import asyncio
import csv
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.attempts import AttemptState, CycleResult, Disposition, person_result
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import TEAM_NAME, provision_demo_people
from dialer.rig.robot_agents import HandledCall, RobotAgent
from dialer.rig.robot_personas import Ending, Health, Persona
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, WebSettings
from dialer.storage.alert_rows import Alert
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt, CycleResultRow
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.storage.team_rows import Team
from dialer.telephony.ami import AmiClient
from tests.asterisk.persona_deck import PersonaDeck

SECRET_KEY = "clé de test des robots, assez longue pour signer les sessions"
PASSWORD = "mot de passe des robots 2026"
AGENTS = ["agent-1001", "agent-1002", "agent-1003"]
ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
FAST_RETRIES = RetryPolicy(
    max_attempts=2,
    busy_delay=timedelta(seconds=2),
    no_answer_delay=timedelta(seconds=2),
    machine_delay=timedelta(seconds=2),
    answered_delay=timedelta(seconds=2),
    failure_delay=timedelta(seconds=2),
    min_gap_between_attempts=timedelta(seconds=1),
    time_of_day_spread=timedelta(0),
    # a robot's callback is theirs for 5 s after its hour, then any robot's (its owner may
    # be on a minute-long call)
    callback_grace=timedelta(seconds=5),
)
FIRST_NAMES = ["Hélène", "Jean", "Françoise", "Marcel", "Odette", "René", "Gisèle", "André"]
LAST_NAMES = ["Lefèvre", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux"]
#: the people: 12 answer and talk for a minute (the robot hangs up first), 1 hangs up after
#: 2 s (an interrupted questionnaire, then a retry), 1 is busy, 1 declines the call
CALLEES = [
    *(SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=i) for i in range(12)),
    SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=2, serial=12),
    SimulatedCallee(CalleeBehaviour.BUSY, ring_s=0, talk_s=0, serial=13),
    SimulatedCallee(CalleeBehaviour.REJECTS, ring_s=0, talk_s=0, serial=14),
]
#: dealt first, so the short run meets every kind of person; realistic draws afterwards
CARDS = [
    Persona(Health.EMERGENCY, Ending.COMPLETE),
    *[Persona(Health.AT_RISK, Ending.COMPLETE)] * 3,
    Persona(Health.AT_RISK, Ending.CALLBACK),
    Persona(Health.FINE, Ending.CALLBACK),
    Persona(Health.FINE, Ending.REFUSED),
    *[Persona(Health.FINE, Ending.COMPLETE)] * 6,
]
CAMPAIGN_TIMEOUT_S = 150.0
#: from Asterisk's join (the ledger's bridged_at) to the call message on the robot's screen
POP_BUDGET_MS = 1000.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_settings(rig_settings: Settings, database: Path) -> Settings:
    port = free_port()
    return Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        rig=rig_settings.rig,
        web=WebSettings(
            host="127.0.0.1",
            port=port,
            secure_cookies=False,
            public_url=f"http://127.0.0.1:{port}",
        ),
    )


def write_register(path: Path, callees: list[SimulatedCallee], rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        for index, callee in enumerate(callees):
            writer.writerow(
                [
                    f"R{index:05d}",
                    rng.choice(LAST_NAMES),
                    rng.choice(FIRST_NAMES),
                    f"{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/19{rng.randint(30, 55)}",
                    callee.number,
                ]
            )


async def prepare(settings: Settings, register: Path) -> tuple[int, int]:
    """The database: register imported, the heatwave campaign started (all-day windows,
    fast retries), the agents', supervisor's and team's accounts."""
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        heatwave = replace(
            shipped_templates().get("heatwave"),
            windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
            policy=FAST_RETRIES,
        )
        started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
        await provision_demo_people(sessions, AGENTS, PASSWORD)
    finally:
        await database.dispose()
    return started.campaign_id, started.cycle_id


async def wait_campaign_done(sessions: SessionFactory, cycle_id: int, people: int) -> float:
    started = time.monotonic()
    schedule = CycleSchedule(sessions)
    counts: dict[MemberStatus, int] = {}
    while time.monotonic() - started < CAMPAIGN_TIMEOUT_S:
        counts = await schedule.counts(cycle_id)
        if counts[MemberStatus.DONE] == people:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise AssertionError(f"campaign not finished after {CAMPAIGN_TIMEOUT_S:.0f} s: {counts}")


@dataclass
class Stored:
    attempts: list[Attempt]
    sheets: dict[str, CallSheet]
    answers: dict[int, dict[str, object]]
    alerts: dict[int, list[Alert]]
    results: dict[int, CycleResult]
    team: Team


async def stored(sessions: SessionFactory, cycle_id: int) -> Stored:
    async with transaction(sessions) as session:
        attempts = list(await session.scalars(select(Attempt).where(Attempt.cycle_id == cycle_id)))
        sheets = {s.attempt_id: s for s in await session.scalars(select(CallSheet))}
        answers: dict[int, dict[str, object]] = {}
        for answer in await session.scalars(select(Answer)):
            answers.setdefault(answer.sheet_id, {})[answer.question_id] = answer.value
        alerts: dict[int, list[Alert]] = {}
        for alert in await session.scalars(select(Alert).order_by(Alert.id)):
            if alert.sheet_id is not None:  # not a field visit request
                alerts.setdefault(alert.sheet_id, []).append(alert)
        results = {
            r.person_id: r.result
            for r in await session.scalars(
                select(CycleResultRow).where(CycleResultRow.cycle_id == cycle_id)
            )
        }
        team = (await session.scalars(select(Team).where(Team.name == TEAM_NAME))).one()
    return Stored(attempts, sheets, answers, alerts, results, team)


def check_sheet(call: HandledCall, data: Stored) -> None:
    """What the robot did with one call is what the server stored."""
    sheet = data.sheets[call.attempt_id]
    assert sheet.submitted_at is not None, call
    assert sheet.disposition is Disposition(call.disposition)
    assert data.answers.get(sheet.id, {}) == call.answers  # every answer, as given
    alerts = data.alerts.get(sheet.id, [])
    assert len(alerts) == call.expected_alerts, (call, alerts)
    assert all(a.team_id == data.team.id and a.routed_to_default for a in alerts)
    if call.expected_emergency:
        assert call.emergency_shown  # the screen got the instructions at once
        assert any(a.need == "medical_emergency" and a.priority == 1 for a in alerts)
    if call.disposition == "complete":
        assert sheet.complete  # a useful contact
        if call.persona.health is Health.FINE:
            assert not alerts
        else:  # at risk or an emergency: the complete answers raise alerts
            assert alerts, call


@pytest.mark.asyncio
async def test_three_robot_agents_work_a_campaign_to_its_end_through_the_web_interface(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await world.wait_registered(ami, AGENTS)
    rng = random.Random(2026)
    settings = service_settings(rig_settings, tmp_path / "robots.db")
    register = tmp_path / "registre.csv"
    write_register(register, CALLEES, rng)
    campaign_id, cycle_id = await prepare(settings, register)
    deck = PersonaDeck(CARDS, rng)
    async with running_service(
        settings,
        campaign_id=campaign_id,
        ami=rig.ami_credentials(),
        secret_key=SECRET_KEY,
        ring_timeout_s=15,
        tick_s=0.2,
    ) as service:
        assert service.engine is not None
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
        stop = asyncio.Event()
        shifts = [asyncio.create_task(robot.run(stop)) for robot in robots]
        try:
            took = await wait_campaign_done(service.sessions, cycle_id, len(CALLEES))
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*shifts), 30)
        engine_stats = service.engine.statistics()
        data = await stored(service.sessions, cycle_id)
        seats = {seat.agent: seat.state.value for seat in service.engine.seats.seats()}
        assert seats == dict.fromkeys(AGENTS, "paused")  # each robot paused when told to stop

    calls = [call for robot in robots for call in robot.handled]
    print(f"\ncampaign of {len(CALLEES)} people done in {took:.1f} s, {len(calls)} calls")
    for robot in robots:
        print(robot.statistics())
    print({key: engine_stats[key] for key in ("joined", "abandoned", "join_latency_ms_p50")})
    assert [error for robot in robots for error in robot.errors] == []

    # every answered call popped on exactly one robot's screen, and was submitted
    answered = [a for a in data.attempts if a.outcome is CallOutcome.ANSWERED]
    assert sorted(c.attempt_id for c in calls) == sorted(a.id for a in answered)
    assert all(a.state in {AttemptState.ENDED, AttemptState.FAILED} for a in data.attempts)
    by_attempt = {call.attempt_id: call for call in calls}
    pops_ms: list[float] = []
    for attempt in answered:
        call = by_attempt[attempt.id]
        assert call.submitted
        assert attempt.agent in AGENTS
        assert attempt.bridged_at is not None
        assert attempt.wrap_up_done_at is not None
        assert attempt.disposition == person_result(Disposition(call.disposition))
        check_sheet(call, data)
        assert call.popped_at >= attempt.bridged_at
        pops_ms.append((call.popped_at - attempt.bridged_at).total_seconds() * 1000)
    pops_ms.sort()
    print(
        f"screen pop, Asterisk's join → robot: p50 {pops_ms[len(pops_ms) // 2]:.0f} ms, "
        f"max {pops_ms[-1]:.0f} ms"
    )
    assert pops_ms[-1] < POP_BUDGET_MS
    assert engine_stats["abandoned"] == 0  # progressive: an agent for every answer
    assert engine_stats["joined"] == len(answered)

    # useful contacts: each complete questionnaire closed the person's cycle as reached
    complete = [c for c in calls if c.disposition == "complete"]
    assert len(complete) >= 8
    for call in complete:
        person = next(a.person_id for a in answered if a.id == call.attempt_id)
        assert data.results[person] is CycleResult.REACHED
    assert len(data.results) == len(CALLEES)

    # every kind of person was met, and raised what they should
    dispositions = Counter(c.disposition for c in calls)
    assert dispositions["refused"] >= 1
    assert dispositions["callback"] >= 1
    short = {a.id for a in answered if a.number == CALLEES[12].number}
    for call in calls:  # who hangs up after 2 s leaves an interrupted questionnaire
        if call.attempt_id in short and call.persona.ending is Ending.COMPLETE:
            assert call.hung_up_early
            assert call.disposition == "interrupted"
        else:
            assert not call.hung_up_early
    assert any(c.expected_emergency for c in calls)
    assert any(c.persona.health is Health.AT_RISK and c.expected_alerts for c in complete)
    stored_alerts = sum(len(v) for v in data.alerts.values())
    assert stored_alerts == sum(c.expected_alerts for c in calls)
    callbacks = [c for c in calls if c.disposition == "callback"]
    numbers = Counter(a.person_id for a in data.attempts)
    for call in callbacks:  # the person asked to be called back was: a second attempt
        person = next(a.person_id for a in answered if a.id == call.attempt_id)
        assert numbers[person] == 2
