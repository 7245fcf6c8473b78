"""A veille-sociale household's relative is never called (the household agreed to be
called, the relative did not), while a heatwave campaign still turns to the relative:
through the real path, the dialing engine (a fake telephony node), the campaign's stored
queue and planner, and the agent's API. Jeanne, who has a relative's number on the
register, has one attempt; it rings out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from dialer.campaigns.rules import policy_to_json
from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.planning import RetryPolicy
from dialer.engine.engine import DialingEngine
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import transaction
from dialer.storage.models import Attempt, Campaign, CycleResultRow
from dialer.storage.schedule import CycleMember, enrol_register
from dialer.telephony.port import CallEnded
from dialer.testing import Clock, FakeNode
from dialer.web.app import create_app
from tests.needs_scene import volunteer_cycle
from tests.web.conftest import log_in
from tests.web.steering_support import build_engine
from tests.web.support import SECRET_KEY, World, fast_passwords
from tests.web.test_orientation import catalog

pytestmark = pytest.mark.asyncio
__all__ = ["catalog"]

ALL_DAY = {"week": [["00:00-23:59"]] * 7, "holiday": []}
RELATIVE = "+33612345678"  # Jeanne's son, on the register


@pytest_asyncio.fixture(params=[CampaignKind.VEILLE_SOCIALE, CampaignKind.HEATWAVE])
async def wired(
    request: pytest.FixtureRequest,
    sessions: SessionFactory,
    world: World,
    catalog: QuestionnaireCatalog,
    clock: Clock,
) -> AsyncIterator[tuple[CampaignKind, httpx.AsyncClient, DialingEngine, FakeNode, int]]:
    kind: CampaignKind = request.param
    campaign_id, cycle_id = await volunteer_cycle(
        sessions, "Appels", clock(), days=2, windows=ALL_DAY,
        policy=policy_to_json(RetryPolicy(max_attempts=1, time_of_day_spread=timedelta(0))),
    )  # fmt: skip
    async with transaction(sessions) as session:
        await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(kind=kind))
    await ConsentRegistry(sessions).record(
        [ConsentRecord("J1", AgreedBy.PERSON, None, clock() - timedelta(days=30),
                       ConsentChannel.PAPER, True, True, "CCAS")],
        actor="superviseur", now=clock(),
    )  # fmt: skip
    await enrol_register(sessions, cycle_id, due=clock())
    async with transaction(sessions) as session:  # Jeanne alone (Robert: another test's)
        await session.execute(
            update(CycleMember)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.person_id != world.jeanne_id)
            .values(next_due_at=clock() + timedelta(days=30))
        )
    engine, node, control = await build_engine(sessions, clock)
    app = create_app(
        sessions=sessions, engine=engine, questionnaires=catalog, secret_key=SECRET_KEY,
        clock=clock, secure_cookies=False, passwords=fast_passwords(), control=control,
    )  # fmt: skip
    await control.start(campaign_id, actor="superviseur")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield kind, http, engine, node, cycle_id
    await engine.flush()


async def test_only_an_emergency_campaign_calls_the_relative(
    wired: tuple[CampaignKind, httpx.AsyncClient, DialingEngine, FakeNode, int],
    sessions: SessionFactory,
    world: World,
    clock: Clock,
) -> None:
    kind, http, engine, node, cycle_id = wired
    headers = {"X-CSRF-Token": await log_in(http, "agent1")}
    for url in ("/api/v1/agent/phone", "/api/v1/agent/ready"):
        assert (await http.post(url, json={}, headers=headers)).status_code == 200
    await engine.tick()
    called = await http.post("/api/v1/agent/offer/call", json={}, headers=headers)
    assert called.status_code == 200, called.text
    attempt_id = str(called.json()["attempt_id"])
    assert node.placed[-1].number != RELATIVE
    await engine.handle(CallEnded(attempt_id, 19, None, clock.advance(30)), node)  # no answer
    await engine.flush()

    for _ in range(3):  # the engine goes on: offers, dials
        clock.advance(60)
        await engine.tick()
        offered = engine.offer_of("agent1")
        if offered is not None:
            break
    async with transaction(sessions) as session:
        member = await session.scalar(
            select(CycleMember)
            .where(CycleMember.cycle_id == cycle_id)
            .where(CycleMember.person_id == world.jeanne_id)
        )
        result = await session.scalar(
            select(CycleResultRow.result)
            .where(CycleResultRow.cycle_id == cycle_id)
            .where(CycleResultRow.person_id == world.jeanne_id)
        )
        kinds = list(
            await session.scalars(select(Attempt.kind).where(Attempt.cycle_id == cycle_id))
        )
    assert member is not None
    if kind is CampaignKind.VEILLE_SOCIALE:
        assert AttemptKind.RELATIVE not in kinds
        assert member.next_kind is not AttemptKind.RELATIVE
        assert result is CycleResult.NEVER_REACHED  # her one attempt used, nobody else called
        assert offered is None
    else:
        assert result is None
        assert AttemptKind.RELATIVE in kinds  # the relative's call, offered to the agent
        assert offered is not None
        dialled = await http.post("/api/v1/agent/offer/call", json={}, headers=headers)
        assert dialled.status_code == 200, dialled.text
        assert node.placed[-1].number == RELATIVE
