"""Per-person results of a cycle or an episode, through the pages, the API and the CLI, on
SQLite and PostgreSQL: who may export (supervisors and operations only), what the files
hold (answers under their question labels, score, risk, disposition, alerts and their
handling), the audit entry of every export, and abuse (an agent's token, forged ids, bad
cycles, a formula planted in the register)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from dialer.core.episodes import AlertKind
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.reports import result_exports
from dialer.storage import (
    Person,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.alert_rows import Alert
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import transaction
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.report_rows import ReportRowsRepository
from tests.report_scene import CYCLE1_START, Scene, build_scene
from tests.storage.conftest import postgres_url, reset_postgres, sqlite_url
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer
from tests.web.support import PASSWORD, fast_passwords

pytestmark = pytest.mark.asyncio

__all__ = ["steer"]

FORMULA = '=HYPERLINK("http://x.example","clic")'
NOTE = "@SUM(1+1) visite faite"
MALAISE = "Ressentez-vous un malaise en ce moment ?"
VISITES = "Qui passe vous voir ?"
CHALEUR = "De 0 à 10, avez-vous chaud chez vous ?"
ANSWERS = {"malaise": False, "vit_seul": True, "visites": "jamais", "eau": False, "chaleur": 7}


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


async def results_scene(sessions: SessionFactory) -> Scene:
    """The report scene, its complete sheets answered, a formula as a name, a note."""
    scene = await build_scene(sessions, people=12)
    async with transaction(sessions) as session:
        sheets = list(await session.scalars(select(CallSheet).where(CallSheet.complete)))
        for sheet in sheets:
            for question, value in ANSWERS.items():
                session.add(
                    Answer(
                        sheet_id=sheet.id,
                        question_id=question,
                        value=value,
                        answered_at=sheet.opened_at,
                    )
                )
        await session.execute(
            update(Person).where(Person.id == scene.people[1]).values(last_name=FORMULA)
        )
        await session.execute(
            update(Alert)
            .where(Alert.acknowledged_at.is_not(None))
            .values(acknowledgement_note=NOTE)
        )
    return scene


@pytest_asyncio.fixture
async def scene(steer: SteerRig) -> Scene:
    scene = await results_scene(steer.sessions)
    await create_account(
        steer.sessions, "exploitation", PASSWORD, Role.OPERATIONS, passwords=fast_passwords()
    )
    _, steer.tokens["exploitation"] = await ApiTokenRepository(steer.sessions).create(
        name="jeton-exploitation",
        username="exploitation",
        created_by="test",
        now=steer.clock(),
        lifetime=timedelta(days=90),
    )
    return scene


async def members(sessions: SessionFactory, campaign: int, cycle: int | None) -> int:
    return len((await ReportRowsRepository(sessions).load(campaign, cycle)).members)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


API = [
    "/api/v1/reports/{c}/results",
    "/api/v1/reports/{c}/results.csv",
    "/api/v1/reports/{c}/results.xlsx",
]


async def test_only_supervisors_and_operations_export(steer: SteerRig, scene: Scene) -> None:
    c = scene.campaign_id
    for who, status in (("agent1", 403), ("admin", 403), ("superviseur", 200)):
        for url in API:
            response = await steer.http.get(url.format(c=c), headers=steer.auth(who))
            assert response.status_code == status, (who, url)
    answer = await steer.http.get(
        f"/api/v1/reports/{c}/results.csv", headers=steer.auth("exploitation")
    )
    assert answer.status_code == 200
    assert (await steer.http.get(API[0].format(c=c))).status_code == 401
    # the pages: a team member's session is refused, so is an agent's
    for who in ("agent1", "membre.nord", "admin"):
        await log_in(steer.http, who)
        page = await steer.http.get(f"/rapports/{c}/resultats.csv")
        assert page.status_code == 403, who
    # nothing refused was written to the audit log as an export
    entries = await AuditLog(steer.sessions).search(AuditFilter(action="export.csv"))
    assert {e.actor for e in entries} == {"api:jeton-superviseur", "api:jeton-exploitation"}


async def test_the_csv_holds_each_person_with_labelled_answers(
    steer: SteerRig, scene: Scene
) -> None:
    c = scene.campaign_id
    answer = await steer.http.get(
        f"/api/v1/reports/{c}/results.csv", params={"cycle": 1}, headers=steer.auth("superviseur")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"resultats-campagne-{c}-cycle-1.csv" in answer.headers["content-disposition"]
    rows = read_csv(answer.content)
    header = rows[0]
    for title in ("Identifiant", "Score", "Niveau de risque", MALAISE, VISITES, "Alertes levées"):
        assert title in header
    assert len(rows) - 1 == await members(steer.sessions, c, 1) == 12
    column = {title: index for index, title in enumerate(header)}
    answered = [r for r in rows[1:] if r[column["Questionnaire complet"]] == "oui"]
    assert answered
    for row in answered:
        assert row[column[MALAISE]] == "non"
        assert row[column[VISITES]] == "Jamais"
        assert row[column[CHALEUR]] == "7/10"
        assert row[column["Score"]] == "3,0"
        assert row[column["Niveau de risque"]] == "faible"
        assert row[column["Qualification de l'appel"]].startswith("Questionnaire complet")
    alerted = [r for r in rows[1:] if int(r[column["Alertes levées"]]) > 0]
    assert alerted
    handled = " ".join(r[column["Alertes et leur suivi"]] for r in alerted)
    assert "acquittée le" in handled or "ouverte" in handled
    # no cell runs as a formula: the planted name and note are quoted
    names = [r[column["Nom"]] for r in rows[1:]]
    assert "'" + FORMULA in names
    assert FORMULA not in names
    assert all(not cell.startswith(("=", "@", "+")) for r in rows[1:] for cell in r)
    entries = await AuditLog(steer.sessions).search(AuditFilter(action="export.csv"))
    assert len(entries) == 1
    assert entries[0].target == f"campaign:{c}"
    assert entries[0].actor == "api:jeton-superviseur"
    assert entries[0].details == {"table": "resultats", "cycle": "1", "format": "csv", "rows": 12}


async def test_the_workbook_and_its_audit_entry(steer: SteerRig, scene: Scene) -> None:
    c = scene.campaign_id
    await log_in(steer.http, "superviseur")
    page = await steer.http.get(f"/rapports/{c}")
    assert f"/rapports/{c}/resultats.xlsx" in page.text
    answer = await steer.http.get(f"/rapports/{c}/resultats.xlsx")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows())
    assert len(rows) - 1 == await members(steer.sessions, c, None) == 24
    names = [r[2] for r in rows[1:]]
    planted = [cell for cell in names if cell.value == FORMULA]
    assert len(planted) == 2  # cycles 1 and 2
    assert all(cell.data_type == "s" for cell in planted)  # text, never a formula
    entries = await AuditLog(steer.sessions).search(AuditFilter(action="export.xlsx"))
    assert [(e.actor, e.target, e.details["rows"]) for e in entries] == [
        ("superviseur", f"campaign:{c}", 24)
    ]
    assert entries[0].route == f"GET /rapports/{c}/resultats.xlsx"


async def test_the_api_pages_are_typed(
    steer: SteerRig, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(result_exports, "BATCH", 5)  # several batches per page
    c = scene.campaign_id
    seen: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        answer = await steer.http.get(
            f"/api/v1/reports/{c}/results",
            params={"limit": 7, "offset": offset},
            headers=steer.auth("exploitation"),
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["total"] == 24
        seen += body["items"]
        offset = body["next_offset"]
    assert len(seen) == 24
    assert [(i["cycle"], i["external_id"]) for i in seen] == sorted(
        (i["cycle"], i["external_id"]) for i in seen
    )
    complete = [i for i in seen if i["complete"]]
    assert complete
    assert {"question_id": "visites", "question": VISITES, "answer": "Jamais"} in complete[0][
        "answers"
    ]
    entries = await AuditLog(steer.sessions).search(AuditFilter(action="export.json"))
    assert sum(e.details["rows"] for e in entries) == 24


async def test_forged_ids_and_bad_cycles(steer: SteerRig, scene: Scene) -> None:
    auth = steer.auth("superviseur")
    c = scene.campaign_id
    for url, status in (
        ("/api/v1/reports/999999/results", 404),
        ("/api/v1/reports/999999/results.csv", 404),
        (f"/api/v1/reports/{c}/results.csv?cycle=9", 404),
        (f"/api/v1/reports/{c}/results.csv?cycle=0", 422),
        (f"/api/v1/reports/{c}/results.xlsx?cycle=x", 422),
        (f"/api/v1/reports/{c}/results?limit=100000", 422),
        ("/api/v1/reports/episodes/999999/results.csv", 404),
        ("/api/v1/reports/99999999999999999999/results.csv", 404),
    ):
        answer = await steer.http.get(url, headers=auth)
        assert answer.status_code == status, url
        if status == 422:
            assert "cycle" in answer.text or "limit" in answer.text
    assert await AuditLog(steer.sessions).search(AuditFilter(action="export.")) == []


async def test_an_episode_exports_every_cycle(steer: SteerRig, scene: Scene) -> None:
    episodes = EpisodeRepository(steer.sessions)
    episode = await episodes.start(
        kind=AlertKind.HEATWAVE,
        level=3,
        districts=(),
        by="prefecture",
        at=CYCLE1_START,
        campaign_id=scene.campaign_id,
    )
    answer = await steer.http.get(
        f"/api/v1/reports/episodes/{episode.id}/results.csv", headers=steer.auth("superviseur")
    )
    assert answer.status_code == 200
    assert f"resultats-episode-{episode.id}.csv" in answer.headers["content-disposition"]
    rows = read_csv(answer.content)
    assert len(rows) - 1 == 24
    assert {r[0] for r in rows[1:]} == {"1", "2"}
    await log_in(steer.http, "superviseur")
    page = await steer.http.get(f"/rapports/episodes/{episode.id}")
    assert f"/rapports/episodes/{episode.id}/resultats.csv" in page.text
    workbook = await steer.http.get(f"/rapports/episodes/{episode.id}/resultats.xlsx")
    assert workbook.status_code == 200
    entries = await AuditLog(steer.sessions).search(AuditFilter(action="export."))
    assert {(e.target, e.details["rows"]) for e in entries} == {(f"episode:{episode.id}", 24)}
