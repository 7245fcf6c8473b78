"""Recovery decisions (issue 24) against a fake node: Asterisk's own record of a call
corrects what the controller's lost or late events said."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState, CycleResult
from dialer.core.labels import pacing_text
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing import PacingDecision
from dialer.core.reconciliation import RecordedEnd, final_outcome, never_heard_of
from dialer.engine import call_events
from dialer.engine.engine import DialingEngine
from dialer.engine.wrap_ups import WrapUp
from dialer.errors import NotConnectedError, StorageError, TelephonyError
from dialer.telephony.ami import AmiCredentials
from dialer.telephony.node import AsteriskNode
from dialer.telephony.port import (
    AgentLegEnded,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallJoined,
    CallRinging,
    NodeConnected,
    NodeDisconnected,
)
from dialer.testing import Clock, FakeNode, MemoryAttemptLog, MemoryQueue
from tests.unit.test_ami_client import FakeAmi
from tests.unit.test_engine import (
    T0,
    NotedScreens,
    dials,
    make_engine,
    on_call,
    one_per_ready_agent,
)


def record(dialer_state: str, channel_state: str = "Up") -> RecordedEnd:
    return RecordedEnd("att-0", 16, None, channel_state, dialer_state, None)


@pytest.mark.parametrize(
    ("seen", "dialer_state", "expected"),
    [
        (CallOutcome.HUNG_UP, "joined", CallOutcome.ANSWERED),
        (CallOutcome.HUNG_UP, "abandoned", CallOutcome.ABANDONED),
        (CallOutcome.HUNG_UP, "", CallOutcome.HUNG_UP),
        (CallOutcome.ANSWERED, "", CallOutcome.ANSWERED),
        (CallOutcome.ABANDONED, "joined", CallOutcome.ABANDONED),
        (CallOutcome.MACHINE, "", CallOutcome.MACHINE),
    ],
)
def test_asterisks_record_of_a_join_or_an_abandon_wins_over_a_missed_event(
    seen: CallOutcome, dialer_state: str, expected: CallOutcome
) -> None:
    assert final_outcome(seen, record(dialer_state), join_witnessed=False) is expected
    assert final_outcome(seen, None, join_witnessed=False) is seen


@pytest.mark.parametrize(
    ("seen", "dialer_state", "expected"),
    [
        (CallOutcome.HUNG_UP, "joined", CallOutcome.HUNG_UP),
        (CallOutcome.HUNG_UP, "abandoned", CallOutcome.ABANDONED),
        (CallOutcome.NO_ANSWER, "joined", CallOutcome.ANSWERED),
        (CallOutcome.ANSWERED, "", CallOutcome.ANSWERED),
    ],
)
def test_over_an_unbroken_session_a_recorded_join_without_its_bridge_did_not_happen(
    seen: CallOutcome, dialer_state: str, expected: CallOutcome
) -> None:
    """The dialplan writes "joined" when the Redirect lands; a person who hangs up before
    the bridge forms was never joined, and no BridgeEnter was lost to say otherwise."""
    assert final_outcome(seen, record(dialer_state), join_witnessed=True) is expected


@pytest.mark.asyncio
async def test_a_person_gone_between_the_redirect_and_the_bridge_hung_up_and_frees_the_agent() -> (
    None
):
    """Seen on the rig under load: a person hanging up just after the Redirect leaves a
    "joined" record but no bridge. The call is not a contact and the agent, who never
    talked to anyone, is ready again rather than wrapping up a call that did not happen."""
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert engine.seats.get("agent-1001").state is AgentState.RESERVED
    node.recorded["att-0"] = record("joined")
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(0.05)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.HUNG_UP
    assert engine.seats.get("agent-1001").state is AgentState.READY
    assert engine.statistics()["joined"] == 0


@pytest.mark.asyncio
async def test_a_join_whose_bridge_event_was_lost_is_answered_and_wrapped_up() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert engine.seats.get("agent-1001").state is AgentState.RESERVED
    # the AMI session was cut after the Redirect: no BridgeEnter ever came
    await engine.handle(NodeDisconnected(node.name, "cut", clock.advance(0.01)), node)
    node.recorded["att-0"] = record("joined")
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(60)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    await engine.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results["att-0"] is CycleResult.REACHED


@pytest.mark.asyncio
async def test_attempts_taken_but_not_dialled_in_a_tick_go_back_to_the_queue() -> None:
    engine, node, ledger, queue, _ = await make_engine(count=3, agents=1)
    node.channel_limit = 2  # the agent's leg and one call: the tick stops after one dial
    engine.pacer = lambda _engine, _now: PacingDecision(3, "three")
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["att-0"]
    assert queue.given_back == ["att-1", "att-2"]
    assert [d.attempt_id for d in queue.pending] == ["att-1", "att-2"]
    assert ledger.entries["att-1"].state == "planned"


@pytest.mark.asyncio
async def test_no_one_is_taken_while_no_node_has_a_free_line() -> None:
    engine, node, _, queue, clock = await make_engine(count=3, agents=1)
    engine.pacer = lambda _engine, _now: PacingDecision(3, "three")
    await engine.handle(NodeDisconnected(node.name, "cut", clock.now), node)
    await engine.tick()
    assert len(queue.pending) == 3
    assert queue.taken == {}


@pytest.mark.asyncio
async def test_an_abandon_arriving_with_its_answer_is_applied_after_it() -> None:
    """After a stalled loop the answer and the abandon are read together: the answer is
    handled in a task of its own, the abandon must wait for it, not be dropped."""
    engine, node, _, _, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    node.refuse_join = True  # the dialplan gave up already
    for event in (
        CallRinging("att-0", clock.advance(1)),
        CallAnswered("att-0", clock.advance(1)),
        CallAbandoned("att-0", clock.advance(1.5)),
    ):
        node.events.put_nowait(event)
    listening = asyncio.create_task(engine._listen(node))
    try:
        for _ in range(50):
            await asyncio.sleep(0)
    finally:
        listening.cancel()
    call = engine.calls.get("att-0")
    assert call is not None
    assert call.state is CallState.ABANDONED


async def ended_call_in_wrap_up() -> tuple[DialingEngine, FakeNode, MemoryAttemptLog, MemoryQueue]:
    """A call agent-1001 handled, ended, its sheet not finished."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    await engine.handle(CallJoined("att-0", "b-1", clock.advance(0.01)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(60)), node)
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    return engine, node, ledger, queue


