"""Volunteer calls (« veille sociale », issue 21) end to end on the rig, in Chromium: the
whole service (``running_service``) on the real Asterisk, the households answered by sipp
(which speaks: it echoes the audio it receives), the volunteer's phone **the phone in their
page** (WebRTC, issue #20; Chromium with a fake microphone) registered over Asterisk's
WebSocket.

Before the service: an administrator imports the directory of resources
(``dialer resources import``), one volunteer is trained (``dialer volunteers train``);
another volunteer is not trained. Both are marked for the browser phone (``dialer agents
sip-reset NAME --browser``), published to Asterisk beside the rig's own accounts (what
``dialer asterisk sync`` does).

In Chromium: the supervisor imports the city's consents on ``/supervision/consentement``
(a file with a row without who collected the consent is refused whole, the row named
``file:line:field``, nothing written; then the corrected file), plans a veille-sociale
campaign over the register for today on
``/supervision/campagnes-planifiees``, opens its calling windows all day on its settings
page while it is still to come, and entrusts the consenting household to the trained
volunteer (``/supervision/benevoles/activite``); the service's plan keeper (every
``cycles.check_s``) opens it. The untrained volunteer cannot take calls: their desk, their
page's phone (no credentials: never registered) and their line are refused in French, no
leg. The trained one opens their desk; on the call screen the page's phone registers,
passes the audio check (the echo extension) and connects their line by itself (the engine
calls the page, which answers); they go ready and are offered the household (only what the
call needs), call it: sipp answers on the real Asterisk and is joined to the page's phone
in one bridge, audio flowing both ways (RTP counted by Asterisk on both legs, packets
received in the page's WebRTC statistics); they answer the first level, open the second one
(« besoins » → food), orient the household to the food bank of the directory in the
« Orienter » panel, schedule the follow-up call there and ask for help during the call: the
supervisor takes the request on the dashboard and the volunteer's screen says so. They hang
up and validate the sheet; on their desk they write the debrief (« situation à signaler »)
and ask for help; the supervisor sees both on ``/supervision/benevoles/activite`` and
answers; the answer shows on the volunteer's desk; the supervisor records the household's
withdrawal on ``/supervision/consentement``. The follow-up's hour passes: the household is
never dialled again (the ledger: one placed call, the follow-up never placed; Asterisk's
CDR: one call to its number), and the household without consent was never enrolled nor
dialled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from dialer.core.attempts import AttemptKind, Disposition
from dialer.core.consent import ConsentChannel
from dialer.core.labels import HELP_ACKNOWLEDGED_TEXT, HELP_RAISED_TEXT
from dialer.core.outcomes import CallOutcome
from dialer.rig.asterisk import Rig
from dialer.rig.callees import SippUas
from dialer.rig.demo_accounts import SUPERVISOR
from dialer.settings import Settings, SipSettings
from dialer.storage.campaigns import CycleRepository
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Callback
from dialer.storage.schedule import CycleSchedule
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_agent_screen_e2e import PASSWORD, hang_up
from tests.asterisk.test_campaign import read_cdr_rows
from tests.asterisk.test_selection_never_dials_held import dialled
from tests.asterisk.test_webphone_e2e import (
    check_audio_and_connect,
    leg_counts,
    line,
    page_received,
    publish,
)
from tests.asterisk.volunteer_rig import (
    ADDRESS,
    PARIS,
    VOLUNTEER,
    answer_both_levels,
    call_the_offered_household,
    channels,
    dialer,
    open_the_call_screen,
    plan_opened,
    prepare_households,
    service_on,
    service_settings,
    supervisor_imports_consents,
    supervisor_plans,
)
from tests.browser.helpers import FAKE_MEDIA, Browser, Page, login, require_chromium

pytestmark = pytest.mark.browser

#: the volunteers' SIP endpoints: the phone in their page (WebRTC)
VOLUNTEER_PHONE = "benevole-ana"
UNTRAINED, UNTRAINED_PHONE = "benevole.bea", "benevole-bea"
#: the follow-up call the volunteer schedules, this far ahead (the withdrawal comes before)
FOLLOW_UP_IN = timedelta(seconds=50)
RESOURCE = "Épicerie solidaire du Faubourg"
RESOURCES = (
    "nom;besoins;zone;contact;horaires\n"
    f"{RESOURCE};alimentation;toute la ville;01 40 00 00 01;du lundi au vendredi, 9 h-17 h\n"
    "Point d'accès au droit;argent_droits, logement;toute la ville;pad@ville.test;\n"
)
ORIENTATION_NOTE = "Colis le jeudi, elle ira avec sa voisine"
REFUSED = "Vous ne pouvez pas encore prendre d'appels"
DEBRIEF = "Isolée depuis l'été, saute parfois des repas"
ANSWER = "Je vous rappelle tout de suite pour l'épicerie solidaire"


async def prepare(settings: Settings, tmp_path: Path) -> None:
    """The register, the consents, the accounts and the training
    (:func:`prepare_households`); both volunteers marked for the browser phone; the
    directory of resources."""
    url = settings.database_url
    phones = {VOLUNTEER: VOLUNTEER_PHONE, UNTRAINED: UNTRAINED_PHONE}
    await prepare_households(settings, tmp_path, phones, consents_on_the_page=True)
    for name, phone in phones.items():
        marked = await dialer(url, "agents", "sip-reset", name, "--browser")
        assert marked.exit_code == 0, marked.output
        assert f"Compte SIP {phone} : téléphone dans la page" in marked.output
    directory = tmp_path / "ressources.csv"
    directory.write_text(RESOURCES, encoding="utf-8")
    resources = await dialer(url, "resources", "import", str(directory))
    assert resources.exit_code == 0, resources.output


# ---- in the browsers (in a thread: the service runs on the test's event loop) ------------
@dataclass
class Seen:
    tmp_path: Path = Path()
    consents_refused: str = ""
    consents_imported: str = ""
    campaign_id: int = 0
    planned_row: str = ""
    offered: str = ""
    record: str = ""
    attempt_id: str = ""
    follow_up_at: datetime | None = None
    oriented: str = ""
    help_raised: str = ""
    help_taken: str = ""
    activity: str = ""
    withdrawn_at: datetime | None = None
    untrained_connect: str = ""
    untrained_phone: str = ""
    screens: list[Page] = field(default_factory=list)


def untrained_is_refused(page: Page, seen: Seen) -> None:
    login(page, UNTRAINED, PASSWORD)
    assert page.path() == "/benevole"
    assert REFUSED in page.text("main")
    page.find("form[action='/benevole/poste'] button").click()
    page.wait_text(".erreur", REFUSED)
    page.goto("/agent")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    # the page's phone gets no credentials: it never registers
    page.wait_text("#message-telephone", REFUSED)
    seen.untrained_phone = page.text("#message-telephone")
    assert line(page) == "arret"
    assert not page.find("#test-audio").is_enabled()
    page.find("#connecter-telephone").click()
    page.wait_text("#message", REFUSED)
    seen.untrained_connect = page.text("#message")
    assert page.text("#etat") == "Téléphone non connecté"


def volunteer_calls(page: Page, seen: Seen) -> None:
    open_the_call_screen(page)
    check_audio_and_connect(page)  # the page's phone: audio checked, line connected
    seen.offered, seen.record = call_the_offered_household(page)
    page.wait(lambda: page_received(page) > 50, timeout=10, what="packets in getStats")


def volunteer_fills_the_sheet(page: Page, seen: Seen, browser: Browser) -> None:
    """The first level, then the second one opened by a need; the household oriented to a
    resource, its follow-up scheduled and help asked during the call; hung up, validated."""
    duplicates = page.js(
        "const ids = Array.from(document.querySelectorAll('[id]')).map((e) => e.id);"
        "return ids.filter((id, i) => ids.indexOf(id) !== i)"
    )
    assert duplicates == [], duplicates  # every answer's label ticks its own box
    answer_both_levels(page)
    assert page.text("#etat") == "En communication"  # the household still on the line
    orient_and_follow_up(page, seen)
    help_during_the_call(page, seen, browser)
    assert page.text("#etat") == "En communication"
    hang_up(page)
    Select(page.find("#issue")).select_by_value(Disposition.COMPLETE.value)
    page.find("#valider").click()
    page.wait_text("#message", "Fiche validée")
    page.wait_text("#etat", "Disponible")


def orient_and_follow_up(page: Page, seen: Seen) -> None:
    """The « Orienter » panel: the food need shown, the food bank offered; a warm
    hand-over recorded, then the follow-up call scheduled."""
    page.wait(lambda: page.find("#orienter").is_displayed(), what="the « Orienter » panel")
    page.wait_text("#orienter-besoins", "Besoins exprimés : alimentation")
    page.wait(
        lambda: page.find("#orienter-ressource option").text.startswith(RESOURCE),
        what="the food bank offered",
    )

    def choose_the_food_bank() -> bool:  # the panel re-renders its list as it refreshes
        Select(page.find("#orienter-ressource")).select_by_visible_text(
            f"{RESOURCE} (toute la ville)"
        )
        return bool(page.find("#orienter-ressource").get_attribute("value"))

    page.wait(choose_the_food_bank, what="the food bank chosen")
    page.find("input[name='orienter-mode'][value='mise_en_relation']").click()
    page.find("#orienter-note").send_keys(ORIENTATION_NOTE)
    page.find("#orienter-enregistrer").click()
    page.wait_text("#orienter-message", "Orientation enregistrée.")
    page.wait_text("#orienter-faites", RESOURCE)
    seen.oriented = page.text("#orienter-faites")
    hour = (datetime.now(UTC) + FOLLOW_UP_IN).astimezone(PARIS).replace(microsecond=0)
    seen.follow_up_at = hour
    page.js(
        "document.getElementById('suivi-date').value = "
        f"'{hour.replace(tzinfo=None).isoformat(timespec='seconds')}'"
    )
    page.find("#suivi-note").send_keys("Savoir si le colis est arrivé")
    page.find("#suivi-programmer").click()
    page.wait_text("#orienter-message", "Suivi programmé le")


def help_during_the_call(page: Page, seen: Seen, browser: Browser) -> None:
    """« Besoin d'aide » on the call: the supervisor takes it on the dashboard, the
    volunteer's screen says so."""
    page.find("#besoin-aide").click()
    page.wait_text("#message", HELP_RAISED_TEXT)
    seen.help_raised = page.text("#message")
    dashboard = browser.new_page()
    login(dashboard, SUPERVISOR, PASSWORD)
    dashboard.goto("/tableau-de-bord")
    row = f"#demandes-aide tr.demande-aide[data-agent='{VOLUNTEER}']"
    dashboard.wait(lambda: dashboard.find(row).is_displayed(), what="the help request")
    assert "Lefèvre" in dashboard.text(row) or "LEFÈVRE" in dashboard.text(row)
    dashboard.find(f"{row} button").click()
    dashboard.wait_text("#message-aide", f"Demande de {VOLUNTEER} prise en charge")
    page.wait_text("#message", HELP_ACKNOWLEDGED_TEXT)
    seen.help_taken = page.text("#message")


