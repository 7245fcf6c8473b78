"""An episode run by the service's own loop (the cycle keeper, on the test's clock):
the people left waiting at each deadline are on that cycle's never-reached list, in the
team's inbox and posted to its webhook (a local HTTP receiver) by the alert dispatcher."""

from __future__ import annotations

import json

import pytest

from dialer.alerts import AlertDispatcher, WebhookChannel
from dialer.storage.alert_rows import DeliveryState
from dialer.storage.alerts import TeamRepository
from tests.stored import never_reached_delivered
from tests.web.conftest import log_in
from tests.web.test_delivery import INBOX, Hook, webhook_server
from tests.web.test_episodes import EpisodeRig, rig

pytestmark = pytest.mark.asyncio
__all__ = ["rig", "webhook_server"]  # fixtures used by name


async def test_each_deadline_puts_the_people_waiting_on_the_cycle_list_delivered(
    rig: EpisodeRig, webhook_server: tuple[str, Hook]
) -> None:
    url, hook = webhook_server
    await TeamRepository(rig.sessions).add(
        name="Équipe Sud",
        districts=["Sud"],
        webhook_url=url,
        webhook_secret="secret-sud",
        now=rig.clock(),
    )
    dispatcher = AlertDispatcher(
        rig.sessions, clock=rig.clock, webhook=WebhookChannel(inbox_url=INBOX, allow_loopback=True)
    )
    started = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert started.status_code == 201, started.text
    await rig.episodes.start_keeping()
    await rig.clock.wait_for_sleepers()
    for cycle in (1, 2):
        assert (await dispatcher.run_once()).published == 0  # the cycle still runs
        rig.clock.advance(minutes=60, seconds=5)  # its deadline: nobody could be called
        await rig.clock.wait_for_sleepers()
        report = await dispatcher.run_once()
        # the list, and the visit request for Martin, to Équipe Sud's webhook; Jeanne's
        # visit request of the cycle before, not acknowledged within its hour, escalates
        # to Équipe Nord's first contact by e-mail (no SMTP server here: it waits)
        assert (report.published, report.sent) == (1, 2)
        assert report.escalated == report.failed == cycle - 1
        bodies = [json.loads(body) for _, body in hook.received[-2:]]
        (body,) = [b for b in bodies if b["event"] == "never_reached.published"]
        (visit,) = [b for b in bodies if b["event"] == "visit.requested"]
        assert visit["person"]["last_name"] == "Martin"
        assert body["cycle"]["number"] == cycle
        assert [(p["person"]["last_name"], p["reason_label"]) for p in body["people"]] == [
            ("Martin", "jamais appelé faute de capacité")
        ]
    # ending the episode closes cycle 3 (its list follows) and hands out the report
    ended = await rig.http.post(
        f"/api/v1/episodes/{started.json()['episode']['id']}/end", headers=rig.auth()
    )
    assert ended.status_code == 200, ended.text
    report_url = ended.json()["report_url"]
    assert (await dispatcher.run_once()).published == 1
    await rig.episodes.stop_keeping()
    assert await never_reached_delivered(rig.sessions, "Équipe Sud") == {
        1: ({"B2"}, {DeliveryState.SENT}),
        2: ({"B2"}, {DeliveryState.SENT}),
        3: ({"B2"}, {DeliveryState.SENT}),
    }
    # Équipe Nord has no channel but its inbox: Jeanne, on each cycle's list
    assert await never_reached_delivered(rig.sessions, "Équipe Nord") == {
        1: ({"J1"}, set()),
        2: ({"J1"}, set()),
        3: ({"J1"}, set()),
    }
    await log_in(rig.http, "membre.nord")
    inbox = await rig.http.get("/alertes")
    assert inbox.text.count("jamais appelé faute de capacité") == 3
    assert "— cycle 1 :" in inbox.text
    assert "— cycle 2 :" in inbox.text
    rig.http.cookies.clear()
    await log_in(rig.http, "superviseur")
    page = await rig.http.get(report_url)
    assert page.status_code == 200
    assert "Épisode terminé le" in page.text
    csv = await rig.http.get(f"{report_url}/tableaux/par_cycle.csv")
    rows = [line.split(";") for line in csv.content.decode("utf-8-sig").splitlines()]
    assert [(row[0], row[7]) for row in rows[1:]] == [  # cycle, never reached
        ("1", "2"),
        ("2", "2"),
        ("3", "2"),
        ("Épisode", "6"),
    ]
