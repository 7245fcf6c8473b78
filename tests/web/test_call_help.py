"""Help during a call through the web entry points: the agent's « besoin d'aide », the
supervisors' list and acknowledgement, and a supervisor's listening (listen, whisper,
barge) to an agent's call through their own phone, with a fake telephony node. Only
supervisors acknowledge and listen; everything is audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from starlette.applications import Starlette

from dialer.core.call_help import SpyMode
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.desk.call_help import CallHelp
from dialer.errors import TelephonyError
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_help import CallSupervision
from dialer.storage.database import transaction
from dialer.telephony.port import SpyEnded
from dialer.testing import Clock
from dialer.web.call_help import configure_call_help
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, FakeDesk, World, fast_passwords, place_call
from tests.web.transfer_support import RefusingAudit

pytestmark = pytest.mark.asyncio

SUPERVISOR_PHONE = "sup-2001"


class FakeSupervisionNode:
    """The node's supervision part: records the listenings asked, ends them on demand."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.spied: list[tuple[str, str, str, SpyMode]] = []
        self.hung_up: list[str] = []
        self.followed: set[str] = set()
        self.answers = True
        #: the agents' legs on a call (in a bridge)
        self.bridged = {"leg-agent1"}
        self._ends: asyncio.Queue[SpyEnded] = asyncio.Queue()

    async def spy_on(self, spy_id: str, endpoint: str, leg_id: str, mode: SpyMode) -> None:
        if not self.answers:
            raise TelephonyError(f"phone {endpoint} did not answer (reason 1)")
        self.spied.append((spy_id, endpoint, leg_id, mode))

    async def hang_up(self, channel_id: str) -> None:
        self.hung_up.append(channel_id)
        self.end(channel_id)

    async def bridged_channels(self) -> set[str]:
        return self.bridged

    def follow_spies(self, spy_ids: set[str]) -> None:
        self.followed |= spy_ids

    async def next_spy_end(self) -> SpyEnded:
        return await self._ends.get()

    def end(self, spy_id: str) -> None:
        self._ends.put_nowait(SpyEnded(spy_id, self.clock()))


@pytest_asyncio.fixture
async def node(
    app: Starlette, sessions: SessionFactory, desk: FakeDesk, clock: Clock
) -> AsyncIterator[FakeSupervisionNode]:
    fake = FakeSupervisionNode(clock)
    service = CallHelp(sessions, desk=desk, port=fake, clock=clock, watch_s=0.01)
    configure_call_help(app, service)
    await service.start()
    await create_account(
        sessions,
        "superviseur.tel",
        PASSWORD,
        Role.SUPERVISOR,
        sip_endpoint=SUPERVISOR_PHONE,
        passwords=fast_passwords(),
    )
    yield fake
    await service.stop()


async def on_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> tuple[str, str]:
    """agent1 logged in, on a call with Jeanne: (the agent's CSRF token, the attempt)."""
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/agent/phone", headers=headers)
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    desk.reserve("agent1", attempt_id)
    desk.join("agent1")
    return csrf, attempt_id


async def audit_of(sessions: SessionFactory, action: str) -> list[dict[str, object]]:
    entries = await AuditLog(sessions).search(AuditFilter(action=action))
    return [
        {"actor": e.actor, "target": e.target, "person_id": e.person_id, **e.details}
        for e in entries
    ]


