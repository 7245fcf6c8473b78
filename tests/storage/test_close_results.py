"""What a cycle's close gives the households still waiting, and who goes to the field
teams, on SQLite and PostgreSQL, through the service's close (``CycleRepository.close``,
the one place a cycle closes), the alert dispatcher's never-reached publisher, the
supervisors' late calls and ``dialer volunteers assign``.

A veille-sociale household whose consent was withdrawn ends « withdrawn », one reached
whose follow-up was not made before the end keeps « reached », one its coordinator took
over ends « taken over », and nobody of a veille-sociale cycle is ever sent to the field
teams as « à visiter ». In an emergency campaign a household enrolled through the
veille-sociale list only whose emergency consent was withdrawn ends « withdrawn », is on
no never-reached list and no late-calls list; a register person not reached is on it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dialer.alerts.never_reached import NeverReachedPublisher
from dialer.campaigns.late_calls import late_reserved_calls
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.cycles import NeverReachedReason
from dialer.core.roles import Role
from dialer.core.selection import Selection, selection_to_json
from dialer.desk.accounts import create_account
from dialer.storage import CycleRepository, PersonRepository, SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import migrated_database, transaction
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Campaign, CycleResultRow
from dialer.storage.never_reached import NeverReachedRepository
from dialer.storage.never_reached_rows import NeverReachedEntry
from dialer.storage.people import encode_batch
from dialer.storage.schedule import CycleMember, open_cycle_with_register
from dialer.storage.stuck_households import stuck_households
from dialer.storage.visits import VisitRepository
from dialer.storage.volunteer_calls import VolunteerCalls
from tests.storage.conftest import NOW, person
from tests.storage.test_account_cli import PASSWORD, database, run_main
from tests.storage.test_consent_property import _campaign
from tests.storage.test_volunteer_desk import _scene
from tests.stored import consenting_households, person_by_external_id
from tests.web.support import fast_passwords

__all__ = ["database"]

CLOSE = NOW + timedelta(days=2)


async def _results(sessions: SessionFactory, cycle_id: int) -> dict[int, CycleResultRow]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(CycleResultRow).where(CycleResultRow.cycle_id == cycle_id)
        )
        return {row.person_id: row for row in rows}


async def _listed(sessions: SessionFactory) -> set[int]:
    async with transaction(sessions) as session:
        return set(await session.scalars(select(NeverReachedEntry.person_id)))


async def _reached_with_follow_up_pending(
    sessions: SessionFactory, cycle_id: int, person_id: int
) -> None:
    """ana talked to the household (a « reached » sheet) and booked a follow-up: its
    result waited for the follow-up, which the plan's end came before."""
    attempt = await AttemptLedger(sessions).record_planned(
        cycle_id=cycle_id, person_id=person_id, number="+33145680001",
        kind=AttemptKind.PREVIEW, planned_for=NOW, agent="ana",
    )  # fmt: skip
    async with transaction(sessions) as session:
        await session.execute(
            update(type(attempt))
            .where(type(attempt).id == attempt.id)
            .values(placed_at=NOW, bridged_at=NOW, ended_at=NOW + timedelta(minutes=9))
        )
        session.add(
            CallSheet(
                attempt_id=attempt.id, person_id=person_id, cycle_id=cycle_id, agent="ana",
                questionnaire_id="veille_sociale", questionnaire_version=1,
                disposition=Disposition.COMPLETE, complete=True, opened_at=NOW,
                updated_at=NOW, submitted_at=NOW + timedelta(minutes=10),
            )
        )  # fmt: skip


async def _veille_close(url: str) -> None:
    ids = await _scene(url)
    async with migrated_database(url) as sessions:
        await PersonRepository(sessions).write_batch(
            [person("H4", "NomH4", "+33145680009")], [], now=NOW
        )
        await ConsentRegistry(sessions).record(
            [ConsentRecord("H4", AgreedBy.PERSON, None, NOW - timedelta(days=30),
                           ConsentChannel.PHONE, True, True, "CCAS")],
            actor="t", now=NOW - timedelta(days=1),
        )  # fmt: skip
        h4 = await person_by_external_id(sessions, "H4")
        assert h4 is not None
        calls = VolunteerCalls(sessions)
        await calls.assign(ids["veille"], "H3", "claire", actor="claire", now=NOW)  # take-over
        cycle, _ = await open_cycle_with_register(
            sessions, ids["veille"], number=1, started_at=NOW,
            deadline=CLOSE, due=NOW,
        )  # fmt: skip
        await _reached_with_follow_up_pending(sessions, cycle.id, ids["H2"])
        await ConsentRegistry(sessions).withdraw(
            [WithdrawalRequest("H1", AgreedBy.PERSON, ConsentChannel.PHONE)],
            actor="claire", now=NOW + timedelta(minutes=5),
        )  # fmt: skip

        closed = await CycleRepository(sessions).close(cycle.id, at=CLOSE)

        results = await _results(sessions, cycle.id)
        assert {pid: row.result for pid, row in results.items()} == {
            ids["H1"]: CycleResult.WITHDRAWN,
            ids["H2"]: CycleResult.REACHED,
            ids["H3"]: CycleResult.TAKEN_OVER,
            h4.id: CycleResult.NEVER_REACHED,
        }
        assert results[ids["H1"]].never_reached_reason is None
        assert results[h4.id].never_reached_reason is NeverReachedReason.NEVER_ATTEMPTED
        assert results[ids["H2"]].attempt_count == 1
        assert [n.person_id for n in closed.never_reached] == [h4.id]
        # the dispatcher publishes the veille-sociale cycle's list empty: no « à visiter »
        assert await NeverReachedPublisher(sessions).publish_due(CLOSE + timedelta(hours=1)) == 1
        assert await _listed(sessions) == set()
        assert await NeverReachedRepository(sessions).team_lists(None) == []
        assert await VisitRepository(sessions).candidates(CLOSE + timedelta(hours=2)) == []


