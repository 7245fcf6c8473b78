"""Issue #22 through the entry points: the real dialing engine (fake telephony node) runs
an episode started through the API; a person who never answers gets their relative's call,
offered to an agent who fills the relative questionnaire on the agent screen's API; « pas
de nouvelles » sends a visit request at once to the team's inbox and webhook (the alert
dispatcher); the team records the visit from its inbox; the episode report shows the
chain. Abuse cases: another team, bad outcomes, twice; an objection stops the relative's
call; a better number is added and dialled."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from dialer.alerts import AlertDispatcher, WebhookChannel
from dialer.campaigns.episodes import EpisodeControl
from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, QuestionnaireCatalog
from dialer.settings import CycleSettings
from dialer.storage import SessionFactory
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.database import transaction
from dialer.storage.models import Attempt, CycleResultRow, PhoneNumber
from dialer.telephony.port import CallAnswered, CallEnded, CallJoined
from dialer.testing import Clock
from dialer.web.app import create_app
from tests.web.conftest import log_in
from tests.web.steering_support import build_engine
from tests.web.support import SECRET_KEY, World, catalog_in, fast_passwords, seed
from tests.web.test_delivery import INBOX, Hook, webhook_server
from tests.web.test_episodes import EpisodeRig

pytestmark = pytest.mark.asyncio
__all__ = ["webhook_server"]  # fixture used by name

#: one attempt per person, hour-long cycles, windows open all day
ONE_ATTEMPT = CycleSettings(
    length_min=60,
    max_attempts=1,
    no_answer_delay_min=2,
    min_gap_min=0.5,
    time_of_day_spread_min=0,
    relative_retry_gap_min=5,
    all_day_windows=True,
)
RELATIVE = "+33612345678"  # Jeanne's son, on the register


@pytest.fixture
def catalog(tmp_path: Path) -> QuestionnaireCatalog:
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(SHIPPED_QUESTIONNAIRES / "proche.yaml", directory / "proche.yaml")
    return catalog_in(directory)


@pytest_asyncio.fixture
async def world(sessions: SessionFactory, clock: Clock, webhook_server: tuple[str, Hook]) -> World:
    return await seed(sessions, now=clock(), webhook_url=webhook_server[0])


@pytest_asyncio.fixture
async def rig(
    sessions: SessionFactory, world: World, catalog: QuestionnaireCatalog, clock: Clock
) -> AsyncIterator[EpisodeRig]:
    engine, node, control = await build_engine(sessions, clock)
    control.cycle_settings = ONE_ATTEMPT
    episodes = EpisodeControl(control, check_s=5, sleep=clock.sleep)
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=fast_passwords(),
        control=control,
        episodes=episodes,
    )
    _, token = await ApiTokenRepository(sessions).create(
        name="jeton", username="superviseur", created_by="test", now=clock(), lifetime=timedelta(1)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield EpisodeRig(
            http, engine, node, control, episodes, sessions, clock, world, {"superviseur": token}
        )
    await episodes.stop_keeping()
    await engine.flush()


async def agent_ready(rig: EpisodeRig) -> dict[str, str]:
    csrf = await log_in(rig.http, "agent1")
    headers = {"X-CSRF-Token": csrf}
    assert (await rig.http.post("/api/v1/agent/phone", json={}, headers=headers)).is_success
    assert (await rig.http.post("/api/v1/agent/ready", json={}, headers=headers)).is_success
    return headers


async def start_and_miss_jeanne(rig: EpisodeRig) -> int:
    """Start the episode: its first dial (one agent ready: one call), Jeanne's, ends
    unanswered (her only attempt). Returns the episode's id."""
    started = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert started.status_code == 201, started.text
    (call,) = rig.node.placed
    assert call.number == "+33145678910"
    await rig.engine.handle(CallEnded(call.attempt_id, 19, None, rig.clock()), rig.node)
    return int(started.json()["episode"]["id"])


async def offered_relative_call(rig: EpisodeRig, headers: dict[str, str]) -> str:
    """The relative's call offered to agent1 and dialled by « Appeler », joined."""
    rig.clock.advance(seconds=1)
    await rig.engine.tick()
    called = await rig.http.post("/api/v1/agent/offer/call", json={}, headers=headers)
    assert called.status_code == 200, called.text
    attempt_id = str(called.json()["attempt_id"])
    assert rig.node.placed[-1].attempt_id == attempt_id
    assert rig.node.placed[-1].number == RELATIVE
    await rig.engine.handle(CallAnswered(attempt_id, rig.clock.advance(seconds=5)), rig.node)
    await rig.engine.handle(CallJoined(attempt_id, "pont", rig.clock()), rig.node)
    return attempt_id


