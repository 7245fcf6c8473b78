"""What is kept about orientations and follow-ups follows the person's rights and the
retention rules, on SQLite and PostgreSQL: the access export lists them, an erasure
deletes them (with the follow-up's call-back, whose row they point at), a closed cycle's
ledger purge deletes them before its calls, and a withdrawn consent's purge deletes them
(and empties the household's other free texts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory
from dialer.storage.call_help import HelpRequest
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.storage.database import transaction
from dialer.storage.household_rows import Debrief, HouseholdAssignment
from dialer.storage.inbound_notes import InboundNote, InboundNotes
from dialer.storage.models import Attempt, Callback, Person
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.person_data import Actor, PersonData
from dialer.storage.retention import RetentionStore
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from tests.needs_scene import JULY, NeedsScene, needs_scene
from tests.stored import paper_consent, person_by_external_id

pytestmark = pytest.mark.asyncio
ACTOR = Actor("admin", "test")


async def counted(sessions: SessionFactory, model: type) -> int:
    async with transaction(sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def volunteers_facts(sessions: SessionFactory, scene: NeedsScene) -> None:
    """V07's volunteer: the household assigned to them, a debrief of each of its calls."""
    await create_account(sessions, "benevole", "mot de passe assez long", Role.VOLUNTEER)
    await create_account(sessions, "formatrice", "mot de passe assez long", Role.SUPERVISOR)
    await VolunteerRoster(sessions).train(  # only a trained volunteer is given a household
        "benevole", trained_by="formatrice", trained_on=(JULY - timedelta(days=30)).date(),
        actor="t", now=JULY,
    )  # fmt: skip
    desk = VolunteerCalls(sessions)
    await desk.assign(scene.campaign_id, "V07", "benevole", actor="superviseur", now=JULY)
    async with transaction(sessions) as session:
        calls = list(
            await session.scalars(
                select(Attempt.id)
                .join(Person, Person.id == Attempt.person_id)
                .where(Person.external_id == "V07")
            )
        )
        await session.execute(  # the scene's calls were the volunteer's, placed
            update(Attempt).where(Attempt.id.in_(calls)).values(agent="benevole", placed_at=JULY)
        )
    assert calls
    for call in calls:
        await desk.write_debrief(call, "benevole", "loyer impayé", flagged=True, now=JULY)
    notes = InboundNotes(sessions)  # a neighbour called about them, from a number unknown
    await notes.write(
        "1790000000.77",
        caller="+33699999999",
        cycle_id=scene.cycle_id,
        agent="agent1",
        note="la voisine : plus de chauffage",
        at=JULY,
    )
    person = await person_by_external_id(sessions, "V07")
    assert person is not None
    await notes.attached("1790000000.77", person.id)


HELP_ANSWER = "parle de sa dépression, rappeler le CMP"


async def answered_help(sessions: SessionFactory, person_id: int) -> None:
    """The volunteer asked for help on one of the person's calls; the coordinator answered."""
    async with transaction(sessions) as session:
        call = await session.scalar(select(Attempt.id).where(Attempt.person_id == person_id))
        assert call is not None
        session.add(
            HelpRequest(agent="benevole", attempt_id=call, person_id=person_id, raised_at=JULY,
                        acknowledged_at=JULY, acknowledged_by="coord", answer=HELP_ANSWER)
        )  # fmt: skip


async def test_an_erasure_takes_its_orientations_and_follow_ups(sessions: SessionFactory) -> None:
    await volunteers_facts(sessions, await needs_scene(sessions))
    person = await person_by_external_id(sessions, "V07")  # oriented, with a follow-up
    assert person is not None
    data = PersonData(sessions)
    document = await data.export(person.id, actor=ACTOR, now=JULY)
    assert [o["need"] for o in document["orientations"]] == ["housing"]
    assert len(document["follow_ups"]) == 1
    assert {d["text"] for d in document["volunteer_debriefs"]} == {"loyer impayé"}
    assert len(document["household_assignments"]) == 1
    assert [(n["note"], n["caller"]) for n in document["inbound_notes"]] == [
        ("la voisine : plus de chauffage", "+33699999999")
    ]
    erased = await data.erase(person.id, actor=ACTOR, now=JULY)
    assert (erased["orientations"], erased["follow_ups"]) == (1, 1)
    assert erased["volunteer_debriefs"] >= 1
    assert erased["household_assignments"] == 1
    assert erased["inbound_notes"] == 1
    assert await counted(sessions, InboundNote) == 0
    assert await counted(sessions, Debrief) == 0
    assert await counted(sessions, HouseholdAssignment) == 0
    assert await counted(sessions, OrientationRow) == 6  # the others' stay
    assert await counted(sessions, FollowUpRow) == 1


async def test_a_closed_cycles_purge_deletes_them_before_its_calls(
    sessions: SessionFactory,
) -> None:
    scene = await needs_scene(sessions)
    await volunteers_facts(sessions, scene)
    async with transaction(sessions) as session:
        await session.execute(update(Callback).values(note="rappeler"))
    purged = await RetentionStore(sessions).purge_cycle_ledger(
        scene.cycle_id, None, now=JULY + timedelta(days=800)
    )
    assert purged == 13
    for model in (OrientationRow, FollowUpRow, Callback, Attempt, Debrief, InboundNote):
        assert await counted(sessions, model) == 0


async def test_a_withdrawn_consents_purge_deletes_orientations_and_empties_notes(
    sessions: SessionFactory,
) -> None:
    """After the retention, the household's orientations and follow-ups go (need,
    resource, dates tied to them: the published needs analyses keep only aggregates), its
    debriefs, caller notes and the coordinators' answers to help are emptied; the
    consents stay as the proof, and the other households' facts stay."""
    await volunteers_facts(sessions, await needs_scene(sessions))
    person = await person_by_external_id(sessions, "V07")
    assert person is not None
    await answered_help(sessions, person.id)
    registry = ConsentRegistry(sessions)
    consent = paper_consent("V07", JULY - timedelta(days=60))
    await registry.record([consent], actor="superviseur", now=JULY)
    await registry.withdraw(
        [WithdrawalRequest("V07", AgreedBy.PERSON, ConsentChannel.PHONE)],
        actor="superviseur",
        now=JULY + timedelta(days=1),
    )
    others = await counted(sessions, OrientationRow) - await _count_of(sessions, person.id)
    assert await registry.purge_withdrawn(JULY + timedelta(days=200), now=JULY) == 1
    assert await _count_of(sessions, person.id) == 0
    assert await counted(sessions, OrientationRow) == others  # the others' stay
    async with transaction(sessions) as session:
        follow_ups = await session.scalar(
            select(func.count()).select_from(FollowUpRow).where(FollowUpRow.person_id == person.id)
        )
        debriefs = set(await session.scalars(select(Debrief.text)))
        caller_notes = set(await session.scalars(select(InboundNote.note)))
        answers = set(await session.scalars(select(HelpRequest.answer)))
        consents = list(await session.scalars(select(ConsentRow)))
    assert follow_ups == 0
    assert debriefs == {""}  # the volunteer's debriefs of the household
    assert caller_notes == {""}  # what agents noted about who called about them
    assert answers == {None}  # the coordinator's answer to help asked on its call
    assert [c.purged_at is not None and c.withdrawn_at is not None for c in consents] == [True]


async def _count_of(sessions: SessionFactory, person_id: int) -> int:
    async with transaction(sessions) as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OrientationRow)
                .where(OrientationRow.person_id == person_id)
            )
            or 0
        )