def debrief_and_help(page: Page, seen: Seen) -> None:
    login(page, VOLUNTEER, PASSWORD)
    page.goto("/benevole")
    ids = page.js(
        "return Array.from(document.querySelectorAll('[id^=\"appel-\"]')).map((e) => e.id)"
    )
    assert isinstance(ids, list)
    assert len(ids) == 1, ids
    seen.attempt_id = str(ids[0]).removeprefix("appel-")
    call = f"#appel-{seen.attempt_id}"
    page.find(f"#bilan-{seen.attempt_id}").send_keys(DEBRIEF)
    page.find(f"{call} input[name='signaler']").click()
    page.find(f"{call} form[action$='/bilan'] button").click()
    page.wait_text(".info", "Bilan enregistré : situation signalée")
    page.find(f"{call} form[action$='/aide'] button").click()
    page.wait_text(".info", "Demande d'aide envoyée")


def supervisor_answers_and_withdraws(page: Page, seen: Seen) -> None:
    login(page, SUPERVISOR, PASSWORD)
    page.goto("/supervision/benevoles/activite")
    seen.activity = page.text("main")
    page.find(".demande-aide textarea").send_keys(ANSWER)
    page.find(".demande-aide button").click()
    page.wait_text(".info", "Réponse à la demande d'aide envoyée")
    page.goto("/supervision/consentement?identifiant=VS1")
    page.wait_text("main", "appels réguliers acceptés")
    Select(page.find("#canal")).select_by_value(ConsentChannel.PHONE.value)
    page.find("form[action='/supervision/consentement/retrait'] button").click()
    page.wait_text(".info", "Accord retiré : les bénévoles n'appelleront plus ce foyer.")
    seen.withdrawn_at = datetime.now(UTC)


