"""The agent's own phone as their line, on the real rig, through the service's own entry
points: the whole service (``running_service``), the agent's profile page (« mon
téléphone » and a number) and screen API over HTTP, and sipp playing the agent's phone on
the trunk, as it plays the people called.

- A phone that answers and presses 1 (RFC 2833) becomes the agent's line: the agent is
  paused, goes ready, and a person who answers is joined to that leg (both channels up in
  one bridge, the ledger's attempt answered and bridged to the agent). When the leg drops
  the agent is out of the pool, and « M'appeler » calls the phone again (once: clicking
  again while the line is up places no call).
- A phone that answers and never presses 1 (a voicemail) is never the agent's line: the
  screen is told why, the agent is never made ready, no leg is left up.
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.core.outcomes import CallOutcome
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.world import SimulatedWorld
from dialer.service import Service, running_service
from dialer.settings import Settings, WebSettings
from dialer.storage.database import (
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_agent_screen_e2e import PASSWORD, SECRET_KEY, free_port

ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
VOLUNTEER = "benevole-1"
#: the volunteer's own phone: answers after 1 s, presses 1, stays on the line 2 minutes
PRESSES_1 = SimulatedCallee(CalleeBehaviour.PRESSES_1, ring_s=1, talk_s=120, serial=91)
#: a phone whose voicemail answers: never presses 1
VOICEMAIL = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=90, serial=92)
#: the person the campaign calls: answers after 1 s, would talk a minute
PERSON = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=93)
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def prepare(settings: Settings, register: Path) -> int:
    with register.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Téléphone"])
        writer.writerow(["L1", "Lefèvre", "Hélène", PERSON.number])
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        campaign = replace(
            shipped_templates().get("heatwave"),
            windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
        )
        started = await start_campaign(sessions, campaign, now=datetime.now(UTC))
        await provision_demo_people(sessions, [VOLUNTEER], PASSWORD)
    finally:
        await database.dispose()
    return started.campaign_id


@asynccontextmanager
async def service_on_rig(
    rig_settings: Settings, rig: Rig, tmp_path: Path
) -> AsyncIterator[Service]:
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'own_phone.db'}",
        rig=rig_settings.rig,
        web=WebSettings(
            host="127.0.0.1", port=port, secure_cookies=False, public_url=f"http://127.0.0.1:{port}"
        ),
    )
    campaign_id = await prepare(settings, tmp_path / "registre.csv")
    async with running_service(
        settings,
        campaign_id=campaign_id,
        ami=rig.ami_credentials(),
        secret_key=SECRET_KEY,
        ring_timeout_s=15,
        tick_s=0.2,
    ) as service:
        yield service


class Volunteer:
    """The volunteer's browser, as its pages and ``agent.js`` speak to the service."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def log_in(self) -> None:
        form = await self.http.get("/connexion")
        csrf = CSRF_INPUT.search(form.text)
        assert csrf is not None
        page = await self.http.post(
            "/connexion",
            data={"identifiant": VOLUNTEER, "mot_de_passe": PASSWORD, "csrf": csrf.group(1)},
        )
        assert page.url.path == "/agent", page.status_code
        meta = CSRF_META.search(page.text)
        assert meta is not None
        self.csrf = meta.group(1)

    async def choose_own_phone(self, number: str) -> None:
        """« Mon téléphone » on the profile page, with its number."""
        profile = await self.http.get("/agent/profil")
        csrf = CSRF_INPUT.search(profile.text)
        assert csrf is not None
        saved = await self.http.post(
            "/agent/profil/ligne",
            data={"ligne": "telephone", "numero": number, "csrf": csrf.group(1)},
        )
        assert saved.status_code == 200
        assert "Votre choix est enregistré" in saved.text
        agent_page = await self.http.get("/agent")
        assert "M'appeler sur mon" in agent_page.text

    async def post(self, path: str) -> httpx.Response:
        return await self.http.post(path, json={}, headers={"X-CSRF-Token": self.csrf})

    async def state(self) -> dict[str, Any]:
        answer = (await self.http.get("/api/v1/agent/state")).json()
        assert isinstance(answer, dict)
        return answer

    async def wait_state(self, wanted: str, timeout_s: float) -> None:
        seen = ""
        for _ in range(int(timeout_s / 0.2)):
            seen = (await self.state())["state"]
            if seen == wanted:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{VOLUNTEER}: {seen}, not {wanted}, after {timeout_s} s")


@asynccontextmanager
async def volunteer_at(service: Service) -> AsyncIterator[Volunteer]:
    async with httpx.AsyncClient(
        base_url=service.url, follow_redirects=True, timeout=90.0, trust_env=False
    ) as http:
        volunteer = Volunteer(http)
        await volunteer.log_in()
        yield volunteer


async def channels(ami: AmiClient) -> dict[str, dict[str, str]]:
    """The live channels by Uniqueid: their bridge and state."""
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return {
        r.get("Uniqueid"): {"bridge": r.get("BridgeId"), "state": r.get("ChannelStateDesc")}
        for r in replies
        if r.name == "CoreShowChannel"
    }


