"""Join latency with a browser leg (issue #20), beside a softphone's, on the real rig.

One agent at a time takes ``--calls`` answered calls: first agent-1001's baresip softphone,
then an agent whose phone is the page (headless Chromium with a fake microphone, JsSIP over
Asterisk's WebSocket, DTLS-SRTP, opus; its leg connected by the page as at any log-in). The
figure is the engine's own, as in ``bench.telephony``: answer → the agent's leg bridged with
the person (Asterisk's ``UserEvent DialerAnswered`` → ``BridgeEnter`` timestamps). The
engine ends each wrap-up itself (the sheet is not what is measured). Run under
``flock /tmp/rig.lock``: the rig's ports are fixed."""

from __future__ import annotations

import argparse
import asyncio
import csv
import secrets
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from dialer.campaigns.start import start_campaign
from dialer.campaigns.template_files import shipped_templates
from dialer.cli.asterisk import stored_agents
from dialer.core.agent_states import AgentState
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.engine.engine import DialingEngine
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import provision_demo_people
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import Settings, SipSettings, WebSettings
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony.ami import AmiClient
from dialer.telephony.sip_accounts import publish_sip_accounts

SOFTPHONE = "agent-1001"
BROWSER = "agent-2101"
PASSWORD = secrets.token_urlsafe(18)
SECRET_KEY = secrets.token_urlsafe(32)
ALL_DAY = (OpeningInterval(clock_time(0, 0), clock_time(23, 59, 59)),)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_register(path: Path, people: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant", "Nom", "Prénom", "Date de naissance", "Téléphone"])
        for n in range(people):
            callee = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=2, serial=n)
            writer.writerow([f"B{n}", "Banc", f"Personne {n}", "01/01/1940", callee.number])


async def prepare(settings: Settings, register: Path) -> int:
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        await import_register(sessions, register, now=datetime.now(UTC))
        heatwave = replace(
            shipped_templates().get("heatwave"),
            windows=CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY),
            policy=RetryPolicy(max_attempts=1),
        )
        started = await start_campaign(sessions, heatwave, now=datetime.now(UTC))
        await provision_demo_people(sessions, [SOFTPHONE, BROWSER], PASSWORD)
        await SipAccountRepository(sessions).reset(
            BROWSER, remote=False, browser=True, now=datetime.now(UTC)
        )
    finally:
        await database.dispose()
    return started.campaign_id


async def take_calls(engine: DialingEngine, agent: str, calls: int) -> list[float]:
    """The agent ready until ``calls`` calls were joined to it; their join latencies."""
    first = len(engine.join_latencies_ms)
    engine.go_ready(agent)
    deadline = time.monotonic() + 30 * calls
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if engine.offer_of(agent) is not None:  # a call-back after an abandon: « Appeler »
            await engine.call_offer(agent)
        if engine.seats.get(agent).state is AgentState.WRAP_UP:  # the person hung up
            await engine.finish_wrap_up(agent)
            if len(engine.join_latencies_ms) - first >= calls:
                engine.pause(agent, "Pause")  # at once: no await since the wrap-up ended
                return list(engine.join_latencies_ms)[first:]
    joined = len(engine.join_latencies_ms) - first
    raise RuntimeError(
        f"{agent}: {joined} of {calls} calls joined in time; seat "
        f"{engine.seats.get(agent)}; engine {engine.statistics()}"
    )


async def connected(engine: DialingEngine) -> None:
    """Wait for the engine's AMI session to the rig (reconciled, taking calls)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if engine.connected:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the engine never connected to the rig's Asterisk")


def browser_connects(url: str, profile: Path) -> webdriver.Chrome:
    """The browser agent logs in; the page registers and connects the agent's leg."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.get(url + "/connexion")
    driver.find_element(By.ID, "identifiant").send_keys(BROWSER)
    driver.find_element(By.ID, "mot_de_passe").send_keys(PASSWORD)
    driver.find_element(By.ID, "se-connecter").click()
    wait_for(driver, "return document.getElementById('ligne').dataset.ligne === 'prete'")
    driver.find_element(By.ID, "connecter-telephone").click()
    wait_for(driver, "return document.getElementById('ligne').dataset.ligne === 'connectee'")
    return driver


def wait_for(driver: webdriver.Chrome, script: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page never answered {script!r}")
        time.sleep(0.05)


async def measure(calls: int) -> dict[str, list[float]]:
    rig = Rig(Settings(rig={"agents": 1}))  # type: ignore[arg-type]
    await asyncio.to_thread(rig.provision)
    started_now = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    scratch = Path(tempfile.mkdtemp(prefix="bench-webphone-"))
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{scratch / 'bench.db'}",
        rig=rig.settings.rig,
        sip=SipSettings(webrtc_url=f"ws://127.0.0.1:{rig.settings.sip.http_port}/ws"),
        web=WebSettings(host="127.0.0.1", port=port, secure_cookies=False),
    )
    driver: webdriver.Chrome | None = None
    try:
        register = scratch / "registre.csv"
        write_register(register, 4 * calls)
        campaign_id = await prepare(settings, register)
        database = create_engine(settings.database_url)
        async with AmiClient(rig.ami_credentials()) as ami:
            agents = await stored_agents(create_session_factory(database))
            await database.dispose()
            await publish_sip_accounts(
                rig.settings,
                [*rig.agent_accounts(), *(a for a in agents if a.browser)],
                target=rig.chroot.etc,
                ami=ami,
                ami_secret=rig.ami_secret,
            )
            await world.wait_registered(ami, [SOFTPHONE])
            async with running_service(
                settings,
                campaign_id=campaign_id,
                ami=rig.ami_credentials(),
                secret_key=SECRET_KEY,
                ring_timeout_s=15,
                tick_s=0.2,
            ) as service:
                engine = service.engine
                assert engine is not None
                await connected(engine)
                await engine.log_in(SOFTPHONE, SOFTPHONE)
                softphone = await take_calls(engine, SOFTPHONE, calls)
                await engine.log_out(SOFTPHONE)
                driver = await asyncio.to_thread(browser_connects, service.url, scratch / "c")
                browser = await take_calls(engine, BROWSER, calls)
            rig.render_configuration()  # back to the rig's own agents
            await ami.action("Reload", {"Module": "res_pjsip.so"})
    finally:
        if driver is not None:
            driver.quit()
        world.stop()
        if started_now:
            await rig.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return {"softphone (baresip, UDP, alaw)": softphone, "page (JsSIP, WebSocket, opus)": browser}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def table(results: dict[str, list[float]]) -> str:
    lines = [
        "| the agent's leg | joined calls | answer → join p50 / p90 / max (ms) |",
        "|---|---:|---:|",
    ]
    for leg, values in results.items():
        lines.append(
            f"| {leg} | {len(values)} | {percentile(values, 0.5):.1f} / "
            f"{percentile(values, 0.9):.1f} / {max(values):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webphone_join", description=__doc__)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.calls))
    print(table(results), flush=True)
    print(f"{sum(map(len, results.values()))} calls", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
