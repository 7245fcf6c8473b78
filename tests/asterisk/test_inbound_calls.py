"""People who call the campaign's number, on the real rig: sipp plays the caller through the
carrier trunk ([from-carrier]), a baresip softphone the agent.

- a person on the register calls while the agent is free: the call is joined to the agent,
  whose screen pops the person's record; the disposition closes the person's cycle and
  they are not dialled again;
- every agent busy: the caller waits the set time, hears that we will call back, and an
  agent-reserved call back of the person is scheduled;
- a number on no register is joined to the free agent too (audited, no attempt); with every
  agent busy it hears the hours and the emergency numbers, no promise of a call back.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.inbound import UNKNOWN_CALL_TAKEN
from dialer.campaigns.runner import campaign_dialing
from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.windows import PARIS, CallingWindows, OpeningInterval
from dialer.engine.engine import DialingEngine
from dialer.errors import NotFoundError
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt, Person
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode

CALLER_SCENARIO = Path(__file__).parents[1] / "fixtures" / "sipp" / "inbound_caller.xml"
ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)
#: the campaign's number people call (any number reaches [from-carrier])
CAMPAIGN_NUMBER = "0140000000"
#: Hélène Lefèvre's number on the register, as the carrier sends it
HELENE = "+33612345601"
MARCEL = "+33612345602"
#: a number on no register (a neighbour, a relative)
UNKNOWN = "+33699999999"
#: the caller's own port (the simulated callees use the trunk's, 5070)
CALLER_PORT = 5097


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inbound.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def import_helene_and_marcel(sessions: SessionFactory, tmp_path: Path) -> None:
    """Hélène (I1) and Marcel (I2) on the register, by ``dialer import``'s importer."""
    register = tmp_path / "register.csv"
    with register.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        writer.writerow(["I1", "Lefèvre", "Hélène", "02/09/1941", "06 12 34 56 01"])
        writer.writerow(["I2", "Dubois", "Marcel", "14/03/1938", "06 12 34 56 02"])
    report = await import_register(sessions, register, now=datetime.now(UTC))
    assert report.rejected == 0, report.issues[:3]


async def start(
    sessions: SessionFactory, tmp_path: Path, hours: tuple[OpeningInterval, ...] = ALL_DAY
) -> int:
    await import_helene_and_marcel(sessions, tmp_path)
    heatwave = replace(
        shipped_templates().get("heatwave"),
        windows=CallingWindows(week=(hours,) * 7, holiday=hours),
    )
    started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
    return started.campaign_id


async def controller(
    sessions: SessionFactory, rig: Rig, campaign_id: int, desk: AutoWrapUpDesk
) -> tuple[DialingEngine, AsteriskNode]:
    """The campaign assigned to an engine on the rig, dialling nobody by itself (only the
    incoming calls are followed)."""
    node = AsteriskNode("rig", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    await node.start()
    dialing = await campaign_dialing(sessions, campaign_id)
    engine = DialingEngine(
        nodes=[node],
        attempt_log=StoredAttemptLog(sessions),
        screens=desk,
        tick_s=0.2,
        zone=dialing.windows.timezone,
    )
    dialing.assign_to(engine, dialing_enabled=False)
    desk.engine = engine
    await engine.start()
    for _ in range(100):  # connected and reconciled
        if node.name in engine.connected:
            break
        await asyncio.sleep(0.1)
    return engine, node


async def call_in(rig: Rig, caller: str, log_dir: Path, *, stay_s: float) -> None:
    """sipp calls the campaign's number from ``caller`` and hangs up after ``stay_s``."""
    command = [
        "sipp",
        f"{rig.settings.sip.bind_host}:{rig.settings.sip.port}",
        "-sf", str(CALLER_SCENARIO),
        "-s", CAMPAIGN_NUMBER,
        "-set", "caller", caller,
        "-i", "127.0.0.1",
        "-p", str(CALLER_PORT),
        "-m", "1",
        "-d", str(int(stay_s * 1000)),
        "-nostdin",
        "-timeout", str(int(stay_s + 30)),
        "-trace_err",
        "-error_file", str(log_dir / "sipp-inbound-errors.log"),
    ]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, cwd=log_dir, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


async def person_id(sessions: SessionFactory, external_id: str) -> int:
    async with transaction(sessions) as session:
        found = await session.scalar(select(Person.id).where(Person.external_id == external_id))
    assert found is not None
    return found


async def member_of(sessions: SessionFactory, person: int) -> CycleMember:
    async with transaction(sessions) as session:
        member = await session.scalar(select(CycleMember).where(CycleMember.person_id == person))
    assert member is not None
    return member


async def attempts_of(sessions: SessionFactory, person: int) -> list[Attempt]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Attempt).where(Attempt.person_id == person)))


