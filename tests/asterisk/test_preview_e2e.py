"""Preview and an agent's own callback, end to end on the rig in Chromium: the whole service
(``running_service``) with a campaign in preview mode and agent-1001's baresip softphone.

The agent goes ready and is offered a person (their record on screen, nothing dialled);
they pass them with a reason and are offered the other person, whom they call: the call is
bridged to them. They schedule a callback a few seconds ahead; at its hour the callback is
offered to them (its owner) and they call again. The ledger: the passed attempt never
dialled (with its reason), the first call and the callback both the agent's, nobody
abandoned."""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.attempts import AttemptKind, AttemptState, Disposition
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, WebSettings
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt, Person
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_agent_screen_e2e import (
    AGENT,
    PASSWORD,
    SECRET_KEY,
    agent_goes_ready,
    free_port,
    hang_up,
)
from tests.browser.helpers import Browser, Page, require_chromium

pytestmark = pytest.mark.browser

ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
PARIS = ZoneInfo("Europe/Paris")
PEOPLE = [("P1", "Lefèvre", "Hélène"), ("P2", "Dubois", "Marcel")]
CALLEES = [
    SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=80 + i) for i in range(2)
]
PASS_REASON = "Personne déjà jointe par ailleurs"
#: the callback the agent schedules, this far ahead
CALLBACK_IN = timedelta(seconds=20)


def write_register(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        for person, callee in zip(PEOPLE, CALLEES, strict=True):
            writer.writerow([*person, callee.number])


async def prepare(settings: Settings, register: Path) -> int:
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        campaign = replace(
            shipped_templates().get("heatwave"),
            windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
            policy=RetryPolicy(
                min_gap_between_attempts=timedelta(seconds=1),
                answered_delay=timedelta(seconds=1),
                time_of_day_spread=timedelta(0),
                callback_grace=timedelta(minutes=5),
            ),
            pacing_mode=PacingMode.PREVIEW,
        )
        started = await start_campaign(sessions, campaign, now=datetime.now(UTC))
        await provision_demo_people(sessions, [AGENT], PASSWORD)
    finally:
        await database.dispose()
    return started.campaign_id


@dataclass
class Seen:
    offered: list[str] = field(default_factory=list)
    called: list[str] = field(default_factory=list)


def offered_name(page: Page) -> str:
    page.wait(lambda: page.find("#proposition").is_displayed(), timeout=30, what="an offer")
    page.wait_text("#message", "Personne proposée")
    return page.text("#nom-personne").split(",", maxsplit=1)[0]


def call_offered(page: Page, seen: Seen) -> None:
    seen.called.append(page.text("#nom-personne").split(",", maxsplit=1)[0])
    page.js("window.__popAt = undefined")
    page.find("#appeler").click()
    page.wait(lambda: not page.find("#proposition").is_displayed(), what="offer closed")
    page.wait(lambda: page.js("return window.__popAt"), timeout=30, what="screen pop")
    page.wait_text("#etat", "En communication")


def a_preview_session(base_url: str, seen: Seen) -> None:
    browser = Browser(base_url)
    try:
        agent = browser.new_page()
        agent_goes_ready(agent)
        first = offered_name(agent)
        seen.offered.append(first)
        assert agent.find("#questionnaire button").get_attribute("disabled")  # not yet
        # « Passer » with a reason from the list
        Select(agent.find("#motif-passer")).select_by_visible_text(PASS_REASON)
        agent.find("#passer").click()
        agent.wait_text("#message", "Personne passée")
        second = offered_name(agent)
        seen.offered.append(second)
        assert second != first
        call_offered(agent, seen)
        hang_up(agent)
        # a callback, a few seconds ahead, in the service's zone
        hour = (datetime.now(UTC) + CALLBACK_IN).astimezone(PARIS)
        Select(agent.find("#issue")).select_by_value(Disposition.CALLBACK.value)
        agent.js(
            "document.getElementById('rappel').value = "
            f"'{hour.replace(tzinfo=None).isoformat(timespec='seconds')}'"
        )
        agent.find("#valider").click()
        agent.wait_text("#message", "Fiche validée")
        # at its hour, the callback is offered to its owner (the passed person is not
        # offered to them again meanwhile)
        again = offered_name(agent)
        seen.offered.append(again)
        call_offered(agent, seen)
        hang_up(agent)
        Select(agent.find("#issue")).select_by_value(Disposition.REFUSED.value)
        agent.find("#valider").click()
        agent.wait_text("#message", "Fiche validée")
    finally:
        browser.close()


async def attempts_of(sessions: SessionFactory) -> tuple[list[Attempt], dict[int, Person]]:
    async with transaction(sessions) as session:
        attempts = list(await session.scalars(select(Attempt).order_by(Attempt.planned_for)))
        people = {p.id: p for p in await session.scalars(select(Person))}
    return attempts, people


@pytest.mark.asyncio
async def test_preview_and_an_agents_own_callback_in_chromium(
    rig_settings: Settings, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    require_chromium()
    await world.wait_registered(ami, [AGENT])
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'preview.db'}",
        rig=rig_settings.rig,
        web=WebSettings(
            host="127.0.0.1", port=port, secure_cookies=False, public_url=f"http://127.0.0.1:{port}"
        ),
    )
    register = tmp_path / "registre.csv"
    write_register(register)
    campaign_id = await prepare(settings, register)
    seen = Seen()
    async with running_service(
        settings,
        campaign_id=campaign_id,
        ami=rig.ami_credentials(),
        secret_key=SECRET_KEY,
        ring_timeout_s=15,
        tick_s=0.2,
    ) as service:
        assert service.engine is not None
        await asyncio.to_thread(a_preview_session, service.url, seen)
        stats = service.engine.statistics()
        attempts, people = await attempts_of(service.sessions)

    names = {p.id: f"{p.first_name} {p.last_name.upper()}" for p in people.values()}
    passed, *rest = attempts
    assert passed.skip_reason == PASS_REASON
    assert (passed.state, passed.placed_at) == (AttemptState.FAILED, None)  # never dialled
    assert names[passed.person_id] == seen.offered[0]
    dialled = [a for a in rest if a.placed_at is not None]
    assert [names[a.person_id] for a in dialled] == seen.called == seen.offered[1:]
    first_call, callback = dialled
    assert first_call.person_id == callback.person_id
    assert (first_call.kind, callback.kind) == (AttemptKind.PREVIEW, AttemptKind.CALLBACK)
    for attempt in dialled:
        assert attempt.agent == AGENT
        assert attempt.outcome is CallOutcome.ANSWERED
        assert attempt.bridged_at is not None
    assert callback.placed_at is not None
    assert first_call.ended_at is not None
    assert callback.placed_at >= first_call.ended_at + CALLBACK_IN - timedelta(seconds=15)
    assert stats["abandoned"] == 0
    assert stats["offers_passed"] == 1
    assert stats["offers_called"] == 2
