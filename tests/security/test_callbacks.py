"""Issue 16, defect 15: a callback must be within 30 days and before the end of the
campaign's cycle (the seeded cycle ends a day after it started); else 422 naming the field."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from dialer.core.episodes import AlertKind
from dialer.core.windows import PARIS
from dialer.storage import SessionFactory
from dialer.storage.database import transaction
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.models import Callback
from dialer.testing import Clock
from tests.web.support import FakeDesk, World
from tests.web.test_agent_api import agent_on_call

pytestmark = [pytest.mark.security, pytest.mark.asyncio]


@pytest.mark.parametrize(
    ("callback_at", "why"),
    [
        ("9999-12-31T10:00", "30 jours"),
        ("2026-08-20T10:00", "30 jours"),
        ("2026-07-16T10:00", "fin du cycle"),
        ("2026-07-13T08:00", "dans le futur"),
        ("demain matin", "invalide"),
    ],
)
async def test_a_callback_out_of_bounds_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    callback_at: str,
    why: str,
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    response = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "callback", "callback_at": callback_at},
    )
    assert response.status_code == 422
    assert "« callback_at »" in response.json()["erreur"]
    assert why in response.json()["erreur"]
    async with transaction(sessions) as session:
        assert await session.scalar(select(Callback)) is None


async def test_during_an_alert_episode_a_callback_may_fall_in_the_next_cycle(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    """The episode's service opens the next cycle, which takes the callback: only the
    horizon bounds it (the same date is refused above, without an episode)."""
    await EpisodeRepository(sessions).start(
        kind=AlertKind.HEATWAVE,
        level=3,
        districts=(),
        by="superviseur",
        at=clock(),
        campaign_id=world.campaign_id,
    )
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    response = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/sheet",
        {"disposition": "callback", "callback_at": "2026-07-16T10:00"},
    )
    assert response.status_code == 200, response.text
    async with transaction(sessions) as session:
        callback = await session.scalar(select(Callback))
    assert callback is not None
    assert callback.due_at.astimezone(PARIS).isoformat() == "2026-07-16T10:00:00+02:00"
