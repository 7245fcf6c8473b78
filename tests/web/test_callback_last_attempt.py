"""A callback or a follow-up promised on the person's last attempt of the cycle is refused,
naming the field: a callback counts as an attempt, so with none left the planner would never
place it and the promise would be silently broken (the veille-sociale demo lost two
follow-ups this way). With an attempt left it is booked as before."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import select, update

from dialer.campaigns.rules import policy_to_json
from dialer.core.planning import RetryPolicy
from dialer.core.roles import Role
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.database import transaction
from dialer.storage.models import Attempt, Callback, Campaign, Cycle
from dialer.testing import Clock
from tests.web.support import FakeDesk, World
from tests.web.test_agent_api import agent_on_call
from tests.web.test_orientation import catalog, on_volunteer_call

__all__ = ["catalog"]  # the orientation tests' catalogue (the veille-sociale questionnaire)

pytestmark = pytest.mark.asyncio

LAST = "tous les appels permis dans ce cycle"


async def allow(sessions: SessionFactory, campaign_id: int, attempts: int) -> None:
    policy = policy_to_json(dataclasses.replace(RetryPolicy(), max_attempts=attempts))
    async with transaction(sessions) as session:
        await session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(retry_policy=policy)
        )


async def placed_attempts(sessions: SessionFactory, attempt_id: str) -> int:
    """The placed attempts of the call's person in its cycle (this call included)."""
    async with transaction(sessions) as session:
        call = await session.get(Attempt, attempt_id)
        assert call is not None
        if call.placed_at is None:
            call.placed_at = call.planned_for  # the fake desk's call: placed now
        found = await session.scalars(
            select(Attempt).where(
                Attempt.person_id == call.person_id,
                Attempt.cycle_id == call.cycle_id,
                Attempt.placed_at.is_not(None),
            )
        )
        return len(list(found))


async def callbacks(sessions: SessionFactory) -> list[Callback]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Callback)))


async def test_a_callback_on_the_last_attempt_is_refused_naming_the_field(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    placed = await placed_attempts(sessions, attempt_id)
    await allow(sessions, world.campaign_id, placed)  # this call was the last one allowed
    url = f"/api/v1/agent/calls/{attempt_id}/sheet"
    refused = await me.post(url, {"disposition": "callback", "callback_at": "2026-07-13T17:30"})
    assert refused.status_code == 422, refused.text
    assert "« callback_at »" in refused.json()["erreur"]
    assert LAST in refused.json()["erreur"]
    assert await callbacks(sessions) == []
    await allow(sessions, world.campaign_id, placed + 1)  # one left: booked
    booked = await me.post(url, {"disposition": "callback", "callback_at": "2026-07-13T17:30"})
    assert booked.status_code == 200, booked.text
    assert len(await callbacks(sessions)) == 1


async def test_a_follow_up_on_the_households_last_call_is_refused_naming_the_field(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)
    async with transaction(sessions) as session:
        await session.execute(
            update(Account).where(Account.username == "agent1").values(role=Role.VOLUNTEER)
        )
        call = await session.get(Attempt, attempt_id)
        assert call is not None
        cycle = await session.get(Cycle, call.cycle_id)
        assert cycle is not None
    await allow(sessions, cycle.campaign_id, await placed_attempts(sessions, attempt_id))
    url = f"/api/v1/agent/calls/{attempt_id}/follow-up"
    refused = await me.post(url, {"at": "2026-07-16T15:00"})
    assert refused.status_code == 422, refused.text
    assert "« at »" in refused.json()["erreur"]
    assert LAST in refused.json()["erreur"]
    assert await callbacks(sessions) == []
