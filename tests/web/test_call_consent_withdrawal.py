"""The household's withdrawal of its consent from the caller's screen, through the API
and the agent page: on their own veille-sociale call a trained volunteer records who
asked and what is withdrawn, after a confirmation; the same storage as the other
withdrawals (audited ``consent.withdrawn``), the household's follow-up call-back is
cancelled, no opposition is recorded, and the emergency consent stays unless withdrawn
too. Only on the caller's current call or its wrap-up: another caller's call, or one the
caller made earlier, is "no such call" (404, as the sheet). Bad input is refused naming
the field (nothing written); a supervisor or a request without CSRF get 403; an emergency
campaign's call 409. Once withdrawn, the same call books no follow-up, records no
orientation and gives no call-back (422 naming the field); the sheet is submitted with
another disposition."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.models import Callback, Person
from dialer.storage.orientation_rows import OrientationRow
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, FakeDesk, World, fast_passwords, place_call
from tests.web.test_agent_api import Agent, agent_on_call
from tests.web.test_orientation import catalog, volunteer_world

pytestmark = pytest.mark.asyncio
__all__ = ["catalog"]
ANA = "benevole.ana"


async def _consenting(sessions: SessionFactory, world: World, clock: Clock) -> str:
    return await volunteer_and_consent(sessions, world.jeanne_id, clock())


async def volunteer_and_consent(sessions: SessionFactory, person_id: int, now: datetime) -> str:
    """Ana, a trained volunteer; the person agreed to both purposes: their register id."""
    await create_account(
        sessions, ANA, PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
        passwords=fast_passwords(),
    )  # fmt: skip
    await VolunteerRoster(sessions).train(
        ANA, trained_by="superviseur", trained_on=date(2026, 1, 5), actor="t", now=now
    )
    async with transaction(sessions) as session:
        person = await session.get(Person, person_id)
        assert person is not None
        external_id = person.external_id
    await ConsentRegistry(sessions).record(
        [ConsentRecord(external_id, AgreedBy.PERSON, None, now - timedelta(days=30),
                       ConsentChannel.PAPER, True, True, "CCAS")],
        actor="t", now=now - timedelta(days=29),
    )  # fmt: skip
    return external_id


async def _ana_on_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> tuple[str, Agent, str, World]:
    """Ana on a call to Jeanne (who agreed) in a veille-sociale campaign: Jeanne's register
    id, Ana's client, the call, the world of that campaign."""
    external_id = await _consenting(sessions, world, clock)
    veille = await volunteer_world(sessions, world)
    me, attempt_id = await agent_on_call(client, sessions, veille, desk, clock, agent=ANA)
    return external_id, me, attempt_id, veille


async def _pending_callbacks(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Callback).where(Callback.done.is_(False))
            )
            or 0
        )