async def answer(
    rig: EpisodeRig, headers: dict[str, str], attempt_id: str, **given: object
) -> None:
    for question_id, value in given.items():
        saved = await rig.http.post(
            f"/api/v1/agent/calls/{attempt_id}/answers",
            json={"question_id": question_id, "value": value},
            headers=headers,
        )
        assert saved.status_code == 200, saved.text


async def results(rig: EpisodeRig) -> dict[int, CycleResultRow]:
    async with transaction(rig.sessions) as session:
        return {row.person_id: row for row in await session.scalars(select(CycleResultRow))}


async def test_no_news_from_the_relative_sends_the_field_team_and_closes_the_loop(
    rig: EpisodeRig, webhook_server: tuple[str, Hook]
) -> None:
    _, hook = webhook_server
    headers = await agent_ready(rig)
    episode_id = await start_and_miss_jeanne(rig)
    jeanne = rig.world.jeanne_id
    assert jeanne not in await results(rig)  # her relative is to be called first

    attempt_id = await offered_relative_call(rig, headers)
    view = (await rig.http.get(f"/api/v1/agent/calls/{attempt_id}", headers=headers)).json()
    assert view["relative_call"] is True
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert view["questionnaire"]["title"] == "Appel au proche d'une personne non jointe"
    page = await rig.http.get("/agent")
    assert "Appel au proche : la personne" in page.text
    assert 'id="nouveau-numero"' in page.text
    await answer(rig, headers, attempt_id, nouvelles_48h=False, situation="ne_sait_pas")
    await answer(rig, headers, attempt_id, visite_aujourdhui=False)
    submitted = await rig.http.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        json={"disposition": "complete", "note": "Son fils n'a pas de nouvelles."},
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["complete"] is False  # never a useful contact (billing)
    await rig.engine.handle(CallEnded(attempt_id, 16, None, rig.clock.advance(60)), rig.node)
    row = (await results(rig))[jeanne]
    assert (row.result, row.never_reached_reason) == (
        CycleResult.NEVER_REACHED,
        NeverReachedReason.RELATIVE_NO_NEWS,
    )

    # the visit request goes at once (the cycle still runs), to Équipe Nord's webhook
    dispatcher = AlertDispatcher(
        rig.sessions,
        clock=rig.clock,
        webhook=WebhookChannel(inbox_url=INBOX, allow_loopback=True),
    )
    report = await dispatcher.run_once()
    assert (report.published, report.sent, report.failed) == (0, 1, 0)
    assert dispatcher.statistics()["visits_requested"] == 1
    ((hook_headers, body),) = hook.received
    assert hook_headers["x-dialer-signature"].startswith("t=")
    document = json.loads(body)
    assert document["event"] == "visit.requested"
    assert document["team"] == "Équipe Nord"
    assert document["person"]["last_name"] == "Dupont"
    assert "son proche est sans nouvelles" in document["alert"]["message"]
    alert_id = document["alert"]["id"]
    # 85 years old, a medical flag, and her relative's answers put her at high risk
    assert document["alert"]["priority"] == 1

    # the dashboard's funnel of the open cycle: never reached → relative → visit
    dashboard = (await rig.http.get("/api/v1/dashboard", headers=rig.auth())).json()
    assert {key: dashboard["funnel"][key] for key in ("never_reached", "relative_called")} == {
        "never_reached": 1,
        "relative_called": 1,
    }
    assert dashboard["funnel"]["visit_requested"] == 1

    # another team cannot touch it; bad outcomes are refused
    rig.http.cookies.clear()
    other = await log_in(rig.http, "membre.urgences")
    refused = await rig.http.post(
        f"/alertes/{alert_id}/visite", data={"csrf": other, "issue": "seen_well"}
    )
    assert refused.status_code == 404
    rig.http.cookies.clear()
    csrf = await log_in(rig.http, "membre.nord")
    inbox = await rig.http.get("/alertes")
    assert "Demande de visite : son proche est sans nouvelles" in inbox.text
    assert f'action="/alertes/{alert_id}/visite"' in inbox.text
    for bad in ("", "parti", "seen_well' OR 1=1"):
        wrong = await rig.http.post(
            f"/alertes/{alert_id}/visite", data={"csrf": csrf, "issue": bad}
        )
        assert wrong.status_code == 422, bad
    forged = await rig.http.post(f"/alertes/{alert_id}/visite", data={"issue": "seen_well"})
    assert forged.status_code == 403
    done = await rig.http.post(
        f"/alertes/{alert_id}/visite",
        data={"csrf": csrf, "issue": "seen_well", "note": "Fatiguée, mais bien."},
    )
    assert done.status_code == 303
    again = await rig.http.post(
        f"/alertes/{alert_id}/visite", data={"csrf": csrf, "issue": "deceased"}
    )
    assert again.status_code == 409
    inbox = await rig.http.get("/alertes")
    assert "Visite : <strong>Vu(e), va bien</strong>" in inbox.text
    assert "Prise en charge par <strong>membre.nord</strong>" in inbox.text

    # the episode ends; its report shows the whole chain
    rig.http.cookies.clear()
    ended = await rig.http.post(f"/api/v1/episodes/{episode_id}/end", headers=rig.auth())
    assert ended.status_code == 200, ended.text
    await dispatcher.run_once()  # Martin, never reached at the close: his visit request
    await log_in(rig.http, "superviseur")
    page = await rig.http.get(ended.json()["report_url"])
    assert page.status_code == 200
    assert "Personnes non jointes : proche, puis équipe de terrain" in page.text
    csv = await rig.http.get(f"{ended.json()['report_url']}/tableaux/suivi_non_joints.csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[1:] == [
        "Jamais joints;2",
        "Proche appelé;1",
        "Visite demandée;2",
        "Visite faite;1",
    ]
    csv = await rig.http.get(f"{ended.json()['report_url']}/tableaux/visites.csv")
    visits = [line.split(";") for line in csv.content.decode("utf-8-sig").splitlines()[1:]]
    assert [(v[1], v[4], v[5], v[7], v[8]) for v in visits] == [
        ("Dupont", "oui", "son proche est sans nouvelles", "Vu(e), va bien", "membre.nord"),
        ("Martin", "non", "jamais joint à la fin du cycle", "en attente", ""),
    ]


