"""Recovery: on every (re)connection of a node, and at start-up, the engine reconciles the
attempt log's in-flight attempts with the channels alive in Asterisk and Asterisk's
recorded ends (the rules: :mod:`dialer.core.reconciliation`). Calls still alive are followed
again, calls found ended are closed, agents' legs still connected become seats again, and
each agent is put back on the call sheet they left unfinished."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CALL_STATE_OF, CallState
from dialer.core.outcomes import CallOutcome
from dialer.core.reconciliation import Close, Resume, never_heard_of, reconcile, seen_outcome
from dialer.engine.agents import log_agent_state
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import InFlightAttempt
from dialer.errors import TelephonyError
from dialer.telephony.port import AGENT_LEG_PREFIX, TRANSFER_PREFIX, TelephonyPort
from dialer.telephony.translate import agent_of_leg

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)


async def reconcile_node(engine: DialingEngine, node: TelephonyPort) -> None:
    """Match the attempt log's in-flight attempts on ``node`` with what Asterisk knows."""
    await engine.flush()  # the ledger must be up to date before comparing it with Asterisk
    in_flight = await engine.attempt_log.in_flight(node.name)
    live = await node.live_channels()
    unknown = [a for a in in_flight if a.attempt_id not in live]
    recorded = {}
    for attempt in unknown:
        record = await node.recorded_end(attempt.attempt_id)
        if record is not None:
            recorded[attempt.attempt_id] = record
    by_id = {a.attempt_id: a for a in in_flight}
    now = engine.clock()
    wrap_ups = engine.wrap_ups
    seen = {a.attempt_id: o for a in unknown if (o := _seen(engine, a)) is not None}
    for decision in reconcile([a.attempt_id for a in in_flight], live, recorded, seen):
        attempt = by_id[decision.attempt_id]
        match decision:
            case Resume():
                engine.count("reconciled_resumed")
                if engine.calls.get(attempt.attempt_id) is None:
                    _resume(engine, attempt, node.name, now)
            case Close(
                outcome=outcome,
                cause=cause,
                sip_status=sip,
                recorded=recorded_end,
                unknown=unknown_end,
            ):
                engine.count("reconciled_closed")
                followed = engine.calls.pop(attempt.attempt_id)
                unplaced = unknown_end and never_heard_of(
                    followed.state if followed else None, CALL_STATE_OF[attempt.state]
                )
                call = followed or LiveCall(
                    attempt.attempt_id,
                    attempt.person_id,
                    attempt.cycle_id,
                    attempt.number,
                    node.name,
                    now,
                )
                end = recorded[attempt.attempt_id].ended_at if recorded_end else None
                call.ended_at = end or now
                await _end_seat_found_ended(engine, call, outcome, now)
                engine.writes.close(
                    call,
                    outcome,
                    end or now,
                    cause,
                    sip,
                    failed=unknown_end,
                    # no channel, no record, never heard of: Asterisk never had the call
                    # (the Originate was lost with the session): no dial, no attempt spent
                    unplaced=unplaced,
                    forget_queue=call.attempt_id not in wrap_ups.pending,
                )
                if call.agent is not None and attempt.attempt_id in wrap_ups.given_on_call:
                    await wrap_ups.after_call(call.agent, attempt.attempt_id)
                engine.writes.forget_recorded_end(attempt.attempt_id, node)
    _adopt_legs(engine, {c for c in live if c.startswith(AGENT_LEG_PREFIX)}, now)
    await _take_off_hold(engine, node, live)
    await engine.flush()  # the calls just closed may await their wrap-up too
    for assignment in engine.campaign_assignments:
        if settled := await assignment.queue.settle_left_overs(now):
            engine.count("reconciled_settled", settled)
    await _resume_wrap_ups(engine, now)
    for seat in engine.seats.seats():
        leg = seat.leg_id
        if (
            leg is not None
            and leg.startswith(AGENT_LEG_PREFIX)
            and leg not in live
            and seat.state is not AgentState.LOGGED_OUT
        ):
            wrap_ups.phone_lost(seat.agent, now)
            engine.seats.phone_lost(seat.agent, now)
            log_agent_state(seat.agent, seat.state, AgentState.LOGGED_OUT)
            await engine.screens.phone_lost(seat.agent)


def _seen(engine: DialingEngine, attempt: InFlightAttempt) -> CallOutcome | None:
    """What the controller saw of a call: its memory is more recent than the attempt log
    while a write waits (the database refused it)."""
    call = engine.calls.get(attempt.attempt_id)
    return seen_outcome(
        CALL_STATE_OF[attempt.state],
        answered=call is not None and call.answered_at is not None,
        joined=call is not None and call.joined_at is not None,
        machine=call is not None and call.machine,
        abandoned=call is not None and call.state is CallState.ABANDONED,
    )


