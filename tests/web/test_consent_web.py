"""A household's consent to the volunteer calls through the REST API and the supervisor's
page: read and withdrawn by supervisors and administrators only, bad input named, the
withdrawal audited and kept as history, the household never planned again by a
veille-sociale cycle, and what was collected purged after the retention."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from dialer.core.attempts import AttemptKind, AttemptState
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.retention import DataKind, RetentionPolicy
from dialer.retention.purge import RetentionPurge
from dialer.storage import CycleRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt
from dialer.storage.schedule import CycleSchedule, enrol_register
from tests.stored import volunteer_campaign
from tests.web.conftest import log_in
from tests.web.support import T0, World

URL = "/api/v1/people/J1/consent"
PAGE = "/supervision/consentement"


async def _consent(sessions: SessionFactory, key: str) -> None:
    await ConsentRegistry(sessions).record(
        [
            ConsentRecord(
                external_id=key,
                agreed_by=AgreedBy.RELATIVE,
                relative_name="Paul Dupont (fils)",
                agreed_at=T0 - timedelta(days=10),
                channel=ConsentChannel.IN_PERSON,
                regular_calls=True,
                emergency_campaigns=True,
                collected_by="Centre social Nord",
            )
        ],
        actor="cli:ville",
        now=T0 - timedelta(days=9),
    )


async def _sheet(sessions: SessionFactory, cycle_id: int, person_id: int, key: str) -> None:
    """A call sheet with an answer and a note, as a volunteer's call leaves them."""
    async with transaction(sessions) as session:
        session.add(
            Attempt(
                id=key,
                cycle_id=cycle_id,
                person_id=person_id,
                number="+33145678910",
                kind=AttemptKind.PREVIEW,
                state=AttemptState.ENDED,
                planned_for=T0,
            )
        )
        await session.flush()
        sheet = CallSheet(
            attempt_id=key,
            person_id=person_id,
            cycle_id=cycle_id,
            agent="benevole",
            questionnaire_id="veille_sociale",
            questionnaire_version=1,
            note="vit seule, fin de droits",
            opened_at=T0,
            updated_at=T0,
        )
        session.add(sheet)
        await session.flush()
        session.add(Answer(sheet_id=sheet.id, question_id="moral", value=3, answered_at=T0))


async def _kept(sessions: SessionFactory, person_id: int) -> tuple[int, list[str]]:
    async with transaction(sessions) as session:
        sheets = list(
            await session.scalars(select(CallSheet).where(CallSheet.person_id == person_id))
        )
        answers = await session.scalar(
            select(func.count(Answer.id)).where(Answer.sheet_id.in_([s.id for s in sheets]))
        )
    return int(answers or 0), [sheet.note for sheet in sheets]


async def _volunteer_cycle(sessions: SessionFactory) -> int:
    campaign_id = await volunteer_campaign(sessions, T0)
    cycle = await CycleRepository(sessions).open(
        campaign_id, started_at=T0, deadline=T0 + timedelta(days=7)
    )
    return cycle.id


@pytest.mark.asyncio
async def test_only_supervisors_and_administrators_see_and_withdraw(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.post(URL + "/withdraw", json={"channel": "phone"})).status_code == 401
    for username in ("agent1", "membre.nord"):
        csrf = await log_in(client, username)
        headers = {"X-CSRF-Token": csrf}
        assert (await client.get(URL)).status_code == 403
        refused = await client.post(URL + "/withdraw", json={"channel": "phone"}, headers=headers)
        assert refused.status_code == 403
        assert (await client.get(PAGE, params={"identifiant": "J1"})).status_code == 403
        await client.post("/deconnexion")


