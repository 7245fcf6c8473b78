"""The live dashboard with two campaigns running at once (a city-wide heatwave and a
district flood): the list of campaigns, ``?campagne=ID`` on the page, its WebSocket and
``/api/v1/dashboard``, the default (the most recent), the errors and the per-campaign cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.roles import Role
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.dashboard.board import LiveDashboard
from dialer.desk.accounts import create_account
from dialer.errors import NotFoundError
from dialer.storage import Campaign, CampaignRepository, CycleRepository, SessionFactory
from dialer.storage.database import transaction
from dialer.testing import Clock
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, FakeDesk, World
from tests.web.test_dashboard import a_complete_call, run_campaign, serving, session_cookie

pytestmark = pytest.mark.asyncio

ALL_DAY = (OpeningInterval.parse("00:00-23:59:59"),)
PACING = {
    "answer_rate": 0.42,
    "abandon_rate": 0.01,
    "talk_s": 95.0,
    "wrap_up_s": 20.0,
    "own": ["answers"],
}


async def a_flood(sessions: SessionFactory, clock: Callable[[], datetime]) -> int:
    """The district flood, created after the heatwave, running, with its open cycle."""
    campaign = await CampaignRepository(sessions).create(
        name="Inondation Bas-Quartier",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="veille_test",
        questionnaire_version="2",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows=windows_to_json(CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY)),
        retry_policy=policy_to_json(RetryPolicy(max_attempts=3)),
        now=clock() + timedelta(minutes=1),
    )
    await CycleRepository(sessions).open(
        campaign.id, started_at=clock(), deadline=clock() + timedelta(hours=48)
    )
    await set_state(sessions, campaign.id, CampaignState.RUNNING)
    return campaign.id


async def set_state(sessions: SessionFactory, campaign_id: int, state: CampaignState) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(state=state)
        )


async def two_campaigns(
    sessions: SessionFactory, world: World, clock: Callable[[], datetime], desk: FakeDesk
) -> tuple[int, int]:
    """The heatwave (one complete call, paced on its own figures) and the flood (none)."""
    await run_campaign(sessions, world)
    await a_complete_call(sessions, world, clock, world.jeanne_id)
    flood = await a_flood(sessions, clock)
    desk.ledger["campaigns"] = {str(world.campaign_id): {"pacing_figures": PACING}}
    return world.campaign_id, flood


async def test_each_campaign_has_its_figures_and_the_default_is_the_most_recent(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    heatwave, flood = await two_campaigns(sessions, world, clock, desk)
    await log_in(client, "superviseur")

    default = (await client.get("/api/v1/dashboard")).json()
    assert default["campaign"]["id"] == flood  # today's behaviour: the most recent
    assert [(c["id"], c["state"]) for c in default["campaigns"]] == [
        (flood, "running"),
        (heatwave, "running"),
    ]
    assert default["funnel"]["complete"] == 0
    assert default["pacing_figures"] is None  # the engine does not pace it (yet)

    chosen = (await client.get(f"/api/v1/dashboard?campagne={heatwave}")).json()
    assert chosen["campaign"]["id"] == heatwave
    assert chosen["funnel"]["complete"] == 1
    assert chosen["today"]["settled"] == 1
    assert chosen["pacing_figures"] == PACING
    assert len(chosen["campaigns"]) == 2
    other = (await client.get(f"/api/v1/dashboard?campagne={flood}")).json()
    assert other["campaign"]["id"] == flood
    assert other["funnel"]["complete"] == 0
    assert other["today"]["settled"] == 0

    page = await client.get(f"/tableau-de-bord?campagne={heatwave}")
    assert page.status_code == 200
    assert f'data-campagne="{heatwave}"' in page.text  # the page's feed asks for it
    assert f'<a href="/tableau-de-bord?campagne={flood}">Inondation Bas-Quartier</a>' in page.text
    assert '<strong aria-current="page">' in page.text
    assert '<a href="/tableau-de-bord">La plus récente</a>' in page.text
    assert "(en cours)" in page.text
    metrics = (await client.get("/metrics")).text  # every live campaign, its own figures
    for campaign_id, name in ((flood, "Inondation Bas-Quartier"), (heatwave, "Canicule 2026")):
        assert (
            f'dialer_campaigns_live{{campaign="{campaign_id}",name="{name}",state="running"}} 1.0'
            in metrics
        )
        assert f'dialer_campaign_info{{campaign="{campaign_id}",cycle="1",' in metrics
    assert f'dialer_cycle_funnel{{campaign="{heatwave}",cycle="1",stage="complete"}} 1.0' in metrics
    assert f'dialer_cycle_funnel{{campaign="{flood}",cycle="1",stage="complete"}} 0.0' in metrics
    assert f'dialer_dials_settled_total{{campaign="{heatwave}",cycle="1"}} 1.0' in metrics
    assert f'dialer_dials_settled_total{{campaign="{flood}",cycle="1"}} 0.0' in metrics
    assert metrics.count("# TYPE dialer_cycle_funnel gauge") == 1  # one family, two campaigns
    home = await client.get("/tableau-de-bord")
    assert 'data-connecte="non">' in home.text  # no campaign chosen: the feed's default
    assert f'<a href="/tableau-de-bord?campagne={heatwave}">' in home.text


async def test_unknown_finished_or_malformed_campaigns_are_refused_in_french(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    heatwave, flood = await two_campaigns(sessions, world, clock, desk)
    await set_state(sessions, flood, CampaignState.FINISHED)
    await log_in(client, "superviseur")
    for unknown in (flood, 987654):
        answer = await client.get(f"/api/v1/dashboard?campagne={unknown}")
        assert answer.status_code == 404
        assert f"campagne n° {unknown}" in answer.json()["erreur"]
        assert "ni en cours ni en pause" in answer.json()["erreur"]
        page = await client.get(f"/tableau-de-bord?campagne={unknown}")
        assert page.status_code == 404
        assert "ni en cours ni en pause" in page.text
    for bad in ("abc", "-1", "1.5", "9" * 40):
        answer = await client.get("/api/v1/dashboard", params={"campagne": bad})
        assert answer.status_code == 422
        assert answer.json()["erreur"].startswith("Campagne : numéro de campagne attendu")
        assert (await client.get("/tableau-de-bord", params={"campagne": bad})).status_code == 422
    listed = (await client.get("/api/v1/dashboard")).json()
    assert [c["id"] for c in listed["campaigns"]] == [heatwave]  # the finished one is gone


async def test_supervisors_and_operations_only(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    heatwave, _ = await two_campaigns(sessions, world, clock, desk)
    await create_account(sessions, "exploitation", PASSWORD, Role.OPERATIONS)
    await log_in(client, "agent1")
    assert (await client.get(f"/api/v1/dashboard?campagne={heatwave}")).status_code == 403
    assert (await client.get(f"/tableau-de-bord?campagne={heatwave}")).status_code == 403
    assert (await client.get("/api/v1/dashboard?campagne=abc")).status_code == 403
    await client.post("/deconnexion", data={"csrf": ""})
    client.cookies.clear()
    await log_in(client, "exploitation")
    answer = await client.get(f"/api/v1/dashboard?campagne={heatwave}")
    assert answer.status_code == 200
    assert answer.json()["campaign"]["id"] == heatwave


async def test_the_feed_pushes_the_chosen_campaign(
    app: Starlette, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    heatwave, flood = await two_campaigns(sessions, world, clock, desk)
    supervisor = await session_cookie(app, "superviseur")
    agent = await session_cookie(app, "agent1")
    async with serving(app) as port:
        url = f"ws://127.0.0.1:{port}/ws/tableau-de-bord"
        for chosen, complete in ((heatwave, 1), (flood, 0)):
            async with connect(
                f"{url}?campagne={chosen}", additional_headers={"Cookie": supervisor}
            ) as feed:
                first = json.loads(await feed.recv())
                assert first["type"] == "snapshot"
                assert first["data"]["campaign"]["id"] == chosen
                assert first["data"]["funnel"]["complete"] == complete
        async with connect(url, additional_headers={"Cookie": supervisor}) as feed:
            assert json.loads(await feed.recv())["data"]["campaign"]["id"] == flood
        for query, code, words in (("987654", 4404, "ni en cours"), ("abc", 4422, "Campagne :")):
            async with connect(
                f"{url}?campagne={query}", additional_headers={"Cookie": supervisor}
            ) as feed:
                error = json.loads(await feed.recv())
                with pytest.raises(ConnectionClosed) as closed:
                    await feed.recv()
            assert error["type"] == "error"
            assert words in error["message"]
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == code
        with pytest.raises(ConnectionClosed) as refused:
            async with connect(
                f"{url}?campagne={heatwave}", additional_headers={"Cookie": agent}
            ) as feed:
                await feed.recv()
        assert refused.value.rcvd is not None
        assert refused.value.rcvd.code == 4403


async def test_each_campaign_is_cached_and_finished_ones_are_forgotten(
    sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    heatwave, flood = await two_campaigns(sessions, world, clock, desk)
    board = LiveDashboard(sessions, lambda: desk, clock=clock, cache_s=60)
    for _ in range(3):
        for chosen in (None, heatwave, flood):
            await board.snapshot(chosen)
    stats = board.statistics()
    assert stats["snapshots"] == 9
    assert stats["ledger_reads"] == 3  # once per campaign shown, within cache_s
    assert stats["campaigns_cached"] == 3
    await set_state(sessions, flood, CampaignState.FINISHED)
    board.cache_s = 0
    assert (await board.snapshot(heatwave)).campaign is not None
    assert board.statistics()["campaigns_cached"] == 2  # the flood's figures are dropped
    with pytest.raises(NotFoundError):
        await board.snapshot(flood)
    with pytest.raises(NotFoundError):
        await board.snapshot(987654)
    assert board.statistics()["campaigns_cached"] == 2
    default = await board.snapshot()
    assert default.campaign is not None
    assert default.campaign.id == heatwave  # the flood finished: the heatwave is current
