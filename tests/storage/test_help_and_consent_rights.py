"""Help requests and consents follow the person's rights and the retention rules, on
SQLite and PostgreSQL: the access export lists them; an erasure deletes the help requests
and empties the relative's name on the consents (the proof stays, pseudonymous); a closed
cycle's ledger purge deletes its help requests; the 12-month answers-and-notes purge
empties the volunteer calls' free texts (debriefs, orientation and follow-up notes, help
answers); a withdrawal of the regular calls only keeps the emergency consent running,
cancels the household's call-backs and records no opposition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.storage import SessionFactory
from dialer.storage.call_help import HelpRequest
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.household_rows import Debrief
from dialer.storage.models import Callback
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.person_data import Actor, PersonData
from dialer.storage.retention import RetentionStore
from tests.needs_scene import JULY, needs_scene
from tests.storage.test_orientation_data import HELP_ANSWER as ANSWER
from tests.storage.test_orientation_data import answered_help, counted, volunteers_facts
from tests.stored import person_by_external_id

pytestmark = pytest.mark.asyncio
ACTOR = Actor("admin", "test")


async def _scene(sessions: SessionFactory) -> tuple[int, int]:
    """V07 (oriented, a follow-up, debriefs), a help request answered on its call, and a
    consent given by their son for both purposes: (person id, cycle id)."""
    scene = await needs_scene(sessions)
    await volunteers_facts(sessions, scene)
    person = await person_by_external_id(sessions, "V07")
    assert person is not None
    await answered_help(sessions, person.id)
    await ConsentRegistry(sessions).record(
        [ConsentRecord("V07", AgreedBy.RELATIVE, "Paul Durand (fils)", JULY - timedelta(days=9),
                       ConsentChannel.PHONE, True, True, "CCAS")],
        actor="superviseur", now=JULY - timedelta(days=8),
    )  # fmt: skip
    return person.id, scene.cycle_id


async def test_the_export_has_help_requests_and_consents_and_the_erasure_blanks_them(
    sessions: SessionFactory,
) -> None:
    person_id, _ = await _scene(sessions)
    data = PersonData(sessions)
    document = await data.export(person_id, actor=ACTOR, now=JULY)
    assert [h["answer"] for h in document["help_requests"]] == [ANSWER]
    assert [(c["relative_name"], c["regular_calls"]) for c in document["consents"]] == [
        ("Paul Durand (fils)", True)
    ]
    erased = await data.erase(person_id, actor=ACTOR, now=JULY)
    assert (erased["help_requests"], erased["consents_anonymised"]) == (1, 1)
    assert await counted(sessions, HelpRequest) == 0
    async with transaction(sessions) as session:
        consents = list(await session.scalars(select(ConsentRow)))
    # the proof the consent existed stays, without the name that re-identifies the person
    assert [(c.relative_name, c.agreed_by, c.collected_by) for c in consents] == [
        (None, AgreedBy.RELATIVE, "CCAS")
    ]
    after = await data.export(person_id, actor=ACTOR, now=JULY)
    assert after["help_requests"] == []
    assert "Paul Durand" not in str(after)


async def test_a_closed_cycles_ledger_purge_deletes_its_help_requests(
    sessions: SessionFactory,
) -> None:
    _, cycle_id = await _scene(sessions)
    await RetentionStore(sessions).purge_cycle_ledger(
        cycle_id, None, now=JULY + timedelta(days=800)
    )
    assert await counted(sessions, HelpRequest) == 0


async def test_the_answers_purge_empties_the_volunteer_calls_free_texts(
    sessions: SessionFactory,
) -> None:
    await _scene(sessions)
    store = RetentionStore(sessions)
    async with transaction(sessions) as session:
        for model in (OrientationRow, FollowUpRow):
            await session.execute(update(model).values(note="vit seule"))
    assert await store.purge_answers(JULY - timedelta(days=1)) == 0  # nothing that old
    removed = await store.purge_answers(JULY + timedelta(days=400))
    assert removed > 0
    async with transaction(sessions) as session:
        assert set(await session.scalars(select(Debrief.text))) == {""}
        assert set(await session.scalars(select(Debrief.answer))) == {None}
        assert set(await session.scalars(select(OrientationRow.note))) == {""}
        assert set(await session.scalars(select(FollowUpRow.note))) == {""}
        assert set(await session.scalars(select(HelpRequest.answer))) == {None}
        assert await session.scalar(select(func.count()).select_from(OrientationRow)) == 7


async def test_withdrawing_the_regular_calls_only_keeps_the_emergency_consent(
    sessions: SessionFactory,
) -> None:
    person_id, _ = await _scene(sessions)
    async with transaction(sessions) as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(Callback)
            .where(Callback.person_id == person_id, Callback.done.is_(False))
        )
    assert pending == 1  # the follow-up's call-back
    registry = ConsentRegistry(sessions)
    regular = frozenset({ConsentPurpose.REGULAR_CALLS})
    request = WithdrawalRequest("V07", AgreedBy.RELATIVE, ConsentChannel.PHONE, purposes=regular)
    at = JULY + timedelta(days=1)
    assert await registry.withdraw([request], actor="benevole", now=at) == 1
    assert await registry.withdraw([request], actor="benevole", now=at) == 0  # nothing left
    history = await registry.history("V07")
    consents = [row.consent() for row in history]
    assert not may_be_called(consents, ConsentPurpose.REGULAR_CALLS, at)
    assert may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, at)
    assert history[-1].withdrawn_at == at  # the original, withdrawn, stays as the proof
    async with transaction(sessions) as session:
        assert not await session.scalar(
            select(func.count())
            .select_from(Callback)
            .where(Callback.person_id == person_id, Callback.done.is_(False))
        )
        assert not await session.scalar(select(func.count()).select_from(PersonHold))
    # the purge of the volunteer calls' data is due once the retention has passed
    assert await registry.purge_withdrawn(at + timedelta(days=200), now=at) == 1
    # then the emergency consent goes too: nothing more to withdraw after that
    everything = WithdrawalRequest("V07", AgreedBy.PERSON, ConsentChannel.PHONE)
    assert await registry.withdraw([everything], actor="benevole", now=at) == 1
    consents = [row.consent() for row in await registry.history("V07")]
    assert not may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, at)
