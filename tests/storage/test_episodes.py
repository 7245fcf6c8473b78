"""Alert episodes and their cycles in storage, on SQLite and PostgreSQL: one cycle per
slot even with two controllers racing, the register of the instant in each new cycle,
and people still waiting at the closing on the never-reached list with the reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.episodes import AlertKind
from dialer.errors import ConflictError
from dialer.storage import (
    CycleRepository,
    CycleResultRepository,
    PersonRepository,
    SessionFactory,
)
from dialer.storage.database import transaction
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import CycleResultRow
from dialer.storage.schedule import (
    CycleMember,
    CycleSchedule,
    MemberStatus,
    open_cycle_with_register,
)
from tests.stored import enrol, person_by_external_id

from .conftest import NOW, Scene, person


@pytest.mark.asyncio
async def test_episodes_of_one_kind_never_share_an_area_and_each_ends_once(
    sessions: SessionFactory, scene: Scene
) -> None:
    episodes = EpisodeRepository(sessions)
    started = await episodes.start(
        kind=AlertKind.FLOOD,
        level=3,
        districts=["11e"],
        by="superviseur",
        at=NOW,
        campaign_id=scene.campaign_id,
    )
    assert (started.kind, started.districts, started.active) == (AlertKind.FLOOD, ("11e",), True)
    with pytest.raises(ConflictError, match="en cours sur la même zone"):
        await episodes.start(kind=AlertKind.FLOOD, level=1, districts=[], by="x", at=NOW)
    # another kind, or the same kind elsewhere, lasts beside it (with its own campaign)
    heat = await episodes.start(kind=AlertKind.HEATWAVE, level=3, districts=[], by="x", at=NOW)
    other = await episodes.start(kind=AlertKind.FLOOD, level=2, districts=["4e"], by="x", at=NOW)
    assert [e.id for e in await episodes.running()] == [started.id, heat.id, other.id]
    for episode in (heat, other):
        await episodes.end(episode.id, by="x", at=NOW)
    assert await episodes.get(started.id) == started
    assert [e.id for e in await episodes.with_cycles_to_run()] == [started.id]
    ended = await episodes.end(started.id, by="chef", at=NOW + timedelta(hours=5))
    assert (ended.ended_by, ended.active) == ("chef", False)
    with pytest.raises(ConflictError, match="déjà terminé"):
        await episodes.end(started.id, by="chef", at=NOW + timedelta(hours=6))
    assert await episodes.current() is None
    # ended, but its cycle is still open: the keeper still has to close it
    assert [e.id for e in await episodes.with_cycles_to_run()] == [started.id]
    await CycleRepository(sessions).close(scene.cycle_id, at=NOW + timedelta(hours=5))
    assert await episodes.with_cycles_to_run() == []


@pytest.mark.asyncio
async def test_closing_puts_people_still_waiting_on_the_never_reached_list_with_why(
    sessions: SessionFactory, scene: Scene
) -> None:
    people = PersonRepository(sessions)
    await people.write_batch([person("C3", "Martin", "+33699999999")], [], now=NOW)
    carla = await person_by_external_id(sessions, "C3")
    assert carla is not None
    schedule = CycleSchedule(sessions)
    await enrol(
        sessions,
        scene.cycle_id,
        [
            (scene.alice_id, "+33145678910", NOW),
            (scene.bob_id, "+33612345678", NOW),
            (carla.id, "+33699999999", NOW),
        ],
    )
    # Alice was dialled twice and waits for a third try; Bob is in a call; Carla never
    # dialled
    ledger = AttemptLedger(sessions)
    for attempt_id, due in (("a-1", NOW - timedelta(minutes=1)), ("a-2", NOW + timedelta(days=2))):
        [taken] = await schedule.take_due(scene.cycle_id, 1, now=NOW, planned_ids=[attempt_id])
        assert taken.person_id == scene.alice_id
        assert await ledger.mark_dialing(attempt_id, at=NOW)
        member = await schedule.member_of_attempt(attempt_id)
        assert member is not None
        await schedule.set_status(
            member.id, MemberStatus.WAITING, next_due_at=due, next_number="+33145678910"
        )
    [in_call] = await schedule.take_due(scene.cycle_id, 1, now=NOW, planned_ids=["c-1"])
    assert in_call.person_id == scene.bob_id
    assert await ledger.mark_dialing("c-1", at=NOW)
    cycles = CycleRepository(sessions)
    closed = await cycles.close(scene.cycle_id, at=NOW + timedelta(days=1))
    assert {(n.person_id, n.reason, n.attempts) for n in closed.never_reached} == {
        (scene.alice_id, NeverReachedReason.DEADLINE_REACHED, 2),
        (carla.id, NeverReachedReason.NEVER_ATTEMPTED, 0),
    }
    async with transaction(sessions) as session:
        rows = list(await session.scalars(select(CycleResultRow)))
    assert {(r.person_id, r.result, r.never_reached_reason, r.attempt_count) for r in rows} == {
        (scene.alice_id, CycleResult.NEVER_REACHED, NeverReachedReason.DEADLINE_REACHED, 2),
        (carla.id, CycleResult.NEVER_REACHED, NeverReachedReason.NEVER_ATTEMPTED, 0),
    }
    counts = await schedule.counts(scene.cycle_id)
    assert (counts[MemberStatus.DONE], counts[MemberStatus.IN_CALL]) == (2, 1)  # Bob's call goes on
    with pytest.raises(ConflictError, match="already closed"):
        await cycles.close(scene.cycle_id, at=NOW + timedelta(days=1))


@pytest.mark.asyncio
async def test_two_controllers_racing_for_a_slot_open_it_once_with_the_register_of_then(
    sessions: SessionFactory, scene: Scene
) -> None:
    people = PersonRepository(sessions)
    await people.write_batch(
        [person("D4", "Nouvelle", "+33611111111"), person("E5", "Partie", "+33622222222")],
        [],
        now=NOW,
    )
    await people.remove(["B2"], now=NOW)
    gone = await person_by_external_id(sessions, "E5")
    assert gone is not None
    await CycleResultRepository(sessions).record(
        cycle_id=scene.cycle_id, person_id=gone.id, result=CycleResult.MOVED, decided_at=NOW
    )
    cycles = CycleRepository(sessions)
    await cycles.close(scene.cycle_id, at=NOW + timedelta(days=1))
    start = NOW + timedelta(days=1)

    async def open_slot() -> object:
        return await open_cycle_with_register(
            sessions,
            scene.campaign_id,
            number=2,
            started_at=start,
            deadline=start + timedelta(days=1),
            due=start,
            left_with=[CycleResult.MOVED, CycleResult.DECEASED],
        )

    outcomes = await asyncio.gather(*(open_slot() for _ in range(4)), return_exceptions=True)
    opened = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert (len(opened), len(refused)) == (1, 3), outcomes
    cycle, members = opened[0]
    assert (cycle.number, members) == (2, 2)
    assert [c.number for c in await cycles.list_for(scene.campaign_id)] == [1, 2]
    added = await person_by_external_id(sessions, "D4")
    assert added is not None
    async with transaction(sessions) as session:
        in_cycle = set(
            await session.scalars(
                select(CycleMember.person_id).where(CycleMember.cycle_id == cycle.id)
            )
        )
    assert in_cycle == {scene.alice_id, added.id}  # added in; removed and moved out
    with pytest.raises(ConflictError):
        await open_slot()
