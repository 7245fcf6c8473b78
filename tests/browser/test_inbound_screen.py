"""Calls coming in on the agent's screen, in Chromium: on a shared line the agent says who
is on the phone and the record becomes that person's; from a number on no register the
agent searches the register, attaches the call to the person found (the record pops), or
notes who called. The engine's part is played by the test desk with the real storage."""

from __future__ import annotations

from datetime import date

import pytest

from dialer.core.phones import PhoneKind
from dialer.engine.inbound_choices import InboundCaller
from dialer.storage import PersonRecord, PersonRepository, PhoneRecord
from dialer.storage.inbound_calls import InboundCallClaims
from dialer.storage.inbound_notes import InboundNotes
from tests.browser.helpers import Browser
from tests.browser.live_server import LiveServer
from tests.browser.test_agent_screen import agent_ready
from tests.stored import enrol, person_by_external_id

pytestmark = pytest.mark.browser

LINE = "+33145678910"  # Jeanne's landline
NEIGHBOUR = "+33699999999"


def inbound_desk(server: LiveServer, number: str, person: dict[str, int]) -> None:
    """The engine's choices, as the test desk plays them (storage real)."""
    claims = InboundCallClaims(server.sessions)

    def inbound_caller(agent: str, attempt_id: str) -> InboundCaller:
        return InboundCaller(attempt_id, number, server.world.cycle_id, person.get(attempt_id))

    async def attach_inbound(agent: str, attempt_id: str, person_id: int) -> None:
        if attempt_id in person:
            await claims.reattach(attempt_id, person_id, engaged={})
        else:
            now = server.desk.clock()
            await claims.attach_found(
                server.world.cycle_id,
                person_id,
                attempt_id=attempt_id,
                number=number,
                agent=agent,
                node="node-1",
                answered_at=now,
                bridged_at=now,
                engaged={},
            )
        person[attempt_id] = person_id

    server.desk.inbound_caller = inbound_caller  # type: ignore[attr-defined]
    server.desk.attach_inbound = attach_inbound  # type: ignore[attr-defined]


def test_on_a_shared_line_the_agent_says_who_is_on_the_phone(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    page = browser.new_page()
    agent_ready(page, server)
    attached: dict[str, int] = {}

    async def marie_shares_the_line_and_it_calls() -> int:
        now = server.desk.clock()
        await PersonRepository(server.sessions).write_batch(
            [
                PersonRecord(
                    external_id="M3",
                    last_name="Dupont",
                    first_name="Marie",
                    birth_date=date(1944, 3, 1),
                    phones=[PhoneRecord(LINE, PhoneKind.LANDLINE)],
                )
            ],
            [],
            now=now,
        )
        marie = await person_by_external_id(server.sessions, "M3")
        assert marie is not None
        world = server.world
        await enrol(
            server.sessions, world.cycle_id, [(world.jeanne_id, LINE, now), (marie.id, LINE, now)]
        )
        attempt = await InboundCallClaims(server.sessions).take(
            world.cycle_id,
            LINE,
            attempt_id="1790000000.1",
            agent="agent1",
            node="node-1",
            arrived_at=now,
        )
        assert attempt is not None
        attached[attempt.id] = attempt.person_id
        server.desk.reserve("agent1", attempt.id)
        await server.screens.reserved("agent1", attempt.id)
        server.desk.join("agent1")
        await server.screens.joined("agent1", attempt.id)
        return marie.id

    inbound_desk(server, LINE, attached)
    marie_id = server.call(marie_shares_the_line_and_it_calls)
    page.wait_text("#nom-personne", "Jeanne DUPONT")
    page.wait(lambda: page.find("#ligne-partagee").is_displayed(), what="the shared line's choice")
    assert "Qui est au téléphone ?" in page.text("#ligne-partagee")
    page.find(f'#ligne-partagee button[data-personne="{marie_id}"]').click()
    page.wait_text("#nom-personne", "Marie DUPONT")
    page.wait_text("#message", "Au téléphone : Marie DUPONT")
    assert attached["1790000000.1"] == marie_id


def test_an_unknown_caller_is_found_on_the_register_or_noted(
    browser: Browser, live_server: LiveServer
) -> None:
    server = live_server
    page = browser.new_page()
    agent_ready(page, server)
    attached: dict[str, int] = {}
    inbound_desk(server, NEIGHBOUR, attached)

    async def a_neighbour_calls() -> None:
        world, now = server.world, server.desk.clock()
        await enrol(
            server.sessions,
            world.cycle_id,
            [(world.jeanne_id, LINE, now), (world.bob_id, "+33155555555", now)],
        )
        server.desk.reserve("agent1", "1790000000.2")
        server.desk.join("agent1")
        await server.screens.unknown_caller("agent1", "1790000000.2", NEIGHBOUR)

    server.call(a_neighbour_calls)
    page.wait(lambda: page.find("#numero-inconnu").is_displayed(), what="the unknown caller's form")
    assert NEIGHBOUR in page.text("#numero-inconnu-numero")
    page.find("#note-appelant-texte").send_keys("Son voisin, M. Petit : Robert ne répond plus")
    page.find("#note-appelant button").click()
    page.wait_text("#message", "Note enregistrée")
    notes = server.call(lambda: InboundNotes(server.sessions).recent())
    assert [n.note for n in notes] == ["Son voisin, M. Petit : Robert ne répond plus"]
    page.find("#recherche-registre-q").send_keys("martin")
    page.find("#recherche-registre button").click()
    found = f'#recherche-registre-resultats button[data-personne="{server.world.bob_id}"]'
    page.wait(lambda: page.find(found).is_displayed(), what="Robert found")
    page.find(found).click()
    page.wait_text("#nom-personne", "Robert MARTIN")
    assert not page.find("#numero-inconnu").is_displayed()
    assert page.find("#appel-recu").is_displayed()
    assert attached["1790000000.2"] == server.world.bob_id
