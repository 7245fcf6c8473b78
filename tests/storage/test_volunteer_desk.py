"""The volunteer's desk stored, on SQLite and PostgreSQL: a household of a veille-sociale
campaign is offered only to the volunteer it is assigned to (``dialer volunteers
assign``), else to the volunteer who last talked to it, else to any volunteer; a
volunteer never claims anybody of an emergency campaign; the claims say what the pure
rule says. Debriefs are the volunteer's own calls' only; coordinators answer them."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import windows_from_json
from dialer.core.attempts import AttemptKind
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.planning import Cycle, RetryPolicy
from dialer.core.roles import Role
from dialer.core.volunteer_desk import offered_to
from dialer.desk.accounts import create_account
from dialer.errors import NotFoundError
from dialer.storage import PersonRepository, SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import migrated_database, transaction
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.storage.schedule import open_cycle_with_register
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from tests.storage.conftest import NOW, person
from tests.storage.test_account_cli import PASSWORD, database, run_main
from tests.storage.test_consent_property import WINDOWS, _campaign
from tests.stored import person_by_external_id
from tests.web.support import fast_passwords

__all__ = ["database"]

HOUSEHOLDS = ("H1", "H2", "H3")


async def _queue(sessions: SessionFactory, campaign_id: int) -> CycleDialQueue:
    cycle, _ = await open_cycle_with_register(
        sessions, campaign_id, number=1, started_at=NOW, deadline=NOW + timedelta(days=1), due=NOW
    )
    return CycleDialQueue(
        sessions,
        cycle_id=cycle.id,
        cycle=Cycle(NOW, NOW + timedelta(days=1)),
        windows=windows_from_json(WINDOWS),
        policy=RetryPolicy(),
        every_call_reserved=True,
    )


async def _scene(url: str) -> dict[str, int]:
    """Accounts, three consenting households, a veille-sociale and a heatwave campaign;
    ana talked to H2 before (an earlier campaign)."""
    async with migrated_database(url) as sessions:
        for name, role in (
            ("ana", Role.VOLUNTEER),
            ("bea", Role.VOLUNTEER),
            ("claire", Role.SUPERVISOR),
            ("agent1", Role.AGENT),
        ):
            await create_account(sessions, name, PASSWORD, role, passwords=fast_passwords())
        roster = VolunteerRoster(sessions)
        for name in ("ana", "bea"):
            await roster.train(name, trained_by="claire", trained_on=date(2025, 6, 1),
                               actor="t", now=NOW)  # fmt: skip
        await PersonRepository(sessions).write_batch(
            [person(k, f"Nom{k}", f"+3314568000{i}") for i, k in enumerate(HOUSEHOLDS)],
            [],
            now=NOW,
        )
        await ConsentRegistry(sessions).record(
            [
                ConsentRecord(k, AgreedBy.PERSON, None, NOW - timedelta(days=30),
                              ConsentChannel.PHONE, True, True, "CCAS")
                for k in HOUSEHOLDS
            ],
            actor="t",
            now=NOW - timedelta(days=1),
        )  # fmt: skip
        ids = {}
        for key in HOUSEHOLDS:
            found = await person_by_external_id(sessions, key)
            assert found is not None
            ids[key] = found.id
        earlier = await _campaign(sessions, "Veille 2025", volunteer=True)
        cycle, _ = await open_cycle_with_register(
            sessions, earlier, number=1, started_at=NOW - timedelta(days=90),
            deadline=NOW - timedelta(days=80), due=NOW - timedelta(days=90),
        )  # fmt: skip
        talked = await AttemptLedger(sessions).record_planned(
            cycle_id=cycle.id, person_id=ids["H2"], number="+33145680001",
            kind=AttemptKind.PREVIEW, planned_for=NOW - timedelta(days=85), agent="ana",
        )  # fmt: skip
        async with transaction(sessions) as session:
            await session.execute(
                update(Attempt)
                .where(Attempt.id == talked.id)
                .values(placed_at=NOW - timedelta(days=85), bridged_at=NOW - timedelta(days=85))
            )
        ids["veille"] = await _campaign(sessions, "Veille fin d'année", volunteer=True)
        ids["canicule"] = await _campaign(sessions, "Canicule", volunteer=False)
        return ids


async def _claims(url: str, ids: dict[str, int]) -> None:
    async with migrated_database(url) as sessions:
        veille = await _queue(sessions, ids["veille"])
        canicule = await _queue(sessions, ids["canicule"])
        # a volunteer never claims anybody of an emergency campaign; an agent does
        assert await canicule.claim("ana", NOW) is None
        assert await canicule.claim("agent1", NOW) is not None
        got: dict[str, list[int]] = {"ana": [], "bea": [], "agent1": []}
        for taker in ("bea", "agent1", "ana"):
            while (claimed := await veille.claim(taker, NOW)) is not None:
                got[taker].append(claimed.person_id)
        # the pure rule says the same: H1 is bea's (assigned), H2 ana's (she talked to
        # it last), H3 anybody's (bea claimed first)
        roles = {"ana": Role.VOLUNTEER, "bea": Role.VOLUNTEER, "agent1": Role.AGENT}
        owners = {"H1": ("bea", None), "H2": (None, "ana"), "H3": (None, None)}
        for taker, persons in got.items():
            for key, (assigned, last) in owners.items():
                expected = offered_to(
                    taker, taker_role=roles[taker], kind=CampaignKind.VEILLE_SOCIALE,
                    assigned_to=assigned, last_volunteer=last,
                )  # fmt: skip
                if ids[key] in persons:
                    assert expected, (taker, key)
        # (households due at the same time are claimed in no set order)
        claimed_by = {taker: sorted(persons) for taker, persons in got.items()}
        expected_by = {"bea": sorted([ids["H1"], ids["H3"]]), "agent1": [], "ana": [ids["H2"]]}
        assert claimed_by == expected_by

        calls = VolunteerCalls(sessions)
        async with transaction(sessions) as session:
            await session.execute(
                update(Attempt).where(Attempt.agent == "ana").values(placed_at=NOW)
            )
        [mine, *_] = await calls.calls("ana")
        with pytest.raises(NotFoundError):
            await calls.write_debrief(mine.attempt_id, "bea", "pas le mien", flagged=False, now=NOW)
        debrief = await calls.write_debrief(
            mine.attempt_id, "ana", "Isolée, moral bas", flagged=True, now=NOW
        )
        await calls.answer("debrief", debrief.id, "Je la rappelle demain", by="claire", now=NOW)
        [seen] = [c for c in await calls.calls() if c.attempt_id == mine.attempt_id]
        assert seen.debrief is not None
        assert (seen.debrief.flagged, seen.debrief.answer) == (True, "Je la rappelle demain")
        actions = [e.action for e in await AuditLog(sessions).search(AuditFilter())]
        assert {"volunteer.household_assigned", "volunteer.debrief",
                "volunteer.debrief_answered"} <= set(actions)  # fmt: skip


def test_households_go_to_their_volunteer(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(_scene(database))
    veille, canicule = str(ids["veille"]), str(ids["canicule"])
    refused = {
        (canicule, "H1", "bea"): (65, "campaign_id"),
        (veille, "X9", "bea"): (66, "foyer « X9 » inconnu"),
        (veille, "H1", "agent1"): (65, "champ « volunteer »"),
        ("999", "H1", "bea"): (66, "campagne 999 inconnue"),
    }
    for args, (status, message) in refused.items():
        code, out = run_main(monkeypatch, capsys, "volunteers", "assign", *args)
        assert (code, message in out) == (status, True), (args, out)
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H1", "ana")
    assert code == 0, out
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H1", "bea")
    assert (code, out.strip()) == (0, "Jeanne NOMH1 (H1) : confié à bea")
    asyncio.run(_claims(database, ids))
