"""Holds in storage, on SQLite and PostgreSQL: final results feed the register back
(deceased for ever, moved until the register changes, hospitalised for the campaign's set
time), oppositions keep a person out of every campaign and out of running queues, and
``dialer person oppose`` / ``dialer report register-changes`` through the command line."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import windows_from_json
from dialer.core.attempts import AttemptState, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.holds import HoldKind
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import Cycle, RetryPolicy
from dialer.storage import CampaignRepository, PacingMode, PersonRepository, SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import migrated_database
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.storage.ledger import AttemptLedger
from dialer.storage.results import CycleResultRepository
from dialer.storage.schedule import enrol_register, open_cycle_with_register
from tests.storage.conftest import NOW, Scene, person, reset_postgres
from tests.storage.test_account_cli import run_main
from tests.stored import person_by_external_id

WINDOWS = {"week": [["00:00-23:59"]] * 7, "holiday": []}


def queue_of(sessions: SessionFactory, scene: Scene) -> CycleDialQueue:
    return CycleDialQueue(
        sessions,
        cycle_id=scene.cycle_id,
        cycle=Cycle(NOW, NOW + timedelta(days=1)),
        windows=windows_from_json(WINDOWS),
        policy=RetryPolicy(max_attempts=3, hospitalised_hold=timedelta(days=7)),
    )


async def _call_and_dispose(
    sessions: SessionFactory, queue: CycleDialQueue, results: dict[int, CycleResult]
) -> dict[int, str]:
    """Each due person dialled, answered by agent-1, and given ``results[person]``."""
    ledger = AttemptLedger(sessions)
    dials = await queue.take(10, NOW)
    calls = {}
    for dial in dials:
        await ledger.mark_dialing(dial.attempt_id, at=NOW)
        await ledger.advance(
            dial.attempt_id, AttemptState.BRIDGED, agent="agent-1", at=NOW + timedelta(seconds=20)
        )
        ended = NOW + timedelta(minutes=3)
        await ledger.close(dial.attempt_id, CallOutcome.ANSWERED, at=ended)
        await queue.settled(dial.attempt_id, CallOutcome.ANSWERED, ended)
        await queue.disposed(dial.attempt_id, results[dial.person_id], ended)
        calls[dial.person_id] = dial.attempt_id
    return calls


async def _another_campaign(sessions: SessionFactory, name: str, at_days: int) -> set[int]:
    """The people a new campaign's first cycle enrols ``at_days`` after NOW."""
    campaign = await CampaignRepository(sessions).create(
        name=name,
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows=WINDOWS,
        retry_policy={},
        now=NOW,
    )
    at = NOW + timedelta(days=at_days)
    cycle, _ = await open_cycle_with_register(
        sessions, campaign.id, number=1, started_at=at, deadline=at + timedelta(days=1), due=at
    )
    queue = CycleDialQueue(
        sessions,
        cycle_id=cycle.id,
        cycle=Cycle(at, at + timedelta(days=1)),
        windows=windows_from_json(WINDOWS),
        policy=RetryPolicy(),
    )
    return {dial.person_id for dial in await queue.take(10, at)}