def own_legs(live: dict[str, dict[str, str]]) -> list[str]:
    return [uniqueid for uniqueid in live if uniqueid.startswith(f"agentleg-{VOLUNTEER}-")]


async def ended_attempt(service: Service, attempt_id: str) -> Attempt:
    """The attempt once the ledger has its outcome (written shortly after the call)."""
    async with asyncio.timeout(10):
        while True:
            async with transaction(service.sessions) as session:
                attempt = await session.get(Attempt, attempt_id)
            if attempt is not None and attempt.outcome is not None:
                return attempt
            await asyncio.sleep(0.2)


async def answered_own_leg(ami: AmiClient) -> str:
    """The volunteer's own phone's leg, once answered."""
    for _ in range(100):
        live = await channels(ami)
        answered = [leg for leg in own_legs(live) if live[leg]["state"] == "Up"]
        if answered:
            return answered[0]
        await asyncio.sleep(0.1)
    raise AssertionError("the volunteer's phone was not answered within 10 s")


@pytest.mark.asyncio
async def test_an_own_phone_that_presses_1_takes_calls_and_can_be_called_again(
    rig_settings: Settings, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    async with (
        service_on_rig(rig_settings, rig, tmp_path) as service,
        volunteer_at(service) as volunteer,
    ):
        await volunteer.choose_own_phone(PRESSES_1.number)
        connected = await volunteer.post("/api/v1/agent/phone")
        assert connected.status_code == 200, connected.text
        assert connected.json()["state"] == "paused"
        (leg,) = own_legs(await channels(ami))
        assert (await volunteer.post("/api/v1/agent/ready")).status_code == 200
        # the campaign's person answers and is joined to the volunteer's own phone
        await volunteer.wait_state("on_call", timeout_s=30)
        attempt_id = (await volunteer.state())["attempt_id"]
        live = await channels(ami)
        assert live[leg]["state"] == live[attempt_id]["state"] == "Up"
        assert live[leg]["bridge"]
        assert live[leg]["bridge"] == live[attempt_id]["bridge"]
        assert (await volunteer.post("/api/v1/agent/hang-up")).status_code == 200
        await volunteer.wait_state("wrap_up", timeout_s=10)
        assert leg in await channels(ami)  # the line stays up after the call
        attempt = await ended_attempt(service, attempt_id)
        assert attempt.agent == VOLUNTEER
        assert attempt.bridged_at is not None
        assert attempt.outcome is CallOutcome.ANSWERED
        # the line drops (the phone hung up): out of the pool, « M'appeler » again
        await ami.action("Hangup", {"Channel": leg, "Cause": "16"})
        await volunteer.wait_state("logged_out", timeout_s=10)
        refused = await volunteer.post("/api/v1/agent/ready")
        assert refused.status_code == 409
        again = await volunteer.post("/api/v1/agent/phone")
        assert again.status_code == 200, again.text
        # the line is back, and with it the sheet of the call, still to be submitted
        assert again.json()["state"] == "wrap_up"
        (new_leg,) = own_legs(await channels(ami))
        assert new_leg != leg
        assert (await volunteer.post("/api/v1/agent/phone")).json()["state"] == "wrap_up"
        assert own_legs(await channels(ami)) == [new_leg]  # no second call placed


@pytest.mark.asyncio
async def test_an_own_phone_that_never_presses_1_is_never_made_ready(
    rig_settings: Settings, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    async with (
        service_on_rig(rig_settings, rig, tmp_path) as service,
        volunteer_at(service) as volunteer,
    ):
        await volunteer.choose_own_phone(VOICEMAIL.number)
        started = asyncio.get_running_loop().time()
        calling = asyncio.create_task(volunteer.post("/api/v1/agent/phone"))
        # while the voicemail hears the prompt, a reconciliation (an AMI reconnect, a
        # restart) does not adopt that leg as the volunteer's line
        leg = await answered_own_leg(ami)
        assert leg not in await service.node.live_channels()
        await service.engine.reconcile(service.node)
        assert VOLUNTEER not in service.engine.seats.seats_by_agent()
        refused = await calling
        took = asyncio.get_running_loop().time() - started
        assert refused.status_code == 409
        assert "pas appuyé sur 1" in refused.json()["erreur"]
        assert took > 5  # it was answered and waited for the key, not refused at once
        assert (await volunteer.state())["state"] == "logged_out"
        ready = await volunteer.post("/api/v1/agent/ready")
        assert ready.status_code == 409
        assert own_legs(await channels(ami)) == []  # the voicemail's call was hung up
        assert service.engine is not None
        assert VOLUNTEER not in service.engine.seats.seats_by_agent()
        async with transaction(service.sessions) as session:
            joined = select(Attempt.id).where(Attempt.agent.is_not(None))
            dialled = list(await session.scalars(joined))
        assert dialled == []  # nobody was ever joined to that line
