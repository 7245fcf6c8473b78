"""The dashboard (``/api/v1/dashboard``) and the reports follow the alert episode across
its cycles."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette

from dialer.core.episodes import AlertKind
from dialer.storage import CycleRepository, SessionFactory
from dialer.storage.episodes import EpisodeRepository
from dialer.testing import Clock
from tests.report_scene import CYCLE1_START, build_scene
from tests.stored import enrol
from tests.web.conftest import log_in
from tests.web.support import World
from tests.web.test_dashboard import a_complete_call, run_campaign

pytestmark = pytest.mark.asyncio


async def test_the_dashboard_counts_the_episode_over_all_its_cycles(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    clock: Clock,
) -> None:
    await log_in(client, "superviseur")
    await run_campaign(sessions, world)
    assert (await client.get("/api/v1/dashboard")).json()["episode"] is None  # no episode
    episode = await EpisodeRepository(sessions).start(
        kind=AlertKind.HEATWAVE,
        level=3,
        districts=("Nord",),
        by="prefecture",
        at=clock(),
        campaign_id=world.campaign_id,
    )
    # cycle 1: Jeanne answers (a useful contact), Robert is still waiting at the close
    await enrol(
        sessions, world.cycle_id, [(world.bob_id, "+33155555555", clock() + timedelta(hours=5))]
    )
    await a_complete_call(sessions, world, clock, world.jeanne_id)
    clock.advance(days=1)
    cycles = CycleRepository(sessions)
    await cycles.close(world.cycle_id, at=clock())
    second = await cycles.open(
        world.campaign_id, started_at=clock(), deadline=clock() + timedelta(days=2)
    )
    # cycle 2: Robert answers
    in_second = dataclasses.replace(world, cycle_id=second.id)
    await a_complete_call(sessions, in_second, clock, world.bob_id)
    clock.advance(seconds=120)
    app.state.dashboard.cache_s = 0  # the figures read again at the next snapshot
    client.cookies.clear()
    await log_in(client, "superviseur")  # a day later: the session expired

    data = (await client.get("/api/v1/dashboard")).json()
    assert data["campaign"]["cycle_number"] == 2
    assert data["funnel"]["complete"] == 1  # the open cycle's own figures
    assert data["episode"] == {
        "episode_id": episode.id,
        "kind": "heatwave",
        "level": 3,
        "started_at": episode.started_at.isoformat(),
        "ended_at": None,
        "cycles": 2,
        "closed_cycles": 1,
        "attempts": 2,
        "useful_contacts": 2,
        "never_reached": 1,
    }
    page = await client.get("/tableau-de-bord")
    assert "Épisode d'alerte n°" in page.text
    assert 'id="episode-jamais-joints" data-champ="episode.never_reached"' in page.text


async def test_the_episode_report_pages(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    scene = await build_scene(sessions, people=12)
    episodes = EpisodeRepository(sessions)
    episode = await episodes.start(
        kind=AlertKind.HEATWAVE,
        level=3,
        districts=(),
        by="prefecture",
        at=CYCLE1_START,
        campaign_id=scene.campaign_id,
    )
    await episodes.end(episode.id, by="prefecture", at=CYCLE1_START + timedelta(hours=96))
    url = f"/rapports/episodes/{episode.id}"

    await log_in(client, "membre.nord")
    for path in (url, f"{url}/rapport.xlsx", f"{url}/tableaux/par_cycle.csv"):
        assert (await client.get(path)).status_code == 403, path
    client.cookies.clear()

    await log_in(client, "superviseur")
    listing = await client.get("/rapports")
    assert f'href="{url}"' in listing.text
    assert f"Épisode n° {episode.id} — Canicule, niveau 3" in listing.text
    page = await client.get(url)
    assert page.status_code == 200
    assert "Cycles de l&#39;épisode" in page.text
    assert "Personnes jamais jointes (suivi terrain)" in page.text
    assert "Épisode terminé le" in page.text
    table = await client.get(f"{url}/tableaux/par_cycle.csv")
    assert table.status_code == 200
    rows = table.content.decode("utf-8-sig").splitlines()
    assert [row.split(";")[0] for row in rows] == ["Cycle", "1", "2", "Épisode"]
    workbook = await client.get(f"{url}/rapport.xlsx")
    assert workbook.content[:2] == b"PK"
    assert (await client.get(f"{url}/tableaux/inconnu.csv")).status_code == 404
    assert (await client.get("/rapports/episodes/999")).status_code == 404
