from __future__ import annotations

from datetime import date, timedelta

import pytest

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.core.phones import PhoneKind
from dialer.errors import NotFoundError
from dialer.storage import (
    AttemptLedger,
    CycleResultRepository,
    PersonRepository,
    PhoneRecord,
    SessionFactory,
)
from tests.stored import active_people, count_active_people, person_by_external_id

from .conftest import NOW, Scene, person

LATER = NOW + timedelta(days=7)


@pytest.mark.asyncio
async def test_added_people_are_stored_with_their_numbers_in_order(
    sessions: SessionFactory,
) -> None:
    people = PersonRepository(sessions)
    record = person("X9", "Garçon", "+33612345678", "+33145678910")
    record.birth_date = date(1938, 2, 14)
    record.register_flags = {"Handicap": "fauteuil"}
    record.disabled = True
    await people.write_batch([record], [], now=NOW)

    stored = await person_by_external_id(sessions, "X9")
    assert stored is not None
    assert stored.last_name == "Garçon"
    assert stored.birth_date == date(1938, 2, 14)
    assert stored.register_flags == {"Handicap": "fauteuil"}
    assert stored.disabled
    assert [(p.position, p.e164) for p in stored.phones] == [
        (0, "+33612345678"),
        (1, "+33145678910"),
    ]
    assert stored.created_at == stored.updated_at == NOW
    assert stored.fingerprint == record.fingerprint()
    assert (await people.get(stored.id)).external_id == "X9"
    assert await person_by_external_id(sessions, "nobody") is None
    with pytest.raises(NotFoundError):
        await people.get(stored.id + 1000)


@pytest.mark.asyncio
async def test_a_changed_person_gets_the_new_fields_and_numbers(
    sessions: SessionFactory, scene: Scene
) -> None:
    people = PersonRepository(sessions)
    changed = person("A1", "Dupont", "+33699999999")
    changed.city = "Lyon"
    await people.write_batch([], [changed], now=LATER)
    stored = await person_by_external_id(sessions, "A1")
    assert stored is not None
    assert stored.id == scene.alice_id
    assert stored.city == "Lyon"
    assert [p.e164 for p in stored.phones] == ["+33699999999"]
    assert stored.created_at == NOW
    assert stored.updated_at == LATER
    assert stored.fingerprint == changed.fingerprint()


@pytest.mark.asyncio
async def test_a_removed_person_is_kept_with_their_history(
    sessions: SessionFactory, scene: Scene
) -> None:
    people = PersonRepository(sessions)
    ledger = AttemptLedger(sessions)
    attempt = await ledger.record_planned(
        cycle_id=scene.cycle_id,
        person_id=scene.bob_id,
        number="+33612345678",
        kind=AttemptKind.AUTOMATIC,
        planned_for=NOW,
    )
    await ledger.close(attempt.id, CallOutcome.NO_ANSWER, at=NOW)
    await CycleResultRepository(sessions).record(
        cycle_id=scene.cycle_id,
        person_id=scene.bob_id,
        result=CycleResult.NEVER_REACHED,
        decided_at=NOW,
    )

    assert await people.remove(["B2", "unknown"], now=LATER) == 1
    assert await people.remove(["B2"], now=LATER + timedelta(days=1)) == 0  # already removed

    bob = await person_by_external_id(sessions, "B2")
    assert bob is not None
    assert bob.removed_at == LATER
    assert [p.external_id for p in await active_people(sessions)] == ["A1"]
    assert await count_active_people(sessions) == 1
    assert [a.id for a in await ledger.for_person(scene.bob_id)] == [attempt.id]
    follow_up = await CycleResultRepository(sessions).never_reached(scene.cycle_id)
    assert [p.external_id for p in follow_up] == ["B2"]

    # back on the register: the same person, history intact
    await people.write_batch([], [person("B2", "Lefèvre", "+33612345678")], now=LATER)
    back = await person_by_external_id(sessions, "B2")
    assert back is not None
    assert back.id == scene.bob_id
    assert back.removed_at is None


@pytest.mark.asyncio
async def test_numbers_shared_by_two_people_on_the_register_are_flagged(
    sessions: SessionFactory,
) -> None:
    people = PersonRepository(sessions)
    husband = person("H", "Martin", "+33145678910", "+33611111111")
    wife = person("W", "Martin", "+33145678910")
    other = person("O", "Bernard", "+33622222222")
    await people.write_batch([husband, wife, other], [], now=NOW)
    assert await people.flag_shared_numbers() == 2
    assert await people.flag_shared_numbers() == 0

    flagged = {
        (p.external_id, n.e164): n.shared_with_other_person
        for p in await active_people(sessions)
        for n in p.phones
    }
    assert flagged == {
        ("H", "+33145678910"): True,
        ("H", "+33611111111"): False,
        ("W", "+33145678910"): True,
        ("O", "+33622222222"): False,
    }

    await people.remove(["W"], now=LATER)
    # W is off the register: H's number is no longer shared; W's still is (H is on it)
    assert await people.flag_shared_numbers() == 1
    husband_now = await person_by_external_id(sessions, "H")
    assert husband_now is not None
    assert not any(n.shared_with_other_person for n in husband_now.phones)


def test_a_fingerprint_changes_with_any_field() -> None:
    base = person("K", "Petit", "+33145678910")
    same = person("K", "Petit", "+33145678910")
    assert base.fingerprint() == same.fingerprint()
    moved = person("K", "Petit", "+33145678910")
    moved.postcode = "75011"
    reordered = person("K", "Petit", "+33145678910")
    reordered.phones.append(PhoneRecord("+33611111111", PhoneKind.MOBILE))
    assert len({base.fingerprint(), moved.fingerprint(), reordered.fingerprint()}) == 3