def until_joined(browser: Browser, seen: Seen) -> None:
    supervisor = browser.new_page()
    seen.consents_refused, seen.consents_imported = supervisor_imports_consents(
        supervisor, seen.tmp_path
    )
    seen.campaign_id, seen.planned_row = supervisor_plans(supervisor)
    untrained_is_refused(browser.new_page(), seen)
    plan_opened(supervisor)
    screen = browser.new_page()
    seen.screens.append(screen)
    volunteer_calls(screen, seen)


def after_the_call(browser: Browser, seen: Seen) -> None:
    volunteer_fills_the_sheet(seen.screens[0], seen, browser)
    desk = browser.new_page()
    debrief_and_help(desk, seen)
    supervisor_answers_and_withdraws(browser.new_page(), seen)
    desk.goto("/benevole")
    desk.wait_text(f"#appel-{seen.attempt_id}", ANSWER)


def an_offer_shown(page: Page) -> bool:
    return bool(page.find("#proposition").is_displayed())


# ---- what Asterisk and the database hold ------------------------------------------------
async def bridged_legs(ami: AmiClient) -> dict[str, str]:
    """The channels in a bridge now (name → bridge id), from Asterisk."""
    return {c["channel"]: c["bridge"] for c in await channels(ami) if c["bridge"]}


