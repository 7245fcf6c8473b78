"""What the rig's volunteer-call tests (issue 21) share: the consenting household and the
one without consent, the set-up through the product's commands (``dialer consent import``,
``dialer volunteers train``), the service on the rig, and the steps in Chromium a
supervisor and a volunteer take through the pages (the campaign planned and opened, the
household entrusted, the call screen opened, the offered household called, both levels of
the questionnaire answered). Used by ``test_volunteer_calls_e2e.py`` (the phone in the
volunteer's page) and ``test_volunteer_own_phone.py`` (the volunteer's own phone)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from selenium.webdriver.support.select import Select

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import SUPERVISOR, provision_demo_people
from dialer.service import Service, running_service
from dialer.settings import CycleSettings, Settings, WebSettings
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_agent_screen_e2e import PASSWORD, SECRET_KEY, free_port
from tests.browser.helpers import Page, login

PARIS = ZoneInfo("Europe/Paris")
#: the trained volunteer the household is entrusted to
VOLUNTEER = "benevole.ana"
#: the consenting household (answers) and the one without consent
CONSENTING = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=120, serial=91)
UNCONSENTED = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=60, serial=92)
HOUSEHOLDS = [("VS1", "Lefèvre", "Hélène", CONSENTING), ("VS2", "Dubois", "Marcel", UNCONSENTED)]
#: what the register knows and a volunteer's screen must not show
BIRTH, ADDRESS = "02/09/1941", "12 rue des Lilas"
CONSENT_HEADER = (
    "identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;"
    "recueilli_par\n"
)
GOOD_ROW = "VS1;personne;;01/09/2026;telephone;oui;oui;Mme Martin (CCAS)\n"
#: a row without who collected the consent: the whole file refused
BAD_ROW = "VS2;personne;;01/09/2026;telephone;oui;oui;\n"
#: the service's keepers' period: the plan is opened within this after it is edited
KEEPER_S = 12.0
PLANS = "/supervision/campagnes-planifiees"
ALL_DAY_HOURS = "00:00-23:59"
CAMPAIGN = "Veille de fin d'année"


@dataclass
class Ran:
    exit_code: int
    output: str


async def dialer(database_url: str, *args: str) -> Ran:
    """The installed ``dialer ARGS`` command, on the test's database: (exit code, stdout and
    stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "DIALER_CONFIG"}
    env["DIALER_DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "dialer"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return Ran(process.returncode or 0, output.decode("utf-8", errors="replace"))


def write_register(path: Path) -> None:
    lines = ["Identifiant;Nom;Prénom;Date de naissance;Adresse;Code postal;Ville;Téléphone"]
    lines += [
        f"{key};{name};{first};{BIRTH};{ADDRESS};75019;Paris;{callee.number}"
        for key, name, first, callee in HOUSEHOLDS
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def consents_of(sessions: SessionFactory, key: str) -> int:
    return len(await ConsentRegistry(sessions).history(key))


def write_consent_files(tmp_path: Path) -> tuple[Path, Path]:
    """The city's consent file with a row without who collected it, and the corrected one."""
    bad = tmp_path / "consentements.csv"
    bad.write_text(CONSENT_HEADER + GOOD_ROW + BAD_ROW, encoding="utf-8")
    good = tmp_path / "consentements-corrige.csv"
    good.write_text(CONSENT_HEADER + GOOD_ROW, encoding="utf-8")
    return bad, good


async def prepare_households(
    settings: Settings,
    tmp_path: Path,
    volunteers: Mapping[str, str | None],
    *,
    consents_on_the_page: bool = False,
) -> None:
    """The register, the consents (a file with a row without consent refused whole, naming
    ``file:line:field``, then the good one, with ``dialer consent import``; left to
    :func:`supervisor_imports_consents` when ``consents_on_the_page``), the supervisor and
    the volunteers' accounts (name → their SIP endpoint, or None), and
    :data:`VOLUNTEER`'s training recorded."""
    url = settings.database_url
    register = tmp_path / "registre.csv"
    write_register(register)
    database = create_engine(url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]

        if not consents_on_the_page:
            bad, good = write_consent_files(tmp_path)
            refused = await dialer(url, "consent", "import", str(bad))
            assert refused.exit_code != 0, refused.output
            assert "consentements.csv:3:recueilli_par" in refused.output
            assert await consents_of(sessions, "VS1") == 0  # nothing written
            imported = await dialer(url, "consent", "import", str(good))
            assert imported.exit_code == 0, imported.output
            assert "1 consentement(s) enregistré(s)" in imported.output
            consents = (await consents_of(sessions, "VS1"), await consents_of(sessions, "VS2"))
            assert consents == (1, 0)

        await provision_demo_people(sessions, [], PASSWORD)
        for name, phone in volunteers.items():
            await create_account(sessions, name, PASSWORD, Role.VOLUNTEER, sip_endpoint=phone)
    finally:
        await database.dispose()
    trained = await dialer(url, "volunteers", "train", VOLUNTEER, "--by", SUPERVISOR)
    assert trained.exit_code == 0, trained.output


def service_settings(rig_settings: Settings, tmp_path: Path, **more: Any) -> Settings:
    """The service's settings on the rig: its own database, the keepers every
    :data:`KEEPER_S`, the web on a free port (``more``: other sections)."""
    port = free_port()
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'veille.db'}",
        rig=rig_settings.rig,
        cycles=CycleSettings(check_s=KEEPER_S),
        web=WebSettings(
            host="127.0.0.1", port=port, secure_cookies=False, public_url=f"http://127.0.0.1:{port}"
        ),
        **more,
    )


