"""The agent's screen marks a household of the veille-sociale list called in an emergency
campaign on its consent (« veille sociale » badge): the call view says so, the page holds
the badge, and a person of the register, or a household whose consent was withdrawn, is
not marked."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.storage import SessionFactory
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.testing import Clock
from tests.stored import consenting_households
from tests.web.support import FakeDesk, World
from tests.web.test_agent_api import agent_on_call

pytestmark = pytest.mark.asyncio


async def consenting_household(sessions: SessionFactory, now: datetime) -> int:
    ids = await consenting_households(sessions, {"VS1": (True, True)}, now=now)
    return ids["VS1"]


async def test_the_screen_marks_a_consenting_household_in_an_emergency_campaign(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    household = await consenting_household(sessions, clock())
    _, attempt_id = await agent_on_call(client, sessions, world, desk, clock, person_id=household)
    view = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()
    assert view["veille_sociale"] is True
    page = await client.get("/agent")
    assert 'id="veille-sociale"' in page.text
    assert ">veille sociale<" in page.text
    await ConsentRegistry(sessions).withdraw(
        [WithdrawalRequest("VS1", AgreedBy.PERSON, ConsentChannel.PHONE)],
        actor="cli:ville",
        now=clock(),
    )
    clock.advance(1)
    view = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()
    assert view["veille_sociale"] is False


async def test_a_person_of_the_register_is_not_marked(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    await consenting_household(sessions, clock())
    _, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    view = (await client.get(f"/api/v1/agent/calls/{attempt_id}")).json()
    assert view["veille_sociale"] is False