async def test_an_agent_raises_help_and_a_supervisor_acknowledges_it(
    client: httpx.AsyncClient,
    app: Starlette,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
) -> None:
    csrf = await log_in(client, "agent1")
    headers = {"X-CSRF-Token": csrf}
    assert 'id="besoin-aide"' in (await client.get("/agent")).text
    await client.post("/api/v1/agent/phone", headers=headers)
    refused = await client.post("/api/v1/agent/help", headers=headers)
    assert refused.status_code == 409
    assert "pas en appel" in refused.json()["erreur"]
    await client.post("/api/v1/agent/ready", headers=headers)
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    desk.reserve("agent1", attempt_id)
    desk.join("agent1")
    clock.advance(30)
    raised = await client.post("/api/v1/agent/help", headers=headers)
    assert raised.status_code == 201, raised.text
    assert raised.json()["message"] == "Demande d'aide envoyée aux superviseurs."
    again = await client.post("/api/v1/agent/help", headers=headers)
    assert again.status_code == 200
    assert again.json()["new"] is False
    assert again.json()["request"]["id"] == raised.json()["request"]["id"]
    # the agent may neither read the list nor acknowledge
    assert (await client.get("/api/v1/help-requests")).status_code == 403
    request_id = raised.json()["request"]["id"]
    forbidden = await client.post(
        f"/api/v1/help-requests/{request_id}/acknowledge", headers=headers
    )
    assert forbidden.status_code == 403

    # an administrator sees it (a viewer) but may not acknowledge
    client.cookies.clear()
    admin_csrf = await log_in(client, "admin")
    listed = (await client.get("/api/v1/help-requests")).json()["requests"]
    assert [(r["agent"], r["person"], r["attempt_id"]) for r in listed] == [
        ("agent1", "Jeanne Dupont", attempt_id)
    ]
    assert listed[0]["call_ended"] is None
    assert datetime.fromisoformat(listed[0]["raised_at"]) == clock()
    assert datetime.fromisoformat(listed[0]["call_since"]) <= clock() - timedelta(seconds=30)
    assert 'id="form-ecoute"' not in (await client.get("/tableau-de-bord")).text
    not_admin = await client.post(
        f"/api/v1/help-requests/{request_id}/acknowledge", headers={"X-CSRF-Token": admin_csrf}
    )
    assert not_admin.status_code == 403

    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur")}
    page = await client.get("/tableau-de-bord")
    assert "Demandes d'aide des agents" in page.text
    assert 'data-prise-en-charge="oui"' in page.text
    assert 'id="form-ecoute"' in page.text
    assert "Rejoindre l'appel" in page.text
    done = await client.post(f"/api/v1/help-requests/{request_id}/acknowledge", headers=sup)
    assert done.status_code == 200, done.text
    twice = await client.post(f"/api/v1/help-requests/{request_id}/acknowledge", headers=sup)
    assert twice.status_code == 409
    assert "déjà prise en charge par superviseur" in twice.json()["erreur"]
    missing = await client.post("/api/v1/help-requests/999/acknowledge", headers=sup)
    assert missing.status_code == 404
    assert (await client.get("/api/v1/help-requests")).json()["requests"] == []

    assert await audit_of(sessions, "call.help_raised") == [
        {
            "actor": "agent1",
            "target": f"attempt:{attempt_id}",
            "person_id": world.jeanne_id,
            "request": request_id,
            "state": "on_call",
        }
    ]
    assert await audit_of(sessions, "call.help_acknowledged") == [
        {
            "actor": "superviseur",
            "target": f"attempt:{attempt_id}",
            "person_id": world.jeanne_id,
            "request": request_id,
            "agent": "agent1",
        }
    ]