@asynccontextmanager
async def service_on(rig: Rig, settings: Settings) -> AsyncIterator[Service]:
    """The whole service (``running_service``) on the rig's Asterisk."""
    async with running_service(
        settings,
        ami=rig.ami_credentials(),
        secret_key=SECRET_KEY,
        ring_timeout_s=15,
        tick_s=0.2,
    ) as service:
        assert service.engine is not None
        yield service


# ---- in the browsers (in a thread: the service runs on the test's event loop) ------------
def supervisor_imports_consents(page: Page, tmp_path: Path) -> tuple[str, str]:
    """On ``/supervision/consentement`` the supervisor imports the city's file: refused
    whole, the row without who collected the consent named; then the corrected file.
    Returns what the page said of each (refusal, result)."""
    bad, good = write_consent_files(tmp_path)
    login(page, SUPERVISOR, PASSWORD)
    page.goto("/supervision/consentement")
    page.find("#fichier-accords").send_keys(str(bad))
    page.find("#importer-accords").click()
    page.wait_text("#import-refus", "rien n'a été enregistré")
    refused = page.text("#import-refus")
    page.find("#fichier-accords").send_keys(str(good))
    page.find("#importer-accords").click()
    page.wait_text("#import-resultat", "1 accord(s) enregistré(s)")
    imported = page.text("#import-resultat")
    page.goto("/supervision/consentement?identifiant=VS2")  # the row refused: no consent
    page.wait_text("main", "Aucun accord enregistré : les bénévoles n'appellent pas ce foyer")
    return refused, imported