async def _emergency_close(url: str) -> None:
    async with migrated_database(url) as sessions:
        households = await consenting_households(
            sessions, {"E1": (True, True), "E2": (True, True)}, now=NOW
        )
        people = PersonRepository(sessions)
        await people.write_encoded(
            encode_batch(await people.dialect(), [person("R1", "Registre", "+33145690001")], [],
                         now=NOW, list_name="registre")
        )  # fmt: skip
        r1 = await person_by_external_id(sessions, "R1")
        assert r1 is not None
        campaign_id = await _campaign(sessions, "Canicule", volunteer=False)
        async with transaction(sessions) as session:
            stored = await session.get(Campaign, campaign_id)
            assert stored is not None
            stored.selection = selection_to_json(Selection(lists=("registre", CONSENT_LIST)))
        cycle, _ = await open_cycle_with_register(
            sessions, campaign_id, number=1, started_at=NOW, deadline=CLOSE, due=NOW
        )
        async with transaction(sessions) as session:
            by_consent = set(
                await session.scalars(
                    select(CycleMember.person_id)
                    .where(CycleMember.cycle_id == cycle.id)
                    .where(CycleMember.by_consent.is_(True))
                )
            )
            # everyone owes a call-back nobody took: the supervisors' late calls
            await session.execute(
                update(CycleMember)
                .where(CycleMember.cycle_id == cycle.id)
                .values(next_kind=AttemptKind.CALLBACK, next_due_at=NOW)
            )
        assert by_consent == {households["E1"], households["E2"]}
        await ConsentRegistry(sessions).withdraw(
            [WithdrawalRequest("E1", AgreedBy.PERSON, ConsentChannel.PAPER)],
            actor="t", now=NOW + timedelta(hours=1),
        )  # fmt: skip
        late = await late_reserved_calls(sessions, NOW + timedelta(hours=3))
        assert {call.person_id for call in late} == {households["E2"], r1.id}

        await CycleRepository(sessions).close(cycle.id, at=CLOSE)

        results = await _results(sessions, cycle.id)
        assert {pid: row.result for pid, row in results.items()} == {
            households["E1"]: CycleResult.WITHDRAWN,
            households["E2"]: CycleResult.NEVER_REACHED,
            r1.id: CycleResult.NEVER_REACHED,
        }
        # E2 withdraws after the close, before the list goes out: not on it either
        await ConsentRegistry(sessions).withdraw(
            [WithdrawalRequest("E2", AgreedBy.PERSON, ConsentChannel.PAPER)],
            actor="t", now=CLOSE + timedelta(minutes=1),
        )  # fmt: skip
        assert await NeverReachedPublisher(sessions).publish_due(CLOSE + timedelta(hours=1)) == 1
        assert await _listed(sessions) == {r1.id}
        visits = await VisitRepository(sessions).candidates(CLOSE + timedelta(hours=2))
        assert [v.person.id for v in visits] == [r1.id]


def test_a_veille_sociale_close_sends_nobody_to_the_field_teams(database: str) -> None:
    asyncio.run(_veille_close(database))


def test_an_emergency_close_keeps_withdrawn_households_off_the_list(database: str) -> None:
    asyncio.run(_emergency_close(database))


async def _deactivate(url: str, username: str) -> None:
    async with migrated_database(url) as sessions, transaction(sessions) as session:
        await session.execute(
            update(Account).where(Account.username == username).values(active=False)
        )


async def _add_untrained(url: str) -> None:
    async with migrated_database(url) as sessions:
        await create_account(sessions, "dan", PASSWORD, Role.VOLUNTEER, passwords=fast_passwords())


async def _stuck(url: str) -> list[tuple[str, str, str]]:
    async with migrated_database(url) as sessions:
        return [
            (row.external_id, row.account, row.why) for row in await stuck_households(sessions, NOW)
        ]


def test_a_household_goes_only_to_an_account_that_can_take_it(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(_scene(database))
    asyncio.run(_add_untrained(database))
    veille = str(ids["veille"])
    refused = {
        "dan": "formation de bénévole non enregistrée",
        "agent1": "n'est pas un bénévole ou un superviseur",
        "inconnu": "n'est pas un bénévole ou un superviseur",
    }
    for account, why in refused.items():
        code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H1", account)
        assert code == 65, out
        assert "champ « volunteer »" in out, out
        assert why in out, out
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H1", "ana")
    assert code == 0, out
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H2", "claire")
    assert code == 0, out  # the coordinator takes it over
    assert asyncio.run(_stuck(database)) == []
    # ana leaves: her household is offered to nobody, and the activity list says so
    asyncio.run(_deactivate(database, "ana"))
    assert asyncio.run(_stuck(database)) == [("H1", "ana", "compte désactivé")]
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H3", "ana")
    assert code == 65, out
    assert "compte désactivé" in out, out
