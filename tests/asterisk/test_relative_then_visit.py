"""Issue #22 on the real rig: a person who never answers (sipp rings until the dialer gives
up) with a relative who answers (sipp). After her only attempt, the agent (agent-1001's
screen through the web API, its baresip softphone) is offered the relative's call, talks
with the relative and records « pas de nouvelles »; a visit request reaches the field
team's webhook (a local HTTP receiver) and inbox; the team records the visit from its
inbox; the episode's report shows the chain."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from dialer.register.importer import import_register
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import SUPERVISOR, TEAM_MEMBER, TEAM_NAME, provision_demo_people
from dialer.rig.robot_screen import AgentScreen
from dialer.rig.world import SimulatedWorld
from dialer.service import running_service
from dialer.settings import CycleSettings, Settings
from dialer.storage.alerts import TeamRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.database import create_engine, create_session_factory, migrate_engine
from dialer.storage.ledger import AttemptLedger
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_robot_agents import PASSWORD, SECRET_KEY, service_settings
from tests.web.conftest import CSRF_META, LOGIN_CSRF
from tests.web.test_delivery import Hook, webhook_server

__all__ = ["webhook_server"]  # the local webhook receiver's fixture, used by name

AGENT = "agent-1001"
PERSON = SimulatedCallee(CalleeBehaviour.RINGS_FOREVER, ring_s=0, talk_s=0, serial=90)
RELATIVE = SimulatedCallee(CalleeBehaviour.ANSWERS, ring_s=1, talk_s=120, serial=91)
CYCLES = CycleSettings(
    length_min=5.0,
    max_attempts=1,
    no_answer_delay_min=0.1,
    min_gap_min=0.05,
    time_of_day_spread_min=0,
    ring_allowance_min=0.3,
    relative_before_deadline_min=0,  # only once her attempts are used
    all_day_windows=True,
    check_s=0.5,
)


def write_register(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Identifiant", "Nom", "Prénom", "Téléphone", "Personne à prévenir", "Téléphone proche"]
        )
        writer.writerow(
            ["R90", "Lemoine", "Odette", PERSON.number, "Claire Lemoine", RELATIVE.number]
        )


async def prepare(settings: Settings, register: Path, webhook_url: str) -> str:
    database = create_engine(settings.database_url)
    try:
        await migrate_engine(database)
        sessions = create_session_factory(database)
        report = await import_register(sessions, register, now=datetime.now(UTC))
        assert report.rejected == 0, report.issues[:3]
        await TeamRepository(sessions).add(
            name=TEAM_NAME,
            is_default=True,
            webhook_url=webhook_url,
            webhook_secret="secret-terrain",
            now=datetime.now(UTC),
        )
        await provision_demo_people(sessions, [AGENT], PASSWORD)
        _, token = await ApiTokenRepository(sessions).create(
            name="rig",
            username=SUPERVISOR,
            created_by="test",
            now=datetime.now(UTC),
            lifetime=timedelta(days=1),
        )
    finally:
        await database.dispose()
    return token


async def relative_call_with_no_news(screen: AgentScreen) -> str:
    """Ready; the person's own call rings out; the relative's call is offered: « Appeler »,
    the relative answers, « pas de nouvelles »; hang up and validate."""
    screen.state = await screen.post("/api/v1/agent/phone")
    screen.state = await screen.post("/api/v1/agent/ready")
    offered = await asyncio.wait_for(screen.offers.get(), 90)
    called = await screen.post("/api/v1/agent/offer/call")
    assert called["attempt_id"] == offered
    message, _ = await asyncio.wait_for(screen.calls.get(), 30)
    view = message["view"]
    assert view["relative_call"] is True
    assert view["number"] == RELATIVE.number
    assert view["person"]["name"].startswith("Odette LEMOINE")
    for question_id, value in (
        ("nouvelles_48h", False),
        ("situation", "ne_sait_pas"),
        ("visite_aujourdhui", False),
    ):
        await screen.post(
            f"/api/v1/agent/calls/{offered}/answers", {"question_id": question_id, "value": value}
        )
    await screen.post("/api/v1/agent/hang-up")
    limit = time.monotonic() + 20
    while offered not in screen.ended and time.monotonic() < limit:
        await screen.wait_changed(0.5)
        screen.changed.clear()
    result = await screen.post(
        f"/api/v1/agent/calls/{offered}/sheet",
        {"disposition": "complete", "note": "Sa fille n'a pas de nouvelles depuis trois jours."},
    )
    assert result["complete"] is False  # never a useful contact
    return offered


async def form_login(http: httpx.AsyncClient, username: str) -> str:
    """Log in through the form; the session's CSRF token."""
    form = await http.get("/connexion")
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    page = await http.post(
        "/connexion",
        data={"identifiant": username, "mot_de_passe": PASSWORD, "csrf": token.group(1)},
        follow_redirects=True,
    )
    assert page.status_code == 200, page.status_code
    found = CSRF_META.search(page.text)
    assert found is not None
    return found.group(1)


