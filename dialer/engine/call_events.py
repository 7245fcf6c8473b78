"""The telephony events of a call's life, each moving the call through the call state
machine and its agent through the seat board: ringing, answered (the hot path: the person
is joined to the agent ready the longest, without ringing the agent's phone), joined,
abandoned, ended; and the nodes' (dis)connections and the agents' legs ending."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallEvent, CallState
from dialer.core.outcomes import CallOutcome
from dialer.core.reconciliation import final_outcome
from dialer.core.seats import Seat
from dialer.engine.agents import log_agent_state
from dialer.engine.live_calls import LiveCall
from dialer.errors import AmiConnectionError, TelephonyError
from dialer.telephony.port import (
    AgentLegEnded,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallInbound,
    CallJoined,
    CallMachine,
    CallRinging,
    InboundUnanswered,
    NodeConnected,
    NodeDisconnected,
    OriginateResult,
    TelephonyEvent,
    TelephonyPort,
)

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine


async def dispatch(engine: DialingEngine, event: TelephonyEvent, node: TelephonyPort) -> None:
    """Handle one event (its ledger writes are scheduled, not waited for)."""
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        await handler(engine, event, node)


async def _node_connected(
    engine: DialingEngine, _event: NodeConnected, node: TelephonyPort
) -> None:
    # the node takes new calls once reconciled: a call placed on it meanwhile would be in
    # the attempt log and not yet among Asterisk's channels, and closed as lost
    try:
        await engine.reconcile(node)
    finally:
        # even when reconciling failed (the database refused): the node's calls must go
        # on; a session lost meanwhile is reported by the NodeDisconnected that follows
        engine.connected.add(node.name)


async def _node_disconnected(
    engine: DialingEngine, _event: NodeDisconnected, node: TelephonyPort
) -> None:
    engine.connected.discard(node.name)
    await engine.inbound.node_lost(node.name)
    for call in engine.calls.all():
        if call.node == node.name:
            call.join_witnessed = False  # its events until the reconnect are gone


async def _originate_result(
    engine: DialingEngine, event: OriginateResult, _node: TelephonyPort
) -> None:
    call = engine.calls.get(event.attempt_id)
    if call is not None:
        call.originate_reason = event.reason


async def _ringing(engine: DialingEngine, event: CallRinging, _node: TelephonyPort) -> None:
    call = engine.calls.get(event.attempt_id)
    if call is not None and call.state is CallState.DIALING:
        call.take(CallEvent.RINGING)
        call.ringing_at = event.at
        attempt, at = event.attempt_id, event.at
        engine.writes.schedule(attempt, lambda: engine.attempt_log.mark_ringing(attempt, at=at))


async def _machine(engine: DialingEngine, event: CallMachine, _node: TelephonyPort) -> None:
    call = engine.calls.get(event.attempt_id)
    if call is not None:
        call.machine = True


async def _abandoned(engine: DialingEngine, event: CallAbandoned, _node: TelephonyPort) -> None:
    call = engine.calls.get(event.attempt_id)
    if call is not None and call.state is CallState.ANSWERED:
        call.take(CallEvent.ABANDON)


async def _agent_leg_ended(
    engine: DialingEngine, event: AgentLegEnded, _node: TelephonyPort
) -> None:
    seat = engine.seats.by_leg(event.leg_id)
    if seat is not None and seat.state is not AgentState.LOGGED_OUT:
        # out of the pool at once: nobody is joined to a leg that is gone
        engine.wrap_ups.phone_lost(seat.agent, engine.clock())
        engine.seats.phone_lost(seat.agent, engine.clock())
        log_agent_state(seat.agent, seat.state, AgentState.LOGGED_OUT)
        await engine.screens.phone_lost(seat.agent)


async def _answered(engine: DialingEngine, event: CallAnswered, node: TelephonyPort) -> None:
    """The hot path: reserve the agent ready the longest and bridge, before anything
    else (the person hears silence until then; the dialplan gives up at the window)."""
    attempt_id, at = event.attempt_id, event.at
    call = engine.calls.get(attempt_id)
    if call is None or call.state not in (CallState.DIALING, CallState.RINGING):
        return
    call.take(CallEvent.ANSWERED)
    call.answered_at = at
    engine.count("answered")
    for activity in engine.activity_of(call):
        activity.time_to_answer.append((at - call.dialed_at).total_seconds())
    if call.agent is not None:  # reserved before the dial: bridged to that agent only
        seat = engine.seats.seats_by_agent().get(call.agent)
        if seat is None or seat.attempt_id != attempt_id:
            seat = None
    else:
        seat = _reserve_agent_of_campaign(engine, call)
    if seat is not None and seat.leg_id is not None:
        call.agent = seat.agent
        await engine.screens.reserved(seat.agent, attempt_id)  # prepares, returns at once
        if not await node.join(attempt_id, seat.agent, seat.leg_id):
            call.agent = None
            current = engine.seats.get(seat.agent)
            if current.state is AgentState.RESERVED and current.attempt_id == attempt_id:
                engine.seats.release(seat.agent, engine.clock())
    if engine.calls.get(attempt_id) is call and call.joined_at is None:
        engine.writes.schedule(
            attempt_id, lambda: engine.attempt_log.mark_answered(attempt_id, at=at)
        )


def _reserve_agent_of_campaign(engine: DialingEngine, call: LiveCall) -> Seat | None:
    """Reserve for ``call`` the agent ready the longest among those serving its campaign
    (its own agents first, see :func:`dialer.core.serving.pick_agent`); None if nobody."""
    assignments = engine.campaign_assignments
    campaign = assignments.of_call(call)
    campaign_id = None if campaign is None else campaign.campaign_id
    return assignments.reserve(engine.seats, campaign_id, call.attempt_id, engine.clock())


async def _joined(engine: DialingEngine, event: CallJoined, _node: TelephonyPort) -> None:
    attempt_id, at = event.attempt_id, event.at
    call = engine.calls.get(attempt_id)
    if call is None:
        return
    if call.agent is None or call.state is not CallState.ANSWERED:
        call.join_witnessed = False  # bridged though its join failed: the record tells
        return
    call.take(CallEvent.JOINED)
    call.joined_at = at
    engine.count("joined")
    if call.answered_at is not None and not call.inbound:  # the 2-second promise's measure
        engine.join_latencies_ms.append((at - call.answered_at).total_seconds() * 1000)
    engine.seats.joined(call.agent, engine.clock())
    agent, answered_at = call.agent, call.answered_at or at
    engine.writes.schedule(
        attempt_id,
        lambda: engine.attempt_log.mark_bridged(
            attempt_id, at=at, agent=agent, answered_at=answered_at
        ),
    )
    if call.person_id is not None:  # a number on no register was told at its reservation
        await engine.screens.joined(call.agent, attempt_id)


def _record_activity(
    engine: DialingEngine, call: LiveCall, outcome: CallOutcome, at: datetime, *, live: bool
) -> None:
    """The ended call in the day's activity, the engine's and its campaign's."""
    for activity in engine.activity_of(call):
        if not call.inbound:  # a call coming in is no dial: not in the abandon budget
            activity.settled(at, live=live)
        if call.joined_at is not None:
            activity.talk.append((at - call.joined_at).total_seconds())
        if outcome is CallOutcome.ABANDONED and not call.inbound:
            activity.abandoned(at)


