"""Help requests and consents follow the person's rights and the retention rules, on
SQLite and PostgreSQL: the access export lists them; an erasure deletes the help requests
and empties the relative's name on the consents (the proof stays, pseudonymous); a closed
cycle's ledger purge deletes its help requests; the 12-month answers-and-notes purge
empties the volunteer calls' free texts (debriefs, orientation and follow-up notes, help
answers); a withdrawal of the regular calls only keeps the emergency consent running
(with its original recorder), cancels the household's call-backs and records no
opposition, and its purge takes only what the veille-sociale campaigns collected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dialer.core.attempts import AttemptKind, AttemptState
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.core.pacing_settings import PacingMode
from dialer.storage import SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.call_help import HelpRequest
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.household_rows import Debrief
from dialer.storage.inbound_notes import InboundNote, InboundNotes
from dialer.storage.models import Attempt, Callback
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


async def _emergency_facts(sessions: SessionFactory, person_id: int) -> tuple[int, str]:
    """A heatwave campaign called V07, who asked for help on that call; two notes of calls
    coming in about them, one during that campaign, one on no campaign: (cycle, call)."""
    campaign = await CampaignRepository(sessions).create(
        name="Canicule", kind=CampaignKind.HEATWAVE, questionnaire_id="canicule",
        questionnaire_version="1", caller_id="+33140000001", pacing_mode=PacingMode.PREVIEW,
        calling_windows={}, retry_policy={}, now=JULY,
    )  # fmt: skip
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=JULY, deadline=JULY + timedelta(days=7)
    )
    call = "00000000-0000-0000-0000-0000000c0c01"
    async with transaction(sessions) as session:
        session.add(
            Attempt(id=call, cycle_id=cycle.id, person_id=person_id, number="+33145670007",
                    kind=AttemptKind.AUTOMATIC, state=AttemptState.ENDED, planned_for=JULY,
                    agent="agent1")
        )  # fmt: skip
        await session.flush()
        session.add(
            HelpRequest(agent="agent1", attempt_id=call, person_id=person_id, raised_at=JULY,
                        acknowledged_at=JULY, acknowledged_by="coord", answer="appeler le SAMU")
        )  # fmt: skip
    notes = InboundNotes(sessions)
    for uniqueid, cycle_id in (("1790000000.81", cycle.id), ("1790000000.82", None)):
        await notes.write(uniqueid, caller="+33699999998", cycle_id=cycle_id, agent="agent1",
                          note="sa fille : il fait 35° chez lui", at=JULY)  # fmt: skip
        await notes.attached(uniqueid, person_id)
    return cycle.id, call


async def test_a_partial_withdrawals_purge_keeps_the_emergency_side(
    sessions: SessionFactory,
) -> None:
    person_id, _ = await _scene(sessions)
    _, emergency_call = await _emergency_facts(sessions, person_id)
    registry = ConsentRegistry(sessions)
    [original] = await registry.history("V07")
    regular = frozenset({ConsentPurpose.REGULAR_CALLS})
    at = JULY + timedelta(days=1)
    request = WithdrawalRequest("V07", AgreedBy.RELATIVE, ConsentChannel.PHONE, purposes=regular)
    assert await registry.withdraw([request], actor="benevole", now=at) == 1
    kept, withdrawn = await registry.history("V07")
    # the copy still running is the same agreement, recorded when and by whom it was
    assert (kept.recorded_by, kept.recorded_at) == ("superviseur", original.recorded_at)
    assert (kept.collected_by, kept.agreed_at) == (original.collected_by, original.agreed_at)
    assert (kept.regular_calls, kept.emergency_campaigns, kept.withdrawn_at) == (False, True, None)
    assert withdrawn.withdrawal_recorded_by == "benevole"
    [entry] = await AuditLog(sessions).search(AuditFilter(action="consent.withdrawn"))
    assert (entry.details["stopped"], entry.details["kept"]) == (
        ["regular_calls"],
        ["emergency_campaigns"],
    )
    document = await PersonData(sessions).export(person_id, actor=ACTOR, now=at)
    assert {c["recorded_by"] for c in document["consents"]} == {"superviseur"}

    assert await registry.purge_withdrawn(at + timedelta(days=200), now=at) == 1
    async with transaction(sessions) as session:
        help_answers = dict(
            (await session.execute(select(HelpRequest.attempt_id, HelpRequest.answer))).all()
        )
        notes = dict(
            (await session.execute(select(InboundNote.attempt_id, InboundNote.note))).all()
        )
        consents = {row.id: row.purged_at for row in await session.scalars(select(ConsentRow))}
        debriefs = set(await session.scalars(select(Debrief.text)))
    assert help_answers.pop(emergency_call) == "appeler le SAMU"  # the emergency call's
    assert set(help_answers.values()) == {None}  # the volunteer's call's
    assert notes == {
        "1790000000.77": "",  # a call coming in during the veille-sociale campaign
        "1790000000.81": "sa fille : il fait 35° chez lui",  # during the heatwave
        "1790000000.82": "sa fille : il fait 35° chez lui",  # on no campaign
    }
    assert debriefs == {""}
    assert consents[withdrawn.id] == at
    assert consents[kept.id] is None  # still running
    assert await registry.purge_withdrawn(at + timedelta(days=200), now=at) == 0  # done