async def test_an_objection_means_the_relative_is_never_called(rig: EpisodeRig) -> None:
    csrf = await log_in(rig.http, "admin")
    jeanne = rig.world.jeanne_id
    bad = await rig.http.post(
        f"/admin/personnes/{jeanne}/opposition-proche", data={"csrf": csrf, "opposition": "1"}
    )
    assert bad.status_code == 422
    objected = await rig.http.post(
        f"/admin/personnes/{jeanne}/opposition-proche", data={"csrf": csrf, "opposition": "oui"}
    )
    assert objected.status_code == 303
    page = await rig.http.get(f"/admin/personnes/{jeanne}")
    assert "Lever l&#39;opposition" in page.text
    rig.http.cookies.clear()
    headers = await agent_ready(rig)
    await start_and_miss_jeanne(rig)
    rig.clock.advance(seconds=1)
    await rig.engine.tick()
    nothing = await rig.http.post("/api/v1/agent/offer/call", json={}, headers=headers)
    assert nothing.status_code == 409  # nobody offered: the relative is not called
    assert (await results(rig))[jeanne].result is CycleResult.NEVER_REACHED
    async with transaction(rig.sessions) as session:
        kinds = set(await session.scalars(select(Attempt.kind)))
    assert AttemptKind.RELATIVE not in kinds


async def test_a_better_number_from_the_relative_is_added_and_dialled(rig: EpisodeRig) -> None:
    headers = await agent_ready(rig)
    await start_and_miss_jeanne(rig)
    attempt_id = await offered_relative_call(rig, headers)
    await answer(rig, headers, attempt_id, nouvelles_48h=False, situation="chez_elle")
    await answer(rig, headers, attempt_id, visite_aujourdhui=False)
    refused = await rig.http.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        json={"disposition": "complete", "nouveau_numero": "pas un numéro"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["erreur"].startswith("Nouveau_numero : numéro invalide")
    submitted = await rig.http.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        json={"disposition": "complete", "nouveau_numero": "06 98 76 54 32"},
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.text
    await rig.engine.handle(CallEnded(attempt_id, 16, None, rig.clock.advance(60)), rig.node)
    async with transaction(rig.sessions) as session:
        numbers = list(
            await session.scalars(
                select(PhoneNumber.e164)
                .where(PhoneNumber.person_id == rig.world.jeanne_id)
                .order_by(PhoneNumber.position)
            )
        )
    assert numbers == ["+33698765432", "+33145678910"]
    assert rig.world.jeanne_id not in await results(rig)  # her calls go on
    for _ in range(3):  # Robert, due since the start, may come first
        rig.clock.advance(seconds=10)
        await rig.engine.tick()
        last = rig.node.placed[-1]
        if last.number == "+33698765432":
            break
        await rig.engine.handle(CallEnded(last.attempt_id, 19, None, rig.clock()), rig.node)
    assert rig.node.placed[-1].number == "+33698765432"  # tried at once
