"""A person's rights in the database: the access export holds everything about them, the
correction follows the import's rules, the erasure removes what identifies them and keeps
the bills and report totals of closed periods unchanged; each action is audited in the
same transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.register.correction import check_correction
from dialer.reports.service import ReportBuilder
from dialer.storage import SessionFactory
from dialer.storage.alert_rows import Alert
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import transaction
from dialer.storage.models import Attempt, Callback, Person, PhoneNumber
from dialer.storage.person_data import ERASED_TEXT, Actor, PersonData
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.web.reports import billing_json, figures_json
from tests.report_scene import CYCLE1_START, Scene, build_scene

NOW = CYCLE1_START + timedelta(days=10)
ADMIN = Actor("admin", "GET /api/v1/persons/1")
#: the report figures that must not move when someone is erased (the tables list names)
TOTALS = (
    "register", "dialled", "answered", "reached", "useful_contacts", "outcomes",
    "attempts_per_person", "by_hour", "dmt", "funnel", "never_reached",
)  # fmt: skip


async def _scene(sessions: SessionFactory) -> tuple[Scene, int]:
    """The report scene, and its person completed twice in cycle 1 (with sheets, an
    answer and a callback added)."""
    scene = await build_scene(sessions, people=12)
    person_id = scene.duplicate[1]
    async with transaction(sessions) as session:
        sheet = await session.scalar(
            select(CallSheet).where(CallSheet.person_id == person_id).limit(1)
        )
        assert sheet is not None
        session.add(Answer(sheet_id=sheet.id, question_id="vit_seul", value=True, answered_at=NOW))
        session.add(
            Callback(
                person_id=person_id,
                cycle_id=scene.cycle_ids[1],
                due_at=NOW,
                number="+33145678910",
                agent="agent1",
                note="rappeler sa fille",
                done=False,
                created_at=NOW,
            )
        )
    return scene, person_id


async def _figures(sessions: SessionFactory, scene: Scene, cycle: int) -> dict[str, Any]:
    report = await ReportBuilder(sessions, catalog=None).build(scene.campaign_id, cycle, now=NOW)
    figures = figures_json(report)
    return {"billing": billing_json(report), **{key: figures[key] for key in TOTALS}}


@pytest.mark.asyncio
async def test_the_export_holds_everything_about_the_person(sessions: SessionFactory) -> None:
    scene, person_id = await _scene(sessions)
    await AuditLog(sessions).record(
        actor="agent1", action="read.call", target="attempt:x", at=NOW, person_id=person_id
    )
    document = await PersonData(sessions).export(person_id, actor=ADMIN, now=NOW)
    assert document["person"]["id"] == person_id
    assert document["person"]["address"].endswith("rue des Lilas")
    assert [p["position"] for p in document["phones"]] == [0, 1]
    assert {c["cycle_id"] for c in document["cycles"]} == set(scene.cycle_ids)
    assert len(document["attempts"]) >= 2
    assert any(s["answers"] for s in document["call_sheets"])
    assert document["callbacks"][0]["note"] == "rappeler sa fille"
    assert [a["action"] for a in document["audit"]] == ["read.call"]
    [entry] = await AuditLog(sessions).search(AuditFilter(action="person.export"))
    assert (entry.person_id, entry.actor, entry.route) == (person_id, "admin", ADMIN.route)
    with pytest.raises(NotFoundError):
        await PersonData(sessions).export(10**6, actor=ADMIN, now=NOW)
    with pytest.raises(NotFoundError):
        await PersonData(sessions).export(2**64, actor=ADMIN, now=NOW)


@pytest.mark.asyncio
async def test_erasure_keeps_billing_and_report_totals_of_closed_periods(
    sessions: SessionFactory,
) -> None:
    scene, person_id = await _scene(sessions)
    async with transaction(sessions) as session:
        others = await session.scalar(
            select(Alert.person_id).where(Alert.person_id != person_id).limit(1)
        )
    assert others is not None
    before = {cycle: await _figures(sessions, scene, cycle) for cycle in (1, 2)}
    data = PersonData(sessions)
    done = await data.erase(person_id, actor=ADMIN, now=NOW)
    await data.erase(others, actor=ADMIN, now=NOW)
    assert done["phones"] == 2
    assert done["answers"] == 1
    assert done["callbacks"] == 1
    after = {cycle: await _figures(sessions, scene, cycle) for cycle in (1, 2)}
    assert after[1] == before[1]  # the closed cycle: bill and totals unchanged
    assert after[2]["billing"] == before[2]["billing"]

    async with transaction(sessions) as session:
        person = await session.get(Person, person_id)
        assert person is not None
        assert (person.last_name, person.first_name, person.address) == (ERASED_TEXT, "", None)
        assert person.external_id == f"efface:{person_id}"
        assert person.removed_at == NOW
        for model in (PhoneNumber, Callback):
            count = select(func.count()).select_from(model).where(model.person_id == person_id)
            assert await session.scalar(count) == 0
        answers = (
            select(func.count(Answer.id)).join(CallSheet).where(CallSheet.person_id == person_id)
        )
        assert await session.scalar(answers) == 0
        numbers = await session.scalars(
            select(Attempt.number).where(Attempt.person_id == person_id)
        )
        assert set(numbers) == {""}
        notes = await session.scalars(
            select(CallSheet.note).where(CallSheet.person_id == person_id)
        )
        assert set(notes) <= {""}
        messages = await session.scalars(select(Alert.message).where(Alert.person_id == others))
        assert set(messages) <= {ERASED_TEXT}
    [entry] = await AuditLog(sessions).search(
        AuditFilter(action="person.erase", person_id=person_id)
    )
    assert entry.details == done
    assert (await AuditLog(sessions).verify()).broken is None
    with pytest.raises(ConflictError, match="déjà effacée"):
        await data.erase(person_id, actor=ADMIN, now=NOW)
    with pytest.raises(ConflictError):  # nothing left to correct
        await data.correct(
            person_id, check_correction({"city": "Lyon"}, today=NOW.date()), actor=ADMIN, now=NOW
        )


@pytest.mark.asyncio
async def test_no_erasure_during_a_call(sessions: SessionFactory) -> None:
    scene, person_id = await _scene(sessions)
    async with transaction(sessions) as session:
        member = await session.scalar(
            select(CycleMember).where(
                CycleMember.person_id == person_id, CycleMember.cycle_id == scene.cycle_ids[1]
            )
        )
        assert member is not None
        member.status = MemberStatus.IN_CALL
    with pytest.raises(ConflictError, match="appel est en cours"):
        await PersonData(sessions).erase(person_id, actor=ADMIN, now=NOW)
    assert await AuditLog(sessions).search(AuditFilter(action="person.erase")) == []


@pytest.mark.asyncio
async def test_a_correction_follows_the_import_rules_and_is_audited(
    sessions: SessionFactory,
) -> None:
    _, person_id = await _scene(sessions)
    data = PersonData(sessions)
    correction = check_correction(
        {
            "last_name": "Durand",
            "birth_date": "02/09/1940",
            "postcode": "7519",
            "phones": "01 45 67 89 10, 06 12 34 56 78",
            "contact_phone": "",
        },
        today=NOW.date(),
    )
    await data.correct(person_id, correction, actor=ADMIN, now=NOW)
    document = await data.export(person_id, actor=ADMIN, now=NOW)
    person = document["person"]
    assert (person["last_name"], person["birth_date"], person["postcode"]) == (
        "Durand",
        date(1940, 9, 2).isoformat(),
        "07519",
    )
    assert [(p["e164"], p["kind"]) for p in document["phones"]] == [
        ("+33145678910", "landline"),
        ("+33612345678", "mobile"),
    ]
    # every person of the scene has +33145678910: it is shared
    assert document["phones"][0]["shared_with_other_person"] is True
    [entry] = await AuditLog(sessions).search(AuditFilter(action="person.correct"))
    assert entry.details == {
        "fields": ["last_name", "postcode", "birth_date", "contact_phone", "phones"]
    }
    assert "Durand" not in str(entry.details)  # names the fields, never the values


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "aucun champ"),
        ({"nom": "X"}, "champ « nom » : inconnu"),
        ({"last_name": ""}, "champ « last_name » : le nom est obligatoire"),
        ({"last_name": "x" * 201}, "champ « last_name » : 201 caractères, 200 au plus"),
        ({"city": "Paris\r\nX-Injected: 1"}, "champ « city » : caractères de contrôle"),
        ({"birth_date": "31/02/1940"}, "champ « birth_date » : date invalide"),
        ({"birth_date": "01/01/2999"}, "champ « birth_date » : date invalide"),
        ({"contact_phone": "12"}, "champ « contact_phone »"),
        ({"phones": ""}, "champ « phones » : au moins un numéro"),
        ({"phones": "01 45 67 89 10, abc"}, "champ « phones » (n° 2)"),
        ({"phones": ["0145678910"] * 11}, "champ « phones » : 10 numéros au plus"),
        ({"phones": 12}, "champ « phones » : une liste"),
        ({"first_name": 3}, "champ « first_name » : texte attendu"),
    ],
)
def test_a_bad_correction_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field.replace("(", r"\(").replace(")", r"\)")):
        check_correction(changes, today=date(2026, 7, 1))
