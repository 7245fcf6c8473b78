"""The figures the city prices on, per cycle and per episode, on SQLite and PostgreSQL:
seat-hours (agents logged in, recorded by the service's seat watch from the engine's seat
board), DMT and the conversion rate (useful contacts ÷ people called), in the report API,
the episode API, the CSV exports and the page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select

from dialer.core.episodes import AlertKind
from dialer.reports.seat_time import SeatWatch
from dialer.storage import Attempt, SessionFactory
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import transaction
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.seat_sessions import SeatSession, SeatSessionRepository
from tests.report_scene import CYCLE1_START, build_scene
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer
from tests.web.test_person_results import database_url, sessions

pytestmark = pytest.mark.asyncio

__all__ = ["database_url", "sessions", "steer"]


async def called_and_useful(sessions: SessionFactory, cycle_id: int) -> tuple[int, int]:
    """People called and useful contacts of a cycle, counted straight from the tables."""
    async with transaction(sessions) as session:
        called = await session.scalar(
            select(func.count(distinct(Attempt.person_id)))
            .where(Attempt.cycle_id == cycle_id)
            .where(Attempt.placed_at.is_not(None))
        )
        useful = await session.scalar(
            select(func.count(distinct(CallSheet.person_id)))
            .where(CallSheet.cycle_id == cycle_id)
            .where(CallSheet.complete.is_(True))
            .where(CallSheet.submitted_at.is_not(None))
        )
    return int(called or 0), int(useful or 0)


async def test_seat_hours_dmt_and_conversion_per_cycle_and_episode(steer: SteerRig) -> None:
    scene = await build_scene(steer.sessions, people=12)
    c = scene.campaign_id
    clock = steer.clock  # the engine's: 2 h into cycle 1
    assert clock() == CYCLE1_START + timedelta(hours=2)
    repository = SeatSessionRepository(steer.sessions)
    watch = SeatWatch(steer.engine.seats.seats, repository, clock=clock, heartbeat_s=60)
    # agent1 logs in through the agent's API, agent2 through the engine
    connected = await steer.http.post("/api/v1/agent/phone", headers=steer.auth("agent1"))
    assert connected.status_code == 200
    await steer.engine.log_in("agent2", "agent-1002")
    assert await watch.check()
    assert not await watch.check()  # nothing changed, no heartbeat due: no write
    clock.advance(hours=2)
    await steer.engine.log_out("agent1")
    assert await watch.check()
    clock.advance(hours=47)  # cycle 1 closed at 48 h; agent2 still logged in at 51 h
    assert await watch.check()  # the heartbeat
    clock.advance(minutes=30)
    # the controller died: the next start closes agent2's session when it was last seen
    restarted = SeatWatch(lambda: (), repository, clock=clock, every_s=3600)
    await restarted.start()
    await restarted.stop()
    async with transaction(steer.sessions) as session:
        rows = list(await session.scalars(select(SeatSession).order_by(SeatSession.id)))
    assert {r.started_at for r in rows} == {CYCLE1_START + timedelta(hours=2)}  # the log-in
    spans = [(r.agent, r.ended_at - r.started_at) for r in rows if r.ended_at is not None]
    assert spans == [("agent1", timedelta(hours=2)), ("agent2", timedelta(hours=49))]

    auth = steer.auth("superviseur")
    one = (await steer.http.get(f"/api/v1/reports/{c}", params={"cycle": 1}, headers=auth)).json()
    assert one["seat_hours"] == 48.0  # agent1 2 h + agent2 46 h of the 48 h cycle
    called, useful = await called_and_useful(steer.sessions, scene.cycle_ids[0])
    assert one["people_called"] == called
    assert one["useful_contacts"] == useful
    assert one["conversion_rate"] == round(useful / called, 4)
    assert one["dmt"]["mean_s"] > 0
    key = one["tables"]["chiffres_cles"]["rows"]
    assert ["Heures-siège (agents connectés)", 48.0] in key
    whole = (await steer.http.get(f"/api/v1/reports/{c}", headers=auth)).json()
    assert whole["seat_hours"] == 51.0

    episode = await EpisodeRepository(steer.sessions).start(
        kind=AlertKind.HEATWAVE, level=3, districts=(), by="prefecture", at=CYCLE1_START,
        campaign_id=c,
    )  # fmt: skip
    answer = await steer.http.get(f"/api/v1/reports/episodes/{episode.id}", headers=auth)
    assert answer.status_code == 200
    figures = answer.json()
    assert [line["seat_hours"] for line in figures["cycles"]] == [48.0, 3.0]
    assert figures["whole"]["seat_hours"] == 51.0
    first = figures["cycles"][0]
    assert first["conversion_rate"] == round(useful / called, 4)
    assert first["attempted"] == called
    assert figures["whole"]["dmt_mean_s"] == round(whole["dmt"]["mean_s"], 1)
    refused = await steer.http.get(
        f"/api/v1/reports/episodes/{episode.id}", headers=steer.auth("agent1")
    )
    assert refused.status_code == 403
    missing = await steer.http.get("/api/v1/reports/episodes/999999", headers=auth)
    assert missing.status_code == 404

    await log_in(steer.http, "superviseur")
    table = await steer.http.get(f"/rapports/episodes/{episode.id}/tableaux/par_cycle.csv")
    rows_csv = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    header = rows_csv[0]
    assert header[-3:] == ["Heures-siège", "DMT moyenne (s)", "Taux de conversion (%)"]
    assert [r[header.index("Heures-siège")] for r in rows_csv[1:]] == ["48,0", "3,0", "51,0"]
    page = await steer.http.get(f"/rapports/{c}", params={"cycle": 1})
    assert "Heures-siège (agents connectés)" in page.text
    assert "Taux de conversion" in page.text
