"""Alert delivery against real local servers on 127.0.0.1 (aiosmtpd for SMTP, an HTTP
server for webhooks), retries with a fake clock, and escalation to the next contact."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller

from dialer.alerts import (
    AlertDispatcher,
    AlertRaiser,
    EmailChannel,
    SmtpConfig,
    WebhookChannel,
)
from dialer.core.questionnaire import Need
from dialer.core.scoring import AnswerReason, TriggeredAlert
from dialer.storage import SessionFactory
from dialer.storage.alert_rows import AlertState, DeliveryReason, DeliveryState
from dialer.storage.alerts import AlertRepository, OutboxRepository
from dialer.storage.answers import CallSheetRepository
from dialer.testing import Clock
from tests.stored import deliveries_of_alert
from tests.web.support import World, open_database, place_call, seed

pytestmark = pytest.mark.asyncio
INBOX = "https://veille.ville.test/alertes"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailBox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[int, MailBox]]:
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


@dataclass
class Hook:
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, Hook]]:
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alertes?jeton=s3cret", hook
    server.shutdown()
    server.server_close()


@pytest_asyncio.fixture
async def delivery_world(
    tmp_path: Path, clock: Clock, webhook_server: tuple[str, Hook]
) -> AsyncIterator[tuple[SessionFactory, World, int]]:
    url, _ = webhook_server
    engine, sessions = await open_database(tmp_path / "alerts.db")
    world = await seed(sessions, now=clock(), webhook_url=url, email="equipe.nord@ville.test")
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    sheet = await CallSheetRepository(sessions).open(
        attempt_id=attempt_id,
        person_id=world.jeanne_id,
        cycle_id=world.cycle_id,
        agent="agent1",
        questionnaire_id="veille_test",
        questionnaire_version=2,
        now=clock(),
    )
    yield sessions, world, sheet.id
    await engine.dispose()


def water_alert(priority: int = 2) -> TriggeredAlert:
    return TriggeredAlert(
        need=Need.HOME_HELP,
        priority=priority,
        message="Pas d'eau fraîche : livrer de l'eau.",
        because=(AnswerReason("eau", "Avez-vous de l'eau fraîche ?", "non", 3),),
    )


def dispatcher_for(
    sessions: SessionFactory, clock: Clock, smtp_port: int | None = None
) -> AlertDispatcher:
    email = (
        EmailChannel(
            SmtpConfig(
                host="127.0.0.1", port=smtp_port, sender="veille@ville.test", security="none"
            ),
            inbox_url=INBOX,
        )
        if smtp_port is not None
        else None
    )
    return AlertDispatcher(
        sessions,
        clock=clock,
        email=email,
        webhook=WebhookChannel(inbox_url=INBOX, allow_loopback=True, clock=clock),
    )


async def test_an_alert_reaches_the_team_by_email_and_webhook(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    smtp: tuple[int, MailBox],
    webhook_server: tuple[str, Hook],
) -> None:
    sessions, _, sheet_id = delivery_world
    port, box = smtp
    _, hook = webhook_server
    dispatcher = dispatcher_for(sessions, clock, port)
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    [alert] = await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
    report = await dispatcher.run_once()
    assert (report.sent, report.failed) == (2, 0)
    [(recipients, mail)] = box.messages
    assert recipients == ["equipe.nord@ville.test"]
    assert mail["Subject"] == "[Alerte P2] Aide à domicile — Jeanne DUPONT (Nord)"
    text = mail.get_content()
    assert "12 rue des Lilas, 75019 Paris" in text
    assert "- Avez-vous de l'eau fraîche ? — non" in text
    assert "Levée le 13/07/2026 à 11:00 par l'agent agent1." in text
    [(headers, body)] = hook.received
    document = json.loads(body)
    assert document["event"] == "alert.raised"
    assert document["alert"]["id"] == alert.id
    assert document["person"]["last_name"] == "Dupont"
    stamp = int(clock().timestamp())
    signed = f"{stamp}.".encode() + body
    expected = hmac.new(b"secret-de-test", signed, hashlib.sha256).hexdigest()
    assert headers["x-dialer-signature"] == f"t={stamp},sha256={expected}"
    deliveries = await deliveries_of_alert(sessions, alert.id)
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    assert dispatcher.statistics()["sent"] == 2


async def test_a_failing_webhook_is_retried_later_and_never_lost(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    smtp: tuple[int, MailBox],
    webhook_server: tuple[str, Hook],
) -> None:
    sessions, _, sheet_id = delivery_world
    port, _ = smtp
    url, hook = webhook_server
    hook.statuses = [500, 503]
    dispatcher = dispatcher_for(sessions, clock, port)
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    [alert] = await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
    first = await dispatcher.run_once()
    assert (first.sent, first.failed) == (1, 1)  # the e-mail went, the webhook failed
    outbox = OutboxRepository(sessions)
    webhook = next(
        d for d in await deliveries_of_alert(sessions, alert.id) if d.channel.value == "webhook"
    )
    assert (webhook.state, webhook.tries) == (DeliveryState.PENDING, 1)
    assert (
        webhook.last_error
        == "webhook http://127.0.0.1:" + url.split(":")[2].split("/")[0] + "/…: HTTP 500"
    )
    assert "s3cret" not in webhook.last_error
    assert webhook.next_try_at == clock() + timedelta(seconds=30)
    assert (await dispatcher.run_once()).failed == 0  # not due yet: not tried
    assert len(hook.received) == 1
    clock.advance(seconds=31)
    assert (await dispatcher.run_once()).failed == 1  # 503
    clock.advance(seconds=59)
    assert (await dispatcher.run_once()).sent == 0
    clock.advance(seconds=2)
    assert (await dispatcher.run_once()).sent == 1
    delivered = next(
        d for d in await deliveries_of_alert(sessions, alert.id) if d.channel.value == "webhook"
    )
    assert (delivered.state, delivered.tries) == (DeliveryState.SENT, 3)
    ids = {headers["x-dialer-delivery"] for headers, _ in hook.received}
    assert ids == {str(delivered.id)}  # the same id on every try: receivers drop duplicates
    assert await outbox.pending_count() == 0


async def test_an_unreachable_webhook_and_a_missing_smtp_server_keep_the_alert_queued(
    delivery_world: tuple[SessionFactory, World, int], clock: Clock
) -> None:
    sessions, _, sheet_id = delivery_world
    dispatcher = AlertDispatcher(
        sessions,
        clock=clock,
        webhook=WebhookChannel(inbox_url=INBOX, timeout_s=2, allow_loopback=True),
        email=EmailChannel(
            SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout_s=2),
            inbox_url=INBOX,
        ),
    )
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
    report = await dispatcher.run_once()
    assert (report.sent, report.failed) == (1, 1)  # the webhook went; no SMTP server there
    outbox = OutboxRepository(sessions)
    assert await outbox.pending_count() == 1
    error = dispatcher.statistics()["last_error"]
    assert isinstance(error, str)
    assert error.startswith("SMTP 127.0.0.1:")
    no_email = AlertDispatcher(sessions, clock=clock)  # e-mail not configured at all
    clock.advance(minutes=1)
    assert (await no_email.run_once()).failed == 1
    assert no_email.statistics()["last_error"] == "canal email non configuré"
    assert await outbox.pending_count() == 1  # still there, to send once configured


async def test_an_unacknowledged_alert_escalates_contact_by_contact(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    smtp: tuple[int, MailBox],
) -> None:
    sessions, _, sheet_id = delivery_world
    port, box = smtp
    dispatcher = dispatcher_for(sessions, clock, port)
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    [alert] = await raiser.raise_now(
        sheet_id, [water_alert(priority=1)], district="Nord", raised_by="agent1"
    )
    await dispatcher.run_once()
    box.messages.clear()
    alerts = AlertRepository(sessions)
    clock.advance(minutes=9)
    assert (await dispatcher.run_once()).escalated == 0
    clock.advance(minutes=1)  # P1: 10 minutes without acknowledgement
    assert (await dispatcher.run_once()).escalated == 1
    first = await alerts.get(alert.id)
    assert (first.escalation_level, first.escalated_at) == (1, clock())
    assert first.next_escalation_at == clock() + timedelta(minutes=10)
    assert [recipients for recipients, _ in box.messages] == [["cheffe.nord@ville.test"]]
    assert box.messages[0][1]["Subject"].startswith("[Escalade, niveau 1] [Alerte P1]")
    clock.advance(minutes=10)
    await dispatcher.run_once()
    assert box.messages[-1][0] == ["astreinte@ville.test"]
    second = await alerts.get(alert.id)
    assert (second.escalation_level, second.next_escalation_at) == (2, None)
    deliveries = await deliveries_of_alert(sessions, alert.id)
    assert [d.reason for d in deliveries].count(DeliveryReason.ESCALATED) == 4  # mail + hook x2
    clock.advance(hours=5)
    assert (await dispatcher.run_once()).escalated == 0  # the list is exhausted


async def test_an_acknowledged_alert_does_not_escalate(
    delivery_world: tuple[SessionFactory, World, int], clock: Clock
) -> None:
    sessions, world, sheet_id = delivery_world
    dispatcher = AlertDispatcher(sessions, clock=clock)
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    [alert] = await raiser.raise_now(
        sheet_id, [water_alert(priority=1)], district="Nord", raised_by="agent1"
    )
    clock.advance(minutes=3)
    await AlertRepository(sessions).acknowledge(
        alert.id, by="membre.nord", note="J'y vais.", now=clock(), team_id=world.teams["nord"]
    )
    clock.advance(hours=2)
    assert (await dispatcher.run_once()).escalated == 0
    handled = await AlertRepository(sessions).get(alert.id)
    assert (handled.state, handled.escalation_level) == (AlertState.ACKNOWLEDGED, 0)


async def test_the_running_dispatcher_delivers_as_soon_as_it_is_woken(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    smtp: tuple[int, MailBox],
) -> None:
    sessions, _, sheet_id = delivery_world
    port, box = smtp
    dispatcher = dispatcher_for(sessions, clock, port)
    dispatcher.poll_s = 60.0
    await dispatcher.start()
    try:
        await asyncio.sleep(0.2)  # the first run found nothing
        raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
        await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
        for _ in range(100):
            if box.messages:
                break
            await asyncio.sleep(0.05)
        assert len(box.messages) == 1
        assert dispatcher.statistics()["running"] is True
    finally:
        await dispatcher.stop()
    assert dispatcher.statistics()["running"] is False
