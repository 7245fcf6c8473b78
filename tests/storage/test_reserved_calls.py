"""Agent-reserved calls in storage: claimed atomically by one agent (never twice, also when
agents race on PostgreSQL), an agent's callback is theirs during its grace period, the
automatic queue never takes them, and an abandoned person's call-back is one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import windows_from_json
from dialer.core.attempts import AttemptKind, AttemptState, CycleResult, Disposition
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import Cycle, RetryPolicy
from dialer.storage import SessionFactory
from dialer.storage.answers import CallSheetRepository, SheetSubmission
from dialer.storage.callbacks import CallbackRepository
from dialer.storage.ledger import AttemptLedger
from dialer.storage.reserved_calls import ReservedCallClaims
from dialer.storage.results import CycleResultRepository
from dialer.storage.schedule import CycleSchedule, MemberStatus
from tests.stored import enrol

from .conftest import NOW, Scene

GRACE = timedelta(minutes=15)


async def reserved_member(
    sessions: SessionFactory, scene: Scene, *, kind: AttemptKind, agent: str | None = None
) -> None:
    schedule = CycleSchedule(sessions)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", NOW)])
    member = (await schedule.take_due(scene.cycle_id, 1, now=NOW, planned_ids=["x"]))[0]
    row = await schedule.member_of_attempt(member.id)
    assert row is not None
    await schedule.set_status(
        row.id,
        MemberStatus.WAITING,
        next_due_at=NOW,
        next_number="+33145678910",
        next_kind=kind,
        next_agent=agent,
    )


@pytest.mark.asyncio
async def test_agents_racing_for_one_reserved_call_get_it_once(
    sessions: SessionFactory, scene: Scene
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.PREVIEW)
    claims = ReservedCallClaims(sessions)
    won = await asyncio.gather(
        *(
            claims.claim(
                scene.cycle_id,
                f"agent-{i}",
                now=NOW,
                grace=GRACE,
                every_kind=False,
                attempt_id=f"claim-{i}",
            )
            for i in range(8)
        )
    )
    attempts = [a for a in won if a is not None]
    assert len(attempts) == 1
    stored = await AttemptLedger(sessions).get(attempts[0].id)
    assert stored.state is AttemptState.PLANNED
    assert stored.agent == attempts[0].agent
    assert stored.kind is AttemptKind.PREVIEW
    counts = await CycleSchedule(sessions).counts(scene.cycle_id)
    assert counts[MemberStatus.IN_CALL] == 1
    assert counts[MemberStatus.WAITING] == 0


@pytest.mark.asyncio
async def test_the_automatic_queue_never_takes_a_reserved_call(
    sessions: SessionFactory, scene: Scene
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.PREVIEW)
    schedule = CycleSchedule(sessions)
    assert await schedule.take_due(scene.cycle_id, 5, now=NOW, planned_ids=["a", "b"]) == []
    assert await ReservedCallClaims(sessions).due_count(scene.cycle_id, NOW) == 1


@pytest.mark.asyncio
async def test_an_agents_callback_is_theirs_until_its_grace_period_ends(
    sessions: SessionFactory, scene: Scene
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.CALLBACK, agent="agent-owner")
    claims = ReservedCallClaims(sessions)

    async def claim(agent: str, at: timedelta, attempt_id: str) -> str | None:
        attempt = await claims.claim(
            scene.cycle_id,
            agent,
            now=NOW + at,
            grace=GRACE,
            every_kind=False,
            attempt_id=attempt_id,
        )
        return attempt.agent if attempt is not None else None

    assert await claim("agent-other", timedelta(minutes=14), "c-1") is None
    late = await claims.late([scene.cycle_id], now=NOW + timedelta(minutes=16), grace=GRACE)
    assert [(c.person_id, c.agent) for c in late] == [(scene.alice_id, "agent-owner")]
    assert await claim("agent-other", timedelta(minutes=16), "c-2") == "agent-other"
    assert await claim("agent-owner", timedelta(minutes=16), "c-3") is None  # never twice


@pytest.mark.asyncio
async def test_its_owner_gets_the_callback_at_its_hour(
    sessions: SessionFactory, scene: Scene
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.CALLBACK, agent="agent-owner")
    attempt = await ReservedCallClaims(sessions).claim(
        scene.cycle_id, "agent-owner", now=NOW, grace=GRACE, every_kind=False, attempt_id="c"
    )
    assert attempt is not None
    assert attempt.kind is AttemptKind.CALLBACK


@pytest.mark.asyncio
async def test_a_passed_person_is_withdrawn_with_its_reason_and_due_again(
    sessions: SessionFactory, scene: Scene
) -> None:
    await reserved_member(sessions, scene, kind=AttemptKind.PREVIEW)
    claims = ReservedCallClaims(sessions)
    await claims.claim(
        scene.cycle_id, "agent-1", now=NOW, grace=GRACE, every_kind=False, attempt_id="p-1"
    )
    later = NOW + timedelta(minutes=10)
    assert await claims.pass_person("p-1", reason="déjà jointe", now=NOW, due_again=later)
    assert not await claims.pass_person("p-1", reason="encore", now=NOW, due_again=later)
    passed = await AttemptLedger(sessions).get("p-1")
    assert (passed.state, passed.skip_reason, passed.placed_at) == (
        AttemptState.FAILED,
        "déjà jointe",
        None,
    )
    assert await claims.due_count(scene.cycle_id, NOW) == 0
    assert await claims.due_count(scene.cycle_id, later) == 1


def queue_of(sessions: SessionFactory, scene: Scene, *, preview: bool = False) -> CycleDialQueue:
    return CycleDialQueue(
        sessions,
        cycle_id=scene.cycle_id,
        cycle=Cycle(NOW, NOW + timedelta(days=1)),
        windows=windows_from_json({"week": [["09:00-19:00"]] * 7, "holiday": []}),
        policy=RetryPolicy(max_attempts=3),
        every_call_reserved=preview,
    )


@pytest.mark.asyncio
async def test_an_abandoned_person_is_owed_a_reserved_call_back_at_once(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", NOW)])
    queue = queue_of(sessions, scene)
    [dial] = await queue.take(1, NOW)
    await ledger.mark_dialing(dial.attempt_id, at=NOW)
    ended = NOW + timedelta(seconds=40)
    await ledger.close(dial.attempt_id, CallOutcome.ABANDONED, at=ended)
    await queue.settled(dial.attempt_id, CallOutcome.ABANDONED, ended)

    assert await queue.take(5, ended) == []  # no automatic dial may surprise them again
    assert await queue.reserved_due(ended) == 1
    call_back = await queue.claim("agent-1", ended)
    assert call_back is not None
    stored = await ledger.get(call_back.attempt_id)
    assert (stored.kind, stored.agent) == (AttemptKind.PREVIEW, "agent-1")
    assert await queue.claim("agent-2", ended) is None


@pytest.mark.asyncio
async def test_a_callback_an_agent_schedules_belongs_to_them(
    sessions: SessionFactory, scene: Scene
) -> None:
    ledger = AttemptLedger(sessions)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", NOW)])
    queue = queue_of(sessions, scene)
    [dial] = await queue.take(1, NOW)
    await ledger.mark_dialing(dial.attempt_id, at=NOW)
    await ledger.close(dial.attempt_id, CallOutcome.ANSWERED, at=NOW + timedelta(minutes=2))
    hour = NOW + timedelta(hours=2)
    await CallbackRepository(sessions).schedule(
        person_id=scene.alice_id,
        cycle_id=scene.cycle_id,
        due_at=hour,
        number="+33145678910",
        agent="agent-owner",
        now=NOW,
    )
    await queue.disposed(dial.attempt_id, None, NOW + timedelta(minutes=3))
    assert await queue.claim("agent-other", hour) is None
    mine = await queue.claim("agent-owner", hour)
    assert mine is not None
    assert (await ledger.get(mine.attempt_id)).kind is AttemptKind.CALLBACK


@pytest.mark.asyncio
async def test_a_preview_campaign_offers_everyone_and_dials_nobody_automatically(
    sessions: SessionFactory, scene: Scene
) -> None:
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    queue = queue_of(sessions, scene, preview=True)
    assert await queue.reserved_due(NOW) == 2
    first = await queue.claim("agent-1", NOW)
    second = await queue.claim("agent-2", NOW)
    assert first is not None
    assert second is not None
    assert {first.person_id, second.person_id} == {scene.alice_id, scene.bob_id}
    assert await queue.claim("agent-3", NOW) is None


@pytest.mark.asyncio
async def test_a_person_reached_then_not_on_the_follow_up_call_is_reached_not_never_reached(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Reached on the first call (a complete sheet), a call-back booked; the call-back is
    the cycle's last attempt allowed and nobody answers it: the planner is done, and the
    person's result is « reached », not « never reached » (they were, on the first call)."""
    ledger = AttemptLedger(sessions)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", NOW)])
    queue = CycleDialQueue(
        sessions,
        cycle_id=scene.cycle_id,
        cycle=Cycle(NOW, NOW + timedelta(days=1)),
        windows=windows_from_json({"week": [["09:00-19:00"]] * 7, "holiday": []}),
        policy=RetryPolicy(max_attempts=2),
    )
    [dial] = await queue.take(1, NOW)
    await ledger.mark_dialing(dial.attempt_id, at=NOW)
    await ledger.close(dial.attempt_id, CallOutcome.ANSWERED, at=NOW + timedelta(minutes=5))
    sheets = CallSheetRepository(sessions)
    sheet = await sheets.open(
        attempt_id=dial.attempt_id, person_id=scene.alice_id, cycle_id=scene.cycle_id,
        agent="agent-owner", questionnaire_id="canicule", questionnaire_version=1, now=NOW,
    )  # fmt: skip
    await sheets.submit(
        sheet.id,
        SheetSubmission(Disposition.COMPLETE, "", None, 0.0, "faible", complete=True),
        alerts=[],
        raised_by="agent-owner",
        now=NOW + timedelta(minutes=6),
    )
    hour = NOW + timedelta(hours=2)
    await CallbackRepository(sessions).schedule(
        person_id=scene.alice_id, cycle_id=scene.cycle_id, due_at=hour,
        number="+33145678910", agent="agent-owner", now=NOW,
    )  # fmt: skip
    await queue.disposed(dial.attempt_id, None, NOW + timedelta(minutes=6))
    follow_up = await queue.claim("agent-owner", hour)
    assert follow_up is not None
    await ledger.mark_dialing(follow_up.attempt_id, at=hour)
    ended = hour + timedelta(seconds=30)
    await ledger.close(follow_up.attempt_id, CallOutcome.NO_ANSWER, at=ended)
    await queue.settled(follow_up.attempt_id, CallOutcome.NO_ANSWER, ended)

    result = await CycleResultRepository(sessions).get(scene.cycle_id, scene.alice_id)
    assert result is not None
    assert result.result is CycleResult.REACHED
