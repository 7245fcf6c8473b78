"""The live dashboard's page, JSON, WebSocket and ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.core.attempts import CycleResult, Disposition
from dialer.core.campaigns import CampaignState
from dialer.core.outcomes import CallOutcome
from dialer.storage import Campaign, SessionFactory
from dialer.storage.answers import CallSheetRepository, SheetSubmission
from dialer.storage.database import transaction
from dialer.testing import Clock
from dialer.web.metrics import configure_metrics
from tests.web.conftest import client_for, log_in
from tests.web.support import FakeDesk, World, place_call

pytestmark = pytest.mark.asyncio


async def run_campaign(sessions: SessionFactory, world: World) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == world.campaign_id)
            .values(state=CampaignState.RUNNING)
        )


async def a_complete_call(
    sessions: SessionFactory, world: World, clock: Callable[[], datetime], person_id: int
) -> str:
    """An answered call, talked 60 s, wrapped up in 30 s, its sheet complete."""
    attempt = await place_call(
        sessions, world, person_id=person_id, now=clock(), number="+33145678910"
    )
    attempt_log = StoredAttemptLog(sessions)
    await attempt_log.close(
        attempt,
        CallOutcome.ANSWERED,
        at=clock() + timedelta(seconds=60),
        cause=16,
        sip_status=None,
        failed=False,
    )
    await attempt_log.wrap_up_done(
        attempt, at=clock() + timedelta(seconds=90), result=CycleResult.REACHED
    )
    sheets = CallSheetRepository(sessions)
    sheet = await sheets.open(
        attempt_id=attempt,
        person_id=person_id,
        cycle_id=world.cycle_id,
        agent="agent1",
        questionnaire_id="veille_test",
        questionnaire_version=2,
        now=clock(),
    )
    await sheets.submit(
        sheet.id,
        SheetSubmission(Disposition.COMPLETE, "", None, 0.0, "faible", True),
        alerts=[],
        raised_by="agent1",
        now=clock() + timedelta(seconds=90),
    )
    return attempt


async def test_the_page_is_for_supervisors_operations_and_administrators(
    client: httpx.AsyncClient,
) -> None:
    anonymous = await client.get("/tableau-de-bord", follow_redirects=False)
    assert anonymous.status_code != 200
    await log_in(client, "agent1")
    assert (await client.get("/tableau-de-bord")).status_code == 403
    assert (await client.get("/api/v1/dashboard")).status_code == 403
    await client.post("/deconnexion", data={"csrf": ""})
    client.cookies.clear()
    await log_in(client, "superviseur")
    page = await client.get("/tableau-de-bord")
    assert page.status_code == 200
    assert "<h1>Tableau de bord</h1>" in page.text
    assert '<script src="/static/dashboard.js"></script>' in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script
    assert "Questionnaire complet" in page.text
    assert "Disponible" in page.text
    supervision = await client.get("/supervision")
    assert 'href="/tableau-de-bord"' in supervision.text


async def test_the_json_snapshot_counts_the_engine_and_the_ledger(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    await log_in(client, "superviseur")
    empty = (await client.get("/api/v1/dashboard")).json()
    assert empty["campaign"] is None  # the seeded campaign is a draft
    assert empty["live"]["engine"] is True
    assert empty["live"]["agents_logged_in"] == 0

    await run_campaign(sessions, world)
    await a_complete_call(sessions, world, clock, world.jeanne_id)
    await desk.log_in("agent1", "agent-1001")
    desk.go_ready("agent1")
    await desk.log_in("agent2", "agent-1002")
    clock.advance(seconds=120)
    app.state.dashboard.cache_s = 0  # the figures read again at the next snapshot
    data = (await client.get("/api/v1/dashboard")).json()
    assert data["campaign"]["id"] == world.campaign_id
    assert data["campaign"]["state"] == "running"
    assert data["live"]["agents"]["ready"] == 1
    assert data["live"]["agents"]["paused"] == 1
    assert data["live"]["agents_logged_in"] == 2
    assert data["funnel"] == {
        "register": 0,  # the seed enrols nobody in the cycle's schedule
        "attempted": 1,
        "reached": 1,
        "complete": 1,
        "alerts_raised": 0,
        "alerts_acknowledged": 0,
        "never_reached": 0,
        "relative_called": 0,
        "visit_requested": 0,
        "visit_done": 0,
    }
    assert data["handling"]["handled"] == 1
    assert data["handling"]["mean_handling_s"] == pytest.approx(90, abs=0.01)
    assert data["handling"]["mean_talk_s"] == pytest.approx(60, abs=0.01)
    assert data["today"] == {
        "settled": 1,
        "live_answers": 1,
        "abandons": 0,
        "answer_rate": 1.0,
        "abandon_rate": 0.0,
    }
    assert data["forecast"]["target_share"] == 0.65


async def test_metrics_expose_the_snapshot_to_prometheus(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    await run_campaign(sessions, world)
    await a_complete_call(sessions, world, clock, world.jeanne_id)
    await desk.log_in("agent1", "agent-1001")
    desk.go_ready("agent1")
    response = await client.get("/metrics")  # ASGITransport's client is 127.0.0.1
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    labels = {"campaign": str(world.campaign_id), "cycle": "1"}

    def value(metric: str, /, **extra: str) -> float:
        wanted = {**labels, **extra}
        found = [s.value for s in families[metric].samples if s.labels == wanted]
        assert len(found) == 1, (metric, extra, families[metric].samples)
        return found[0]

    assert value("dialer_agents", state="ready") == 1
    assert value("dialer_agents", state="on_call") == 0
    assert value("dialer_cycle_funnel", stage="complete") == 1
    assert value("dialer_cycle_funnel", stage="attempted") == 1
    assert value("dialer_dials_settled") == 1
    assert families["dialer_dials_settled"].type == "counter"
    assert value("dialer_answer_ratio", window="day") == 1
    assert value("dialer_handling_time_seconds", part="total") == pytest.approx(90)
    assert value("dialer_useful_contact_target_ratio", bound="floor") == 0.65
    assert value("dialer_campaign_info", state="running", name="Canicule 2026") == 1
    assert families["dialer_calls"].type == "gauge"
    assert all(name.startswith("dialer_") for name in families)

    # the database refuses the ledger's writes: the writer retries, dialling waits
    desk.ledger.update(ledger_writable=False, ledger_lag_s=4.5, ledger_failed_tries=3)
    failing = {
        f.name: f for f in text_string_to_metric_families((await client.get("/metrics")).text)
    }
    assert failing["dialer_ledger_writable"].samples[0].value == 0
    assert failing["dialer_ledger_lag_seconds"].samples[0].value == 4.5
    assert failing["dialer_ledger_write_failures"].type == "counter"
    assert failing["dialer_ledger_write_failures"].samples[0].value == 3

    # from another host: refused without a token
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 40000)),
        base_url="http://testserver",
    ) as remote:
        assert (await remote.get("/metrics")).status_code == 403
        configure_metrics(app, "jeton-de-supervision")
        refused = await remote.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer autre"})
        assert wrong.status_code == 401
        good = await remote.get(
            "/metrics", headers={"Authorization": "Bearer jeton-de-supervision"}
        )
        assert good.status_code == 200
        assert "dialer_cycle_funnel" in good.text
    # with a token, loopback needs it too
    assert (await client.get("/metrics")).status_code == 401


# ---- the WebSocket, served by uvicorn ------------------------------------------------------
@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # why it could not start
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def session_cookie(app: Starlette, username: str) -> str:
    async with client_for(app) as http:
        await log_in(http, username)
        return f"dialer_session={http.cookies['dialer_session']}"


async def test_the_socket_pushes_a_snapshot_every_second(
    app: Starlette, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await run_campaign(sessions, world)
    supervisor = await session_cookie(app, "superviseur")
    agent = await session_cookie(app, "agent1")
    async with serving(app) as port:
        url = f"ws://127.0.0.1:{port}/ws/tableau-de-bord"
        with pytest.raises(ConnectionClosed) as refused:
            async with connect(url, additional_headers={"Cookie": agent}) as socket_:
                await socket_.recv()
        assert refused.value.rcvd is not None
        assert refused.value.rcvd.code == 4403  # an agent
        with pytest.raises(ConnectionClosed) as expired:
            async with connect(url, additional_headers={"Cookie": "dialer_session=x"}) as socket_:
                await socket_.recv()
        assert expired.value.rcvd is not None
        assert expired.value.rcvd.code == 4401  # no session: back to the login page
        with pytest.raises(InvalidStatus):
            async with connect(
                url,
                additional_headers={"Cookie": supervisor},
                origin="http://ailleurs.example",  # type: ignore[arg-type]
            ) as socket_:
                await socket_.recv()

        async with connect(url, additional_headers={"Cookie": supervisor}) as socket_:
            first = json.loads(await socket_.recv())
            assert first["type"] == "snapshot"
            assert first["data"]["campaign"]["id"] == world.campaign_id
            assert first["data"]["live"]["agents"]["ready"] == 0
            await desk.log_in("agent1", "agent-1001")
            desk.go_ready("agent1")
            loop = asyncio.get_running_loop()
            started = loop.time()
            second = json.loads(await asyncio.wait_for(socket_.recv(), 3))
            assert 0.5 < loop.time() - started < 1.6
            assert second["data"]["live"]["agents"]["ready"] == 1
            board = app.state.dashboard
            assert board.statistics()["watchers"] == 1
        for _ in range(50):
            if board.statistics()["watchers"] == 0:
                break
            await asyncio.sleep(0.05)
        assert board.statistics()["watchers"] == 0
