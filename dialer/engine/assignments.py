"""The campaigns the engine dials for, each with its own dial queue, pacer, caller id,
answering-machine detection, ring timeout, pause switch and last pacing decision; and
which agents serve which campaign (the rules: :mod:`dialer.core.serving`).

An engine given one campaign the old way (:meth:`DialingEngine.assign` without a campaign
id) holds one :class:`Assignment` keyed ``None``, served by every agent: the
single-campaign behaviour, unchanged. Campaigns assigned with their id are dialled side by
side; each tick paces each of them against its own agents (:func:`seats_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CallState
from dialer.core.campaigns import CampaignKind
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.seats import Seat, SeatBoard
from dialer.core.serving import Served, homes, in_priority_order, may_join, pick_agent, serves
from dialer.engine.live_calls import LiveCall
from dialer.engine.ports import DialQueue

#: the states of a call that will want an agent when it is answered
_WAITING = (CallState.DIALING, CallState.RINGING, CallState.ANSWERED)

if TYPE_CHECKING:
    from dialer.engine.engine import DialingEngine, Pacer


@dataclass(frozen=True)
class CampaignPacer:
    """A pacer told which campaign it paces (:func:`pace`): ``decide(engine, now,
    assignment)`` looks at that campaign's own agents and calls. Called as a plain
    :data:`~dialer.engine.engine.Pacer` (``pacer(engine, now)``) it paces the engine as a
    whole. The campaign is an argument, never a value set on the engine across awaits: a
    call placed for one campaign is never handled under another's settings."""

    decide: Callable[[DialingEngine, datetime, Assignment | None], PacingDecision]

    def __call__(self, engine: DialingEngine, now: datetime) -> PacingDecision:
        return self.decide(engine, now, None)


def pace(engine: DialingEngine, now: datetime, assignment: Assignment) -> PacingDecision:
    """``assignment``'s pacer's decision, told the campaign when it is a
    :class:`CampaignPacer`."""
    pacer = assignment.pacer
    if isinstance(pacer, CampaignPacer):
        return pacer.decide(engine, now, assignment)
    return pacer(engine, now)


@dataclass
class Assignment:
    """One campaign the engine dials for (``campaign_id`` ``None``: the engine's only one,
    assigned without an id)."""

    campaign_id: int | None
    queue: DialQueue
    pacer: Pacer
    caller_id: str
    amd: bool
    ring_timeout_s: int
    dialing_enabled: bool = True
    #: the open cycle it dials (calls resumed after a restart settle in its queue)
    cycle_id: int | None = None
    last_plan: PacingDecision = field(default_factory=lambda: decision(0, fact(Clause.NOT_STARTED)))


