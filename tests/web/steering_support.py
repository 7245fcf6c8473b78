"""Steering tests: the app with a real dialing engine (fake telephony node, the stored
ledger) and its campaign control, on the seeded web database; API tokens per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest_asyncio
from starlette.applications import Starlette

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.campaigns.template_files import shipped_templates
from dialer.engine.engine import DialingEngine
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditEntry, AuditFilter, AuditLog
from dialer.storage.database import transaction
from dialer.storage.models import Campaign
from dialer.storage.schedule import enrol_register
from dialer.telephony.port import NodeConnected
from dialer.testing import Clock, FakeNode
from dialer.web.app import create_app
from tests.web.support import SECRET_KEY, World, fast_passwords
from tests.web.typed_answers import answer_checker


@dataclass
class SteerRig:
    """What a steering test drives and inspects."""

    app: Starlette
    http: httpx.AsyncClient
    engine: DialingEngine
    node: FakeNode
    control: CampaignControl
    sessions: SessionFactory
    world: World
    clock: Clock
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def audit(self, action: str | None = None) -> list[AuditEntry]:
        return await AuditLog(self.sessions).search(AuditFilter(action=action))


async def build_engine(
    sessions: SessionFactory, clock: Clock
) -> tuple[DialingEngine, FakeNode, CampaignControl]:
    node = FakeNode()
    engine = DialingEngine(nodes=[node], attempt_log=StoredAttemptLog(sessions), clock=clock)
    await engine.handle(NodeConnected(node.name, clock()), node)
    control = CampaignControl(sessions, engine, clock=clock, caller_id="+33140000000")
    return engine, node, control


async def usable_seeded_campaign(sessions: SessionFactory, world: World, clock: Clock) -> None:
    """The seeded campaign with the heatwave template's rules, its open cycle holding the
    register (everyone due now)."""
    heatwave = shipped_templates().get("heatwave")
    async with transaction(sessions) as session:
        campaign = await session.get(Campaign, world.campaign_id)
        assert campaign is not None
        campaign.calling_windows = windows_to_json(heatwave.windows)
        campaign.retry_policy = policy_to_json(heatwave.policy)
    await enrol_register(sessions, world.cycle_id, due=clock())


async def ready_agent(engine: DialingEngine, agent: str = "agent1") -> None:
    await engine.log_in(agent, f"{agent}-sip")
    engine.go_ready(agent)


@pytest_asyncio.fixture
async def steer(
    sessions: SessionFactory, world: World, catalog: QuestionnaireCatalog, clock: Clock
) -> AsyncIterator[SteerRig]:
    await usable_seeded_campaign(sessions, world, clock)
    engine, node, control = await build_engine(sessions, clock)
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=fast_passwords(),
        control=control,
    )
    repository = ApiTokenRepository(sessions)
    tokens = {}
    for who in ("superviseur", "admin", "agent1"):
        _, tokens[who] = await repository.create(
            name=f"jeton-{who}",
            username=who,
            created_by="test",
            now=clock(),
            lifetime=timedelta(days=90),
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [answer_checker(app)]},
    ) as http:
        yield SteerRig(app, http, engine, node, control, sessions, world, clock, tokens)
    await engine.flush()