async def _end_seat_found_ended(
    engine: DialingEngine, call: LiveCall, outcome: CallOutcome, now: datetime
) -> None:
    """A call found ended at reconciliation: its agent, if any, is released or wraps it
    up (joined if its answer was, the join's event lost)."""
    seats = engine.seats
    seat = seats.by_attempt(call.attempt_id)
    if seat is not None and seat.state is AgentState.RESERVED:
        if outcome is CallOutcome.ANSWERED:  # joined, the event was lost
            seats.joined(seat.agent, now)
        else:
            seats.release(seat.agent, now)
    seat = seats.by_attempt(call.attempt_id)
    if seat is not None and seat.state is AgentState.ON_CALL:
        seats.call_ended(seat.agent, now)  # the agent wraps it up
        call.agent = seat.agent
        engine.wrap_ups.pending[call.attempt_id] = call
        await engine.screens.ended(seat.agent, call.attempt_id)


def _resume(engine: DialingEngine, attempt: InFlightAttempt, node: str, now: datetime) -> None:
    """Follow again a call that outlived its controller, in the state the ledger knew."""
    state = CALL_STATE_OF[attempt.state]
    call = LiveCall(
        attempt.attempt_id,
        attempt.person_id,
        attempt.cycle_id,
        attempt.number,
        node,
        attempt.placed_at or now,
        state=state,
        agent=attempt.agent,
        join_witnessed=False,
        inbound=attempt.inbound,
    )
    if state in (CallState.ANSWERED, CallState.JOINED):
        call.answered_at = attempt.answered_at or now
    if state is CallState.JOINED:
        call.joined_at = attempt.bridged_at or now
    engine.calls.add(call)


async def _resume_wrap_ups(engine: DialingEngine, now: datetime) -> None:
    """Calls that ended with no disposition (the controller restarted during the
    wrap-up, or was away when the call ended): each agent connected again is back on
    that call's sheet, so the answers already given are kept and the sheet can be
    finished; an agent who connects later gets it at log-in."""
    wrap_ups = engine.wrap_ups
    waiting = [
        attempt
        for attempt in await engine.attempt_log.awaiting_wrap_up()
        if attempt.agent is not None and attempt.attempt_id not in wrap_ups.pending
    ]
    for attempt in waiting:
        if attempt.sheet_submitted:  # the sheet was given before the restart: close it
            engine.writes.dispose(
                attempt.attempt_id, attempt.result, now, cycle_id=attempt.cycle_id
            )
    wrap_ups.unfinished = {
        attempt.agent: replace(attempt, ended_at=attempt.ended_at or now)
        for attempt in reversed(waiting)
        if attempt.agent is not None and not attempt.sheet_submitted
    }
    for agent in list(wrap_ups.unfinished):
        await wrap_ups.resume(agent, now)


async def _take_off_hold(engine: DialingEngine, node: TelephonyPort, live: set[str]) -> None:
    """People on hold in a transfer nobody follows (the controller restarted during it):
    the third party hung up, the person bridged back with their agent's leg if it lives,
    else released with the information message, the lost agent's path."""
    known = engine.transfers_under_way()
    for attempt_id, transfer_id in (await node.held_for_transfer()).items():
        if attempt_id in known:
            continue
        engine.count("reconciled_off_hold")
        seat = engine.seats.by_attempt(attempt_id)
        try:
            if transfer_id:
                await node.hang_up(f"{TRANSFER_PREFIX}{transfer_id}")
            if seat is not None and seat.leg_id is not None and seat.leg_id in live:
                await node.back_to_agent(attempt_id, seat.leg_id)
            else:
                await node.release_person(attempt_id)
        except TelephonyError as exc:
            log.warning("node %s: %s left on hold: %s", node.name, attempt_id, exc)


def _adopt_legs(engine: DialingEngine, legs: set[str], now: datetime) -> None:
    """Agents' phone legs still connected from a previous controller become seats again:
    on call if the ledger says their call goes on, else ready."""
    seats = engine.seats
    known = {seat.leg_id for seat in seats.seats()}
    for leg in sorted(legs - known):
        agent = agent_of_leg(leg)
        current = seats.seats_by_agent().get(agent)
        if current is not None and current.state is not AgentState.LOGGED_OUT:
            continue
        seats.log_in(agent, agent, leg, now)
        seats.go_ready(agent, now)
        call = next(
            (c for c in engine.calls.all() if c.agent == agent and c.joined_at is not None),
            None,
        )
        if call is not None:
            seats.reserve_agent(agent, call.attempt_id, now)
            seats.joined(agent, now)
        engine.count("legs_adopted")