def supervisor_plans(page: Page) -> tuple[int, str]:
    """Plan the campaign over the register for today; while it is still to come, open its
    calling windows all day on its settings page and entrust the household to the
    volunteer. Returns the campaign's id and its row in the plans' list."""
    login(page, SUPERVISOR, PASSWORD)
    page.goto(PLANS)
    Select(page.find("#list")).select_by_value(DEFAULT_LIST)
    today = datetime.now(PARIS).date().isoformat()
    for name in ("starts_on", "ends_on"):
        page.js(f"document.getElementById('{name}').value = '{today}'")
    page.find("#name").send_keys(CAMPAIGN)
    page.find("#planifier button").click()
    page.wait_text(".succes", f"Campagne « {CAMPAIGN} » planifiée")
    found = re.search(r"n° (\d+)", page.text("#plans tbody"))
    assert found, page.text("#plans tbody")
    campaign_id = int(found.group(1))
    page.find("#plans a[href$='/reglages']").click()
    page.wait(lambda: page.path().endswith("/reglages"), what="the settings page")
    for name in [f"week_{day}" for day in range(7)] + ["holiday"]:
        page.find(f"#{name}").clear()
        page.find(f"#{name}").send_keys(ALL_DAY_HOURS)
    page.find("#formulaire-reglages button[type='submit']").click()
    page.wait_text(".succes", f"Réglages de « {CAMPAIGN} » enregistrés")
    assert page.find("#week_0").get_attribute("value") == ALL_DAY_HOURS
    page.goto(PLANS)
    planned_row = page.text("#plans tbody")
    page.goto("/supervision/benevoles/activite")
    page.find("#campagne").send_keys(str(campaign_id))
    page.find("#foyer").send_keys("VS1")
    page.find("#benevole-foyer").send_keys(VOLUNTEER)
    page.find("form[action='/supervision/benevoles/activite/foyers'] button").click()
    page.wait_text(".info", f"est confié à {VOLUNTEER}")
    return campaign_id, planned_row


def plan_opened(page: Page) -> None:
    """The service's plan keeper opens the campaign at its start date (today)."""
    deadline = time.monotonic() + KEEPER_S + 10
    while True:
        page.goto(PLANS)
        if "(ouverte)" in page.text("#plans tbody"):
            return
        assert time.monotonic() < deadline, page.text("#plans tbody")
        time.sleep(0.5)


def open_the_call_screen(page: Page) -> None:
    """The trained volunteer logs in on their desk, opens it (« Prendre des appels ») and
    goes to their call screen."""
    login(page, VOLUNTEER, PASSWORD)
    assert page.path() == "/benevole"
    page.find("form[action='/benevole/poste'] button").click()
    page.wait_text("main", "Poste ouvert")
    page.find("#ecran-appel").click()
    page.wait(lambda: page.path() == "/agent", what="call screen")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")


def call_the_offered_household(page: Page) -> tuple[str, str]:
    """Their line connected (paused): ready, the household offered, « Appeler », joined.
    Returns the name and the record the offer showed."""
    page.find("#disponible").click()
    page.wait_text("#etat", "Disponible")
    page.wait(lambda: page.find("#proposition").is_displayed(), timeout=30, what="an offer")
    page.wait_text("#message", "Personne proposée")
    offered, record = page.text("#nom-personne"), page.text("#personne")
    page.js("window.__popAt = undefined")
    page.find("#appeler").click()
    page.wait(lambda: page.js("return window.__popAt"), timeout=30, what="the household joined")
    page.wait_text("#etat", "En communication")
    return offered, record


def answer_both_levels(page: Page) -> None:
    """The friendly first level, then « besoins » → food opens the second level's food
    questions, answered."""
    assert not page.find("#q-alimentation_repas").is_displayed()
    for answer in ("nouvelles-moyen", "isolement-rarement", "moral-4", "danger_immediat-non"):
        answer_with(page, answer)
    answer_with(page, "besoins-alimentation")
    page.wait(lambda: page.find("#q-alimentation_repas").is_displayed(), what="second level")
    answer_with(page, "alimentation_repas-oui")
    answer_with(page, "alimentation_aide-non")


def answer_with(page: Page, answer: str) -> None:
    page.js("document.getElementById('message').textContent = ''")
    page.find(f"#r-{answer}").click()
    page.wait_text("#message", "Réponse enregistrée.")


# ---- what Asterisk holds ------------------------------------------------------------------
async def channels(ami: AmiClient) -> list[dict[str, str]]:
    """The live channels now: their name, unique id, bridge (empty if none) and state."""
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return [
        {
            "channel": r.get("Channel", ""),
            "uniqueid": r.get("Uniqueid", ""),
            "bridge": r.get("BridgeId", ""),
            "state": r.get("ChannelStateDesc", ""),
        }
        for r in replies
        if r.name == "CoreShowChannel"
    ]
