"""A household of the veille sociale that calls in, taken by a volunteer: the screen that
pops and the call's view through the API are the volunteer's slim view (first name, name,
the number that called, the earlier debriefs), never the birth date, the address, the
history, nor the other people of the register on a shared line. The household's own
volunteer, looked up for the engine, is the one it is assigned to."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import httpx
import pytest

from dialer.campaigns.inbound import CycleInboundDesk
from dialer.campaigns.rules import windows_from_json
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import PersonRepository, SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from dialer.web.screens import AgentScreens
from tests.storage.conftest import person as household
from tests.storage.test_consent_property import WINDOWS
from tests.stored import person_by_external_id
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, FakeDesk, World, fast_passwords
from tests.web.test_volunteer_desk import ANA, _veille_cycle

pytestmark = pytest.mark.asyncio

LINE = "+33145678910"  # Jeanne's landline, which Jeanne Martin shares


async def test_a_household_calling_in_pops_the_volunteers_slim_view(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await create_account(
        sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
        passwords=fast_passwords(),
    )  # fmt: skip
    await VolunteerRoster(sessions).train(
        ANA, trained_by="superviseur", trained_on=date(2026, 6, 1), actor="t", now=clock()
    )
    await PersonRepository(sessions).write_batch([household("M3", "Martin", LINE)], [], now=clock())
    marie = await person_by_external_id(sessions, "M3")
    assert marie is not None
    await ConsentRegistry(sessions).record(
        [
            ConsentRecord(key, AgreedBy.PERSON, None, clock() - timedelta(days=30),
                          ConsentChannel.PHONE, True, True, "CCAS")
            for key in ("J1", "M3")
        ],
        actor="t",
        now=clock() - timedelta(days=1),
    )  # fmt: skip
    campaign_id, cycle_id = await _veille_cycle(sessions, clock)  # the consenting list
    await VolunteerCalls(sessions).assign(campaign_id, "J1", ANA, actor="superviseur", now=clock())
    inbound = CycleInboundDesk(sessions, cycle_id=cycle_id, windows=windows_from_json(WINDOWS))
    assert await inbound.household_volunteer(LINE, at=clock()) == ANA  # the engine asks

    csrf = await log_in(client, ANA)
    headers = {"X-CSRF-Token": csrf}
    assert (await client.post("/api/v1/agent/phone", json={}, headers=headers)).status_code == 200
    assert (await client.post("/api/v1/agent/ready", json={}, headers=headers)).status_code == 200
    screens = desk.screens
    assert isinstance(screens, AgentScreens)
    socket = screens.open(ANA)
    dial = await inbound.take(
        "1790000000.1", LINE, agent=ANA, node="node-1", arrived_at=clock(), engaged={}
    )
    assert dial is not None
    assert dial.person_id == world.jeanne_id
    desk.reserve(ANA, dial.attempt_id)
    await screens.reserved(ANA, dial.attempt_id)  # what the engine does when it takes it
    desk.join(ANA)
    await screens.joined(ANA, dial.attempt_id)
    message = json.loads(await asyncio.wait_for(socket.queue.get(), 10))
    while message.get("view") is None:
        message = json.loads(await asyncio.wait_for(socket.queue.get(), 10))
    got = (await client.get(f"/api/v1/agent/calls/{dial.attempt_id}", headers=headers)).json()
    for view in (message["view"], got):
        assert view["inbound_call"] is True
        person = view["person"]
        assert person["name"] == "Jeanne DUPONT"
        assert (person["birth_date"], person["address"], person["flags"]) == (None, None, [])
        assert [p["e164"] for p in person["phones"]] == [LINE]
        assert view["history"] == {"attempts": [], "sheets": []}
        assert view["line_holders"] == []  # the other holder of the line is not shown
        assert view["debriefs"] == []
