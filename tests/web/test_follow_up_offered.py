"""A follow-up scheduled from a veille-sociale call sheet is offered again to the same
caller at its time, through the real path: the dialing engine (a fake telephony node),
the campaign's stored queue and planner, the agent's API; not before its time, and not
to another agent ready longer (an owned call-back)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.campaigns.template_files import shipped_templates
from dialer.core.attempts import AttemptKind
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.engine.engine import DialingEngine
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import enrol_register
from dialer.telephony.port import CallAnswered, CallEnded, CallJoined
from dialer.testing import Clock, FakeNode
from dialer.web.app import create_app
from tests.needs_scene import volunteer_cycle
from tests.web.conftest import log_in
from tests.web.steering_support import build_engine
from tests.web.support import SECRET_KEY, World, fast_passwords
from tests.web.test_orientation import catalog
from tests.web.typed_answers import answer_checker

pytestmark = pytest.mark.asyncio
__all__ = ["catalog"]  # the shipped veille-sociale questionnaire, by fixture name

#: Wednesday 15 July 2026, 15:00 in Paris: inside the template's calling windows
FOLLOW_UP = datetime(2026, 7, 15, 13, 0, tzinfo=UTC)


async def volunteer_campaign(sessions: SessionFactory, world: World, clock: Clock) -> int:
    """A veille-sociale campaign with the shipped template's windows and retries, its
    open two-week cycle holding the one household who agreed (Jeanne)."""
    template = shipped_templates().get("veille_sociale")
    campaign, cycle = await volunteer_cycle(
        sessions,
        "Veille sociale été",
        clock(),
        days=14,
        windows=windows_to_json(template.windows),
        policy=policy_to_json(template.policy),
    )
    await ConsentRegistry(sessions).record(
        [
            ConsentRecord(
                external_id="J1",
                agreed_by=AgreedBy.PERSON,
                relative_name=None,
                agreed_at=clock() - timedelta(days=30),
                channel=ConsentChannel.PAPER,
                regular_calls=True,
                emergency_campaigns=True,
                collected_by="CCAS",
            )
        ],
        actor="superviseur",
        now=clock(),
    )
    assert await enrol_register(sessions, cycle, due=clock()) == 1  # Robert never agreed
    return campaign


@pytest_asyncio.fixture
async def wired(
    sessions: SessionFactory, world: World, catalog: QuestionnaireCatalog, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, DialingEngine, FakeNode, int]]:
    campaign_id = await volunteer_campaign(sessions, world, clock)
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
    await control.start(campaign_id, actor="superviseur")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [answer_checker(app)]},
    ) as http:
        yield http, engine, node, campaign_id
    await engine.flush()


Post = Callable[[str, object], Awaitable[httpx.Response]]


async def follow_up_booked(
    http: httpx.AsyncClient, engine: DialingEngine, node: FakeNode, clock: Clock
) -> Post:
    """agent1 offered Jeanne, calls her, books her follow-up at :data:`FOLLOW_UP` and
    submits the sheet: ready again. Returns agent1's API poster."""
    headers = {"X-CSRF-Token": await log_in(http, "agent1")}

    async def post(url: str, body: object = None) -> httpx.Response:
        response = await http.post(url, json=body or {}, headers=headers)
        assert response.status_code == 200, (url, response.text)
        return response

    await post("/api/v1/agent/phone", None)
    await post("/api/v1/agent/ready", None)
    await engine.tick()
    attempt_id = (await post("/api/v1/agent/offer/call", None)).json()["attempt_id"]
    await engine.handle(CallAnswered(attempt_id, clock.advance(5)), node)
    await engine.handle(CallJoined(attempt_id, "pont", clock()), node)
    calls = f"/api/v1/agent/calls/{attempt_id}"
    for question, value in (
        ("nouvelles", "moyen"),
        ("isolement", "rarement"),
        ("moral", 4),
        ("danger_immediat", False),
        ("besoins", ["solitude"]),
        ("solitude_souhait", True),
    ):
        await post(f"{calls}/answers", {"question_id": question, "value": value})
    panel = await post(
        f"{calls}/follow-up", {"at": "2026-07-15T15:00", "note": "prendre des nouvelles"}
    )
    assert panel.json()["follow_up"]["due_at"] == FOLLOW_UP.isoformat()
    await engine.handle(CallEnded(attempt_id, 16, None, clock.advance(300)), node)
    done = await post(f"{calls}/sheet", {"disposition": "complete"})
    assert done.json()["wrap_up"] == "done"
    return post


@pytest.mark.parametrize("paused_meanwhile", [False, True], ids=["tie", "agent2-first"])
async def test_the_follow_up_is_offered_to_its_caller_at_its_time(
    wired: tuple[httpx.AsyncClient, DialingEngine, FakeNode, int],
    sessions: SessionFactory,
    world: World,
    clock: Clock,
    paused_meanwhile: bool,
) -> None:
    """Another agent never gets agent1's follow-up, and does not hold it back either:
    ``paused_meanwhile``, agent1 is ready again after agent2, so agent2, ready the longest,
    is asked first and can claim nobody; the round goes on to agent1 (found in the
    veille-sociale demo: follow-ups waited while other volunteers were ready longer)."""
    http, engine, node, _ = wired
    post = await follow_up_booked(http, engine, node, clock)
    if paused_meanwhile:
        await post("/api/v1/agent/pause", {"reason": "Pause"})
    await engine.log_in("agent2", "agent-1002")
    engine.go_ready("agent2")
    clock.advance(60)
    await post("/api/v1/agent/ready", None)
    await engine.tick()
    assert engine.offer_of("agent1") is None  # not before its time
    assert engine.offer_of("agent2") is None
    clock.advance((FOLLOW_UP - clock()).total_seconds() + 1)
    await engine.tick()
    offered = engine.offer_of("agent1")
    assert offered is not None
    assert engine.offer_of("agent2") is None
    attempt = await AttemptLedger(sessions).get(offered)
    assert (attempt.person_id, attempt.kind, attempt.agent) == (
        world.jeanne_id,
        AttemptKind.CALLBACK,
        "agent1",
    )
