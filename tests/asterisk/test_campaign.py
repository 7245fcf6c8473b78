"""Whole campaigns on the real rig, with the stored ledger: 200 simulated people and five
agents' softphones run to the end with a ledger that matches Asterisk's own call records
(CDR), and a controller restarted mid-campaign loses no attempt and dials nobody twice."""

from __future__ import annotations

import asyncio
import csv
import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from dialer.campaigns.runner import CampaignRun
from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt, CycleResultRow
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode

ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)
FAST_RETRIES = RetryPolicy(
    max_attempts=2,
    busy_delay=timedelta(seconds=2),
    no_answer_delay=timedelta(seconds=2),
    machine_delay=timedelta(seconds=2),
    answered_delay=timedelta(seconds=2),
    failure_delay=timedelta(seconds=2),
    min_gap_between_attempts=timedelta(seconds=1),
    time_of_day_spread=timedelta(0),
)
# behaviour → share of the register, the outcomes an attempt may end with
MIX = [
    (CalleeBehaviour.ANSWERS, 0.62, {CallOutcome.ANSWERED}),
    (CalleeBehaviour.BUSY, 0.10, {CallOutcome.BUSY}),
    (CalleeBehaviour.RINGS_FOREVER, 0.04, {CallOutcome.NO_ANSWER}),
    (CalleeBehaviour.UNREACHABLE, 0.06, {CallOutcome.UNREACHABLE}),
    (CalleeBehaviour.INVALID_NUMBER, 0.06, {CallOutcome.INVALID_NUMBER}),
    # hangs up right after answering: before the join (hung up), or just after (answered)
    (CalleeBehaviour.HANGS_UP_AT_ONCE, 0.06, {CallOutcome.HUNG_UP, CallOutcome.ANSWERED}),
    (CalleeBehaviour.REJECTS, 0.06, {CallOutcome.REJECTED}),
]
FIRST_NAMES = ["Hélène", "Jean", "Françoise", "Marcel", "Odette", "René", "Gisèle", "André"]
LAST_NAMES = ["Lefèvre", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux"]


def write_register(path: Path, count: int, seed: int) -> dict[str, set[CallOutcome]]:
    """A register CSV of simulated people; returns number → the outcomes allowed."""
    rng = random.Random(seed)
    expected: dict[str, set[CallOutcome]] = {}
    weights = [share for _, share, _ in MIX]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        for index in range(count):
            behaviour, _, outcome = rng.choices(MIX, weights=weights)[0]
            callee = SimulatedCallee(
                behaviour, ring_s=rng.randint(0, 2), talk_s=rng.randint(1, 3), serial=index % 100
            )
            callee = replace(callee, talk_s=callee.talk_s + 10 * (index // 100))  # unique
            expected[callee.number] = outcome
            writer.writerow(
                [
                    f"R{index:05d}",
                    rng.choice(LAST_NAMES),
                    rng.choice(FIRST_NAMES),
                    f"{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/19{rng.randint(30, 59)}",
                    callee.number,
                ]
            )
    return expected


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'campaign.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def start(sessions: SessionFactory, register: Path) -> tuple[int, int]:
    report = await import_register(sessions, register, now=datetime.now(UTC))
    assert report.rejected == 0, report.issues[:3]
    heatwave = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        policy=FAST_RETRIES,
    )
    # 00:00-23:59:59 every day: around midnight the pacer pauses ~20 s (ring timeout and
    # margin before the window's end), then goes on
    started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
    return started.campaign_id, started.cycle_id


async def run_engine(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, campaign_id: int
) -> tuple[CampaignRun, AsteriskNode, DialingEngine]:
    """A controller: node, engine, and the agents logged in (those whose phone leg is still
    connected from a previous controller are adopted, not called again)."""
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    run = CampaignRun(
        sessions, campaign_id, nodes=[node], ring_timeout_s=15, screens=desk, tick_s=0.2
    )
    engine = await run.start()
    desk.engine = engine
    await asyncio.sleep(0.5)
    adopted = {seat.agent for seat in engine.seats.seats()}
    for phone in world.softphones:
        if phone.account.username not in adopted:
            await engine.log_in(phone.account.username, phone.account.username)
            engine.go_ready(phone.account.username)
    return run, node, engine


async def wait_done(sessions: SessionFactory, cycle_id: int, people: int, timeout_s: float) -> None:
    schedule = CycleSchedule(sessions)
    for _ in range(int(timeout_s)):
        counts = await schedule.counts(cycle_id)
        if counts[MemberStatus.DONE] == people:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"cycle not finished after {timeout_s} s: {counts}")


def read_cdr_rows(rig: Rig) -> list[dict[str, str]]:
    """Asterisk's CDR (Master.csv), one row per channel."""
    path = rig.chroot.path / "var/log/asterisk/cdr-csv/Master.csv"
    names = [
        "accountcode",
        "src",
        "dst",
        "dcontext",
        "clid",
        "channel",
        "dstchannel",
        "lastapp",
        "lastdata",
        "start",
        "answer",
        "end",
        "duration",
        "billsec",
        "disposition",
        "amaflags",
        "uniqueid",
        "userfield",
    ]
    with path.open(encoding="utf-8", errors="replace") as handle:
        return list(csv.DictReader(handle, fieldnames=names))


def read_cdr(rig: Rig) -> dict[str, dict[str, str]]:
    """Asterisk's CDR by uniqueid (the attempt id for the dialer's calls)."""
    return {row["uniqueid"]: row for row in read_cdr_rows(rig)}


async def stored_attempts(sessions: SessionFactory) -> list[Attempt]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Attempt).order_by(Attempt.placed_at)))


