"""The « Retrait de l'accord » of a veille-sociale call in a real browser: a trained
volunteer on a call with a consenting household opens it, is told to say who asked
(refused, the field named), says it is a relative, leaves the emergency box unticked and
confirms; the household's regular calls are withdrawn (on the phone, by the relative,
recorded by the volunteer, audited), its emergency consent stays and no opposition is
recorded. The engine's side is the fake desk."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dialer.clock import utcnow
from dialer.core.attempts import AttemptKind
from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.models import Person
from dialer.storage.volunteers import VolunteerRoster
from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer
from tests.browser.test_agent_screen import pop_a_call
from tests.needs_scene import volunteer_cycle
from tests.web.support import PASSWORD, fast_passwords

pytestmark = pytest.mark.browser
ANA = "benevole.ana"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    questionnaires = tmp_path / "questionnaires"
    questionnaires.mkdir()
    shutil.copy(SHIPPED_QUESTIONNAIRES / "veille_sociale.yaml", questionnaires)
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()


def test_a_volunteer_withdraws_the_households_consent_from_their_screen(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    sessions = server.sessions

    async def prepare() -> str:
        await create_account(
            sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
            passwords=fast_passwords(),
        )  # fmt: skip
        await VolunteerRoster(sessions).train(
            ANA, trained_by="superviseur", trained_on=date(2026, 1, 5), actor="t", now=utcnow()
        )
        campaign, cycle = await volunteer_cycle(
            sessions, "Veille sociale", utcnow() - timedelta(hours=1), days=7
        )
        server.world = dataclasses.replace(server.world, campaign_id=campaign, cycle_id=cycle)
        async with transaction(sessions) as session:
            person = await session.get(Person, server.world.jeanne_id)
            assert person is not None
            external_id = person.external_id
        await ConsentRegistry(sessions).record(
            [ConsentRecord(external_id, AgreedBy.PERSON, None, utcnow() - timedelta(days=30),
                           ConsentChannel.PAPER, True, True, "CCAS")],
            actor="t", now=utcnow() - timedelta(days=29),
        )  # fmt: skip
        return external_id

    external_id = server.call(prepare)
    page = browser.new_page()
    login(page, ANA, PASSWORD)
    assert page.path() == "/benevole"
    page.find("form[action='/benevole/poste'] button").click()
    page.wait_text("main", "Poste ouvert")
    page.goto("/agent")
    page.wait(lambda: page.js("return document.body.dataset.connecte") == "oui", what="socket")
    page.find("#connecter-telephone").click()
    page.wait_text("#etat", "En pause")
    page.find("#disponible").click()
    page.wait_text("#etat", "Disponible")
    pop_a_call(page, server, server.world.jeanne_id, agent=ANA, kind=AttemptKind.PREVIEW)

    page.wait(lambda: page.find("#retrait-accord").is_displayed(), what="withdrawal shown")
    assert not page.find("#form-retrait").is_displayed()
    page.find("#retrait-ouvrir").click()
    assert page.find("#retrait-reguliers").is_selected()
    assert not page.find("#retrait-urgence").is_selected()
    page.find("#retrait-confirmer").click()
    page.wait_text("#retrait-message", "on_behalf_of")  # who asked: refused, named
    page.find('input[name="retrait-qui"][value="relative"]').click()
    page.find("#retrait-confirmer").click()
    page.wait_text("#retrait-message", "Retrait de l'accord enregistré.")
    assert "Il reste dans les campagnes d'urgence." in page.text("#retrait-message")
    assert not page.find("#form-retrait").is_displayed()

    async def stored() -> tuple[bool, bool, int, list[tuple[str, str]]]:
        history = await ConsentRegistry(sessions).history(external_id)
        consents = [row.consent() for row in history]
        now = utcnow()
        async with transaction(sessions) as session:
            holds = int(await session.scalar(select(func.count()).select_from(PersonHold)) or 0)
        entries = await AuditLog(sessions).search(AuditFilter(action="consent.withdrawn"))
        return (
            may_be_called(consents, ConsentPurpose.REGULAR_CALLS, now),
            may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, now),
            holds,
            [(e.actor, e.details["on_behalf_of"]) for e in entries],
        )

    assert server.call(stored) == (False, True, 0, [(ANA, "relative")])
