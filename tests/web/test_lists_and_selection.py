"""Issue 17, lists and selection through the HTTP API, on SQLite and PostgreSQL: the lists
with their counts, a person put on and withdrawn from a named list (one person on two
lists), a selection counted before the start and stored on the campaign; who may (401,
403), a running campaign's selection refused (409), every bad value a 422 naming the field
with nothing written (a huge list name, 10,000 districts, an unknown flag or list)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.storage import (
    CycleRepository,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.schedule import enrol_register
from dialer.storage.selection import campaign_selection
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.stored import person_by_external_id, volunteer_campaign
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

pytestmark = pytest.mark.asyncio
__all__ = ["steer"]

FORM: dict[str, Any] = {
    "last_name": "Lemoine",
    "birth_date": "14/03/1941",
    "postcode": "75011",
    "district": "Nord",
    "phones": ["01 45 67 89 11"],
    "medical": "oxygène",
}
ONE = "/api/v1/people/INSCR-1"
COUNT = "/api/v1/selection/count"


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


def selection_path(steer: SteerRig) -> str:
    return f"/api/v1/campaigns/{steer.world.campaign_id}/selection"


async def lists(steer: SteerRig) -> dict[str, int]:
    response = await steer.http.get("/api/v1/lists", headers=steer.auth("superviseur"))
    assert response.status_code == 200, response.text
    return {row["name"]: row["people"] for row in response.json()["lists"]}


async def count(steer: SteerRig, selection: dict[str, Any]) -> int:
    response = await steer.http.post(
        COUNT, json={"selection": selection}, headers=steer.auth("superviseur")
    )
    assert response.status_code == 200, response.text
    found: int = response.json()["count"]
    return found


async def test_a_person_on_two_lists_is_one_person_and_counted_once(steer: SteerRig) -> None:
    before = await lists(steer)
    auth = steer.auth("superviseur")
    added = await steer.http.put(ONE + "?list=isolés", json=FORM, headers=auth)
    assert added.status_code == 201, added.text
    also = await steer.http.put(ONE + "?list=crue Nord", json=FORM, headers=auth)
    assert also.status_code == 200, also.text
    assert (also.json()["change"], also.json()["fields"]) == ("updated", ["lists"])
    again = await steer.http.put(ONE + "?list=crue Nord", json=FORM, headers=auth)
    assert again.json()["change"] == "unchanged"
    assert await lists(steer) == before | {"isolés": 1, "crue Nord": 1}
    assert await count(steer, {"lists": ["isolés", "crue Nord"]}) == 1
    assert await count(steer, {"lists": ["isolés"], "min_age": 65, "flags": ["medical"]}) == 1
    assert await count(steer, {"lists": ["isolés"], "min_age": 90}) == 0
    assert await count(steer, {"lists": ["isolés"], "postcodes": ["75004"]}) == 0

    # off one list: still on the register; off the last one: withdrawn
    left = await steer.http.delete(ONE + "?list=isolés", headers=auth)
    assert (left.status_code, left.json()["changed"]) == (200, True)
    stored = await person_by_external_id(steer.sessions, "INSCR-1")
    assert stored is not None
    assert stored.removed_at is None
    assert await count(steer, {"lists": ["isolés", "crue Nord"]}) == 1
    last = await steer.http.delete(ONE + "?list=crue Nord", headers=auth)
    assert last.status_code == 200, last.text
    stored = await person_by_external_id(steer.sessions, "INSCR-1")
    assert stored is not None
    assert stored.removed_at is not None
    assert await count(steer, {"lists": ["isolés", "crue Nord"]}) == 0
    unknown = await steer.http.delete(ONE + "?list=nulle part", headers=auth)
    assert unknown.status_code == 422
    assert "list" in unknown.json()["erreur"].lower()


async def test_a_campaigns_selection_is_stored_with_its_count_and_enrols_the_cycle(
    steer: SteerRig,
) -> None:
    auth = steer.auth("superviseur")
    everyone = await count(steer, {})
    assert everyone > 0
    shown = await steer.http.get(selection_path(steer), headers=auth)
    assert shown.status_code == 200, shown.text
    assert shown.json()["count"] == everyone
    await steer.http.put(ONE + "?list=isolés", json=FORM, headers=auth)
    chosen = await steer.http.put(
        selection_path(steer), json={"selection": {"lists": ["isolés"]}}, headers=auth
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["count"] == 1
    stored = await campaign_selection(steer.sessions, steer.world.campaign_id)
    assert stored.lists == ("isolés",)
    # running: its cycle has enrolled already
    await steer.control.stop(steer.world.campaign_id, actor="superviseur")
    await steer.control.start(steer.world.campaign_id, actor="superviseur")
    refused = await steer.http.put(
        selection_path(steer), json={"selection": {"lists": []}}, headers=auth
    )
    assert refused.status_code == 409, refused.text
    stored = await campaign_selection(steer.sessions, steer.world.campaign_id)
    assert stored.lists == ("isolés",)


async def test_who_may_count_and_choose(steer: SteerRig) -> None:
    body: dict[str, Any] = {"selection": {}}
    assert (await steer.http.post(COUNT, json=body)).status_code == 401
    assert (await steer.http.get("/api/v1/lists")).status_code == 401
    agent = steer.auth("agent1")
    assert (await steer.http.post(COUNT, json=body, headers=agent)).status_code == 403
    assert (await steer.http.get("/api/v1/lists", headers=agent)).status_code == 403
    put = await steer.http.put(selection_path(steer), json=body, headers=agent)
    assert put.status_code == 403
    assert (await steer.http.put(ONE + "?list=x", json=FORM, headers=agent)).status_code == 403


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        ({"lists": ["inconnue"]}, "selection.lists"),
        ({"lists": ["x" * 5000]}, "selection.lists"),
        ({"districts": [f"Q{n}" for n in range(600)]}, "selection.districts"),
        # 10,000 districts: over the body's cap, refused before it is read
        ({"districts": [f"Q{n}" for n in range(10_000)]}, "corps de la requête"),
        ({"flags": ["fumeur"]}, "selection.flags"),
        ({"min_age": -1}, "selection.min_age"),
        ({"min_age": 80, "max_age": 70}, "selection.max_age"),
        ({"colour": "bleu"}, "selection.colour"),
        ({"postcodes": "75011"}, "selection.postcodes"),
    ],
)
async def test_a_bad_selection_is_a_422_naming_the_field_and_writes_nothing(
    steer: SteerRig, selection: dict[str, Any], field: str
) -> None:
    auth = steer.auth("superviseur")
    for method, path in (("POST", COUNT), ("PUT", selection_path(steer))):
        response = await steer.http.request(
            method, path, json={"selection": selection}, headers=auth
        )
        assert response.status_code == 422, response.text
        assert field in response.json()["erreur"].lower()
    stored = await campaign_selection(steer.sessions, steer.world.campaign_id)
    assert stored.lists == ()


async def test_a_huge_list_name_is_refused_and_nothing_written(steer: SteerRig) -> None:
    before = await lists(steer)
    auth = steer.auth("superviseur")
    huge = await steer.http.put(ONE + "?list=" + "x" * 101, json=FORM, headers=auth)
    assert huge.status_code == 422
    assert "list" in huge.json()["erreur"].lower()
    control = await steer.http.put(ONE + "?list=a%00b", json=FORM, headers=auth)
    assert control.status_code == 422
    assert await person_by_external_id(steer.sessions, "INSCR-1") is None
    assert await lists(steer) == before


async def test_a_veille_sociale_campaign_counts_only_who_its_cycle_enrols(steer: SteerRig) -> None:
    """The count shown before the start is who the cycle will enrol: for the volunteers'
    calls, only the households with a valid consent to regular calls."""
    auth = steer.auth("superviseur")
    now = steer.clock()
    for key in ("VS-1", "VS-2", "VS-3"):
        added = await steer.http.put(f"/api/v1/people/{key}?list=isolés", json=FORM, headers=auth)
        assert added.status_code == 201, added.text
    consent = ConsentRecord(
        external_id="VS-1",
        agreed_by=AgreedBy.PERSON,
        relative_name=None,
        agreed_at=now - timedelta(days=3),
        channel=ConsentChannel.IN_PERSON,
        regular_calls=True,
        emergency_campaigns=False,
        collected_by="Centre social Nord",
    )
    withdrawn = replace(consent, external_id="VS-2")
    only_emergency = replace(consent, external_id="VS-3", regular_calls=False,
                             emergency_campaigns=True)  # fmt: skip
    registry = ConsentRegistry(steer.sessions)
    await registry.record([consent, withdrawn, only_emergency], actor="cli:ville", now=now)
    await registry.withdraw(
        [WithdrawalRequest("VS-2", AgreedBy.PERSON, ConsentChannel.PHONE)],
        actor="superviseur",
        now=now,
    )
    campaign_id = await volunteer_campaign(steer.sessions, now)
    chosen = {"lists": ["isolés"]}

    assert await count(steer, chosen) == 3  # no campaign named: the register's people
    for asked in ({"campaign_id": campaign_id}, {"kind": "veille_sociale"}):
        response = await steer.http.post(COUNT, json={"selection": chosen, **asked}, headers=auth)
        assert (response.status_code, response.json()["count"]) == (200, 1), response.text
    path = f"/api/v1/campaigns/{campaign_id}/selection"
    stored = await steer.http.put(path, json={"selection": chosen}, headers=auth)
    assert (stored.status_code, stored.json()["count"]) == (200, 1), stored.text
    shown = await steer.http.get(path, headers=auth)
    assert shown.json()["count"] == 1
    await log_in(steer.http, "superviseur")
    page = await steer.http.get(f"/supervision/selections/{campaign_id}")
    assert page.status_code == 200, page.text
    assert '<strong id="effectif-nombre">1</strong>' in page.text
    assert f'data-campagne="{campaign_id}"' in page.text  # its script recounts the same way
    cycle = await CycleRepository(steer.sessions).open(
        campaign_id, started_at=now, deadline=now + timedelta(days=7)
    )
    assert await enrol_register(steer.sessions, cycle.id, due=now) == 1  # what was shown

    unknown = await steer.http.post(
        COUNT, json={"selection": chosen, "campaign_id": 999_999}, headers=auth
    )
    assert unknown.status_code == 404
    bad = await steer.http.post(COUNT, json={"selection": chosen, "kind": "météo"}, headers=auth)
    assert bad.status_code == 422
    assert "kind" in bad.text