def assert_nobody_in_two_calls(attempts: list[Attempt]) -> None:
    by_person: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_person.setdefault(attempt.person_id, []).append(attempt)
    for person, theirs in by_person.items():
        theirs.sort(key=lambda a: a.placed_at or a.planned_for)
        for earlier, later in itertools.pairwise(theirs):
            assert earlier.ended_at is not None
            assert later.placed_at is not None
            assert earlier.ended_at <= later.placed_at, f"person {person} in two calls at once"


@pytest.mark.asyncio
async def test_a_campaign_of_200_people_with_5_agents_matches_asterisks_records(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    expected = write_register(register, 200, seed=7)
    campaign_id, cycle_id = await start(sessions, register)
    run, node, engine = await run_engine(sessions, rig, world, campaign_id)
    try:
        await wait_done(sessions, cycle_id, 200, timeout_s=600)
    finally:
        await run.stop()
        await node.stop()
    attempts = await stored_attempts(sessions)
    assert all(a.state.value in {"ended", "failed"} for a in attempts)
    assert_nobody_in_two_calls(attempts)
    cdr = read_cdr(rig)
    for attempt in attempts:
        assert attempt.outcome in expected[attempt.number]
        record = cdr[attempt.id]  # every dial is in Asterisk's records, under its own id
        answered = attempt.outcome in {
            CallOutcome.ANSWERED,
            CallOutcome.ABANDONED,
            CallOutcome.HUNG_UP,
        }
        assert (record["disposition"] == "ANSWERED") == answered, (attempt, record)
        if attempt.outcome is CallOutcome.BUSY:
            assert record["disposition"] == "BUSY"
    assert len([a for a in attempts if a.id in cdr]) == len(attempts)
    async with transaction(sessions) as session:
        results = list(await session.scalars(select(CycleResultRow)))
    assert len(results) == 200
    per_person: dict[int, int] = {}
    for attempt in attempts:
        per_person[attempt.person_id] = per_person.get(attempt.person_id, 0) + 1
    assert max(per_person.values()) <= FAST_RETRIES.max_attempts
    stats = engine.statistics()
    assert stats["abandoned"] == 0  # progressive: an agent for every answer
    # an answered attempt is one an agent talked to: joined, with its bridge time (a person
    # gone between the Redirect and the bridge hung up, though the dialplan wrote "joined")
    unjoined = [
        (a.id, a.agent, a.answered_at, a.ended_at)
        for a in attempts
        if a.outcome is CallOutcome.ANSWERED and a.bridged_at is None
    ]
    assert unjoined == []
    assert stats["joined"] == sum(1 for a in attempts if a.outcome is CallOutcome.ANSWERED)


@pytest.mark.asyncio
async def test_a_controller_restarted_mid_campaign_loses_no_attempt_and_dials_nobody_twice(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    await world.wait_registered(ami)
    register = tmp_path / "registre.csv"
    write_register(register, 40, seed=11)
    campaign_id, cycle_id = await start(sessions, register)
    run, node, _ = await run_engine(sessions, rig, world, campaign_id)
    await asyncio.sleep(4)  # calls in every state
    await run.stop()  # the controller dies: its tasks end, its AMI session closes
    await node.stop()
    # what the dead controller left in flight (read after it stopped: a call it was told
    # had ended while it stopped is closed by it, not by the new controller)
    before = {a.id: a.state.value for a in await stored_attempts(sessions)}
    in_flight = [i for i, state in before.items() if state not in {"ended", "failed"}]
    assert in_flight, "the restart must happen with calls in progress"
    run, node, restarted = await run_engine(sessions, rig, world, campaign_id)
    try:
        await wait_done(sessions, cycle_id, 40, timeout_s=300)
    finally:
        await run.stop()
        await node.stop()
    attempts = await stored_attempts(sessions)
    assert all(a.state.value in {"ended", "failed"} for a in attempts)
    assert_nobody_in_two_calls(attempts)
    ours = {a.id for a in attempts}
    rows = [row for row in read_cdr_rows(rig) if row["uniqueid"] in ours]
    # no attempt was originated twice: Asterisk has one record per attempt id
    assert len(rows) == len({row["uniqueid"] for row in rows})
    # every attempt in flight at the crash was resumed or closed by the new controller
    stats = restarted.statistics()
    resumed, closed = stats["reconciled_resumed"], stats["reconciled_closed"]
    assert isinstance(resumed, int)
    assert isinstance(closed, int)
    assert resumed + closed >= len(in_flight)
    after = {a.id: a for a in attempts}
    assert all(after[i].outcome is not None for i in in_flight)
