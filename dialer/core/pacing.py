"""Pacing: how many people to dial right now.

Pure and synchronous: the engine builds a :class:`PacingSnapshot` of live statistics every
second (``now`` included) and calls :func:`decide`, which returns a :class:`PacingDecision`
(a number of dials and one line explaining it, for the ops screens and the log).

Modes (:class:`PacingMode`):

* ``PREVIEW``: the agent sees the person first and launches the call; the pacer never
  dials, it offers the next person to each ready agent (``offers``).
* ``PROGRESSIVE``: one call per free agent: ``ready agents - answered calls waiting -
  calls already dialing or ringing``. Every answered person has an agent, so abandons can
  only come from races (an agent pausing while their call rings).
* ``PREDICTIVE``: more lines than free agents, under a hard abandon cap (below).

Abandons. A person who answers and is not joined to an agent within 2 s is abandoned. Ofcom
(UK, per campaign per day) and the FTC (US, per 30 days) allow at most 3 % of live answers;
the people called here are old, ill or disabled, so the campaign's cap defaults to 1 % of
today's live answers, start-up included, and can never be set above 3 %
(:data:`ABANDON_RATE_CEILING`).

The predictive rule, safe by construction:

1. *Start-up and the day's budget.* Until ``min_recent_dials`` outcomes are known, and as
   long as ``spare_abandons`` (2) more abandons now would take today's rate over the cap
   (``abandons + 2 > cap * (live answers + 1)``: with a 1 % cap, the first 199 live answers
   of the day are worked progressively), the pacer is progressive. So neither one unlucky
   abandon nor two at once take the day's rate over the cap; nor, with probability
   ``1 - burst_probability``, do more: a line is not added when the calls in flight, with
   it, could abandon more people than the day can still take (a Poisson count whose mean is
   the largest expected excess of live answers over free agents at a check point, see 3.).
   In the bench, one spare abandon instead of two gave 0.5-1 point more occupancy but a
   day's running rate up to 1.10 % after a burst of two abandons.
2. *How much risk one more line may carry.* The day aims at ``target_share`` of the cap.
   The risk allowed to the next line is the budget left for the next ``budget_horizon``
   (``(target * (live + H) - abandons) / H``, ``H`` the live answers expected in that time
   from the agents' handling time), clamped to ``[0, max_line_risk]``. Today's abandons so far
   thus lower it; at or over the target it is 0: progressive.
3. *The risk of one more line.* Over check points ``t`` up to the ring timeout: supply =
   ready agents - answered calls waiting + agents expected free by ``t`` (+ the join grace):
   each agent in wrap-up from the survival of its wrap-up time given the time already spent
   (this is where a predictive dialer gains over the textbook one: it dials ahead of a
   predictable end of wrap-up), each agent on a call from the hazard of its talk time given
   the time already talked, followed by a wrap-up; demand = live answers expected by ``t``
   from the calls already ringing, each by its own age (an old ring rarely answers), and from
   the lines added in this decision. The next line's risk is the probability that, when its
   person answers (time-to-answer distribution), or at any later check point, demand reaches
   supply: then it or another answered person finds no agent. The answer rate used is an
   upper confidence bound (more answers than expected is what makes abandons). Lines are
   added while their risk is within the allowed risk.
4. The progressive number of dials is always allowed (its abandons can only come from races),
   so predictive never dials fewer than progressive.

Everywhere: no dial when ``now + ring timeout + close_margin`` passes the calling window's
end (no call may still ring when the window closes), never more dials than free lines, never
a negative number, and never more lines in use than ``max_lines_per_agent`` (the dial level
cap, :data:`DEFAULT_MAX_LINES_PER_AGENT` by default) times the agents logged in and not
paused: lines in use are the calls dialing or ringing, the answered persons waiting and the
connected calls (agents reserved or on a call). Progressive never reaches it (its calls
plus the connected ones are at most the ready and busy agents, and the cap is at least one
line per agent); predictive stops adding lines there, and its reason says so.

The settings (modes, the caps) are in :mod:`dialer.core.pacing_settings`, the snapshot in
:mod:`dialer.core.pacing_statistics`, the estimates and the risk model of steps 2 and 3 in
:mod:`dialer.core.pacing_risk`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dialer.core import pacing_risk
from dialer.core.agent_states import AgentState
from dialer.core.pacing_reasons import Clause, Fact, english, fact
from dialer.core.pacing_settings import PacingConfig, PacingMode
from dialer.core.pacing_statistics import PacingSnapshot


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """How many people to dial now, and one line saying why. In preview, ``offers`` is the
    number of ready agents to offer their next person to (they launch the calls). ``closed``:
    the calling window is closed or closes within the ring timeout: nobody may be dialled,
    nor offered to an agent (an agent-reserved call neither). ``facts``: the reason as
    codes (:mod:`dialer.core.pacing_reasons`), which the screens show in French."""

    dials: int
    reason: str
    offers: int = 0
    closed: bool = False
    facts: tuple[Fact, ...] = field(default=(), compare=False)


def decision(dials: int, *facts: Fact, offers: int = 0, closed: bool = False) -> PacingDecision:
    """A decision whose English reason is made from its facts."""
    return PacingDecision(dials, english(facts), offers=offers, closed=closed, facts=facts)


def decide(snapshot: PacingSnapshot, config: PacingConfig) -> PacingDecision:
    """How many people to dial now (see the module's documentation)."""
    ready = sum(1 for agent in snapshot.agents if agent.state is AgentState.READY)
    last_dial = snapshot.closes_at - snapshot.ring_timeout - config.close_margin
    if snapshot.now > last_dial:
        return decision(
            0,
            fact(
                Clause.WINDOW_CLOSING,
                snapshot.ring_timeout.total_seconds(),
                config.close_margin.total_seconds(),
                text=f"{snapshot.closes_at:%H:%M:%S}",
            ),
            fact(Clause.DIAL, 0),
            closed=True,
        )
    if config.mode is PacingMode.PREVIEW:
        offers = min(ready, snapshot.lines_available)
        return decision(
            0, fact(Clause.PREVIEW, ready, snapshot.lines_available, offers), offers=offers
        )
    rate = pacing_risk.answer_rate(snapshot, config)
    progressive = max(0, ready - snapshot.answered_waiting - len(snapshot.dialing))
    base = _base_reason(snapshot, ready, rate)
    room = _Room.of(snapshot, config)
    if config.mode is PacingMode.PROGRESSIVE or snapshot.lines_available == 0:
        return _limited(progressive, base, snapshot, room)
    return _predictive(snapshot, config, ready=ready, rate=rate, progressive=progressive, room=room)


def lines_in_use(snapshot: PacingSnapshot) -> int:
    """Calls in progress: dialing or ringing, answered and waiting, connected (an agent
    reserved for it or on it)."""
    connected = sum(
        1 for agent in snapshot.agents if agent.state in (AgentState.ON_CALL, AgentState.RESERVED)
    )
    return len(snapshot.dialing) + snapshot.answered_waiting + connected


def line_cap(snapshot: PacingSnapshot, config: PacingConfig) -> int:
    """The most calls in progress allowed: ``max_lines_per_agent`` times the agents logged
    in and not paused, rounded down."""
    active = sum(
        1
        for agent in snapshot.agents
        if agent.state not in (AgentState.PAUSED, AgentState.LOGGED_OUT)
    )
    return math.floor(config.max_lines_per_agent * active + 1e-9)


@dataclass(frozen=True, slots=True)
class _Room:
    """How many more calls the dial level cap allows (``dials``), and why."""

    dials: int
    why: Fact

    @classmethod
    def of(cls, snapshot: PacingSnapshot, config: PacingConfig) -> _Room:
        in_use, cap = lines_in_use(snapshot), line_cap(snapshot, config)
        return cls(
            max(0, cap - in_use), fact(Clause.LINE_CAP, config.max_lines_per_agent, in_use, cap)
        )


def _predictive(
    snapshot: PacingSnapshot,
    config: PacingConfig,
    *,
    ready: int,
    rate: float,
    progressive: int,
    room: _Room,
) -> PacingDecision:
    base = _base_reason(snapshot, ready, rate)
    live, abandons = snapshot.live_answers_today, snapshot.abandons_today
    cap = config.max_abandon_rate
    if snapshot.recent_dials < config.min_recent_dials:
        start_up = fact(Clause.START_UP, snapshot.recent_dials, config.min_recent_dials)
        return _limited(progressive, (*base, start_up), snapshot, room)
    target = cap * config.target_share
    spare = math.floor(cap * (live + 1) - abandons + 1e-9)  # abandons the day can still take
    if spare < config.spare_abandons:
        budget = fact(Clause.DAY_BUDGET, abandons, live, config.spare_abandons, cap)
        return _limited(progressive, (*base, budget), snapshot, room)
    talk = pacing_risk.blend(snapshot.talk, config.prior_talk, config.prior_weight)
    wrap = pacing_risk.blend(snapshot.wrap_up, config.prior_wrap_up, config.prior_weight)
    allowed = pacing_risk.allowed_line_risk(snapshot, config, talk, wrap)
    if allowed <= 0:
        at_target = fact(Clause.AT_TARGET, abandons, live, target)
        return _limited(progressive, (*base, at_target), snapshot, room)
    model = pacing_risk.RiskModel(
        snapshot, config, pacing_risk.upper_answer_rate(rate, snapshot, config), talk, wrap
    )
    most = min(snapshot.lines_available, room.dials)
    dials = min(progressive, most)
    risk, bound = 0.0, False
    # bounded by the free lines and the dial level cap; each added line only raises the next
    # one's risk
    if room.dials < snapshot.lines_available:
        stop = room.why
    else:
        stop = fact(Clause.ALL_LINES_USED, snapshot.lines_available)
    while dials < most:
        risk, bound = model.line_risk(dials, allowed)
        if risk > allowed:
            stop = fact(Clause.LINE_RISK, 1 if bound else 0, risk, allowed)
            break
        burst = pacing_risk.poisson_tail(model.expected_abandons(dials + 1), spare + 1)
        if burst > config.burst_probability:
            stop = fact(Clause.BURST, spare + 1, burst, config.burst_probability)
            break
        dials += 1
    return decision(
        dials,
        *base,
        fact(Clause.EXPECTED_FREE, model.expected_free, model.horizon),
        fact(Clause.ABANDONS_TODAY, abandons, live),
        stop,
        fact(Clause.DIAL, dials),
        fact(Clause.SPLIT, min(progressive, dials), dials - min(progressive, dials)),
    )


def _limited(
    dials: int, facts: tuple[Fact, ...], snapshot: PacingSnapshot, room: _Room
) -> PacingDecision:
    lines = snapshot.lines_available
    if dials > room.dials and room.dials < lines:
        return decision(room.dials, *facts, room.why, fact(Clause.DIAL, room.dials))
    if dials > lines:
        return decision(
            lines, *facts, fact(Clause.DIAL, lines), fact(Clause.ONLY_FREE_LINES, lines)
        )
    return decision(dials, *facts, fact(Clause.DIAL, dials))


def _base_reason(snapshot: PacingSnapshot, ready: int, rate: float) -> tuple[Fact, ...]:
    facts = [fact(Clause.FREE_AGENTS, ready)]
    if snapshot.answered_waiting:
        facts.append(fact(Clause.ANSWERED_WAITING, snapshot.answered_waiting))
    facts.append(fact(Clause.RINGING, len(snapshot.dialing)))
    facts.append(fact(Clause.ANSWER_RATE, rate))
    return tuple(facts)