async def callbacks_of(sessions: SessionFactory) -> list[Callback]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Callback)))


@pytest.mark.asyncio
async def test_a_trained_volunteer_calls_a_consenting_household_until_it_withdraws(
    rig_settings: Settings,
    rig: Rig,
    ami: AmiClient,
    speaking_people: SippUas,
    tmp_path: Path,
) -> None:
    require_chromium()
    settings = service_settings(
        rig_settings,
        tmp_path,
        sip=SipSettings(webrtc_url=f"ws://127.0.0.1:{rig.settings.sip.http_port}/ws"),
    )
    await prepare(settings, tmp_path)
    cdr_before = len(read_cdr_rows(rig))
    seen = Seen(tmp_path=tmp_path)
    browser = Browser("", FAKE_MEDIA)
    try:
        assert await publish(rig, settings, ami) == [VOLUNTEER_PHONE, UNTRAINED_PHONE]
        async with service_on(rig, settings) as service:
            assert service.engine is not None
            browser.base_url = service.url
            await asyncio.to_thread(until_joined, browser, seen)
            joined = await bridged_legs(ami)
            # audio both ways, from Asterisk: the page's leg and the household's leg
            first = leg_counts(rig, f"{VOLUNTEER_PHONE}-"), leg_counts(rig, "carrier-")
            await asyncio.sleep(1.0)
            later = leg_counts(rig, f"{VOLUNTEER_PHONE}-"), leg_counts(rig, "carrier-")
            contacts = rig.cli("pjsip show contacts")
            await asyncio.to_thread(after_the_call, browser, seen)
            assert seen.follow_up_at is not None
            # the follow-up's hour passes after the withdrawal: nobody is offered or dialled
            assert seen.withdrawn_at is not None
            assert seen.withdrawn_at < seen.follow_up_at, "the withdrawal came too late"
            while datetime.now(UTC) < seen.follow_up_at + timedelta(seconds=5):
                assert not await asyncio.to_thread(an_offer_shown, seen.screens[0])
                await asyncio.sleep(0.5)
            assert await asyncio.to_thread(seen.screens[0].text, "#etat") == "Disponible"
            stats = service.engine.statistics()
            found = await dialled(service.sessions)
            cycle = await CycleRepository(service.sessions).current(seen.campaign_id)
            assert cycle is not None
            members = await CycleSchedule(service.sessions).counts(cycle.id)
            callbacks = await callbacks_of(service.sessions)
            ended = datetime.now(UTC)
    finally:
        await asyncio.to_thread(browser.close)
        rig.render_configuration()  # back to the rig's own agents
        await ami.action("Reload", {"Module": "res_pjsip.so"})

    # the city's file imported on the page: the row without its collector refused, named,
    # nothing written; then the corrected file
    assert "consentements.csv:3:recueilli_par" in seen.consents_refused, seen.consents_refused
    assert "consentements.csv:2" not in seen.consents_refused
    assert "1 ligne(s) lue(s), 1 accord(s) enregistré(s)" in seen.consents_imported
    assert REFUSED in seen.untrained_connect
    assert REFUSED in seen.untrained_phone
    # the trained volunteer's page registered; the untrained one's never did
    assert f"{VOLUNTEER_PHONE}/" in contacts, contacts
    assert UNTRAINED_PHONE not in contacts, contacts
    # RTP received and sent on both bridged legs, and still flowing a second later
    for (rx_before, tx_before), (rx, tx) in zip(first, later, strict=True):
        assert rx > rx_before > 0, (first, later)
        assert tx > tx_before > 0, (first, later)
    assert "(à venir)" in seen.planned_row, seen.planned_row  # edited before it opened
    assert f"{RESOURCE} — " in seen.oriented, seen.oriented
    assert ORIENTATION_NOTE in seen.oriented, seen.oriented
    assert "Mise en relation" in seen.oriented, seen.oriented
    # the household (the trunk's leg) and the phone in the volunteer's page in one bridge
    households = [b for name, b in joined.items() if name.startswith("PJSIP/carrier-")]
    phones = [b for name, b in joined.items() if name.startswith(f"PJSIP/{VOLUNTEER_PHONE}-")]
    assert len(households) == 1, joined
    assert households == phones, joined
    assert seen.offered.startswith("Hélène LEFÈVRE"), seen.offered
    # only what the call needs: no age, birth date or address
    assert " ans" not in seen.offered, seen.offered
    assert ADDRESS not in seen.record, seen.record
    assert "1941" not in seen.record, seen.record
    assert DEBRIEF in seen.activity
    assert "Situation signalée" in seen.activity
    # the ledger: one placed call, the volunteer's, joined; the callback never placed
    assert set(found) == {"VS1"}  # the household without consent: never planned
    assert sum(members.values()) == 1, members
    placed = [a for a in found["VS1"] if a.placed_at is not None]
    assert len(placed) == 1, found["VS1"]
    call = placed[0]
    assert str(call.id) == seen.attempt_id
    assert (call.kind, call.agent, call.outcome) == (
        AttemptKind.PREVIEW,
        VOLUNTEER,
        CallOutcome.ANSWERED,
    )
    assert call.bridged_at is not None
    assert [a.kind for a in found["VS1"]] == [AttemptKind.PREVIEW]  # the follow-up: never
    assert [(c.person_id, c.agent) for c in callbacks] == [(call.person_id, VOLUNTEER)]
    assert callbacks[0].due_at.replace(tzinfo=UTC) < ended - timedelta(seconds=4)
    assert abs(callbacks[0].due_at.replace(tzinfo=UTC) - seen.follow_up_at) < timedelta(seconds=1)
    assert stats["offers_called"] == 1
    # Asterisk's records: one call to the household, none to the one without consent
    rows = read_cdr_rows(rig)[cdr_before:]
    called = {row["uniqueid"] for row in rows if len(row["uniqueid"]) == 36}
    assert called == {str(call.id)}, rows
    assert not any(UNTRAINED_PHONE in row["channel"] for row in rows)
