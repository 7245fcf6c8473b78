from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.core.attempts import AttemptKind, AttemptState, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage import AttemptLedger, SessionFactory, create_engine, create_session_factory
from dialer.storage.ledger import LedgerAdvance, LedgerChange, LedgerClose, LedgerWrapUp
from dialer.storage.models import Attempt

from .conftest import NOW, Scene


async def plan(ledger: AttemptLedger, scene: Scene, minutes: int = 0) -> Attempt:
    return await ledger.record_planned(
        cycle_id=scene.cycle_id,
        person_id=scene.alice_id,
        number="+33145678910",
        kind=AttemptKind.AUTOMATIC,
        planned_for=NOW + timedelta(minutes=minutes),
    )


@pytest.mark.asyncio
async def test_an_attempt_goes_forward_through_its_states(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    attempt = await plan(ledger, scene)
    assert len(attempt.id) == 36
    assert (await ledger.get(attempt.id)).state is AttemptState.PLANNED

    assert await ledger.mark_dialing(attempt.id, at=NOW, node="asterisk-1")
    await ledger.advance(attempt.id, AttemptState.RINGING, at=NOW + timedelta(seconds=1))
    await ledger.advance(attempt.id, AttemptState.ANSWERED, at=NOW + timedelta(seconds=5))
    await ledger.advance(
        attempt.id, AttemptState.BRIDGED, at=NOW + timedelta(seconds=6), agent="agent-1001"
    )
    await ledger.close(
        attempt.id, CallOutcome.ANSWERED, at=NOW + timedelta(minutes=3), hangup_cause=16
    )

    stored = await ledger.get(attempt.id)
    assert stored.state is AttemptState.ENDED
    assert stored.outcome is CallOutcome.ANSWERED
    assert stored.node == "asterisk-1"
    assert stored.agent == "agent-1001"
    assert stored.hangup_cause == 16
    assert stored.placed_at == NOW
    assert stored.answered_at == NOW + timedelta(seconds=5)
    assert stored.bridged_at == NOW + timedelta(seconds=6)
    assert stored.ended_at == NOW + timedelta(minutes=3)


@pytest.mark.asyncio
async def test_the_wrap_up_is_written_with_its_disposition(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    attempt = await plan(ledger, scene)
    assert await ledger.mark_dialing(attempt.id, at=NOW)
    await ledger.close(attempt.id, CallOutcome.ANSWERED, at=NOW + timedelta(minutes=2))
    await ledger.wrap_up_done(attempt.id, at=NOW + timedelta(minutes=3), result=CycleResult.REACHED)

    stored = await ledger.get(attempt.id)
    assert stored.state is AttemptState.ENDED
    assert stored.wrap_up_done_at == NOW + timedelta(minutes=3)
    assert stored.disposition is CycleResult.REACHED


@pytest.mark.asyncio
async def test_a_state_never_moves_backward(sessions: SessionFactory, scene: Scene) -> None:
    ledger = AttemptLedger(sessions)
    attempt = await plan(ledger, scene)
    assert await ledger.mark_dialing(attempt.id, at=NOW)
    await ledger.advance(attempt.id, AttemptState.ANSWERED, at=NOW)  # ringing may be skipped

    with pytest.raises(ConflictError, match="from answered to ringing"):
        await ledger.advance(attempt.id, AttemptState.RINGING, at=NOW)
    with pytest.raises(ConflictError, match="from answered to answered"):
        await ledger.advance(attempt.id, AttemptState.ANSWERED, at=NOW)

    await ledger.close(attempt.id, CallOutcome.ABANDONED, at=NOW)
    with pytest.raises(ConflictError, match="from ended to ended"):
        await ledger.close(attempt.id, CallOutcome.ANSWERED, at=NOW)
    with pytest.raises(ConflictError, match="from ended to bridged"):
        await ledger.advance(attempt.id, AttemptState.BRIDGED, at=NOW)
    assert not await ledger.mark_dialing(attempt.id, at=NOW)
    assert (await ledger.get(attempt.id)).outcome is CallOutcome.ABANDONED


@pytest.mark.asyncio
async def test_a_failed_attempt_is_final(sessions: SessionFactory, scene: Scene) -> None:
    ledger = AttemptLedger(sessions)
    attempt = await plan(ledger, scene)
    await ledger.close(attempt.id, CallOutcome.FAILED, at=NOW, failed=True)
    assert (await ledger.get(attempt.id)).state is AttemptState.FAILED
    assert not await ledger.mark_dialing(attempt.id, at=NOW)
    with pytest.raises(ConflictError, match="from failed to ended"):
        await ledger.close(attempt.id, CallOutcome.BUSY, at=NOW)


@pytest.mark.asyncio
async def test_unknown_attempts_and_wrong_states_are_named(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    with pytest.raises(NotFoundError, match="nope"):
        await ledger.mark_dialing("nope", at=NOW)
    with pytest.raises(NotFoundError, match="nope"):
        await ledger.close("nope", CallOutcome.BUSY, at=NOW)
    attempt = await plan(ledger, scene)
    with pytest.raises(InputError, match="ended"):
        await ledger.advance(attempt.id, AttemptState.ENDED, at=NOW)


@pytest.mark.asyncio
async def test_mark_dialing_succeeds_once_when_called_twice_at_the_same_time(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    attempts = [await plan(ledger, scene, minutes) for minutes in range(5)]
    for attempt in attempts:
        results = await asyncio.gather(
            ledger.mark_dialing(attempt.id, at=NOW),
            ledger.mark_dialing(attempt.id, at=NOW),
        )
        assert sorted(results) == [False, True]


@pytest.mark.asyncio
async def test_mark_dialing_succeeds_once_across_two_processes_engines(
    engine: AsyncEngine, sessions: SessionFactory, scene: Scene
) -> None:
    """Two dialers (two engines, two connection pools) racing for the same attempts."""
    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        ours = AttemptLedger(sessions)
        theirs = AttemptLedger(create_session_factory(other_engine))
        attempts = [await plan(ours, scene, minutes) for minutes in range(10)]

        async def race(ledger: AttemptLedger) -> list[bool]:
            return [await ledger.mark_dialing(a.id, at=NOW) for a in attempts]

        mine, other = await asyncio.gather(race(ours), race(theirs))
    finally:
        await other_engine.dispose()
    assert all(a != b for a, b in zip(mine, other, strict=True))
    assert sum(mine) + sum(other) == len(attempts)


@pytest.mark.asyncio
async def test_in_flight_lists_what_a_restart_must_reconcile(
    engine: AsyncEngine, sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    planned = await plan(ledger, scene, 0)
    dialing = await plan(ledger, scene, 1)
    bridged = await plan(ledger, scene, 2)
    ended = await plan(ledger, scene, 3)
    for attempt in (dialing, bridged, ended):
        assert await ledger.mark_dialing(attempt.id, at=NOW)
    await ledger.advance(bridged.id, AttemptState.BRIDGED, at=NOW, agent="agent-1002")
    await ledger.close(ended.id, CallOutcome.NO_ANSWER, at=NOW, sip_status=480)

    # a restart: a new engine on the same database sees the same ledger
    restarted = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        after_restart = AttemptLedger(create_session_factory(restarted))
        assert [a.id for a in await after_restart.in_flight()] == [dialing.id, bridged.id]
        assert [a.id for a in await after_restart.in_flight(scene.cycle_id)] == [
            dialing.id,
            bridged.id,
        ]
        assert await after_restart.in_flight(scene.cycle_id + 1000) == []
        assert [a.id for a in await after_restart.planned(scene.cycle_id)] == [planned.id]
        assert len(await after_restart.for_person(scene.alice_id)) == 4
    finally:
        await restarted.dispose()


@pytest.mark.asyncio
async def test_bridging_records_the_answer_time_unless_already_known(
    sessions: SessionFactory, scene: Scene
) -> None:
    """The join's ledger write may come before the answer's: it then records the answer
    time itself, in the same transaction; a known answer time is never overwritten."""
    ledger = AttemptLedger(sessions)
    first, second = await plan(ledger, scene), await plan(ledger, scene, minutes=1)
    for attempt in (first, second):
        assert await ledger.mark_dialing(attempt.id, at=NOW, node="asterisk-1")
    await ledger.advance(second.id, AttemptState.ANSWERED, at=NOW + timedelta(seconds=4))
    for attempt in (first, second):
        await ledger.advance(
            attempt.id,
            AttemptState.BRIDGED,
            at=NOW + timedelta(seconds=6),
            agent="agent-1001",
            answered_at=NOW + timedelta(seconds=5),
        )
    assert (await ledger.get(first.id)).answered_at == NOW + timedelta(seconds=5)
    assert (await ledger.get(second.id)).answered_at == NOW + timedelta(seconds=4)
    assert (await ledger.get(second.id)).bridged_at == NOW + timedelta(seconds=6)


@pytest.mark.asyncio
async def test_a_batch_is_one_transaction_and_refuses_a_bad_change_alone(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    first, second = await plan(ledger, scene), await plan(ledger, scene, minutes=1)
    for attempt in (first, second):
        assert await ledger.mark_dialing(attempt.id, at=NOW, node="asterisk-1")
    later = NOW + timedelta(seconds=5)
    batch: list[LedgerChange] = [
        LedgerAdvance(first.id, AttemptState.ANSWERED, later),
        LedgerAdvance(first.id, AttemptState.BRIDGED, later, "agent-1001", later),
        LedgerClose(second.id, CallOutcome.BUSY, later, 17, 486),
        LedgerAdvance(second.id, AttemptState.RINGING, later),  # after its close: refused
        LedgerWrapUp("no-such-attempt", later, None),  # an UPDATE of nothing: harmless
        LedgerClose("no-such-attempt", CallOutcome.BUSY, later),
    ]
    refusals = await ledger.apply(batch)
    assert [type(r).__name__ if r else None for r in refusals] == [
        None,
        None,
        None,
        "ConflictError",
        None,
        "NotFoundError",
    ]
    assert (await ledger.get(first.id)).state is AttemptState.BRIDGED
    assert (await ledger.get(first.id)).agent == "agent-1001"
    assert (await ledger.get(second.id)).outcome is CallOutcome.BUSY
    # a batch retried after its commit's answer was lost applies as a no-op
    again = await ledger.apply(batch[:3])
    assert again == [None, None, None]
    with pytest.raises(ConflictError):  # one write alone still refuses a repeat
        await ledger.close(second.id, CallOutcome.BUSY, at=later)


@pytest.mark.asyncio
async def test_a_burst_of_one_kind_is_written_by_one_statement_for_all(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    attempts = [await plan(ledger, scene, minutes=n) for n in range(3)]
    for attempt in attempts:
        assert await ledger.mark_dialing(attempt.id, at=NOW, node="asterisk-1")
    ended = attempts[2]
    await ledger.close(ended.id, CallOutcome.NO_ANSWER, at=NOW + timedelta(seconds=30))
    answered, joined = NOW + timedelta(seconds=4), NOW + timedelta(seconds=5)
    burst: list[LedgerChange] = [
        LedgerAdvance(a.id, AttemptState.BRIDGED, joined, f"agent-{n}", answered)
        for n, a in enumerate(attempts)
    ]
    burst.append(
        LedgerAdvance("no-such-attempt", AttemptState.BRIDGED, joined, "agent-9", answered)
    )
    refusals = await ledger.apply(burst)
    assert refusals[:2] == [None, None]
    assert isinstance(refusals[2], ConflictError)  # ended already: not forward
    assert isinstance(refusals[3], NotFoundError)
    for n, attempt in enumerate(attempts[:2]):
        stored = await ledger.get(attempt.id)
        assert stored.state is AttemptState.BRIDGED
        assert (stored.agent, stored.answered_at, stored.bridged_at) == (
            f"agent-{n}",
            answered,
            joined,
        )
    assert (await ledger.get(ended.id)).state is AttemptState.ENDED
    closes: list[LedgerChange] = [
        LedgerClose(a.id, CallOutcome.ANSWERED, NOW + timedelta(minutes=2), 16)
        for a in attempts[:2]
    ]
    assert await ledger.apply(closes) == [None, None]
    assert {(await ledger.get(a.id)).outcome for a in attempts[:2]} == {CallOutcome.ANSWERED}


@pytest.mark.asyncio
async def test_a_dial_never_sent_is_closed_as_no_dial(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Marked dialing, then refused before anything left (no AMI session): closed failed
    with no ``placed_at``, so it counts in no figure and no attempt cap."""
    ledger = AttemptLedger(sessions)
    attempt = await plan(ledger, scene)
    assert await ledger.mark_dialing(attempt.id, at=NOW, node="asterisk-1")
    [refused] = await ledger.apply(
        [LedgerClose(attempt.id, CallOutcome.FAILED, NOW, None, None, True, unplaced=True)]
    )
    assert refused is None
    stored = await ledger.get(attempt.id)
    assert (stored.state, stored.outcome, stored.placed_at) == (
        AttemptState.FAILED,
        CallOutcome.FAILED,
        None,
    )