async def wait_for(condition: object, timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s * 5)):
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.asyncio
async def test_a_registered_person_calling_in_is_joined_to_a_free_agent(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    campaign_id = await start(sessions, tmp_path)
    helene = await person_id(sessions, "I1")
    desk = AutoWrapUpDesk(wrap_up_s=0.2, result=CycleResult.REACHED)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    agent = world.softphones[0].account.username
    try:
        await engine.log_in(agent, agent)
        await asyncio.sleep(1.0)
        engine.go_ready(agent)
        await call_in(rig, HELENE, tmp_path, stay_s=4)

        async def done() -> bool:
            return (await member_of(sessions, helene)).status is MemberStatus.DONE

        await wait_for(done)
        await engine.flush()
        (inbound,) = await attempts_of(sessions, helene)
        assert inbound.kind is AttemptKind.INBOUND
        assert inbound.number == HELENE
        assert inbound.agent == agent
        assert inbound.bridged_at is not None
        assert inbound.outcome is CallOutcome.ANSWERED
        assert inbound.disposition is CycleResult.REACHED
        assert desk.popped[agent] == [inbound.id]  # the screen popped her record
        statistics = engine.statistics()
        assert statistics["inbound"] == 1
        assert statistics["inbound_answered"] == 1
        assert statistics["inbound_lost"] == 0
        # dialling again: Hélène, contacted this cycle, is not called; Marcel is
        engine.dialing_enabled = True
        marcel = await person_id(sessions, "I2")

        async def marcel_dialled() -> bool:
            return bool(await attempts_of(sessions, marcel))

        await wait_for(marcel_dialled)
        assert len(await attempts_of(sessions, helene)) == 1
    finally:
        with contextlib.suppress(NotFoundError):  # a test that failed before the log-in
            await engine.log_out(agent)
        await engine.stop()
        await node.stop()


@pytest.mark.asyncio
async def test_with_every_agent_busy_the_caller_is_called_back(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    campaign_id = await start(sessions, tmp_path)
    marcel = await person_id(sessions, "I2")
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    agent = world.softphones[0].account.username
    events = ami.subscribe()
    await ami.action("Setvar", {"Variable": "DIALER_INBOUND_WAIT", "Value": "5"})
    try:
        await engine.log_in(agent, agent)  # logged in, paused: busy
        started = asyncio.get_running_loop().time()
        # long enough for a turn of the waiting loop: the message, the position, 2 s
        calling = asyncio.create_task(call_in(rig, MARCEL, tmp_path, stay_s=24))

        async def told_first() -> bool:
            # the controller tells the caller their place in the queue, which the dialplan
            # says after the waiting message (« vous êtes la première personne en attente »)
            for waiting_id in engine.inbound.waiting:
                told = await ami.action(
                    "Getvar", {"Channel": waiting_id, "Variable": "DIALER_POSITION"}
                )
                return told[0].get("Value") == "1"
            return False

        await wait_for(told_first, timeout_s=8)
        await calling
        stayed = asyncio.get_running_loop().time() - started
        await engine.flush()
        heard = []
        while not events.empty():
            event = events.get_nowait()
            if event.name == "UserEvent" and event.get("UserEvent").startswith("DialerInbound"):
                heard.append(event.get("UserEvent"))
        assert heard == ["DialerInbound", "DialerInboundUnanswered"]
        assert stayed >= 5
        member = await member_of(sessions, marcel)
        assert member.status is MemberStatus.WAITING
        assert member.next_kind is AttemptKind.CALLBACK  # an agent reserved first
        assert member.next_number == MARCEL
        assert member.next_due_at is not None
        assert await attempts_of(sessions, marcel) == []  # never answered: no call
        statistics = engine.statistics()
        assert statistics["inbound"] == 1
        assert statistics["inbound_answered"] == 0
        assert statistics["inbound_lost"] == 1
        assert statistics["inbound_calls_back"] == 1
    finally:
        ami.unsubscribe(events)
        await ami.action("Setvar", {"Variable": "DIALER_INBOUND_WAIT", "Value": ""})
        with contextlib.suppress(NotFoundError):  # a test that failed before the log-in
            await engine.log_out(agent)
        await engine.stop()
        await node.stop()


@pytest.mark.asyncio
async def test_an_unknown_number_is_joined_to_a_free_agent_and_audited(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    campaign_id = await start(sessions, tmp_path)
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    agent = world.softphones[0].account.username
    try:
        await engine.log_in(agent, agent)
        await asyncio.sleep(1.0)
        engine.go_ready(agent)
        await call_in(rig, UNKNOWN, tmp_path, stay_s=4)

        async def wrapped_up() -> bool:
            return engine.statistics()["inbound_answered"] == 1 and not engine.wrap_ups.pending

        await wait_for(wrapped_up)
        await engine.flush()
        # joined to the agent, whose screen is told the number (no record to pop)
        ((attempt_id, number),) = desk.unknown_callers[agent]
        assert number == UNKNOWN
        assert agent not in desk.popped
        (entry,) = await AuditLog(sessions).search(AuditFilter(action=UNKNOWN_CALL_TAKEN))
        assert (entry.actor, entry.target) == (agent, f"attempt:{attempt_id}")
        assert entry.details["caller"] == UNKNOWN
        async with transaction(sessions) as session:
            assert await session.get(Attempt, attempt_id) is None  # an attempt needs a person
        statistics = engine.statistics()
        assert (statistics["inbound_unknown"], statistics["inbound_lost"]) == (1, 0)
    finally:
        with contextlib.suppress(NotFoundError):
            await engine.log_out(agent)
        await engine.stop()
        await node.stop()


@pytest.mark.asyncio
async def test_an_unknown_number_unanswered_hears_the_hours_and_no_call_back_promise(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    campaign_id = await start(sessions, tmp_path)
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    agent = world.softphones[0].account.username
    events = ami.subscribe()
    await ami.action("Setvar", {"Variable": "DIALER_INBOUND_WAIT", "Value": "5"})
    try:
        await engine.log_in(agent, agent)  # logged in, paused: busy
        await call_in(rig, UNKNOWN, tmp_path, stay_s=24)  # a turn of the waiting loop
        await engine.flush()
        heard = []
        while not events.empty():
            event = events.get_nowait()
            if event.name == "UserEvent" and event.get("UserEvent").startswith("DialerInbound"):
                heard.append((event.get("UserEvent"), event.get("Message")))
        assert heard == [
            ("DialerInbound", ""),
            ("DialerInboundUnanswered", "dialer/inbound-closed"),  # the hours, 15 and 112
        ]
        statistics = engine.statistics()
        assert (statistics["inbound_unknown"], statistics["inbound_lost"]) == (1, 1)
        assert statistics["inbound_calls_back"] == 0
    finally:
        ami.unsubscribe(events)
        await ami.action("Setvar", {"Variable": "DIALER_INBOUND_WAIT", "Value": ""})
        with contextlib.suppress(NotFoundError):
            await engine.log_out(agent)
        await engine.stop()
        await node.stop()


def closed_now() -> tuple[OpeningInterval, ...]:
    """One hour a day, far from now (Paris time): the campaign is closed during the test."""
    hour = datetime.now(PARIS).hour
    start = time(20, 0) if hour < 12 else time(6, 0)
    return (OpeningInterval(start, time(start.hour + 1, 0)),)


@pytest.mark.asyncio
async def test_outside_calling_hours_the_caller_hears_the_hours_and_is_called_back(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    hours = closed_now()
    campaign_id = await start(sessions, tmp_path, hours)
    helene = await person_id(sessions, "I1")
    desk = AutoWrapUpDesk(wrap_up_s=0.2)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    agent = world.softphones[0].account.username
    events = ami.subscribe()
    try:
        await engine.log_in(agent, agent)
        await asyncio.sleep(1.0)
        engine.go_ready(agent)  # free, but the campaign is closed
        await call_in(rig, HELENE, tmp_path, stay_s=3)
        await engine.flush()
        heard = []
        while not events.empty():
            event = events.get_nowait()
            if event.name == "UserEvent" and event.get("UserEvent").startswith("DialerInbound"):
                heard.append(event.get("UserEvent"))
        assert heard == ["DialerInbound", "DialerInboundClosed"]
        assert desk.popped == {}  # no agent took it
        member = await member_of(sessions, helene)
        assert member.next_kind is AttemptKind.CALLBACK
        assert member.next_due_at is not None
        opening = member.next_due_at.replace(tzinfo=UTC).astimezone(PARIS)
        assert opening.time() == hours[0].start
        statistics = engine.statistics()
        assert (statistics["inbound"], statistics["inbound_closed"]) == (1, 1)
        assert statistics["inbound_calls_back"] == 1
    finally:
        ami.unsubscribe(events)
        with contextlib.suppress(NotFoundError):
            await engine.log_out(agent)
        await engine.stop()
        await node.stop()
