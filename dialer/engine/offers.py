"""People offered to agents before the dial: the agent is reserved first and sees the
person's record, then « Appeler » places the call (bridged to that agent, so it can never
be abandoned) or « Passer » gives the person back with a reason.

Two sources: a preview campaign offers everyone, as many as the pacer's ``offers``; in the
other modes, the reserved calls (an abandoned person's call-back, any dial within the
abandon quiet period, an agent's callback) are offered to ready agents before the pacer
places automatic dials, and the automatic dials hold back while reserved calls wait for an
agent. An optional countdown dials an offer by itself.

:class:`Offers` keeps the bookkeeping (who has which offer since when, whom each agent
passed); :class:`ReservedCallDesk` claims, offers and dials through its engine.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.seats import Seat
from dialer.engine.assignments import Assignment, pace
from dialer.engine.ports import DialQueue, PlannedDial
from dialer.errors import ConflictError

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine

#: the people an agent passed last, not offered to them again at once
PASSED_MEMORY = 20
#: how long a person an agent passed goes to other agents first
PASSED_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Offer:
    """``dial`` offered to an agent at ``offered_at``, taken from ``queue``."""

    dial: PlannedDial
    queue: DialQueue
    offered_at: datetime


class Offers:
    def __init__(self, countdown: timedelta | None = None) -> None:
        if countdown is not None and countdown <= timedelta(0):
            countdown = None
        #: an offer dials itself this long after it was made (None: never)
        self.countdown = countdown
        self._by_agent: dict[str, Offer] = {}
        self._passed: dict[str, deque[tuple[int, datetime]]] = {}

    def of(self, agent: str) -> Offer | None:
        return self._by_agent.get(agent)

    def by_attempt(self, attempt_id: str) -> str | None:
        """The agent ``attempt_id`` is offered to, if any."""
        return next((a for a, o in self._by_agent.items() if o.dial.attempt_id == attempt_id), None)

    def add(self, agent: str, offer: Offer) -> None:
        self._by_agent[agent] = offer

    def pop(self, agent: str) -> Offer | None:
        return self._by_agent.pop(agent, None)

    def all(self) -> dict[str, Offer]:
        return dict(self._by_agent)

    def persons(self) -> set[int]:
        return {offer.dial.person_id for offer in self._by_agent.values()}

    def passed(self, agent: str, person_id: int, now: datetime) -> None:
        self._passed.setdefault(agent, deque(maxlen=PASSED_MEMORY)).append((person_id, now))

    def passed_by(self, agent: str, now: datetime) -> tuple[int, ...]:
        """The people ``agent`` passed within :data:`PASSED_FOR` (others get them first)."""
        return tuple(p for p, at in self._passed.get(agent, ()) if now - at < PASSED_FOR)

    def counted_down(self, now: datetime) -> list[str]:
        """Agents whose offer's countdown has run out (it dials now)."""
        if self.countdown is None:
            return []
        return [a for a, o in self._by_agent.items() if now - o.offered_at >= self.countdown]

    def seconds_left(self, agent: str, now: datetime) -> int | None:
        offer = self._by_agent.get(agent)
        if offer is None or self.countdown is None:
            return None
        return max(0, int((offer.offered_at + self.countdown - now).total_seconds()))


