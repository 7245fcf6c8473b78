"""Issue 16, defect 13: team webhooks go to public https addresses only, are signed with
the team's own secret, and can carry a link instead of the person's data. A local
receiver on 127.0.0.1 stands for the team's server."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from dialer.alerts import AlertDispatcher, AlertRaiser, WebhookChannel
from dialer.alerts.webhook_targets import refused_address
from dialer.storage import SessionFactory
from dialer.storage.database import transaction
from dialer.storage.team_rows import Team
from dialer.testing import Clock
from tests.web.steering_support import SteerRig
from tests.web.support import World
from tests.web.test_delivery import INBOX, Hook, delivery_world, water_alert, webhook_server

pytestmark = pytest.mark.security
__all__ = ["delivery_world", "webhook_server"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.org/alertes", "https:// obligatoire"),
        ("https://169.254.169.254/latest/meta-data/", "lien-local"),
        ("https://10.0.0.5/alertes", "privée"),
        ("https://[fd00:ec2::254]/", "privée"),
        ("https://[::ffff:169.254.169.254]/", "lien-local"),
        ("https://127.0.0.1/alertes", "loopback"),
        ("https://localhost:8443/alertes", "loopback"),  # resolved, then checked
        ("https://jean:motdepasse@hooks.example.org/", "identifiants"),
        ("http://127.0.0.1:9/alertes", "https:// obligatoire"),  # not allowed by default
        ("https://" + "a" * 70 + ".org/", "ne se résout pas"),  # an invalid name: no 500
        ("https://.../", "ne se résout pas"),
    ],
)
@pytest.mark.asyncio
async def test_a_webhook_to_an_internal_or_plain_http_address_is_refused(
    steer: SteerRig, url: str, why: str
) -> None:
    response = await steer.http.post(
        "/api/v1/teams",
        json={"name": "Équipe Est", "webhook_url": url},
        headers=steer.auth("admin"),
    )
    assert response.status_code == 422, response.text
    assert "« webhook_url »" in response.json()["erreur"]
    assert why in response.json()["erreur"]


@pytest.mark.asyncio
async def test_each_team_gets_its_own_secret_shown_once(steer: SteerRig) -> None:
    steer.app.state.steering.allow_loopback_webhooks = True  # the receiver is local
    secrets = []
    for name in ("Équipe Est", "Équipe Ouest"):
        created = await steer.http.post(
            "/api/v1/teams",
            json={"name": name, "webhook_url": "http://127.0.0.1:9/x", "webhook_link_only": True},
            headers=steer.auth("admin"),
        )
        assert created.status_code == 201, created.text
        assert created.json()["webhook_link_only"] is True
        secrets.append(created.json()["webhook_secret"])
    assert len(set(secrets)) == 2
    assert all(len(secret) >= 40 for secret in secrets)
    listing = await steer.http.get("/api/v1/teams", headers=steer.auth("admin"))
    assert all(secret not in listing.text for secret in secrets)
    [*_, entry] = await steer.audit("team.create")
    assert entry.details["webhook_link_only"] is True


def test_ipv4_mapped_and_metadata_addresses_are_refused() -> None:
    assert refused_address("::ffff:10.1.2.3", allow_loopback=False) is not None
    assert refused_address("169.254.169.254", allow_loopback=True) is not None
    assert refused_address("100.64.0.1", allow_loopback=False) is not None  # shared (CGNAT)
    assert refused_address("127.0.0.1", allow_loopback=True) is None
    assert refused_address("93.184.216.34", allow_loopback=False) is None


async def _deliver(
    sessions: SessionFactory, clock: Clock, sheet_id: int, channel: WebhookChannel
) -> AlertDispatcher:
    dispatcher = AlertDispatcher(sessions, clock=clock, webhook=channel)
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
    await dispatcher.run_once()
    return dispatcher


@pytest.mark.asyncio
async def test_the_service_never_posts_to_this_machine(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    webhook_server: tuple[str, Hook],
) -> None:
    """A webhook stored before the rules (or re-pointed) is checked again at delivery."""
    sessions, _, sheet_id = delivery_world
    _, hook = webhook_server
    dispatcher = await _deliver(sessions, clock, sheet_id, WebhookChannel(inbox_url=INBOX))
    assert hook.received == []
    error = dispatcher.statistics()["last_error"]
    assert isinstance(error, str)
    assert "https:// obligatoire" in error


@pytest.mark.asyncio
async def test_a_link_only_webhook_carries_no_personal_data(
    delivery_world: tuple[SessionFactory, World, int],
    clock: Clock,
    webhook_server: tuple[str, Hook],
) -> None:
    sessions, _, sheet_id = delivery_world
    _, hook = webhook_server
    async with transaction(sessions) as session:
        await session.execute(update(Team).values(webhook_link_only=True))
    channel = WebhookChannel(inbox_url=INBOX, allow_loopback=True, clock=clock)
    await _deliver(sessions, clock, sheet_id, channel)
    [(headers, body)] = hook.received
    document = json.loads(body)
    assert "person" not in document
    for personal in ("Dupont", "Jeanne", "Lilas", "+33", "1938"):
        assert personal not in body.decode()
    assert document["link"] == f"{INBOX}#alerte-{document['alert']['id']}"
    assert headers["x-dialer-signature"].startswith(f"t={int(clock().timestamp())},sha256=")