async def restarted(
    node: FakeNode, ledger: MemoryAttemptLog, queue: MemoryQueue, **options: Any
) -> DialingEngine:
    engine = DialingEngine(
        nodes=[node],
        attempt_log=ledger,
        queue=queue,
        pacer=lambda e, n: PacingDecision(0, ""),
        **options,
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    return engine


@pytest.mark.asyncio
async def test_a_wrap_up_in_progress_is_resumed_by_the_restarted_controller() -> None:
    _, node, ledger, queue = await ended_call_in_wrap_up()
    engine = await restarted(node, ledger, queue)  # the agent's leg is adopted
    seat = engine.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")
    await engine.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results == {"att-0": CycleResult.REACHED}
    assert ledger.entries["att-0"].result is CycleResult.REACHED


@pytest.mark.asyncio
async def test_an_agent_connecting_again_gets_back_the_unfinished_sheet() -> None:
    _, node, ledger, queue = await ended_call_in_wrap_up()
    node.live.clear()  # Asterisk restarted: the agent's leg is gone too
    engine = await restarted(node, ledger, queue)
    assert engine.seats.seats() == []
    await engine.log_in("agent-1001", "agent-1001")
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP
    assert engine.seats.get("agent-1001").attempt_id == "att-0"


@pytest.mark.asyncio
async def test_a_wrap_up_nobody_finishes_is_closed_after_the_limit() -> None:
    _, node, ledger, queue = await ended_call_in_wrap_up()
    node.live.clear()
    clock = Clock(T0)
    engine = await restarted(node, ledger, queue, clock=clock, wrap_up_limit=timedelta(minutes=20))
    assert await engine.close_forgotten_wrap_ups() == []
    clock.advance(21 * 60)
    assert await engine.close_forgotten_wrap_ups() == ["att-0"]
    await engine.flush()
    assert queue.results == {"att-0": None}
    assert "wrapped" in ledger.entries["att-0"].history
    assert engine.statistics()["wrap_ups_expired"] == 1
    assert await engine.close_forgotten_wrap_ups() == []  # once


@pytest.mark.asyncio
async def test_a_hang_up_inside_a_frozen_session_is_refused_and_the_session_reset() -> None:
    """During an AMI outage a hang-up happens or is refused clearly, never later: an
    unconfirmed one resets the session (nothing left in a buffer to run when it resumes)."""
    fake = FakeAmi(silent_on="Hangup")
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    credentials = AmiCredentials("127.0.0.1", port, "dialer", "secret")
    node = AsteriskNode("n", credentials, trunk="carrier", hang_up_timeout_s=0.3)
    async with server:
        await node.start(wait_s=2)
        try:
            with pytest.raises(TelephonyError, match="not confirmed"):
                await node.hang_up("att-0")
            for _ in range(40):  # the node noticed the reset session and logged in again
                if node.statistics()["lost_sessions"] == 1 and fake.logins == 2:
                    break
                await asyncio.sleep(0.05)
            assert node.statistics()["lost_sessions"] == 1
            fake.silent_on = None
            await node.start(wait_s=2)
            await node.hang_up("att-0")  # confirmed: done
        finally:
            await node.stop()
            for writer in fake.writers:
                writer.close()
    with pytest.raises(TelephonyError, match="not connected"):
        await node.hang_up("att-0")  # no session: refused at once


@pytest.mark.asyncio
async def test_an_agent_whose_phone_died_during_the_call_gets_the_sheet_back() -> None:
    engine, node, _, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    await engine.handle(CallJoined("att-0", "b-1", clock.advance(0.01)), node)
    leg = engine.seats.get("agent-1001").leg_id
    assert leg is not None
    await engine.handle(AgentLegEnded("agent-1001", leg, 16, clock.advance(30)), node)
    assert engine.seats.get("agent-1001").state is AgentState.LOGGED_OUT
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(1)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    await engine.log_in("agent-1001", "agent-1001")  # a new phone
    seat = engine.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")
    await engine.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results == {"att-0": CycleResult.REACHED}


@pytest.mark.asyncio
async def test_a_disposition_given_on_call_ends_the_wrap_up_found_at_reconciliation() -> None:
    """The AMI session dropped during the call and the call ended meanwhile: the sheet the
    agent submitted during the call ends the wrap-up when reconciliation finds the end."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    assert await engine.give_disposition("agent-1001", "att-0", CycleResult.REFUSED) is (
        WrapUp.AFTER_CALL
    )
    await engine.handle(NodeDisconnected(node.name, "lost", clock.now), node)
    node.live.discard("att-0")
    node.recorded["att-0"] = RecordedEnd("att-0", 16, None, "Up", "joined", clock.advance(30))
    await engine.handle(NodeConnected(node.name, clock.advance(3)), node)
    await engine.flush()
    assert engine.seats.get("agent-1001").state is AgentState.READY
    assert queue.results == {"att-0": CycleResult.REFUSED}
    assert ledger.entries["att-0"].result is CycleResult.REFUSED


@pytest.mark.asyncio
async def test_a_disposition_given_before_the_phone_died_closes_the_wrap_up_at_the_end() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    await engine.give_disposition("agent-1001", "att-0", CycleResult.DECEASED)
    leg = engine.seats.get("agent-1001").leg_id
    assert leg is not None
    await engine.handle(AgentLegEnded("agent-1001", leg, 16, clock.advance(30)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(1)), node)
    await engine.flush()
    assert queue.results == {"att-0": CycleResult.DECEASED}
    assert ledger.entries["att-0"].result is CycleResult.DECEASED
    await engine.log_in("agent-1001", "agent-1001")  # no sheet waits for them
    assert engine.seats.get("agent-1001").state is AgentState.PAUSED


@pytest.mark.asyncio
async def test_a_sheet_submitted_before_a_restart_closes_its_wrap_up_at_once() -> None:
    _, node, ledger, queue = await ended_call_in_wrap_up()
    ledger.sheets_submitted["att-0"] = CycleResult.REACHED  # submitted, then the crash
    engine = await restarted(node, ledger, queue)
    await engine.flush()
    assert engine.seats.get("agent-1001").state is not AgentState.WRAP_UP
    assert queue.results == {"att-0": CycleResult.REACHED}
    assert ledger.entries["att-0"].result is CycleResult.REACHED


@pytest.mark.asyncio
async def test_an_expired_wrap_up_tells_the_agents_screen() -> None:
    clock = Clock(T0)
    engine, node, _, queue, _ = await make_engine(count=1, agents=1)
    engine.clock = clock
    screens = NotedScreens(engine)
    engine.screens = screens
    await on_call(engine, node, clock)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(30)), node)
    clock.advance(21 * 60)
    assert await engine.close_forgotten_wrap_ups() == ["att-0"]
    await engine.flush()
    assert engine.seats.get("agent-1001").state is AgentState.PAUSED
    assert screens.told[-1] == ("wrapped_up", "agent-1001", "paused")
    assert queue.results == {"att-0": None}


@pytest.mark.asyncio
async def test_an_answered_call_no_agent_can_wrap_up_is_planned_at_once() -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    node.refuse_join = True  # the controller believes the join failed: the seat is freed
    await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    assert engine.seats.get("agent-1001").state is AgentState.READY
    node.recorded["att-0"] = record("joined")  # yet Asterisk joined the person
    await engine.handle(CallJoined("att-0", "b-1", clock.advance(0.01)), node)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(60)), node)
    await engine.flush()
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert queue.results == {"att-0": None}  # not left waiting for a disposition
    assert ledger.entries["att-0"].history[-2:] == ["ended", "wrapped"]  # close first


@pytest.mark.asyncio
async def test_nobody_is_dialled_while_the_ledger_cannot_be_written() -> None:
    engine, node, ledger, _, _ = await make_engine(count=3, agents=2)
    ledger.accepting = False  # the database refuses the writes (the writer retries)
    plan = await engine.tick()
    assert plan.dials == 0
    assert "base de données injoignable" in pacing_text(plan)  # what the screens say
    assert node.placed == []
    assert engine.statistics()["ledger_writable"] is False
    ledger.accepting = True
    assert (await engine.tick()).dials == 2


async def asterisk_restarted(engine: DialingEngine, node: FakeNode, clock: Clock) -> None:
    """Asterisk restarts: its channels are hung up without their hangup handler, so it
    keeps no record of how they ended."""
    await engine.handle(NodeDisconnected(node.name, "restart", clock.advance(1)), node)
    node.live.clear()
    await engine.handle(NodeConnected(node.name, clock.advance(5)), node)


@pytest.mark.asyncio
async def test_a_joined_call_lost_with_asterisk_is_answered_and_its_sheet_kept() -> None:
    """Seen in the chaos run: a call the controller saw joined vanished in an Asterisk
    restart with no record; it was closed as failed, its sheet never closed."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    await asterisk_restarted(engine, node, clock)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert ledger.entries["att-0"].state == "ended"
    await engine.log_in("agent-1001", "agent-1001")  # the agent's phone comes back
    seat = engine.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")
    await engine.finish_wrap_up("agent-1001", CycleResult.REACHED)
    assert queue.results == {"att-0": CycleResult.REACHED}


@pytest.mark.asyncio
async def test_a_call_the_log_knew_joined_is_answered_after_both_restarted() -> None:
    """The controller and Asterisk both restarted: the attempt log's bridge is the
    evidence, and the agent connecting again gets the sheet."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    node.live.clear()  # Asterisk restarted while the controller was down
    restarted_engine = await restarted(node, ledger, queue)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    await restarted_engine.log_in("agent-1001", "agent-1001")
    seat = restarted_engine.seats.get("agent-1001")
    assert (seat.state, seat.attempt_id) == (AgentState.WRAP_UP, "att-0")


@pytest.mark.parametrize(
    ("answered", "joined", "expected"),
    [(False, False, CallOutcome.FAILED), (True, False, CallOutcome.HUNG_UP)],
)
@pytest.mark.asyncio
async def test_a_call_lost_with_asterisk_before_its_join_is_no_contact(
    answered: bool, joined: bool, expected: CallOutcome
) -> None:
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallRinging("att-0", clock.advance(1)), node)
    if answered:
        await engine.handle(CallAnswered("att-0", clock.advance(3)), node)
    await asterisk_restarted(engine, node, clock)
    assert queue.settled_outcomes["att-0"] is expected
    assert ledger.entries["att-0"].state == (
        "failed" if expected is CallOutcome.FAILED else "ended"
    )
    assert engine.seats.get("agent-1001").state is not AgentState.WRAP_UP


@pytest.mark.parametrize("rang", [False, True])
@pytest.mark.asyncio
async def test_an_originate_asterisk_never_had_is_no_dial(rang: bool) -> None:
    """Seen in the full chaos run: the Originate was lost with a cut AMI session; after
    the reconnect Asterisk had no channel and no record of it. Never heard of, it is no
    dial (it costs the person none of their attempts); a call seen ringing was one."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    if rang:
        await engine.handle(CallRinging("att-0", clock.advance(1)), node)
    await asterisk_restarted(engine, node, clock)
    assert queue.settled_outcomes["att-0"] is CallOutcome.FAILED
    assert ("unplaced" in ledger.entries["att-0"].history) is not rang


@pytest.mark.asyncio
async def test_asterisks_record_of_an_end_is_kept_until_the_close_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the chaos run: the record was deleted as soon as the close was scheduled;
    the database refused the close, the controller was killed, and the next one found
    neither the close nor the record and called a conversation a failure."""
    engine, node, ledger, _, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    await engine.flush()
    node.recorded["att-0"] = record("joined")
    refusals = [StorageError("disque plein"), StorageError("disque plein")]
    write_close = ledger.close

    async def close(*args: Any, **kwargs: Any) -> None:
        if refusals:
            raise refusals.pop()
        await write_close(*args, **kwargs)

    monkeypatch.setattr(ledger, "close", close)
    node.live.discard("att-0")
    # as the service's loop does: the event is handled, its writes are not waited for
    await call_events.dispatch(engine, CallEnded("att-0", 16, None, clock.advance(30)), node)
    await asyncio.sleep(0.01)
    assert ledger.entries["att-0"].state == "bridged"  # the close waits for the database
    assert "att-0" in node.recorded  # meanwhile the record is the only trace of the end
    await engine.flush()
    assert refusals == []
    assert ledger.entries["att-0"].outcome is CallOutcome.ANSWERED
    assert "att-0" not in node.recorded


@pytest.mark.asyncio
async def test_a_settling_the_database_refused_is_retried_without_closing_the_call_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the chaos run (full disk): the close was written, the queue's settling was
    refused; the retry wrote the close again, the ledger refused it as not forward, and the
    person was left in call for ever, their sheet never given back."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    refusals = [StorageError("disque plein")]
    settle = queue.settled

    async def settled(*args: Any, **kwargs: Any) -> None:
        if refusals:
            raise refusals.pop()
        await settle(*args, **kwargs)

    monkeypatch.setattr(queue, "settled", settled)
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(30)), node)
    assert refusals == []
    assert ledger.entries["att-0"].history.count("ended") == 1
    assert queue.settled_outcomes["att-0"] is CallOutcome.ANSWERED
    assert engine.seats.get("agent-1001").state is AgentState.WRAP_UP


@pytest.mark.asyncio
async def test_a_close_whose_settling_died_with_the_controller_is_settled_after_a_restart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the full chaos run: a person left in call for ever, their attempt closed.
    The controller was killed between the close's commit and the queue's."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    await engine.handle(CallRinging("att-0", clock.advance(1)), node)
    settle = queue.settled

    async def killed(*args: Any, **kwargs: Any) -> None:
        return None  # the process died before this write

    monkeypatch.setattr(queue, "settled", killed)
    await engine.handle(CallEnded("att-0", 17, 486, clock.advance(5)), node)
    assert ledger.entries["att-0"].state == "ended"
    assert "att-0" not in queue.settled_outcomes
    monkeypatch.setattr(queue, "settled", settle)
    restarted_engine = await restarted(node, ledger, queue)
    assert queue.settled_outcomes["att-0"] is CallOutcome.BUSY
    assert restarted_engine.statistics()["reconciled_settled"] == 1


@pytest.mark.asyncio
async def test_a_dial_refused_for_want_of_an_ami_session_is_no_dial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the full chaos run: the session dropped between the pacing and the
    Originate; the attempt was closed failed but counted as dialled (a person lost one of
    their attempts to nothing)."""
    engine, node, ledger, queue, _ = await make_engine(count=1, agents=1)

    async def no_session(request: Any) -> None:
        raise NotConnectedError("node node-1: AMI is not connected")

    monkeypatch.setattr(node, "place_call", no_session)
    await engine.tick()
    await engine.flush()
    assert ledger.entries["att-0"].history[-2:] == ["failed", "unplaced"]
    assert queue.settled_outcomes["att-0"] is CallOutcome.FAILED
    assert engine.statistics()["dial_refused"] == 1


@pytest.mark.asyncio
async def test_an_end_whose_record_is_out_of_reach_waits_for_the_next_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen in the full chaos run: the AMI session dropped as a call ended, its answer and
    abandon events lost; Asterisk's record could not be read, the call was closed failed
    though the person had heard the information message."""
    engine, node, ledger, queue, clock = await make_engine(count=1, agents=1)
    await engine.tick()
    read = node.recorded_end
    assert ledger.entries["att-0"].state == "dialing"

    async def unreachable(attempt_id: str) -> RecordedEnd | None:
        raise NotConnectedError("node node-1: AMI is not connected")

    monkeypatch.setattr(node, "recorded_end", unreachable)
    node.live.discard("att-0")
    await engine.handle(CallEnded("att-0", 16, None, clock.advance(20)), node)
    assert "att-0" not in queue.settled_outcomes  # not closed on a guess
    assert ledger.entries["att-0"].state == "dialing"
    assert engine.calls.get("att-0") is not None
    assert engine.statistics()["ends_deferred"] == 1
    monkeypatch.setattr(node, "recorded_end", read)
    node.recorded["att-0"] = record("abandoned")
    await engine.handle(NodeDisconnected(node.name, "cut", clock.advance(0.1)), node)
    await engine.handle(NodeConnected(node.name, clock.advance(1)), node)
    assert queue.settled_outcomes["att-0"] is CallOutcome.ABANDONED
    assert engine.calls.get("att-0") is None


class QueuedOriginates(FakeNode):
    """Asterisk as it is: an Originate is queued (its channel shows some time after the
    action's answer), and the list of channels takes a while to come."""

    def __init__(self) -> None:
        super().__init__()
        self.listing = asyncio.Event()
        self.listed = asyncio.Event()
        self.listed.set()

    async def place_call(self, request: Any) -> None:
        self.placed.append(request)  # no channel yet

    async def live_channels(self) -> set[str]:
        channels = set(self.live)
        self.listing.set()
        await self.listed.wait()
        return channels


@pytest.mark.asyncio
async def test_no_call_is_placed_on_a_node_while_it_is_reconciled() -> None:
    """Seen in the full chaos run (SQLite): a call placed while the node was reconciled
    was in the attempt log and not yet among Asterisk's channels; it was closed as lost
    (failed) while it rang, and the person, answering, heard the information message."""
    node, ledger, clock = QueuedOriginates(), MemoryAttemptLog(), Clock(T0)
    queue = MemoryQueue(ledger, dials(1))
    engine = DialingEngine(
        nodes=[node], attempt_log=ledger, queue=queue, pacer=one_per_ready_agent, clock=clock
    )
    await engine.handle(NodeConnected(node.name, T0), node)
    await engine.log_in("agent-1001", "agent-1001")
    engine.go_ready("agent-1001")
    await engine.handle(NodeDisconnected(node.name, "cut", clock.advance(1)), node)
    node.listed.clear()
    node.listing.clear()
    reconciling = asyncio.create_task(engine.handle(NodeConnected(node.name, clock.now), node))
    await node.listing.wait()
    ticking = asyncio.create_task(engine.tick())
    for _ in range(20):
        await asyncio.sleep(0)
    assert node.placed == []  # the tick waits for the reconciliation
    node.listed.set()
    await reconciling
    await ticking
    await engine.tick()
    assert [r.attempt_id for r in node.placed] == ["att-0"]
    assert ledger.entries["att-0"].state == "dialing"
    assert "att-0" not in queue.settled_outcomes


@pytest.mark.asyncio
async def test_no_call_is_placed_on_a_node_without_the_information_message() -> None:
    """Issue 18: a person no agent takes would hear silence; the engine dials elsewhere,
    or nowhere, and says why on the dashboard."""
    engine, node, _, queue, _clock = await make_engine(count=2, agents=2)
    node.prompts_present = False
    plan = await engine.tick()
    assert node.placed == []
    assert queue.taken == {}
    assert plan.dials == 0
    assert "dialer asterisk prompts" in pacing_text(plan)
    assert "node-1" in pacing_text(plan)
    node.prompts_present = None  # not known yet (no answer): the engine dials
    assert (await engine.tick()).dials == 2
    assert [r.attempt_id for r in node.placed] == ["att-0", "att-1"]


@pytest.mark.asyncio
async def test_a_node_without_the_information_message_is_skipped_for_one_that_has_it() -> None:
    silent, speaking = FakeNode("silent", channel_limit=10), FakeNode("speaking", channel_limit=3)
    silent.prompts_present = False
    ledger, clock = MemoryAttemptLog(), Clock(T0)
    engine = DialingEngine(
        nodes=[silent, speaking],
        attempt_log=ledger,
        queue=MemoryQueue(ledger, dials(1)),
        pacer=lambda _engine, _now: PacingDecision(1, "one"),
        clock=clock,
    )
    for node in (silent, speaking):
        await engine.handle(NodeConnected(node.name, T0), node)
    await engine.tick()
    assert silent.placed == []
    assert [r.attempt_id for r in speaking.placed] == ["att-0"]


@pytest.mark.parametrize(
    ("memory", "logged", "expected"),
    [
        (None, CallState.DIALING, True),
        (CallState.DIALING, CallState.DIALING, True),
        (CallState.RINGING, CallState.DIALING, False),
        (None, CallState.RINGING, False),
        (CallState.DIALING, CallState.ANSWERED, False),
    ],
)
def test_a_call_never_heard_of_is_one_that_neither_memory_nor_log_saw_leave_dialing(
    memory: CallState | None, logged: CallState, expected: bool
) -> None:
    assert never_heard_of(memory, logged) is expected