class ReservedCallDesk:
    """The engine's offers: claims reserved calls for ready agents each tick, and carries
    out the agents' « Appeler » and « Passer »."""

    def __init__(self, engine: DialingEngine, countdown: timedelta | None = None) -> None:
        self.engine = engine
        self.book = Offers(countdown)

    async def plan(self, now: datetime, assignment: Assignment) -> PacingDecision:
        """Reserved calls of ``assignment``'s campaign first: each due one is offered to a
        ready agent of it (in preview, the pacer's ``offers`` say how many); automatic
        dials hold back for those still waiting for an agent."""
        engine = self.engine
        queue = assignment.queue
        plan = pace(engine, now, assignment)
        if plan.closed:  # nobody is offered either: the call would ring outside the window
            await self.withdraw_all("fenêtre d'appel fermée", now, queue)
            return plan
        if plan.offers > 0:  # preview: the pacer's offers are what the agents see
            await self.offer(min(plan.offers, self.free_agents(assignment)), now, assignment)
            return plan
        waiting = await queue.reserved_due(now)
        if waiting <= 0:
            return plan
        free = min(waiting, engine.lines_free(), self.free_agents(assignment))
        waiting -= await self.offer(free, now, assignment)
        if waiting <= 0:
            return pace(engine, now, assignment)  # the offered agents are no longer ready
        plan = pace(engine, now, assignment)
        if plan.dials <= 0:
            return plan
        held = min(plan.dials, waiting)
        engine.count("automatic_held_for_reserved", held)
        return decision(plan.dials - held, *plan.facts, fact(Clause.RESERVED_HELD, waiting, held))

    def persons(self) -> set[int]:
        """The people offered to an agent now."""
        return self.book.persons()

    def _own_seats(self, assignment: Assignment | None) -> list[Seat]:
        """The seats of ``assignment``'s campaign (see :mod:`dialer.engine.assignments`;
        ``None``: every seat)."""
        engine = self.engine
        seats = engine.seats.seats()
        return (
            seats if assignment is None else engine.campaign_assignments.seats_of(assignment, seats)
        )

    def free_agents(self, assignment: Assignment | None = None) -> int:
        """Ready agents of the campaign not already counted on by a call of it in progress
        with no agent yet (an automatic call ringing joins the agent ready the longest when
        it is answered: offering that agent a person would leave it nobody, an abandon)."""
        engine = self.engine
        ready = sum(1 for s in self._own_seats(assignment) if s.state is AgentState.READY)
        single = assignment is None or assignment.campaign_id is None
        unassigned = sum(
            1
            for call in engine.calls.all()
            if call.agent is None
            and call.state in (CallState.DIALING, CallState.RINGING, CallState.ANSWERED)
            and (single or engine.campaign_assignments.of_call(call) is assignment)
        )
        return max(0, ready - unassigned)

    async def offer(self, count: int, now: datetime, assignment: Assignment) -> int:
        """Offer the next person of ``assignment``'s campaign to up to ``count`` of its
        ready agents (ready the longest first). An agent with nobody to claim does not end
        the round: the people due may be someone else's (an owned call-back or follow-up
        within its grace, a household kept for its volunteer), so the next agents ask
        too."""
        engine = self.engine
        queue = assignment.queue
        ready = sorted(
            (s for s in self._own_seats(assignment) if s.state is AgentState.READY and s.leg_id),
            key=lambda s: (s.since, s.agent),
        )
        offered = 0
        for seat in ready:
            if offered >= count:
                break
            dial = await queue.claim(seat.agent, now, passed=self.book.passed_by(seat.agent, now))
            if dial is None:
                continue
            current = engine.seats.get(seat.agent)
            if current.state is not AgentState.READY:  # it changed during the claim
                await queue.pass_person(dial.attempt_id, "agent indisponible", now)
                continue
            engine.seats.reserve_agent(seat.agent, dial.attempt_id, now)
            self.book.add(seat.agent, Offer(dial, queue, now))
            engine.count("offered", 1)
            offered += 1
            await engine.screens.offered(
                seat.agent, dial.attempt_id, self.book.seconds_left(seat.agent, now)
            )
        return offered

    async def tend(self, now: datetime, queue: DialQueue | None = None) -> None:
        """Offers whose agent went away are given back; counted-down ones are dialled
        (``queue``: only the offers taken from it, one campaign's)."""
        engine = self.engine
        for agent, offer in self.book.all().items():
            if queue is not None and offer.queue is not queue:
                continue
            seat = engine.seats.seats_by_agent().get(agent)
            if (
                seat is None
                or seat.state is not AgentState.RESERVED
                or seat.attempt_id != offer.dial.attempt_id
            ):
                self.book.pop(agent)
                await offer.queue.pass_person(offer.dial.attempt_id, "agent parti", now)
        for agent in self.book.counted_down(now):
            counted = self.book.of(agent)
            if queue is None or (counted is not None and counted.queue is queue):
                await self.call(agent)

    async def withdraw_unassigned(self, now: datetime) -> None:
        """Give back the offers of a campaign no longer assigned (stopped, or its cycle's
        queue replaced): their agents would stay reserved, and « Appeler » would dial for
        a campaign that no longer calls."""
        assigned = [a.queue for a in self.engine.campaign_assignments]
        for agent, offer in self.book.all().items():
            if not any(offer.queue is queue for queue in assigned):
                await self._withdraw(agent, "campagne arrêtée", now)

    async def withdraw_all(
        self, reason: str, now: datetime, queue: DialQueue | None = None
    ) -> None:
        """Give every offer back (its agent is ready again, their screen waits);
        ``queue``: only the offers taken from it, one campaign's."""
        for agent, offer in self.book.all().items():
            if queue is not None and offer.queue is not queue:
                continue
            await self._withdraw(agent, reason, now)

    async def _withdraw(self, agent: str, reason: str, now: datetime) -> None:
        engine = self.engine
        offer = self.book.pop(agent)
        if offer is not None:
            seat = engine.seats.seats_by_agent().get(agent)
            if seat is not None and seat.state is AgentState.RESERVED:
                engine.seats.release(agent, now)
            await offer.queue.pass_person(offer.dial.attempt_id, reason, now)
            await engine.screens.withdrawn(agent, offer.dial.attempt_id)

    async def withdrawn_for_inbound(self, attempt_id: str, now: datetime) -> None:
        """The person offered by ``attempt_id`` called in and another agent took them (the
        attempt withdrawn in the ledger, spending none): the offer goes, its agent is
        freed as by a pass and their screen told; « Appeler » then dials nobody."""
        agent = self.book.by_attempt(attempt_id)
        if agent is None:
            return
        self.book.pop(agent)
        seat = self.engine.seats.seats_by_agent().get(agent)
        if seat is not None and seat.state is AgentState.RESERVED:
            self.engine.seats.release(agent, now)
        await self.engine.screens.withdrawn(agent, attempt_id)

    def attempt_of(self, agent: str) -> str | None:
        """The attempt offered to ``agent`` and not dialled yet, if any."""
        offer = self.book.of(agent)
        return offer.dial.attempt_id if offer is not None else None

    async def call(self, agent: str) -> str:
        """« Appeler »: dial the person offered to ``agent``, bridged to them on answer."""
        engine = self.engine
        offer = self.book.pop(agent)
        if offer is None:
            raise ConflictError("aucune personne ne vous est proposée")
        now = engine.clock()
        dial = offer.dial
        node = engine.node_with_room()
        if (
            node is None
            or dial.person_id in engine.busy_persons()
            or not await engine.attempt_log.mark_dialing(dial.attempt_id, at=now, node=node.name)
        ):
            engine.seats.release(agent, now)
            await offer.queue.pass_person(dial.attempt_id, "appel impossible", now)
            await engine.screens.withdrawn(agent, dial.attempt_id)
            raise ConflictError("l'appel n'a pas pu être lancé : la personne reste à appeler")
        engine.count("offers_called", 1)
        await engine.originate(dial, node, offer.queue, now, agent=agent)
        return dial.attempt_id

    async def pass_person(self, agent: str, reason: str) -> None:
        """« Passer » (``reason``): the person goes back, due again later, for anyone."""
        engine = self.engine
        if not reason.strip():
            raise ConflictError("indiquez pourquoi vous passez cette personne")
        offer = self.book.pop(agent)
        if offer is None:
            raise ConflictError("aucune personne ne vous est proposée")
        now = engine.clock()
        engine.seats.release(agent, now)
        self.book.passed(agent, offer.dial.person_id, now)
        engine.count("offers_passed", 1)
        await offer.queue.pass_person(offer.dial.attempt_id, reason.strip(), now)
        await engine.screens.withdrawn(agent, offer.dial.attempt_id)