@pytest.mark.asyncio
async def test_deceased_leaves_every_list_and_hospitalised_comes_back_after_its_hold(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    queue = queue_of(sessions, scene)
    calls = await _call_and_dispose(
        sessions,
        queue,
        {scene.alice_id: CycleResult.DECEASED, scene.bob_id: CycleResult.HOSPITALISED},
    )
    result = await CycleResultRepository(sessions).get(scene.cycle_id, scene.alice_id)
    assert result is not None
    assert result.result is CycleResult.DECEASED

    assert await _another_campaign(sessions, "Inondation", 1) == set()
    assert await _another_campaign(sessions, "Canicule bis", 6) == set()
    assert await _another_campaign(sessions, "Grand froid", 8) == {scene.bob_id}

    holds = PersonHolds(sessions)
    [deceased] = await holds.history("A1")
    assert (deceased.kind, deceased.until, deceased.attempt_id, deceased.recorded_by) == (
        HoldKind.DECEASED,
        None,
        calls[scene.alice_id],
        "agent-1",
    )
    [hospitalised] = await holds.history("B2")
    assert hospitalised.until == NOW + timedelta(days=7, minutes=3)

    changes = await holds.register_changes(scene.campaign_id, 1)
    assert [(c.external_id, c.kind, c.attempt_id) for c in changes] == [
        ("A1", HoldKind.DECEASED, calls[scene.alice_id]),
        ("B2", HoldKind.HOSPITALISED, calls[scene.bob_id]),
    ]
    audit = await AuditLog(sessions).search(AuditFilter(person_id=scene.alice_id))
    assert [e.action for e in audit] == ["hold.recorded"]


@pytest.mark.asyncio
async def test_moved_is_kept_out_until_the_register_shows_a_change(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    await _call_and_dispose(
        sessions,
        queue_of(sessions, scene),
        {scene.alice_id: CycleResult.MOVED, scene.bob_id: CycleResult.REFUSED},
    )
    people = PersonRepository(sessions)
    same = person("A1", "Dupont", "+33145678910")
    await people.write_batch([], [same], now=NOW + timedelta(days=1))
    assert await _another_campaign(sessions, "Même registre", 2) == {scene.bob_id}
    moved = replace(person("A1", "Dupont", "+33145678910"), address="3 rue Neuve", city="Lyon")
    await people.write_batch([], [moved], now=NOW + timedelta(days=3))
    assert await _another_campaign(sessions, "Registre à jour", 4) == {
        scene.alice_id,
        scene.bob_id,
    }


@pytest.mark.asyncio
async def test_an_opposition_takes_people_out_of_running_queues_and_a_refusal_does_not(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    holds = PersonHolds(sessions)
    await holds.oppose([OppositionRequest("A1", "ne veut plus")], actor="superviseur", now=NOW)
    queue = queue_of(sessions, scene)
    assert [dial.person_id for dial in await queue.take(10, NOW)] == [scene.bob_id]
    assert await queue.claim("agent-1", NOW) is None
    result = await CycleResultRepository(sessions).get(scene.cycle_id, scene.alice_id)
    assert result is not None
    assert result.result is CycleResult.OPPOSED
    assert await _another_campaign(sessions, "Autre", 1) == {scene.bob_id}
    lifted = await holds.lift("A1", reason="a changé d'avis", actor="admin", now=NOW)
    assert lifted is not None
    assert (lifted.lifted_by, lifted.lift_reason) == ("admin", "a changé d'avis")
    assert await _another_campaign(sessions, "Après levée", 2) == {scene.alice_id, scene.bob_id}


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    if database_url.startswith("postgresql"):
        asyncio.run(reset_postgres(database_url))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    return database_url


async def _people_and_cycle(url: str) -> int:
    now = datetime.now(UTC)
    async with migrated_database(url) as sessions:
        await PersonRepository(sessions).write_batch(
            [person(key, f"Nom {key}", "+33145678910") for key in ("P1", "P2", "P3")],
            [],
            now=NOW,
        )
        campaign = await CampaignRepository(sessions).create(
            name="Canicule",
            kind=CampaignKind.HEATWAVE,
            questionnaire_id="canicule",
            questionnaire_version="1",
            caller_id="+33140000000",
            pacing_mode=PacingMode.PROGRESSIVE,
            calling_windows=WINDOWS,
            retry_policy={},
            now=NOW,
        )
        await open_cycle_with_register(
            sessions,
            campaign.id,
            number=1,
            started_at=now - timedelta(hours=1),  # the command records at the real time
            deadline=now + timedelta(days=1),
            due=now,
        )
        return campaign.id


async def _opposed(url: str) -> tuple[list[str], list[str]]:
    async with migrated_database(url) as sessions:
        opposed = []
        for key in ("P1", "P2", "P3"):
            found = await person_by_external_id(sessions, key)
            assert found is not None
            if any(h.lifted_at is None for h in await PersonHolds(sessions).history(key)):
                opposed.append(key)
        audit = await AuditLog(sessions).search(AuditFilter())
        return opposed, [e.action for e in reversed(audit)]


def test_the_cli_records_a_file_of_oppositions_all_or_nothing(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    campaign = asyncio.run(_people_and_cycle(database))

    def dialer(*args: str) -> tuple[int, str]:
        return run_main(monkeypatch, capsys, *args)

    bad = tmp_path / "oppositions.csv"
    bad.write_text("identifiant;motif\nP1;au téléphone\nP2\n", encoding="utf-8")
    code, output = dialer("person", "oppose", str(bad))
    assert code == 65, output
    assert "oppositions.csv:3" in output
    unknown = tmp_path / "inconnus.csv"
    unknown.write_text("P1;courrier\nZZ9;courrier\n", encoding="utf-8")
    code, output = dialer("person", "oppose", str(unknown))
    assert code == 66, output  # not found
    assert "inconnus.csv:2" in output
    assert asyncio.run(_opposed(database)) == ([], [])  # nothing written

    good = tmp_path / "bon.csv"
    good.write_bytes("\ufeffP1;courrier du 2 juillet\r\nP3;sa fille;proche\r\n".encode())
    code, output = dialer("person", "oppose", str(good))
    assert code == 0, output
    assert "2 personne(s)" in output
    code, output = dialer("person", "oppose", str(good))  # idempotent
    assert code == 0, output

    out = tmp_path / "changements.csv"
    args = ["report", "register-changes", "--campaign", str(campaign), "--cycle", "1"]
    code, output = dialer(*args, "--out", str(out))
    assert code == 0, output
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffIdentifiant;Nom;Prénom;Changement;")
    lines = text.strip().split("\r\n")
    assert [line.split(";")[0] for line in lines[1:]] == ["P1", "P3"]
    assert "opposition (ne plus appeler)" in lines[1]
    code, output = dialer("report", "register-changes", "--campaign", "999", "--cycle", "1")
    assert code == 66, output
    assert "cycle" in output
    assert asyncio.run(_opposed(database)) == (
        ["P1", "P3"],
        ["opposition.recorded", "opposition.recorded", "export.register_changes"],
    )


@pytest.mark.asyncio
async def test_an_agents_never_call_again_is_an_opposition_with_its_call(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    calls = await _call_and_dispose(
        sessions,
        queue_of(sessions, scene),
        {scene.alice_id: CycleResult.OPPOSED, scene.bob_id: CycleResult.REFUSED},
    )
    [opposition] = await PersonHolds(sessions).history("A1")
    assert (opposition.kind, opposition.recorded_by, opposition.attempt_id) == (
        HoldKind.OPPOSITION,
        "agent-1",
        calls[scene.alice_id],
    )
    assert await PersonHolds(sessions).history("B2") == []  # a refusal is no opposition
    assert await _another_campaign(sessions, "Suivante", 3) == {scene.bob_id}
    audit = await AuditLog(sessions).search(AuditFilter(person_id=scene.alice_id))
    assert [(e.actor, e.action) for e in audit] == [("agent-1", "opposition.recorded")]


@pytest.mark.asyncio
async def test_an_opposition_recorded_during_a_call_ends_the_persons_cycle_after_it(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    queue = queue_of(sessions, scene)
    ledger = AttemptLedger(sessions)
    dials = {dial.person_id: dial.attempt_id for dial in await queue.take(10, NOW)}
    for attempt_id in dials.values():
        assert await ledger.mark_dialing(attempt_id, at=NOW)
    await PersonHolds(sessions).oppose(
        [OppositionRequest("A1", "courrier reçu pendant l'appel")], actor="superviseur", now=NOW
    )
    ended = NOW + timedelta(seconds=30)
    for attempt_id in dials.values():
        await ledger.close(attempt_id, CallOutcome.NO_ANSWER, at=ended)
        await queue.settled(attempt_id, CallOutcome.NO_ANSWER, ended)
    result = await CycleResultRepository(sessions).get(scene.cycle_id, scene.alice_id)
    assert result is not None
    assert result.result is CycleResult.OPPOSED  # not left waiting, never « never reached »
    assert await CycleResultRepository(sessions).get(scene.cycle_id, scene.bob_id) is None
    later = NOW + timedelta(hours=4)
    assert [dial.person_id for dial in await queue.take(10, later)] == [scene.bob_id]


@pytest.mark.asyncio
async def test_an_opposition_recorded_after_the_person_was_taken_stops_the_dial(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Taken from the queue (or offered to an agent in preview) but not dialled yet: the
    dial is refused, for the opposed person only."""
    await enrol_register(sessions, scene.cycle_id, due=NOW)
    queue = queue_of(sessions, scene)
    ledger = AttemptLedger(sessions)
    dials = {dial.person_id: dial.attempt_id for dial in await queue.take(10, NOW)}
    await PersonHolds(sessions).oppose(
        [OppositionRequest("A1", "appel de sa fille")], actor="superviseur", now=NOW
    )
    assert not await ledger.mark_dialing(dials[scene.alice_id], at=NOW)
    assert await ledger.mark_dialing(dials[scene.bob_id], at=NOW)
    await queue.give_back([dials[scene.alice_id]], NOW)  # what the engine does with it
    later = NOW + timedelta(hours=4)
    assert [dial.person_id for dial in await queue.take(10, later)] == []  # Bob is in call
