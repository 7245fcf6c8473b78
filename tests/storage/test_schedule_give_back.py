"""Planned attempts never dialled go back to the queue, each exactly once (issue 24)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.core.attempts import AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.storage import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import CycleSchedule, MemberStatus
from tests.stored import enrol

from .conftest import NOW, Scene


@pytest.mark.asyncio
async def test_undialled_planned_attempts_return_their_people_to_the_queue_once(
    sessions: SessionFactory, scene: Scene
) -> None:
    schedule = CycleSchedule(sessions)
    ledger = AttemptLedger(sessions)
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    taken = await schedule.take_due(scene.cycle_id, 2, now=NOW, planned_ids=["a-1", "b-1"])
    assert len(taken) == 2
    assert await ledger.mark_dialing("b-1", at=NOW)  # dialled: not given back
    later = NOW + timedelta(seconds=5)

    assert await schedule.give_back(scene.cycle_id, now=later) == ["a-1"]
    assert await schedule.give_back(scene.cycle_id, now=later) == []  # exactly once
    assert not await ledger.mark_dialing("a-1", at=later)  # never dialled afterwards
    withdrawn = await ledger.get("a-1")
    assert withdrawn.state is AttemptState.FAILED
    assert withdrawn.placed_at is None
    counts = await schedule.counts(scene.cycle_id)
    assert counts[MemberStatus.WAITING] == 1
    assert counts[MemberStatus.IN_CALL] == 1
    again = await schedule.take_due(scene.cycle_id, 2, now=later, planned_ids=["a-2", "x"])
    assert [(a.id, a.person_id) for a in again] == [("a-2", scene.alice_id)]


@pytest.mark.asyncio
async def test_giving_back_named_attempts_leaves_the_others(
    sessions: SessionFactory, scene: Scene
) -> None:
    schedule = CycleSchedule(sessions)
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    await schedule.take_due(scene.cycle_id, 2, now=NOW, planned_ids=["a-1", "b-1"])
    assert await schedule.give_back(scene.cycle_id, now=NOW, attempt_ids=["b-1"]) == ["b-1"]
    assert (await AttemptLedger(sessions).get("a-1")).state is AttemptState.PLANNED


@pytest.mark.asyncio
async def test_calls_awaiting_their_wrap_up_are_listed_until_disposed(
    sessions: SessionFactory, scene: Scene
) -> None:
    schedule = CycleSchedule(sessions)
    ledger = AttemptLedger(sessions)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", NOW)])
    await schedule.take_due(scene.cycle_id, 1, now=NOW, planned_ids=["a-1"])
    await ledger.mark_dialing("a-1", at=NOW)
    await ledger.advance("a-1", AttemptState.BRIDGED, at=NOW, agent="agent-1001", answered_at=NOW)
    await ledger.close("a-1", CallOutcome.ANSWERED, at=NOW + timedelta(minutes=3))
    assert await ledger.awaiting_wrap_up() == []  # the person is not in wrap-up yet
    member = await schedule.member_of_attempt("a-1")
    assert member is not None
    await schedule.set_status(member.id, MemberStatus.WRAP_UP, keep_attempt=True)
    assert [a.id for a in await ledger.awaiting_wrap_up()] == ["a-1"]
    await schedule.set_status(member.id, MemberStatus.DONE)
    assert await ledger.awaiting_wrap_up() == []


@pytest.mark.asyncio
async def test_attempts_closed_but_never_settled_are_found_for_the_queue(
    sessions: SessionFactory, scene: Scene
) -> None:
    """A controller killed between the close's commit and the settling's leaves the
    person in call with a closed attempt: the next controller finds it."""
    schedule = CycleSchedule(sessions)
    ledger = AttemptLedger(sessions)
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    await schedule.take_due(scene.cycle_id, 2, now=NOW, planned_ids=["a-1", "b-1"])
    for attempt in ("a-1", "b-1"):
        await ledger.mark_dialing(attempt, at=NOW)
    await ledger.close("a-1", CallOutcome.BUSY, at=NOW + timedelta(seconds=20))
    # b-1 still in flight: not for the queue (reconciliation closes it first)
    assert await schedule.unsettled(scene.cycle_id) == [("a-1", CallOutcome.BUSY)]
    member = await schedule.member_of_attempt("a-1")
    assert member is not None
    await schedule.set_status(member.id, MemberStatus.WAITING)
    assert await schedule.unsettled(scene.cycle_id) == []


@pytest.mark.asyncio
async def test_wrap_ups_nobody_will_end_are_found_for_the_queue(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Seen in the full chaos run (PostgreSQL): a person left in wrap-up for ever. Either
    the ledger recorded the wrap-up's end and the controller died before the queue's
    commit, or no agent is known to end it."""
    schedule = CycleSchedule(sessions)
    ledger = AttemptLedger(sessions)
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    await schedule.take_due(scene.cycle_id, 2, now=NOW, planned_ids=["a-1", "b-1"])
    later = NOW + timedelta(minutes=3)
    for attempt in ("a-1", "b-1"):
        await ledger.mark_dialing(attempt, at=NOW)
    await ledger.advance("a-1", AttemptState.BRIDGED, at=NOW, agent="agent-1001", answered_at=NOW)
    for attempt in ("a-1", "b-1"):
        await ledger.close(attempt, CallOutcome.ANSWERED, at=later)
        member = await schedule.member_of_attempt(attempt)
        assert member is not None
        await schedule.set_status(member.id, MemberStatus.WRAP_UP, keep_attempt=True)
    # a-1: its agent will end it (listed by awaiting_wrap_up); b-1: no agent known
    assert await schedule.undisposed(scene.cycle_id) == [("b-1", None, True)]
    await ledger.wrap_up_done("a-1", at=later, result=CycleResult.REACHED)
    assert sorted(await schedule.undisposed(scene.cycle_id)) == [
        ("a-1", CycleResult.REACHED, False),
        ("b-1", None, True),
    ]
