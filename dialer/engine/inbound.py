"""Calls coming in: people who call the campaign's number (often returning a missed call).

Asterisk answers each one and keeps it waiting in ``[dialer-inbound]`` (the waiting
message, for the set time); the controller hears :class:`CallInbound` and, in calling
hours, routes it to a free agent *before any outbound dial* (the pacer dials nobody while
an incoming call waits, and the agent it takes is reserved, so counted busy). The call is
then an attempt like any other (kind ``inbound``, its id the channel's Uniqueid): the same
join as an answered outbound call (``DIALER_JOINED`` then Redirect to ``[dialer-join]``),
the same screen pop, wrap-up and disposition, which counts as the cycle's contact.

Nobody free in time (or the controller away): the dialplan says that we will call back
(:class:`InboundUnanswered`) and the campaign schedules an agent-reserved call back at the
next calling instant. Outside calling hours the call is sent to ``[dialer-inbound-closed]``
(the hours and the emergency numbers) and a call back is scheduled for the opening.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState
from dialer.core.inbound_match import Engagement, LineUse
from dialer.core.outcomes import CallOutcome
from dialer.core.own_volunteer import own_volunteer_wait
from dialer.core.serving import takes_unknown_callers
from dialer.engine import inbound_callers, inbound_lines
from dialer.engine.inbound_desk import InboundDesk, desk_of
from dialer.engine.inbound_positions import WaitingPositions
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import DialQueue
from dialer.errors import DialerError
from dialer.telephony.port import CallInbound, InboundUnanswered, TelephonyPort

if TYPE_CHECKING:
    from dialer.core.seats import Seat
    from dialer.engine.assignments import Assignment
    from dialer.engine.engine import DialingEngine

log = logging.getLogger(__name__)

#: the dialplan context that tells the hours and the emergency numbers
CLOSED_CONTEXT = "dialer-inbound-closed"
#: the dialplan context where a number on no register waits: unanswered in time, it hears
#: the hours and the emergency numbers, never a promise of a call back nobody would make
UNKNOWN_CONTEXT = "dialer-inbound-unknown"
#: past the wait the dialplan gives, how long before a waiting call is known lost
LOST_MARGIN = timedelta(seconds=30)  # a turn of the waiting loop: message, position, 2 s
#: how many waiting times the engine keeps for its statistics
WAIT_SAMPLES = 1000


@dataclass
class WaitingCall:
    attempt_id: str
    caller: str
    node: TelephonyPort
    arrived_at: datetime
    #: nobody on the register has the number: an agent takes it after the known callers
    unknown: bool = False
    #: the campaigns whose register has the number: their dials and offers wait for it
    campaigns: frozenset[int | None] = frozenset()
    #: a household of a veille-sociale campaign: its own volunteer there (by campaign)
    own: dict[int | None, str] = field(default_factory=dict)
    #: the campaign where it waits for its own volunteer, busy (it holds nobody there)
    awaiting: frozenset[int | None] = frozenset()


class InboundCalls:
    """The engine's incoming calls: those waiting for an agent, and their figures."""

    def __init__(
        self,
        engine: DialingEngine,
        wait: timedelta = timedelta(seconds=30),
        own_wait: timedelta = timedelta(seconds=20),
    ) -> None:
        self.engine = engine
        #: a call waiting longer than this (plus :data:`LOST_MARGIN`) was given up by the
        #: dialplan and its end is lost (AMI cut): forgotten, or no dial would ever run again
        self.wait = wait
        #: how long a household waits for its own volunteer, busy (:mod:`.own_volunteers`)
        self.own_wait = own_volunteer_wait(own_wait, wait)
        self.waiting: dict[str, WaitingCall] = {}
        self.counts = {
            "inbound": 0,
            "inbound_answered": 0,
            "inbound_lost": 0,
            "inbound_closed": 0,
            "inbound_unknown": 0,
            "inbound_calls_back": 0,
        }
        self.waits_s: list[float] = []
        #: the campaigns stopped (by their id), whose registers still call people back: a
        #: caller with no campaign running hears the hours and is called back at the opening
        self.stopped: dict[int | None, InboundDesk] = {}
        #: the service is stopping: every caller hears the hours, none reaches an agent
        self.closing = False
        #: calls whose join failed, closed and called back already (their end is no news)
        self._given_up: set[str] = set()
        #: one serving at a time (the tick's and a new call's): a call is taken once
        self._serving = asyncio.Lock()
        #: what each waiting caller was told of their position in the queue
        self.positions = WaitingPositions()

    def holding(self, campaign_id: int | None = None, *, every: bool = True) -> int:
        """Incoming calls waiting for an agent (``every``: all of them, else those that
        hold ``campaign_id``'s dials and offers: a caller on its register, or one on no
        register when its agents take those, see :func:`takes_unknown_callers`; not a
        household waiting there for its own volunteer, busy: the others go on)."""
        if every:
            return len(self.waiting)
        kind = self.engine.campaign_assignments.kind_of(campaign_id)
        return sum(
            1
            for call in self.waiting.values()
            if campaign_id in call.campaigns - call.awaiting
            or (call.unknown and takes_unknown_callers(kind))
        )

    async def arrived(self, event: CallInbound, node: TelephonyPort) -> None:
        engine = self.engine
        self.counts["inbound"] += 1
        desks = inbound_callers.desks(self.engine)
        now = engine.clock()
        if self.closing or not desks:  # stopped: the hours, a call back at the opening
            if self.closing or self.stopped:  # (never any campaign: left to the dialplan)
                await self._closed(event.caller, event.attempt_id, node, now)
            return
        if not any(desk.open_at(now) for _, desk in desks):
            await self._closed(event.caller, event.attempt_id, node, now)
            return
        known_by = await inbound_callers.known_by(event.caller, desks)
        if not known_by and not inbound_callers.unknown_desks(
            self.engine, desks
        ):  # only volunteers' campaigns
            await self._closed(event.caller, event.attempt_id, node, now)
            return
        call = WaitingCall(event.attempt_id, event.caller, node, event.at, campaigns=known_by)
        self.waiting[event.attempt_id] = call
        if not known_by:
            await self._unknown(call)
        else:
            await inbound_callers.look_up_own(engine, call, desks, now)
            await inbound_lines.free_line(
                engine, call.caller, call.attempt_id, [desk for _, desk in desks], now
            )
        await self.serve(now)

    def engaged(self) -> dict[int, Engagement]:
        """The people in a call with us now (see :mod:`dialer.engine.inbound_lines`)."""
        return inbound_lines.engaged(self.engine)

    async def _closed(
        self, caller: str, attempt_id: str, node: TelephonyPort, now: datetime
    ) -> None:
        """Outside calling hours, or after a stop: the hours and the emergency numbers, and
        a call back at the next opening."""
        self.counts["inbound_closed"] += 1
        await node.send_to(attempt_id, CLOSED_CONTEXT)
        await self._call_back(caller, now)

    def campaigns_stopped(self, desks: dict[int | None, InboundDesk]) -> None:
        """Campaigns unassigned (by their id): their callers are called back at the next
        opening; once no campaign runs, the callers waiting hear the hours at the next
        serving."""
        self.stopped.update(desks)

    def campaign_started(self, campaign_id: int | None) -> None:
        self.stopped.pop(campaign_id, None)
        if campaign_id is None:
            self.stopped.clear()

    async def stop(self, now: datetime) -> None:
        """The service stops: nobody more reaches an agent; the callers waiting now and
        those who call until the end hear the hours and are called back at the opening."""
        self.closing = True
        async with self._serving:
            await self._close_waiting(now)

    async def _close_waiting(self, now: datetime) -> None:
        for call in sorted(self.waiting.values(), key=lambda c: c.arrived_at):
            self.waiting.pop(call.attempt_id, None)
            await self._closed(call.caller, call.attempt_id, call.node, now)

    async def _unknown(self, call: WaitingCall) -> None:
        """A number on no campaign's register: never offered an agent it cannot use, and
        unanswered it hears the hours and the emergency numbers (nobody would call back)."""
        if call.unknown:
            return
        call.unknown = True
        self.counts["inbound_unknown"] += 1
        await call.node.send_to(call.attempt_id, UNKNOWN_CONTEXT)

    async def serve(self, now: datetime) -> None:
        """Each waiting call, oldest first, to a free agent (before any outbound dial)."""
        async with self._serving:
            await self._forget_given_up(now)
            await self._serve(now)
            await self.positions.tell(self.waiting)

    async def _forget_given_up(self, now: datetime) -> None:
        """Calls the dialplan has given up on for sure, whose end never reached us: they
        heard « nous vous rappellerons », the campaign calls them back."""
        for call in list(self.waiting.values()):
            if now - call.arrived_at > self.wait + LOST_MARGIN:
                log.warning("incoming call %s: its end was lost, forgotten", call.attempt_id)
                await self._lost(call, now)

    async def node_lost(self, node: str) -> None:
        """``node``'s AMI session is gone: its waiting calls' events are lost with it (the
        dialplan ends them itself, with the call-back message): called back."""
        now = self.engine.clock()
        for call in list(self.waiting.values()):
            if call.node.name == node:
                await self._lost(call, now)

    async def _lost(self, call: WaitingCall, now: datetime) -> None:
        self.waiting.pop(call.attempt_id, None)
        self.counts["inbound_lost"] += 1
        if not call.unknown:
            await self._call_back(call.caller, now)

    async def _serve(self, now: datetime) -> None:
        engine = self.engine
        if self.closing or (self.stopped and not inbound_callers.desks(self.engine)):
            await self._close_waiting(now)  # stopped: the hours, a call back at the opening
            return
        desks = [(a, desk) for a, desk in inbound_callers.desks(self.engine) if desk.open_at(now)]
        if not desks:
            return
        for call in sorted(self.waiting.values(), key=lambda c: c.arrived_at):
            if call.unknown:
                continue
            if engine.offers.free_agents() <= 0:
                return
            taken, not_theirs = False, 0
            for assignment, desk in desks:
                seat = inbound_callers.seat_for(engine, call, assignment.campaign_id, now)
                if call.awaiting:  # their own volunteer, busy, will be free soon
                    break
                took = await self._take(call, seat, assignment, desk, now)
                if took:
                    taken = True
                    break
                not_theirs += took is False
            if not taken and not_theirs == len(desks):  # on no campaign's register
                await self._unknown(call)
        await self._serve_unknown(desks, now)

    async def _take(
        self,
        call: WaitingCall,
        seat: Seat | None,
        assignment: Assignment,
        desk: InboundDesk,
        now: datetime,
    ) -> bool | None:
        """Put ``call`` through to ``seat``, reserved for it, as a call of ``assignment``:
        True; False: not on its register (or on the line already); None: nobody free, or
        not recorded (it waits, tried again). The seat is released unless it was taken."""
        engine = self.engine
        if seat is None or seat.leg_id is None:  # nobody of this campaign is free
            if seat is not None:
                engine.seats.release(seat.agent, now)
            return None
        engaged = self.engaged()
        try:
            dial = await desk.take(
                call.attempt_id,
                call.caller,
                agent=seat.agent,
                node=call.node.name,
                arrived_at=call.arrived_at,
                engaged=engaged,
            )
        except DialerError as exc:  # not known to be unknown: it waits, tried again
            log.warning("incoming call %s not recorded: %s", call.attempt_id, exc)
            engine.seats.release(seat.agent, now)
            return None
        if dial is None:  # not on this campaign's register (or on the line already)
            engine.seats.release(seat.agent, now)
            return False
        dialling = engaged.get(dial.person_id)
        if dialling is not None and dialling.use is LineUse.DIALLING:
            await inbound_lines.withdraw(engine, dialling.attempt_id, now)
        await self._join(
            call,
            (dial.person_id, dial.cycle_id, dial.number),
            assignment.queue,
            agent=seat.agent,
            leg_id=seat.leg_id,
            now=now,
        )
        return True

    async def _serve_unknown(
        self, desks: list[tuple[Assignment, InboundDesk]], now: datetime
    ) -> None:
        """Numbers on no register (a relative, a neighbour), oldest first, after the known
        callers and before any outbound dial: to a free agent (never a volunteer, who has no
        form for them) of a campaign open whose agents take them, whose screen lets them
        find the person on the register or note who called; no such campaign open (only
        the volunteers'): the hours and the emergency numbers."""
        engine = self.engine
        desks = inbound_callers.unknown_desks(self.engine, desks)
        for call in sorted(self.waiting.values(), key=lambda c: c.arrived_at):
            if not call.unknown:
                continue
            if not desks:
                self.waiting.pop(call.attempt_id, None)
                await self._closed(call.caller, call.attempt_id, call.node, now)
                continue
            if engine.offers.free_agents() <= 0:
                return
            for assignment, desk in desks:
                seat = engine.campaign_assignments.reserve(
                    engine.seats, assignment.campaign_id, call.attempt_id, now, agents_only=True
                )
                if seat is None or seat.leg_id is None:
                    if seat is not None:
                        engine.seats.release(seat.agent, now)
                    continue
                try:
                    await desk.unknown_taken(
                        call.attempt_id, call.caller, agent=seat.agent, node=call.node.name, at=now
                    )
                except DialerError as exc:  # the call is still put through
                    log.warning("incoming %s not audited: %s", call.attempt_id, exc)
                engine.writes.unrecorded(call.attempt_id)
                cycle_id = assignment.cycle_id if assignment.cycle_id is not None else 0
                await self._join(
                    call,
                    (None, cycle_id, call.caller),
                    assignment.queue,
                    agent=seat.agent,
                    leg_id=seat.leg_id,
                    now=now,
                )
                break

    async def _join(
        self,
        call: WaitingCall,
        whom: tuple[int | None, int, str],
        queue: DialQueue,
        *,
        agent: str,
        leg_id: str,
        now: datetime,
    ) -> None:
        engine = self.engine
        hung_up = self.waiting.pop(call.attempt_id, None) is None  # while it was written
        person_id, cycle_id, number = whom  # no person: a number on no register
        live = LiveCall(
            call.attempt_id,
            person_id,
            cycle_id,
            number,
            call.node.name,
            call.arrived_at,
            state=CallState.ANSWERED,
            answered_at=call.arrived_at,
            agent=agent,
            inbound=True,
        )
        engine.writes.taken_from(call.attempt_id, queue)
        if hung_up:  # its end came already: close what was just written
            engine.seats.release(agent, now)
            engine.writes.close(
                live, CallOutcome.HUNG_UP, now, None, None, failed=False, forget_queue=True
            )
            return
        engine.calls.add(live)
        if person_id is None:  # no sheet to fill: the wrap-up ends with the call
            engine.wrap_ups.given_on_call[call.attempt_id] = None
            await engine.screens.unknown_caller(agent, call.attempt_id, number)
        else:
            await engine.screens.reserved(agent, call.attempt_id)
        if await call.node.join(call.attempt_id, agent, leg_id):
            self.counts["inbound_answered"] += 1
            self.waits_s = [
                *self.waits_s[-WAIT_SAMPLES + 1 :],
                (now - call.arrived_at).total_seconds(),
            ]
            return
        await self._join_failed(live, call, agent, now)

    async def _join_failed(
        self, live: LiveCall, call: WaitingCall, agent: str, now: datetime
    ) -> None:
        """The Redirect to the agent failed (their leg gone, the caller hung up): the
        dialplan tells the caller we will call back, so the call is closed now (its end
        settles nothing more), the person waits again in the queue and the agent-reserved
        call back is scheduled, as when no agent is free."""
        engine = self.engine
        current = engine.seats.get(agent)
        if current.state is AgentState.RESERVED and current.attempt_id == call.attempt_id:
            engine.seats.release(agent, now)
        await engine.screens.withdrawn(agent, call.attempt_id)  # the pop it began is void
        engine.calls.pop(call.attempt_id)
        self.counts["inbound_lost"] += 1
        self._given_up.add(call.attempt_id)  # its DialerInboundUnanswered: counted now
        log.warning("incoming call %s not joined to %s: called back", call.attempt_id, agent)
        queue = engine.writes.queue_for(call.attempt_id, forget=True)
        if live.person_id is None:  # a number on no register: nothing written, nobody to call
            engine.writes.close(
                live, CallOutcome.HUNG_UP, now, None, None, failed=False, forget_queue=True
            )
            return
        desk = desk_of(queue)

        async def release() -> None:
            if desk is not None:
                await desk.release(call.attempt_id, at=now)
            await self._call_back(call.caller, now)

        engine.writes.schedule(call.attempt_id, release)

    async def unanswered(self, event: InboundUnanswered) -> None:
        """Nobody took the call in time: the campaign calls the person back (a number on
        no register is called back by nobody, and was told nothing else)."""
        if event.attempt_id in self._given_up:
            self._given_up.discard(event.attempt_id)
            return
        call = self.waiting.pop(event.attempt_id, None)
        self.counts["inbound_lost"] += 1
        if call is None or not call.unknown:
            await self._call_back(event.caller, self.engine.clock())

    def hung_up(self, attempt_id: str) -> None:
        """The caller hung up while waiting."""
        self._given_up.discard(attempt_id)
        if self.waiting.pop(attempt_id, None) is not None:
            self.counts["inbound_lost"] += 1

    async def _call_back(self, caller: str, now: datetime) -> None:
        """The first campaign whose register has ``caller`` calls them back (running ones
        first, then the stopped ones, at their next opening)."""
        running = [desk for _, desk in inbound_callers.desks(self.engine)]
        for desk in [*running, *(d for d in self.stopped.values() if d not in running)]:
            try:
                if await desk.call_back(caller, now=now):
                    self.counts["inbound_calls_back"] += 1
                    return
            except DialerError as exc:
                log.warning("call back of incoming %s not scheduled: %s", caller, exc)

    def statistics(self) -> dict[str, int | float | None]:
        """The dashboard's figures: waiting now, answered, lost, the mean waiting time."""
        waits = self.waits_s
        return {
            **self.counts,
            "inbound_waiting": len(self.waiting),
            "inbound_wait_s_mean": round(sum(waits) / len(waits), 1) if waits else None,
        }