@pytest.mark.asyncio
async def test_a_withdrawal_from_the_api_stops_every_further_call(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await _consent(sessions, "J1")
    await _consent(sessions, "B2")
    cycle_id = await _volunteer_cycle(sessions)
    assert await enrol_register(sessions, cycle_id, due=T0) == 2
    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}

    state = (await client.get(URL)).json()
    assert (state["regular_calls"], state["emergency_campaigns"]) == (True, True)
    assert state["consents"][0]["relative_name"] == "Paul Dupont (fils)"
    assert state["consents"][0]["collected_by"] == "Centre social Nord"

    assert (await client.post(URL + "/withdraw", json={"channel": "phone"})).status_code == 403
    missing = await client.post(URL + "/withdraw", json={}, headers=headers)
    assert missing.status_code == 422
    assert "channel" in missing.json()["erreur"]
    wrong = await client.post(URL + "/withdraw", json={"channel": "pigeon"}, headers=headers)
    assert wrong.status_code == 422
    assert "channel" in wrong.json()["erreur"]
    unknown = await client.post(
        "/api/v1/people/NOBODY/consent/withdraw", json={"channel": "phone"}, headers=headers
    )
    assert unknown.status_code == 404
    too_long = await client.get(f"/api/v1/people/{'X' * 101}/consent")
    assert too_long.status_code == 422

    body = {"channel": "phone", "on_behalf_of": "relative"}
    done = await client.post(URL + "/withdraw", json=body, headers=headers)
    assert done.status_code == 200, done.text
    state = done.json()
    assert (state["changed"], state["regular_calls"], state["emergency_campaigns"]) == (
        True,
        False,
        False,
    )
    withdrawn = state["consents"][0]
    assert withdrawn["withdrawal_channel"] == "phone"
    assert withdrawn["withdrawn_on_behalf_of"] == "relative"
    assert withdrawn["withdrawal_recorded_by"].endswith("superviseur")
    again = await client.post(URL + "/withdraw", json=body, headers=headers)
    assert again.json()["changed"] is False  # idempotent

    # the volunteer's queue now offers Robert only, Jeanne never again
    schedule = CycleSchedule(sessions)
    taken = await schedule.take_due(cycle_id, 10, now=T0, planned_ids=["v1", "v2", "v3"])
    assert [a.person_id for a in taken] == [world.bob_id]
    assert await schedule.due_count(cycle_id, T0 + timedelta(days=1)) == 0
    entries = await AuditLog(sessions).search(AuditFilter(person_id=world.jeanne_id))
    assert [e.action for e in reversed(entries)] == ["consent.recorded", "consent.withdrawn"]
    assert entries[0].details["stopped"] == ["emergency_campaigns", "regular_calls"]

    await _sheet(sessions, cycle_id, world.jeanne_id, "sheet-jeanne")
    await _sheet(sessions, cycle_id, world.bob_id, "sheet-bob")
    # after the retention, the purge empties what the volunteer calls collected about her,
    # and keeps the consent as proof
    policy = RetentionPolicy(12, 24, 6, 24, 12, timedelta(hours=12), withdrawn_consent_months=3)
    purge = RetentionPurge(sessions, policy, session_idle=timedelta(minutes=30))
    soon = await purge.preview(T0 + timedelta(days=30))
    assert soon.counts[DataKind.WITHDRAWN_CONSENT] == 0
    later = T0 + timedelta(days=100)
    assert (await purge.preview(later)).counts[DataKind.WITHDRAWN_CONSENT] == 1
    report = await purge.run(later, actor="test")
    assert report.counts[DataKind.WITHDRAWN_CONSENT] == 1
    assert (await purge.preview(later)).counts[DataKind.WITHDRAWN_CONSENT] == 0
    assert await _kept(sessions, world.jeanne_id) == (0, [""])
    assert await _kept(sessions, world.bob_id) == (1, ["vit seule, fin de droits"])
    history = await ConsentRegistry(sessions).history("J1")
    assert history[0].purged_at == later
    assert history[0].collected_by == "Centre social Nord"


@pytest.mark.asyncio
async def test_a_supervisor_withdraws_a_consent_on_the_page(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World
) -> None:
    await _consent(sessions, "J1")
    csrf = await log_in(client, "superviseur")
    unknown = await client.get(PAGE, params={"identifiant": "PERSONNE"})
    assert unknown.status_code == 404
    assert "personne inconnue" in unknown.text
    none = await client.get(PAGE, params={"identifiant": "B2"})
    assert "Aucun accord enregistré" in none.text
    await _consent(sessions, "B2")
    cycle_id = await _volunteer_cycle(sessions)
    assert await enrol_register(sessions, cycle_id, due=T0) == 2
    page = await client.get(PAGE, params={"identifiant": "J1"})
    assert page.status_code == 200
    assert "appels réguliers acceptés" in page.text
    assert "Centre social Nord" in page.text
    assert "Paul Dupont (fils)" in page.text

    form = {"csrf": csrf, "identifiant": "J1", "demandeur": "person", "canal": "paper"}
    bad = await client.post(PAGE + "/retrait", data={**form, "demandeur": "voisin"})
    assert bad.status_code == 422
    assert "demandeur" in bad.text
    bad = await client.post(PAGE + "/retrait", data={**form, "canal": "fax"})
    assert bad.status_code == 422
    assert "canal" in bad.text
    forged = await client.post(PAGE + "/retrait", data={**form, "csrf": "faux"})
    assert forged.status_code == 403
    done = await client.post(PAGE + "/retrait", data=form)
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "Accord retiré" in shown.text
    assert "pas d'accord valide aux appels réguliers" in shown.text
    assert "sur papier" in shown.text
    # every further call stops: the volunteers' queue offers Robert only
    taken = await CycleSchedule(sessions).take_due(
        cycle_id, 10, now=T0 + timedelta(seconds=1), planned_ids=["p1", "p2", "p3"]
    )
    assert [a.person_id for a in taken] == [world.bob_id]
    entries = await AuditLog(sessions).search(AuditFilter(person_id=world.jeanne_id))
    assert [(e.actor, e.action) for e in reversed(entries)] == [
        ("cli:ville", "consent.recorded"),
        ("superviseur", "consent.withdrawn"),
    ]
