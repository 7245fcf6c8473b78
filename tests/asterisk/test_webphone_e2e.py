"""The phone in the agent's page, for real (issue #20): the whole service on the rig's
Asterisk, an agent in headless Chromium with a fake microphone, marked for the browser
phone (``dialer agents sip-reset --browser``, published like ``dialer asterisk sync``).

The page fetches its credentials, registers over Asterisk's WebSocket (through a TCP relay
the test can cut), passes the audio check (the echo extension), connects the agent's leg
(the engine calls the page, which answers by itself) and goes ready; a simulated person
answers and is joined. Audio flows both ways: RTP counted on both legs by Asterisk and the
page's own WebRTC statistics show packets received. Then the network is cut: the page puts
the agent in pause, the leg goes; it is restored: the page registers again and the leg comes
back, the agent still paused."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.cli.asterisk import stored_agents
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptState, Disposition
from dialer.core.outcomes import CallOutcome
from dialer.core.seats import SeatBoard
from dialer.core.windows import CallingWindows
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee, SippUas
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, SipSettings, WebSettings
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
    transaction,
)
from dialer.storage.models import Attempt
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony.ami import AmiClient
from dialer.telephony.sip_accounts import publish_sip_accounts
from tests.asterisk.test_agent_screen_e2e import (
    ALL_DAY,
    FAST_RETRIES,
    PASSWORD,
    SECRET_KEY,
    free_port,
    hang_up,
    submit_with,
)
from tests.browser.helpers import FAKE_MEDIA, Browser, Page, login, require_chromium

pytestmark = pytest.mark.browser

AGENT = "agent-2101"
CALLEE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=21)
PERSON = ("W1", "Martin", "Simone", "05/05/1940", "1 rue de la Paix", "75019", "Paris", "19e")


class Relay:
    """A TCP relay in front of Asterisk's HTTP/WebSocket port: the agent's network, which
    the test cuts (every connection reset, no new one accepted) and restores."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()


def write_register(path: Path) -> None:
    header = "Identifiant;Nom;Prénom;Date de naissance;Adresse;Code postal;Ville;"
    header += "Arrondissement;Téléphone"
    path.write_text(f"{header}\n{';'.join(PERSON)};{CALLEE.number}\n", encoding="utf-8")


async def prepare(settings: Settings, register: Path) -> int:
    """One person who answers, a heatwave campaign open all day, the browser agent."""
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
        await provision_demo_people(sessions, [AGENT], PASSWORD)
        await SipAccountRepository(sessions).reset(
            AGENT, remote=False, browser=True, now=datetime.now(UTC)
        )
    finally:
        await database.dispose()
    return started.campaign_id


async def publish(rig: Rig, settings: Settings, ami: AmiClient) -> list[str]:
    """``dialer asterisk sync``: the database's agents beside the rig's own. Returns the
    browser phones' endpoints published."""
    database = create_engine(settings.database_url)
    try:
        agents = await stored_agents(create_session_factory(database))
    finally:
        await database.dispose()
    await publish_sip_accounts(
        rig.settings,
        [*rig.agent_accounts(), *agents],
        target=rig.chroot.etc,
        ami=ami,
        ami_secret=rig.ami_secret,
    )
    return sorted(a.username for a in agents if a.browser)


ROW = re.compile(r"^\s*(?:\S+\s+)?(\S+)\s+\d\d:\d\d:\d\d\s+\S+\s+(\d+)\s+\d+\s+\d+\s+\S+\s+(\d+)")


def rtp_counts(rig: Rig) -> dict[str, tuple[int, int]]:
    """Received and sent RTP packets per channel (name prefix), from Asterisk's CLI."""
    counts: dict[str, tuple[int, int]] = {}
    for line in rig.cli("pjsip show channelstats").splitlines():
        found = ROW.match(line)
        if found:
            counts[found.group(1)] = (int(found.group(2)), int(found.group(3)))
    return counts


def leg_counts(rig: Rig, prefix: str) -> tuple[int, int]:
    counts = rtp_counts(rig)
    legs = [value for name, value in counts.items() if name.startswith(prefix)]
    assert legs, f"no {prefix} channel in {rig.cli('pjsip show channelstats')}"
    return legs[0]


def state(page: Page) -> str:
    return str(page.js("return document.getElementById('etat').dataset.etat"))


def line(page: Page) -> str:
    return str(page.js("return document.getElementById('ligne').dataset.ligne"))


def page_received(page: Page) -> int:
    return int(str(page.js("return window.__webphoneStats.packetsReceived")))


#: seconds the agent's page spends in a background tab
BACKGROUND_S = 15


def page_sent(page: Page) -> int:
    """RTP packets the page's leg has sent (its own getStats, read now)."""
    page.js("window.__sentNow = undefined")
    page.js(
        "window.__webphoneLine && window.__webphoneLine.connection.getStats().then((r) => {"
        " let n = 0; r.forEach((e) => { if (e.type === 'outbound-rtp') n += e.packetsSent; });"
        " window.__sentNow = n; })"
    )
    sent = page.wait(lambda: page.js("return window.__sentNow"), what="the page's stats")
    return int(str(sent))


