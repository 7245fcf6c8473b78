"""A person who calls the campaign's number, end to end on the rig in Chromium: the whole
service (``running_service``) with a campaign not dialling (paused), agent-1001's baresip
softphone, and sipp as the caller through the carrier trunk ([from-carrier]) from Hélène's
number on the register. The agent goes ready; the call coming in is joined to them and
their screen pops Hélène's record, saying she called; the agent answers the questionnaire
from the keyboard and gives the sheet once she hung up; the ledger has her call coming in,
bridged to the agent, as the cycle's contact: the campaign resumed never dials her."""

from __future__ import annotations

import asyncio
import csv
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.campaigns import CampaignState
from dialer.core.windows import CallingWindows
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, WebSettings
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_agent_screen_e2e import (
    AGENT,
    ALL_DAY,
    PASSWORD,
    SECRET_KEY,
    agent_goes_ready,
    fill_from_keyboard,
    free_port,
    submit_from_keyboard,
)
from tests.asterisk.test_inbound_calls import HELENE, call_in
from tests.browser.helpers import Browser, require_chromium

pytestmark = pytest.mark.browser


def write_register(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        writer.writerow(["I1", "Lefèvre", "Hélène", "02/09/1941", "06 12 34 56 01"])


async def prepare(settings: Settings, register: Path) -> int:
    """Register imported, heatwave campaign started then paused (it dials nobody: only the
    call coming in is followed), the agent's account."""
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        heatwave = replace(
            shipped_templates().get("heatwave"),
            windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        )
        started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
        await CampaignRepository(sessions).set_state(
            started.campaign_id, CampaignState.PAUSED, expected={CampaignState.RUNNING}
        )
        await provision_demo_people(sessions, [AGENT], PASSWORD)
        return started.campaign_id
    finally:
        await database.dispose()


def an_agent_takes_the_call(base_url: str, ready: threading.Event, seen: list[str]) -> None:
    browser = Browser(base_url)
    try:
        page = browser.new_page()
        agent_goes_ready(page)
        page.js("window.__popAt = undefined")
        ready.set()  # now sipp calls in
        page.wait(lambda: page.js("return window.__popAt"), timeout=40, what="screen pop")
        seen.append(page.text("#nom-personne"))
        assert page.find("#appel-recu").is_displayed()
        seen.append(page.text("#appel-recu"))
        page.wait_text("#etat", "En communication")
        fill_from_keyboard(page)  # the questionnaire, focused at the pop
        page.wait_text("#etat", "Fin d'appel", timeout=30)  # she hung up
        seen.append(submit_from_keyboard(page))
    finally:
        browser.close()


async def inbound_attempts(sessions: SessionFactory) -> list[Attempt]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Attempt)))


@pytest.mark.asyncio
async def test_a_registered_caller_pops_on_the_agents_screen_in_chromium(
    rig_settings: Settings, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    require_chromium()
    await world.wait_registered(ami, [AGENT])
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'inbound.db'}",
        rig=rig_settings.rig,
        web=WebSettings(
            host="127.0.0.1", port=port, secure_cookies=False, public_url=f"http://127.0.0.1:{port}"
        ),
    )
    register = tmp_path / "registre.csv"
    write_register(register)
    campaign_id = await prepare(settings, register)
    ready, seen = threading.Event(), list[str]()
    async with running_service(
        settings, ami=rig.ami_credentials(), secret_key=SECRET_KEY, tick_s=0.2
    ) as service:
        assert service.engine is not None
        browsing = asyncio.create_task(
            asyncio.to_thread(an_agent_takes_the_call, service.url, ready, seen)
        )
        assert await asyncio.to_thread(ready.wait, 60), "the agent never got ready"
        await call_in(rig, HELENE, tmp_path, stay_s=12)
        await browsing
        await service.engine.flush()
        statistics = service.engine.statistics()
        # the campaign dials again: Hélène, this cycle's contact already, is not called
        await service.control.resume(campaign_id, actor="superviseur")
        await asyncio.sleep(5)
        await service.engine.flush()
        attempts = await inbound_attempts(service.sessions)

    assert seen[0].startswith("Hélène LEFÈVRE")
    assert "la personne a appelé le numéro de la campagne" in seen[1]
    assert seen[2].startswith("Fiche validée")
    (attempt,) = attempts  # nobody dialled: her call coming in only
    assert attempt.kind is AttemptKind.INBOUND
    assert attempt.number == HELENE
    assert attempt.agent == AGENT
    assert attempt.bridged_at is not None
    assert attempt.disposition is CycleResult.REACHED  # the cycle's contact
    assert statistics["inbound_answered"] == 1