async def visit_request(hook: Hook) -> dict[str, object]:
    limit = time.monotonic() + 30
    while time.monotonic() < limit:
        for _, body in hook.received:
            document = json.loads(body)
            if document["event"] == "visit.requested":
                return dict(document)
        await asyncio.sleep(0.5)
    raise AssertionError(f"no visit request posted: {hook.received}")


@pytest.mark.asyncio
async def test_a_relative_with_no_news_sends_the_field_team_and_the_report_shows_it(
    rig_settings: Settings,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
    webhook_server: tuple[str, Hook],
) -> None:
    webhook_url, hook = webhook_server
    await world.wait_registered(ami, [AGENT])
    base = service_settings(rig_settings, tmp_path / "relatives.db")
    settings = base.model_copy(
        update={
            "cycles": CYCLES,
            "rig": base.rig.model_copy(update={"loopback_webhooks": True}),  # the receiver
        }
    )
    register = tmp_path / "registre.csv"
    write_register(register)
    token = await prepare(settings, register, webhook_url)
    auth = {"Authorization": f"Bearer {token}"}
    async with running_service(
        settings, ami=rig.ami_credentials(), secret_key=SECRET_KEY, ring_timeout_s=15, tick_s=0.2
    ) as service:
        screen = AgentScreen(service.url, AGENT, PASSWORD, [])
        async with screen.open():
            async with httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api:
                started = await api.post("/episodes", json={"kind": "heatwave", "level": 3})
            assert started.status_code == 201, started.text
            episode_id = started.json()["episode"]["id"]
            attempt_id = await relative_call_with_no_news(screen)
            await screen.post("/api/v1/agent/pause", {"reason": "Pause"})

        document = await visit_request(hook)
        headers = next(h for h, body in hook.received if json.loads(body) == document)
        assert headers["x-dialer-signature"].startswith("t=")
        assert document["team"] == TEAM_NAME
        person = document["person"]
        assert isinstance(person, dict)
        assert person["last_name"] == "Lemoine"
        alert = document["alert"]
        assert isinstance(alert, dict)
        assert "son proche est sans nouvelles" in str(alert["message"])

        async with httpx.AsyncClient(base_url=service.url, follow_redirects=False) as http:
            csrf = await form_login(http, TEAM_MEMBER)
            inbox = await http.get("/alertes")
            assert "Demande de visite : son proche est sans nouvelles" in inbox.text
            done = await http.post(
                f"/alertes/{alert['id']}/visite",
                data={"csrf": csrf, "issue": "seen_well", "note": "Vue chez elle, va bien."},
            )
            assert done.status_code == 303, done.text
            assert "Vu(e), va bien" in (await http.get("/alertes")).text

        async with httpx.AsyncClient(base_url=service.url + "/api/v1", headers=auth) as api:
            ended = await api.post(f"/episodes/{episode_id}/end")
        assert ended.status_code == 200, ended.text
        async with httpx.AsyncClient(base_url=service.url, follow_redirects=False) as http:
            await form_login(http, SUPERVISOR)
            report_url = ended.json()["report_url"]
            funnel = await http.get(f"{report_url}/tableaux/suivi_non_joints.csv")
            visits = await http.get(f"{report_url}/tableaux/visites.csv")
        attempts = await AttemptLedger(service.sessions).every_attempt()

    assert [a.number for a in attempts] == [PERSON.number, RELATIVE.number]
    assert attempts[1].id == attempt_id
    assert funnel.content.decode("utf-8-sig").splitlines()[1:] == [
        "Jamais joints;1",
        "Proche appelé;1",
        "Visite demandée;1",
        "Visite faite;1",
    ]
    (line,) = visits.content.decode("utf-8-sig").splitlines()[1:]
    cells = line.split(";")
    assert (cells[1], cells[4], cells[5], cells[7], cells[8]) == (
        "Lemoine",
        "oui",
        "son proche est sans nouvelles",
        "Vu(e), va bien",
        TEAM_MEMBER,
    )
