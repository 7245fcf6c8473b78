"""A cycle's never-reached list, end to end: the cycle closes with people still waiting
(the episode's closing path), the alert dispatcher publishes the list and delivers it to
the team like an alert (inbox, e-mail to a local SMTP server, webhook to a local HTTP
receiver, retried until sent), and the team's page shows it and offers it as CSV."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from dialer.alerts import AlertDispatcher, EmailChannel, SmtpConfig, WebhookChannel
from dialer.core.attempts import AttemptKind, AttemptState
from dialer.core.outcomes import CallOutcome
from dialer.storage import CycleRepository, SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.testing import Clock
from tests.stored import enrol, members_of_cycle
from tests.web.conftest import log_in
from tests.web.support import World, seed
from tests.web.test_delivery import INBOX, Hook, MailBox, smtp, webhook_server

pytestmark = pytest.mark.asyncio
__all__ = ["smtp", "webhook_server"]  # the local servers' fixtures, used by name


@pytest.fixture
def servers(
    smtp: tuple[int, MailBox], webhook_server: tuple[str, Hook]
) -> tuple[int, MailBox, str, Hook]:
    port, box = smtp
    url, hook = webhook_server
    return port, box, url, hook


@pytest_asyncio.fixture
async def world(
    sessions: SessionFactory, clock: Clock, servers: tuple[int, MailBox, str, Hook]
) -> World:
    _, _, url, _ = servers
    return await seed(sessions, now=clock(), webhook_url=url, email="equipe.nord@ville.test")


@pytest.fixture
def dispatcher(
    sessions: SessionFactory, clock: Clock, servers: tuple[int, MailBox, str, Hook]
) -> AlertDispatcher:
    port, _, _, _ = servers
    return AlertDispatcher(
        sessions,
        clock=clock,
        email=EmailChannel(
            SmtpConfig(host="127.0.0.1", port=port, sender="veille@ville.test", security="none"),
            inbox_url=INBOX,
        ),
        webhook=WebhookChannel(inbox_url=INBOX, allow_loopback=True),
        poll_s=0.05,
    )


async def close_with_people_waiting(sessions: SessionFactory, world: World, clock: Clock) -> None:
    """Jeanne (Nord) was called once, no answer; Robert (Sud) never: both still waiting
    when the cycle closes at its deadline."""
    due = clock() + timedelta(hours=3)
    await enrol(
        sessions,
        world.cycle_id,
        [(world.jeanne_id, "+33145678910", due), (world.bob_id, "+33155555555", due)],
    )
    ledger = AttemptLedger(sessions)
    attempt = await ledger.record_planned(
        cycle_id=world.cycle_id,
        person_id=world.jeanne_id,
        number="+33145678910",
        kind=AttemptKind.AUTOMATIC,
        planned_for=clock() - timedelta(minutes=30),
    )
    await ledger.mark_dialing(attempt.id, at=clock() - timedelta(minutes=30))
    await ledger.advance(attempt.id, AttemptState.RINGING, at=clock() - timedelta(minutes=30))
    await ledger.close(attempt.id, CallOutcome.NO_ANSWER, at=clock() - timedelta(minutes=29))
    clock.advance(days=1)
    await CycleRepository(sessions).close(world.cycle_id, at=clock())


async def test_people_left_waiting_at_the_deadline_reach_the_team_by_every_channel(
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    dispatcher: AlertDispatcher,
    servers: tuple[int, MailBox, str, Hook],
    client: httpx.AsyncClient,
) -> None:
    _, box, _, hook = servers
    await close_with_people_waiting(sessions, world, clock)
    await dispatcher.start()  # the service's own loop
    try:
        for _ in range(200):
            if dispatcher.statistics()["sent"] == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await dispatcher.stop()
    assert dispatcher.statistics()["lists_published"] == 1

    ((headers, body),) = hook.received
    stamp = headers["x-dialer-signature"].split(",")[0].removeprefix("t=")
    digest = hmac.new(b"secret-de-test", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["x-dialer-signature"] == f"t={stamp},sha256={digest}"
    document = json.loads(body)
    assert document["event"] == "never_reached.published"
    assert document["team"] == "Équipe Nord"
    assert document["cycle"]["campaign"] == "Canicule 2026"
    assert document["cycle"]["number"] == 1
    (person,) = document["people"]  # Robert lives in Sud: another team's
    assert person["person"]["last_name"] == "Dupont"
    assert person["result"] == "never_reached"
    assert person["reason"] == "deadline_reached"
    assert person["reason_label"] == "échéance du cycle atteinte après 1 tentative"
    assert [(a["number"], a["outcome"]) for a in person["attempts"]] == [
        ("+33145678910", "no_answer")
    ]

    ((recipients, message),) = box.messages
    assert recipients == ["equipe.nord@ville.test"]
    assert message["Subject"] == "[Jamais joints] Canicule 2026 — cycle 1 : 1 personne à visiter"
    text = message.get_content()
    assert "1. Jeanne DUPONT — échéance du cycle atteinte après 1 tentative" in text
    assert "Tentative : 13/07/2026 à 10:30 — +33145678910 : pas de réponse" in text
    assert "MARTIN" not in text

    # published once: the next runs send nothing more
    report = await dispatcher.run_once()
    assert (report.published, report.sent, report.failed) == (0, 0, 0)

    # the team's inbox page shows the list; the CSV has the same lines
    await log_in(client, "membre.nord")
    page = await client.get("/alertes")
    assert page.status_code == 200
    assert "Personnes jamais jointes" in page.text
    assert "Canicule 2026 — cycle 1 :" in page.text
    assert "échéance du cycle atteinte après 1 tentative" in page.text
    assert "Martin" not in page.text
    list_id = document["list_id"]
    csv = await client.get(f"/alertes/jamais-joints/{list_id}.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Nom;Prénom;Identifiant;Adresse")
    assert lines[1].startswith("Dupont;Jeanne;J1;12 rue des Lilas, 75019 Paris;Nord;")
    assert "13/07/2026 10:30 +33145678910 : pas de réponse" in lines[1]
    assert len(lines) == 2


async def test_robert_no_team_covers_goes_to_the_default_team_never_attempted(
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    dispatcher: AlertDispatcher,
    client: httpx.AsyncClient,
) -> None:
    await close_with_people_waiting(sessions, world, clock)
    await dispatcher.run_once()
    await log_in(client, "superviseur")
    supervision = await client.get("/supervision")
    assert (
        "Personnes jamais jointes sans équipe (aucune ne couvre leur quartier)" in supervision.text
    )
    assert "Aucune personne jamais jointe à visiter pour le moment." in supervision.text
    default = world.teams["defaut"]
    page = await client.get("/alertes/jamais-joints/1.csv", params={"equipe": default})
    assert page.status_code == 200
    (line,) = page.content.decode("utf-8-sig").splitlines()[1:]
    assert line.startswith("Martin;Robert;B2;")
    assert ";jamais appelé faute de capacité;0;" in line


async def test_another_team_cannot_read_a_list_and_bad_input_is_refused(
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    dispatcher: AlertDispatcher,
    client: httpx.AsyncClient,
) -> None:
    await close_with_people_waiting(sessions, world, clock)
    await dispatcher.run_once()
    await log_in(client, "membre.urgences")
    assert (await client.get("/alertes/jamais-joints/1.csv")).status_code == 404
    assert (await client.get("/alertes/jamais-joints/999.csv")).status_code == 404
    page = await client.get("/alertes")
    assert "Dupont" not in page.text
    assert "Aucune personne jamais jointe à visiter pour le moment." in page.text
    await client.post("/deconnexion")
    await log_in(client, "superviseur")
    refused = await client.get("/alertes/jamais-joints/1.csv", params={"equipe": "1 OR 1=1"})
    assert refused.status_code == 422
    assert "numéro d&#39;équipe attendu" in refused.text


async def test_a_failing_webhook_gets_the_list_later_never_lost(
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    dispatcher: AlertDispatcher,
    servers: tuple[int, MailBox, str, Hook],
) -> None:
    _, _, _, hook = servers
    hook.statuses = [500]
    await close_with_people_waiting(sessions, world, clock)
    first = await dispatcher.run_once()
    assert (first.published, first.sent, first.failed) == (1, 1, 1)  # e-mail sent, hook 500
    assert (await dispatcher.run_once()).sent == 0  # not due yet
    clock.advance(seconds=31)
    again = await dispatcher.run_once()
    assert (again.published, again.sent, again.failed) == (0, 1, 0)
    assert len(hook.received) == 2
    assert hook.received[0][1] == hook.received[1][1]  # the same list, the same delivery
    assert hook.received[0][0]["x-dialer-delivery"] == hook.received[1][0]["x-dialer-delivery"]


async def test_the_list_waits_for_the_calls_in_progress_at_the_close(
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    dispatcher: AlertDispatcher,
) -> None:
    schedule = CycleSchedule(sessions)
    await enrol(sessions, world.cycle_id, [(world.jeanne_id, "+33145678910", clock())])
    (member,) = await members_of_cycle(sessions, world.cycle_id)
    await schedule.set_status(member.id, MemberStatus.IN_CALL)
    await CycleRepository(sessions).close(world.cycle_id, at=clock())
    assert (await dispatcher.run_once()).published == 0
    clock.advance(minutes=29)
    assert (await dispatcher.run_once()).published == 0
    clock.advance(minutes=1)  # the call never settled: the list goes out without it
    assert (await dispatcher.run_once()).published == 1