def to_background(page: Page) -> str:
    """Another tab in front: the agent's page becomes hidden (it records it)."""
    page.js(
        "window.__wasHidden = false; document.addEventListener('visibilitychange', () => {"
        " if (document.visibilityState === 'hidden') { window.__wasHidden = true; } })"
    )
    agent_tab = str(page.driver.current_window_handle)
    page.driver.switch_to.new_window("tab")
    page.driver.get("about:blank")
    return agent_tab


def back_to_front(page: Page, agent_tab: str) -> object:
    page.driver.close()
    page.driver.switch_to.window(agent_tab)
    return page.js("return window.__wasHidden")


def log_in_and_check_audio(page: Page) -> None:
    login(page, AGENT, PASSWORD)
    assert page.path() == "/agent"
    check_audio_and_connect(page)
    page.find("#disponible").click()
    page.wait_text("#etat", "Disponible")


def check_audio_and_connect(page: Page) -> None:
    """On « Mon poste »: the page's phone registers, the audio check (the echo extension)
    passes, and the page connects the line by itself (the engine calls it, it answers):
    paused."""
    page.wait(lambda: line(page) == "prete", timeout=15, what="the page's phone registered")
    assert state(page) == "logged_out"
    page.find("#test-audio").click()
    page.wait(
        lambda: page.js("return document.getElementById('telephone-page').dataset.testAudio"),
        timeout=20,
        what="the audio check's verdict",
    )
    verdict = page.js("return document.getElementById('telephone-page').dataset.testAudio")
    assert verdict == "reussi", page.text("#message-telephone")
    # the page connects the agent's leg by itself: the engine calls it, it answers
    try:
        page.wait_text("#etat", "En pause", timeout=20)
    except AssertionError as missing:
        said = page.text("#message-telephone"), page.text("#message")
        raise AssertionError(f"{missing}; the page said {said}") from None
    page.wait(lambda: line(page) == "connectee", what="the leg up")


def wait_joined(page: Page) -> None:
    page.wait_text("#etat", "En communication", timeout=30)
    page.wait(lambda: page_received(page) > 50, timeout=10, what="packets in getStats")


def use_the_controls(page: Page) -> None:
    """During the call: the network quality shown, mute and back, a keypad key (DTMF)."""
    page.wait(
        lambda: (
            page.js("return document.getElementById('reseau').dataset.reseau")
            in ("bonne", "moyenne")
        ),
        timeout=10,
        what="the network quality shown",
    )
    page.find("#micro").click()
    assert page.find("#micro").get_attribute("aria-pressed") == "true"
    assert page.text("#micro") == "Rétablir le micro"
    page.find("#micro").click()
    assert page.find("#micro").get_attribute("aria-pressed") == "false"
    page.find("#volume").send_keys("\ue012")  # ← : the volume goes down
    assert float(str(page.js("return document.getElementById('son-distant').volume"))) < 1.0
    page.find('#clavier [data-touche="5"]').click()
    page.wait_text("#message-telephone", "Touche 5 envoyée.")


def close_the_call(page: Page) -> None:
    hang_up(page)
    submit_with(page, Disposition.REFUSED)
    page.wait_text("#etat", "Disponible")