async def _ended(engine: DialingEngine, event: CallEnded, node: TelephonyPort) -> None:
    attempt_id, cause, tech, at = event.attempt_id, event.cause, event.tech_cause, event.at
    call = engine.calls.pop(attempt_id)
    if call is None:
        engine.inbound.hung_up(attempt_id)  # an incoming call still waiting, if it is one
        return
    call.ended_at = at
    outcome = call.outcome(cause, tech)
    # Asterisk's own record tells "rang until we gave up" from "480 from the network",
    # and knows a join or an abandon whose event this controller missed
    if outcome is CallOutcome.HUNG_UP or call.answered_at is None:
        try:
            record = await node.recorded_end(attempt_id)
        except AmiConnectionError:
            # the session dropped as the call ended: Asterisk's record is out of reach
            # now, and our events may have missed its answer or abandon. The call stays
            # followed; the next session's reconciliation closes it with the record.
            engine.calls.add(call)
            engine.count("ends_deferred")
            return
        except TelephonyError:
            record = None  # Asterisk is slow to answer: what the events said
        outcome = final_outcome(outcome, record, join_witnessed=call.join_witnessed)
    live = call.answered_at is not None and not call.machine
    _record_activity(engine, call, outcome, at, live=live)
    if outcome is CallOutcome.ABANDONED and not call.inbound:
        engine.count("abandoned")
    if outcome is CallOutcome.MACHINE:
        engine.count("machines")
    wrap_ups = engine.wrap_ups
    wrapping_up, disposal = await wrap_ups.call_ended(call, outcome, at)
    if disposal is None and wrap_ups.nobody_wraps_up(attempt_id, outcome):
        # answered, by Asterisk's record, but no agent here will wrap it up (the join's
        # events were lost with the seat): the person must not wait for ever
        disposal = (attempt_id, None)
    queue = engine.writes.queue_for(attempt_id, forget=False)  # the close forgets it
    engine.writes.close(
        call,
        outcome,
        at,
        cause,
        tech,
        failed=False,
        forget_queue=attempt_id not in wrap_ups.pending,
    )
    if disposal is not None:
        engine.writes.dispose(*disposal, at, queue)
    if attempt_id not in wrap_ups.pending:
        engine.finished.append(call.timing(wrap_up_done_at=None))
    if wrapping_up is not None and attempt_id in wrap_ups.given_on_call:
        await wrap_ups.after_call(wrapping_up, attempt_id)
    engine.writes.forget_recorded_end(attempt_id, node)


async def _inbound(engine: DialingEngine, event: CallInbound, node: TelephonyPort) -> None:
    await engine.inbound.arrived(event, node)


async def _inbound_unanswered(
    engine: DialingEngine, event: InboundUnanswered, _node: TelephonyPort
) -> None:
    await engine.inbound.unanswered(event)


_HANDLERS: dict[type, Callable[[DialingEngine, Any, TelephonyPort], Awaitable[None]]] = {
    NodeConnected: _node_connected,
    NodeDisconnected: _node_disconnected,
    OriginateResult: _originate_result,
    CallRinging: _ringing,
    CallAnswered: _answered,
    CallMachine: _machine,
    CallJoined: _joined,
    CallAbandoned: _abandoned,
    CallEnded: _ended,
    AgentLegEnded: _agent_leg_ended,
    CallInbound: _inbound,
    InboundUnanswered: _inbound_unanswered,
}