class Assignments:
    """The engine's campaigns, in the order they were assigned, and the agents' service."""

    def __init__(self) -> None:
        self._by_campaign: dict[int | None, Assignment] = {}
        #: agent → the campaigns they serve with their priority (absent: every campaign)
        self.serving: dict[str, dict[int, int]] = {}
        #: the volunteers' accounts (:func:`may_join`: veille-sociale calls only)
        self.volunteers: frozenset[str] = frozenset()
        #: each campaign's kind (absent: unknown, never a volunteer's)
        self.kinds: dict[int, CampaignKind] = {}

    def __iter__(self) -> Iterator[Assignment]:
        return iter(list(self._by_campaign.values()))

    def __len__(self) -> int:
        return len(self._by_campaign)

    def get(self, campaign_id: int | None) -> Assignment | None:
        return self._by_campaign.get(campaign_id)

    def put(self, assignment: Assignment) -> None:
        if assignment.campaign_id is None:
            self._by_campaign.clear()  # the old way: the one campaign replaces all
        else:
            self._by_campaign.pop(None, None)
        self._by_campaign[assignment.campaign_id] = assignment

    def remove(self, campaign_id: int | None) -> Assignment | None:
        return self._by_campaign.pop(campaign_id, None)

    def clear(self) -> None:
        self._by_campaign.clear()

    def sole(self) -> Assignment | None:
        """The one campaign assigned, when there is exactly one."""
        return next(iter(self._by_campaign.values())) if len(self._by_campaign) == 1 else None

    def running(self) -> list[int]:
        """The campaigns that dial now (not paused), in the order they were assigned."""
        return [a.campaign_id for a in self if a.campaign_id is not None and a.dialing_enabled]

    def of_cycle(self, cycle_id: int) -> Assignment | None:
        return next((a for a in self if a.cycle_id == cycle_id), None)

    def of_call(self, call: LiveCall) -> Assignment | None:
        """The campaign ``call`` was placed for (by its cycle when it was resumed)."""
        if call.campaign_id is not None:
            return self.get(call.campaign_id)
        return self.of_cycle(call.cycle_id) or self.sole()

    def of_agent(self, agent: str) -> Assignment | None:
        """The campaign an agent's own phone is called for (the number it shows): the one
        they serve with the highest priority among those assigned (dialling first), else
        the first one assigned; ``None`` when none is."""
        assigned = [a.campaign_id for a in self if a.campaign_id is not None]
        dialling = [c for c in assigned if c in self.running()]
        order = dialling + [c for c in assigned if c not in dialling]
        for campaign_id in in_priority_order(self.serving.get(agent), order):
            return self.get(campaign_id)
        return next(iter(self), None)

    def set_serving(
        self,
        serving: Mapping[str, Served],
        volunteers: frozenset[str] | None = None,
        kinds: Mapping[int, CampaignKind] | None = None,
    ) -> None:
        self.serving = {agent: dict(served) for agent, served in serving.items() if served}
        if volunteers is not None:
            self.volunteers = volunteers
        if kinds is not None:
            self.kinds = dict(kinds)

    def kind_of(self, campaign_id: int | None) -> CampaignKind | None:
        """``campaign_id``'s kind (``None``: unknown to the engine)."""
        return None if campaign_id is None else self.kinds.get(campaign_id)

    def may_join(self, agent: str, campaign_id: int | None) -> bool:
        """May ``agent`` take a call of ``campaign_id`` (:func:`may_join`)?"""
        return may_join(agent, self.kind_of(campaign_id), self.volunteers)

    def seats_of(self, assignment: Assignment, seats: list[Seat]) -> list[Seat]:
        """The seats counted in ``assignment``'s pacing: its agents' (all of them for a
        campaign assigned without an id)."""
        if assignment.campaign_id is None:
            return seats
        home = self.home_of_agents(seats)
        return [s for s in seats if home.get(s.agent) == assignment.campaign_id]

    def home_of_agents(self, seats: list[Seat]) -> dict[str, int | None]:
        """The campaign each logged-in agent's seat counts for (:func:`homes`)."""
        logged_in = sorted(s.agent for s in seats if s.state is not AgentState.LOGGED_OUT)
        return homes(logged_in, self.serving, self.running())

    def overflow_into(
        self, assignment: Assignment, seats: list[Seat], calls: list[LiveCall]
    ) -> list[LiveCall]:
        """The calls of the other campaigns waiting for an agent beyond those campaigns' own
        ready agents, when ``assignment``'s agents serve them too: an answer among them
        would take one of its agents (a call placed before its agent's home changed, when a
        campaign was attached or paused), so its pacing counts them as its own."""
        home = self.home_of_agents(seats)
        mine = [s.agent for s in seats if home.get(s.agent) == assignment.campaign_id]
        extra: list[LiveCall] = []
        for other in self:
            if other is assignment or other.campaign_id is None:
                continue
            if not any(serves(self.serving.get(agent), other.campaign_id) for agent in mine):
                continue
            waiting = sorted(
                (
                    c
                    for c in calls
                    if c.agent is None and c.state in _WAITING and self.of_call(c) is other
                ),
                key=lambda c: c.dialed_at,
            )
            ready = sum(
                1
                for s in seats
                if s.state is AgentState.READY and home.get(s.agent) == other.campaign_id
            )
            extra += waiting[: max(0, len(waiting) - ready)]
        return extra

    def agent_for(
        self, campaign_id: int | None, seats: list[Seat], *, agents_only: bool = False
    ) -> Seat | None:
        """The ready seat to join to a call of ``campaign_id``: the agent ready the longest
        among those serving it and allowed to take it (:meth:`may_join`; ``agents_only``:
        never a volunteer's), its own first (:func:`dialer.core.serving.pick_agent`)."""
        ready = sorted(
            (
                s
                for s in seats
                if s.state is AgentState.READY
                and self.may_join(s.agent, campaign_id)
                and not (agents_only and s.agent in self.volunteers)
            ),
            key=lambda s: (s.since, s.agent),
        )
        chosen = pick_agent(
            campaign_id, [s.agent for s in ready], self.serving, self.home_of_agents(seats)
        )
        return next((s for s in ready if s.agent == chosen), None)

    def reserve(
        self,
        board: SeatBoard,
        campaign_id: int | None,
        attempt_id: str,
        now: datetime,
        *,
        agents_only: bool = False,
    ) -> Seat | None:
        """Reserve for ``attempt_id``, a call of ``campaign_id``, the agent :meth:`agent_for`
        picks (``None``: a campaign unknown, any ready agent but never a volunteer); None
        if nobody."""
        chosen = self.agent_for(campaign_id, board.seats(), agents_only=agents_only)
        if chosen is None:
            return None
        return board.reserve_agent(chosen.agent, attempt_id, now)

    def combined_plan(self, now_plans: list[PacingDecision]) -> PacingDecision:
        """One decision for the whole engine: the dials of every campaign."""
        facts = tuple(f for plan in now_plans for f in plan.facts)
        return decision(
            sum(p.dials for p in now_plans),
            *facts,
            offers=sum(p.offers for p in now_plans),
            closed=all(p.closed for p in now_plans),
        )