@pytest.mark.asyncio
async def test_an_agent_with_the_phone_in_the_page_takes_a_call_and_survives_a_network_cut(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    require_chromium()
    # the called people speak: sipp echoes the audio it receives (the world's callees swapped
    # for the test's length)
    speaking = SippUas(
        host=world.callees.host,
        port=world.callees.port,
        log_dir=world.callees.log_dir,
        name="callee-echo",
        rtp_echo=True,
    )
    world.callees.stop()
    speaking.start()
    try:
        await _phone_in_the_page(rig_settings, rig, ami, tmp_path)
    finally:
        speaking.stop()
        world.callees.start()


async def _phone_in_the_page(
    rig_settings: Settings, rig: Rig, ami: AmiClient, tmp_path: Path
) -> None:
    assert "Server Enabled and Bound to 127.0.0.1:8088" in rig.cli("http show status")
    relay = Relay(rig.settings.sip.http_port)
    await relay.start()
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'webphone.db'}",
        rig=rig_settings.rig,
        sip=SipSettings(webrtc_url=f"ws://127.0.0.1:{relay.port}/ws"),
        web=WebSettings(
            host="127.0.0.1",
            port=port,
            secure_cookies=False,
            public_url=f"http://127.0.0.1:{port}",
        ),
    )
    register = tmp_path / "registre.csv"
    write_register(register)
    campaign_id = await prepare(settings, register)
    assert await publish(rig, settings, ami) == [AGENT]
    browser = Browser("", FAKE_MEDIA)
    try:
        async with running_service(
            settings,
            campaign_id=campaign_id,
            ami=rig.ami_credentials(),
            secret_key=SECRET_KEY,
            ring_timeout_s=15,
            tick_s=0.2,
        ) as service:
            assert service.engine is not None
            browser.base_url = service.url
            page = await asyncio.to_thread(browser.new_page)
            await asyncio.to_thread(log_in_and_check_audio, page)
            await asyncio.to_thread(wait_joined, page)

            # audio both ways, from Asterisk: the page's leg and the person's leg
            first_agent, first_person = (
                leg_counts(rig, f"{AGENT}-"),
                leg_counts(rig, "carrier-"),
            )
            await asyncio.sleep(1.0)
            agent_rx, agent_tx = leg_counts(rig, f"{AGENT}-")
            person_rx, person_tx = leg_counts(rig, "carrier-")
            assert agent_rx > first_agent[0] > 0
            assert agent_tx > first_agent[1] > 0
            assert person_rx > first_person[0] > 0
            assert person_tx > first_person[1] > 0
            received = await asyncio.to_thread(page_received, page)
            assert received > 50

            # the controls; the key reaches Asterisk as DTMF (RFC 4733) on the agent's leg
            dtmf_log = rig.chroot.path / "var/log/asterisk/webphone-dtmf"
            dtmf_log.unlink(missing_ok=True)
            rig.cli("logger add channel webphone-dtmf dtmf")
            try:
                await asyncio.to_thread(use_the_controls, page)
                await _wait_for(
                    lambda: f"DTMF end '5' received on PJSIP/{AGENT}-" in _read(dtmf_log),
                    what="the DTMF in Asterisk's log",
                )
            finally:
                rig.cli("logger remove channel webphone-dtmf")

            await asyncio.to_thread(close_the_call, page)
            legs_before = await _agent_legs(ami)
            assert len(legs_before) == 1

            # the network is cut: the page notices and pauses the agent; the leg goes
            await relay.cut()
            seen = await _states_until_logged_out(service.engine.seats, timeout_s=20)
            assert seen[:2] == [AgentState.READY, AgentState.PAUSED], seen
            assert seen[-1] is AgentState.LOGGED_OUT  # the leg is gone (Asterisk's RTP timeout)
            assert await asyncio.to_thread(line, page) == "coupee"
            await _wait_no_leg(ami, timeout_s=5)

            # restored: registered again, the leg is back, the agent paused
            await relay.restore()
            await asyncio.to_thread(page.wait_text, "#etat", "En pause", timeout=40)
            await asyncio.to_thread(
                page.wait, lambda: line(page) == "connectee", timeout=10, what="line back"
            )
            legs_after = await _agent_legs(ami)
            assert len(legs_after) == 1
            assert legs_after != legs_before
            assert service.engine.seats.get(AGENT).state is AgentState.PAUSED
            assert "réseau" in (await asyncio.to_thread(page.text, "#message-telephone")).lower()

            # a background tab keeps its line: another tab in front for longer than several
            # of Asterisk's qualifies and its RTP timeout, the leg stays and keeps sending
            sent_before = await asyncio.to_thread(page_sent, page)
            agent_tab = await asyncio.to_thread(to_background, page)
            await asyncio.sleep(BACKGROUND_S)
            assert await asyncio.to_thread(back_to_front, page, agent_tab) is True  # was hidden
            assert await _agent_legs(ami) == legs_after
            assert service.engine.seats.get(AGENT).state is AgentState.PAUSED
            sent_after = await asyncio.to_thread(page_sent, page)
            assert sent_after - sent_before > 40 * BACKGROUND_S, (sent_before, sent_after)

            database_attempts = await _attempts(service.sessions)
    finally:
        await asyncio.to_thread(browser.close)
        await relay.cut()
        rig.render_configuration()  # back to the rig's own agents
        await ami.action("Reload", {"Module": "res_pjsip.so"})

    assert len(database_attempts) == 1
    attempt = database_attempts[0]
    assert attempt.outcome is CallOutcome.ANSWERED
    assert attempt.state is AttemptState.ENDED
    assert attempt.agent == AGENT
    assert attempt.bridged_at is not None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


async def _wait_for(condition: Callable[[], bool], *, what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _agent_legs(ami: AmiClient) -> set[str]:
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return {
        r.get("Uniqueid")
        for r in replies
        if r.name == "CoreShowChannel" and r.get("Channel", "").startswith(f"PJSIP/{AGENT}-")
    }


async def _wait_no_leg(ami: AmiClient, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while await _agent_legs(ami):
        assert time.monotonic() < deadline, "the page's leg outlived the network cut"
        await asyncio.sleep(0.2)


async def _states_until_logged_out(seats: SeatBoard, *, timeout_s: float) -> list[AgentState]:
    """The agent's states as the engine holds them, each once, until logged out."""
    seen = [seats.get(AGENT).state]
    deadline = time.monotonic() + timeout_s
    while seen[-1] is not AgentState.LOGGED_OUT:
        assert time.monotonic() < deadline, f"still {seen} after the cut"
        await asyncio.sleep(0.02)
        current = seats.get(AGENT).state
        if current is not seen[-1]:
            seen.append(current)
    return seen


async def _attempts(sessions: SessionFactory) -> list[Attempt]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Attempt)))
