"""The agent's screen marks a household of the veille-sociale list called in an emergency
campaign on its consent (« veille sociale » badge): the call view says so, the page holds
the badge, and a person of the register, or a household whose consent was withdrawn, is
not marked."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.phones import PhoneKind
from dialer.storage import PersonRepository, SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.people import PersonRecord, PhoneRecord, encode_batch
from dialer.testing import Clock
from tests.stored import person_by_external_id
from tests.web.support import FakeDesk, World
from tests.web.test_agent_api import agent_on_call

pytestmark = pytest.mark.asyncio


async def consenting_household(sessions: SessionFactory, now: datetime) -> int:
    people = PersonRepository(sessions)
    record = PersonRecord(
        external_id="VS1",
        last_name="Benali",
        first_name="Nadia",
        phones=[PhoneRecord("+33145670001", PhoneKind.LANDLINE)],
    )
    await people.write_encoded(
        encode_batch(await people.dialect(), [record], [], now=now, list_name=CONSENT_LIST)
    )
    await ConsentRegistry(sessions).record(
        [
            ConsentRecord(
                external_id="VS1",
                agreed_by=AgreedBy.PERSON,
                relative_name=None,
                agreed_at=now - timedelta(days=20),
                channel=ConsentChannel.PHONE,
                regular_calls=True,
                emergency_campaigns=True,
                collected_by="CCAS",
            )
        ],
        actor="cli:ville",
        now=now - timedelta(days=19),
    )
    found = await person_by_external_id(sessions, "VS1")
    assert found is not None
    return found.id


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