async def test_a_volunteer_withdraws_the_regular_calls_on_their_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    external_id, me, attempt_id, _ = await _ana_on_call(client, sessions, world, desk, clock)
    page = await client.get("/agent")
    assert 'id="retrait-accord"' in page.text
    assert '<script src="/static/consent_withdrawal.js"></script>' in page.text
    assert (await client.get("/static/consent_withdrawal.js")).status_code == 200
    at = (clock() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    follow_up = await me.post(f"/api/v1/agent/calls/{attempt_id}/follow-up", {"at": at})
    assert follow_up.status_code == 200, follow_up.text
    assert await _pending_callbacks(sessions) == 1

    url = f"/api/v1/agent/calls/{attempt_id}/consent/withdraw"
    for body, field in (
        ({"confirmed": True}, "on_behalf_of"),
        ({"on_behalf_of": "voisin", "confirmed": True}, "on_behalf_of"),
        ({"on_behalf_of": "person"}, "confirmed"),
        ({"on_behalf_of": "person", "confirmed": True, "regular_calls": False}, "regular_calls"),
        ({"on_behalf_of": "person", "confirmed": True, "en_plus": 1}, "en_plus"),
    ):
        bad = await me.post(url, body)
        assert bad.status_code == 422, body
        assert field in bad.json()["erreur"], bad.text
    no_csrf = await client.post(url, json={"on_behalf_of": "person", "confirmed": True})
    assert no_csrf.status_code == 403
    history = await ConsentRegistry(sessions).history(external_id)
    assert [row.withdrawn_at for row in history] == [None]  # nothing written

    done = await me.post(url, {"on_behalf_of": "relative", "confirmed": True})
    assert done.status_code == 200, done.text
    assert done.json() == {"changed": True, "regular_calls": False, "emergency_campaigns": True}
    again = await me.post(url, {"on_behalf_of": "relative", "confirmed": True})
    assert again.json()["changed"] is False
    assert await _pending_callbacks(sessions) == 0  # the follow-up is cancelled
    async with transaction(sessions) as session:
        assert not await session.scalar(select(func.count()).select_from(PersonHold))
        rows = list(await session.scalars(select(ConsentRow).order_by(ConsentRow.id)))
    withdrawn, kept = rows
    assert (withdrawn.withdrawal_channel, withdrawn.withdrawn_on_behalf_of) == (
        ConsentChannel.PHONE,
        AgreedBy.RELATIVE,
    )
    assert withdrawn.withdrawal_recorded_by == ANA
    assert (kept.withdrawn_at, kept.regular_calls, kept.emergency_campaigns) == (None, False, True)
    entries = await AuditLog(sessions).search(AuditFilter(action="consent.withdrawn"))
    assert [(e.actor, e.details["stopped"]) for e in entries] == [(ANA, ["regular_calls"])]

    both = await me.post(
        url, {"on_behalf_of": "person", "confirmed": True, "emergency_campaigns": True}
    )
    assert both.json() == {"changed": True, "regular_calls": False, "emergency_campaigns": False}


async def test_only_the_calls_own_caller_withdraws(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await _consenting(sessions, world, clock)
    veille = await volunteer_world(sessions, world)
    _, attempt_id = await agent_on_call(client, sessions, veille, desk, clock, agent=ANA)
    url = f"/api/v1/agent/calls/{attempt_id}/consent/withdraw"
    body = {"on_behalf_of": "person", "confirmed": True}
    await client.post("/deconnexion")
    for name, status in (("agent1", 404), ("superviseur", 403), ("admin", 403)):
        csrf = await log_in(client, name)
        refused = await client.post(url, json=body, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == status, name  # another agent: "no such call", as the sheet
        await client.post("/deconnexion")
    csrf = await log_in(client, "agent1")
    unknown = await client.post(
        "/api/v1/agent/calls/inconnu/consent/withdraw", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert unknown.status_code == 404
    history = await ConsentRegistry(sessions).history((await _jeanne(sessions, world)).external_id)
    assert [row.withdrawn_at for row in history] == [None]


async def test_an_emergency_campaigns_call_has_no_withdrawal(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    await _consenting(sessions, world, clock)
    me, attempt_id = await agent_on_call(client, sessions, world, desk, clock)
    refused = await me.post(
        f"/api/v1/agent/calls/{attempt_id}/consent/withdraw",
        {"on_behalf_of": "person", "confirmed": True},
    )
    assert refused.status_code == 409
    assert "veille sociale" in refused.json()["erreur"]


async def _jeanne(sessions: SessionFactory, world: World) -> Person:
    async with transaction(sessions) as session:
        person = await session.get(Person, world.jeanne_id)
        assert person is not None
        return person


async def test_withdrawn_on_the_wrap_up_but_not_after_it(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    external_id, me, attempt_id, _ = await _ana_on_call(client, sessions, world, desk, clock)
    url = f"/api/v1/agent/calls/{attempt_id}/consent/withdraw"
    desk.end(ANA)  # the household hung up: the wrap-up
    done = await me.post(url, {"on_behalf_of": "person", "confirmed": True})
    assert done.status_code == 200, done.text
    assert done.json()["regular_calls"] is False
    await desk.finish_wrap_up(ANA)  # the call is over: an old call of hers now
    late = await me.post(
        url, {"on_behalf_of": "person", "confirmed": True, "emergency_campaigns": True}
    )
    assert late.status_code == 404, late.text
    history = await ConsentRegistry(sessions).history(external_id)
    assert sorted(row.withdrawn_at is None for row in history) == [False, True]  # emergency kept


async def test_an_earlier_call_is_refused(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    external_id, me, old_call, veille = await _ana_on_call(client, sessions, world, desk, clock)
    desk.end(ANA)
    await desk.finish_wrap_up(ANA)  # ready again
    new_call = await place_call(
        sessions, veille, person_id=world.bob_id, now=clock(), number="+33145678911"
    )
    desk.reserve(ANA, new_call)
    desk.join(ANA)
    body = {"on_behalf_of": "person", "confirmed": True}
    refused = await me.post(f"/api/v1/agent/calls/{old_call}/consent/withdraw", body)
    assert refused.status_code == 404, refused.text
    assert "appel en cours" in refused.json()["erreur"]
    history = await ConsentRegistry(sessions).history(external_id)
    assert [row.withdrawn_at for row in history] == [None]


@pytest.mark.parametrize("by", ["caller", "supervisor"])
async def test_after_the_withdrawal_the_call_books_nothing(
    client: httpx.AsyncClient,
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    clock: Clock,
    by: str,
) -> None:
    external_id, me, attempt_id, _ = await _ana_on_call(client, sessions, world, desk, clock)
    at = (clock() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    calls = f"/api/v1/agent/calls/{attempt_id}"
    if by == "caller":
        done = await me.post(
            f"{calls}/consent/withdraw", {"on_behalf_of": "person", "confirmed": True}
        )
        assert done.status_code == 200, done.text
    else:  # a supervisor, during the call (the household phoned the city)
        await ConsentRegistry(sessions).withdraw(
            [WithdrawalRequest(external_id, AgreedBy.PERSON, ConsentChannel.PHONE)],
            actor="superviseur", now=clock(),
        )  # fmt: skip
    for path, body, field in (
        ("follow-up", {"at": at, "note": "rappeler pour son dossier RSA"}, "« at »"),
        ("orientations", {"resource_id": 1, "mode": "information"}, "« resource_id »"),
        ("sheet", {"disposition": "callback", "callback_at": at}, "« disposition »"),
    ):
        refused = await me.post(f"{calls}/{path}", body)
        assert refused.status_code == 422, (path, refused.text)
        assert field in refused.json()["erreur"], refused.text
        assert "retiré son accord" in refused.json()["erreur"]
    assert await _pending_callbacks(sessions) == 0
    async with transaction(sessions) as session:
        assert not await session.scalar(select(func.count()).select_from(OrientationRow))
    submitted = await me.post(f"{calls}/sheet", {"disposition": "interrupted"})
    assert submitted.status_code == 200, submitted.text
