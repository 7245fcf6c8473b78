"""Never-reached lists in storage, on SQLite and PostgreSQL: published once per closed
cycle by the alert dispatcher (two controllers racing included), each person with the
reason and the trace of every attempt, sent through the alert outbox (the real webhook
channel, over a recording HTTP transport); and the episode's report from the CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dialer.alerts import AlertDispatcher, WebhookChannel
from dialer.cli import cli
from dialer.core.attempts import AttemptKind, AttemptState
from dialer.core.cycles import NeverReachedReason
from dialer.core.episodes import AlertKind
from dialer.core.outcomes import CallOutcome
from dialer.storage import CycleRepository, SessionFactory
from dialer.storage.alert_rows import AlertDelivery, DeliveryState
from dialer.storage.alerts import TeamRepository
from dialer.storage.database import transaction
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.ledger import AttemptLedger
from dialer.storage.never_reached_rows import NeverReachedEntry, NeverReachedList
from dialer.testing import Clock
from tests.report_scene import CYCLE1_START, build_scene
from tests.stored import enrol

from .conftest import NOW, Scene

pytestmark = pytest.mark.asyncio


async def dial(sessions: SessionFactory, scene: Scene, minutes: int, outcome: CallOutcome) -> None:
    ledger = AttemptLedger(sessions)
    at = NOW + timedelta(minutes=minutes)
    attempt = await ledger.record_planned(
        cycle_id=scene.cycle_id,
        person_id=scene.alice_id,
        number="+33145678910",
        kind=AttemptKind.AUTOMATIC,
        planned_for=at,
    )
    await ledger.mark_dialing(attempt.id, at=at)
    await ledger.advance(attempt.id, AttemptState.RINGING, at=at)
    await ledger.close(attempt.id, outcome, at=at + timedelta(seconds=30))


async def test_a_closed_cycle_is_published_once_with_reasons_and_traces(
    sessions: SessionFactory, scene: Scene
) -> None:
    await TeamRepository(sessions).add(
        name="Toute la ville",
        webhook_url="http://127.0.0.1/liste",  # answered by the mock transport below
        webhook_secret="secret-ville",
        now=NOW,
    )
    await enrol(
        sessions,
        scene.cycle_id,
        [
            (scene.alice_id, "+33145678910", NOW + timedelta(hours=4)),
            (scene.bob_id, "+33612345678", NOW + timedelta(hours=4)),
        ],
    )
    await dial(sessions, scene, 10, CallOutcome.BUSY)
    await dial(sessions, scene, 40, CallOutcome.NO_ANSWER)
    clock = Clock(NOW + timedelta(days=1))
    await CycleRepository(sessions).close(scene.cycle_id, at=clock())

    posted: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(204)

    webhook = WebhookChannel(
        inbox_url="/alertes", transport=httpx.MockTransport(receive), allow_loopback=True
    )
    first = AlertDispatcher(sessions, clock=clock, webhook=webhook)
    second = AlertDispatcher(sessions, clock=clock, webhook=webhook)
    reports = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(report.published for report in reports) == 1
    await first.run_once()
    await webhook.aclose()

    async with transaction(sessions) as session:
        lists = list(await session.scalars(select(NeverReachedList)))
        entries = {
            entry.person_id: entry for entry in await session.scalars(select(NeverReachedEntry))
        }
        sent = await session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .where(AlertDelivery.state == DeliveryState.SENT)
        )
    assert [(item.cycle_id, item.people) for item in lists] == [(scene.cycle_id, 2)]
    alice, bob = entries[scene.alice_id], entries[scene.bob_id]
    assert (alice.reason, alice.attempts) == (NeverReachedReason.DEADLINE_REACHED, 2)
    assert [step["outcome"] for step in alice.trace] == ["busy", "no_answer"]
    assert (bob.reason, bob.attempts, bob.trace) == (NeverReachedReason.NEVER_ATTEMPTED, 0, [])
    assert sent == 1
    body = json.loads(posted[0].content)
    assert [p["reason_label"] for p in body["people"]] == [
        "échéance du cycle atteinte après 2 tentatives",
        "jamais appelé faute de capacité",
    ]
    assert len({request.headers["x-dialer-delivery"] for request in posted}) == 1


async def test_the_episode_report_from_the_command_line(
    sessions: SessionFactory,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scene = await build_scene(sessions, people=12)
    episodes = EpisodeRepository(sessions)
    episode = await episodes.start(
        kind=AlertKind.COLD_SPELL,
        level=3,
        districts=("Nord", "Sud"),
        by="prefecture",
        at=CYCLE1_START,
        campaign_id=scene.campaign_id,
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    out = tmp_path / "rapport"
    args = ["report", "episode", str(episode.id), "--out", str(out), "--format", "csv"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 0, result.output
    summary = (out / f"rapport-episode-{episode.id}-episode.csv").read_text("utf-8-sig")
    assert "Type d'alerte;Grand froid" in summary
    assert "Zone;Nord, Sud" in summary
    lines = (out / f"rapport-episode-{episode.id}-par_cycle.csv").read_text("utf-8-sig")
    cycles = [line.split(";") for line in lines.splitlines()[1:]]
    assert [row[0] for row in cycles] == ["1", "2", "Épisode"]
    never = (out / f"rapport-episode-{episode.id}-jamais_joints.csv").read_text("utf-8-sig")
    listed = len(never.splitlines()) - 1
    assert int(cycles[2][7]) == listed == int(cycles[0][7]) + int(cycles[1][7])
    assert int(cycles[2][8]) == int(cycles[0][8]) + int(cycles[1][8])