async def test_help_can_be_raised_right_after_the_call_during_the_wrap_up(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    csrf, attempt_id = await on_call(client, sessions, world, desk, clock)
    await desk.end_call("agent1")
    raised = await client.post("/api/v1/agent/help", headers={"X-CSRF-Token": csrf})
    assert raised.status_code == 201
    assert raised.json()["request"]["attempt_id"] == attempt_id
    client.cookies.clear()
    await log_in(client, "superviseur")
    listed = (await client.get("/api/v1/help-requests")).json()["requests"]
    assert [(r["agent"], r["attempt_id"]) for r in listed] == [("agent1", attempt_id)]


async def test_a_supervisor_listens_whispers_and_barges_and_each_use_is_audited(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: FakeSupervisionNode,
) -> None:
    agent_csrf, attempt_id = await on_call(client, sessions, world, desk, clock)
    # an agent may not listen to a colleague
    refused = await client.post(
        "/api/v1/agents/agent1/listening",
        json={"mode": "listen"},
        headers={"X-CSRF-Token": agent_csrf},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    no_phone = {"X-CSRF-Token": await log_in(client, "superviseur")}
    without = await client.post(
        "/api/v1/agents/agent1/listening", json={"mode": "listen"}, headers=no_phone
    )
    assert without.status_code == 409
    assert "Aucun compte SIP" in without.json()["erreur"]

    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur.tel")}
    bad = await client.post("/api/v1/agents/agent1/listening", json={"mode": "spy"}, headers=sup)
    assert bad.status_code == 422
    assert "« mode »" in bad.json()["erreur"]
    idle = await client.post(
        "/api/v1/agents/agent2/listening", json={"mode": "listen"}, headers=sup
    )
    assert idle.status_code == 409
    assert node.spied == []

    channels = []
    for mode in ("listen", "whisper", "barge"):
        started = await client.post(
            "/api/v1/agents/agent1/listening", json={"mode": mode}, headers=sup
        )
        assert started.status_code == 201, started.text
        assert started.json()["attempt_id"] == attempt_id
        channels.append(started.json()["channel"])
        clock.advance(12)
        node.end(started.json()["channel"])  # the supervisor hangs up after 12 s
    assert [(endpoint, leg, mode.value) for _, endpoint, leg, mode in node.spied] == [
        (SUPERVISOR_PHONE, "leg-agent1", "listen"),
        (SUPERVISOR_PHONE, "leg-agent1", "whisper"),
        (SUPERVISOR_PHONE, "leg-agent1", "barge"),
    ]
    for _ in range(100):
        if len(await audit_of(sessions, "call.spy_end")) == 3:
            break
        await asyncio.sleep(0.01)
    starts = await audit_of(sessions, "call.spy_start")
    ends = await audit_of(sessions, "call.spy_end")
    assert {(e["actor"], e["target"], e["mode"], e["channel"]) for e in starts} == {
        ("superviseur.tel", f"attempt:{attempt_id}", mode, channel)
        for mode, channel in zip(("listen", "whisper", "barge"), channels, strict=True)
    }
    assert sorted((e["channel"], e["seconds"]) for e in ends) == sorted(
        (channel, 12) for channel in channels
    )
    async with transaction(sessions) as session:
        rows = list(await session.scalars(select(CallSupervision)))
    assert all(r.ended_at is not None and r.failure is None for r in rows)
    assert all(r.supervisor == "superviseur.tel" and r.agent == "agent1" for r in rows)


async def test_a_listening_ends_with_the_agents_call_and_an_unanswered_phone_is_refused(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: FakeSupervisionNode,
) -> None:
    await on_call(client, sessions, world, desk, clock)
    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur.tel")}
    started = await client.post(
        "/api/v1/agents/agent1/listening", json={"mode": "listen"}, headers=sup
    )
    channel = started.json()["channel"]
    await desk.end_call("agent1")  # the person hangs up: the supervisor's phone too
    for _ in range(200):
        if node.hung_up:
            break
        await asyncio.sleep(0.01)
    assert node.hung_up == [channel]
    assert len(await audit_of(sessions, "call.spy_end")) <= 1


async def test_a_barge_ends_when_the_agents_leg_leaves_the_call_s_bridge(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: FakeSupervisionNode,
) -> None:
    """The person hung up but Asterisk keeps their channel while the supervisor barges
    (the engine hears no end, the seat stays on the call): the agent's leg out of the
    bridge is enough to end the listening."""
    await on_call(client, sessions, world, desk, clock)
    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur.tel")}
    started = await client.post(
        "/api/v1/agents/agent1/listening", json={"mode": "barge"}, headers=sup
    )
    await asyncio.sleep(0.05)
    assert node.hung_up == []  # still on the call, in the bridge
    node.bridged.clear()
    for _ in range(200):
        if node.hung_up:
            break
        await asyncio.sleep(0.01)
    assert node.hung_up == [started.json()["channel"]]
    assert desk.seats.get("agent1").state.value == "on_call"


async def test_a_supervisor_phone_that_does_not_answer_is_refused_and_recorded(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: FakeSupervisionNode,
) -> None:
    await on_call(client, sessions, world, desk, clock)
    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur.tel")}
    node.answers = False
    refused = await client.post(
        "/api/v1/agents/agent1/listening", json={"mode": "barge"}, headers=sup
    )
    assert refused.status_code == 409
    assert "n'a pas répondu" in refused.json()["erreur"]
    async with transaction(sessions) as session:
        row = (await session.scalars(select(CallSupervision))).one()
    assert row.failure == "votre téléphone n'a pas répondu"
    assert row.ended_at is not None
    assert await audit_of(sessions, "call.spy_start") == []


async def test_a_listening_whose_audit_is_refused_does_not_go_on(
    app: Starlette,
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    node: FakeSupervisionNode,
) -> None:
    await on_call(client, sessions, world, desk, clock)
    client.cookies.clear()
    sup = {"X-CSRF-Token": await log_in(client, "superviseur.tel")}
    app.state.call_help._audit = RefusingAudit()
    refused = await client.post(
        "/api/v1/agents/agent1/listening", json={"mode": "listen"}, headers=sup
    )
    assert refused.status_code >= 500, refused.text
    [(spy_id, *_)] = node.spied
    assert node.hung_up == [spy_id]  # the supervisor's phone, unaudited, is hung up
    async with transaction(sessions) as session:
        row = (await session.scalars(select(CallSupervision))).one()
    assert row.failure == "journal d'audit indisponible"
