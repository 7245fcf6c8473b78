"""Report figures from a report's rows: pure (rows in, figures out), no I/O, no clock.

Definitions (the same in every table, chart and export):

- a *dialled* attempt has been placed (``placed_at`` set); planned attempts not yet placed
  are not counted;
- an attempt is *answered by a person* when its outcome is ``answered``, ``abandoned`` or
  ``hung_up`` (a person picked up; an answering machine is not a person);
- a person is *reached* in a cycle when an agent talked with them (an attempt bridged);
- a *useful contact* is a submitted call sheet whose questionnaire is complete;
- people are counted per cycle: over several cycles, one person counts once per cycle;
- DMT (handling time) = talk (bridged → hung up) + wrap-up (hung up → agent done), over
  the calls an agent handled and wrapped up (:mod:`dialer.core.handling_time`);
- hours are local hours (Europe/Paris by default) of the moment the attempt was placed;
- seat-hours: the time agents were logged in during the cycles (from their start to
  their close, or their deadline while open), summed over agents
  (:mod:`dialer.core.seat_time`);
- conversion rate: useful contacts ÷ people called (people with a dialled attempt, per
  cycle).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.handling_time import CallTiming, HandlingStats, summarize
from dialer.core.labels import (
    CYCLE_RESULT_LABELS,
    DMT_BUCKET_NAMES,
    OUTCOME_LABELS,
    PENDING_OUTCOME_LABEL,
    never_reached_text,
)
from dialer.core.never_reached import FIELD_VISIT_RESULTS, listed_reason
from dialer.core.outcomes import CallOutcome
from dialer.core.seat_time import conversion_rate, seat_seconds
from dialer.core.windows import PARIS
from dialer.storage.report_rows import AttemptRow, CycleRow, PersonRow, ReportRows

#: outcomes where a person picked up the phone
PERSON_ANSWERED = frozenset({CallOutcome.ANSWERED, CallOutcome.ABANDONED, CallOutcome.HUNG_UP})

#: attempts per person: 0, 1, 2, 3, 4 and more
ATTEMPT_BUCKETS = ("0", "1", "2", "3", "4+")

#: DMT histogram: upper bounds in seconds of each bucket (the last one is open; labels in
#: ``core.labels.DMT_BUCKET_NAMES``)
DMT_BUCKET_EDGES_S = (120, 240, 360, 480, 600, 900)


@dataclass(frozen=True)
class OutcomeLine:
    outcome: CallOutcome | None  # None: placed, no outcome yet
    label: str
    count: int
    share: float  # of the dialled attempts, 0..1


@dataclass(frozen=True)
class AttemptsBucket:
    label: str
    people: int
    share: float


@dataclass(frozen=True)
class HourLine:
    hour: int
    attempts: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class AgentDmt:
    agent: str
    calls: int
    mean_s: float
    p50_s: float
    p90_s: float
    mean_talk_s: float
    mean_wrap_up_s: float
    histogram: tuple[int, ...]  # one count per DMT_BUCKET_NAMES


@dataclass(frozen=True)
class AttemptTrace:
    id: str
    at: datetime
    number: str
    outcome: str


@dataclass(frozen=True)
class FollowUpLine:
    person: PersonRow
    cycle: int
    result: CycleResult
    reason: str
    attempts: tuple[AttemptTrace, ...]


@dataclass(frozen=True)
class AlertLine:
    id: int
    cycle: int
    person: PersonRow | None
    team: str
    priority: int
    need: str
    message: str
    raised_at: datetime
    raised_by: str
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Figures:
    register: int
    dialled: int
    answered: int
    reached: int
    useful_contacts: int
    outcomes: tuple[OutcomeLine, ...]
    attempts_per_person: tuple[AttemptsBucket, ...]
    by_hour: tuple[HourLine, ...]
    dmt_overall: HandlingStats
    dmt_histogram: tuple[int, ...]
    dmt_by_agent: tuple[AgentDmt, ...]
    follow_up: tuple[FollowUpLine, ...]
    alerts: tuple[AlertLine, ...]
    funnel: tuple[FunnelStep, ...]
    #: agents' logged-in time over the cycles, in seconds
    seat_seconds: float = 0.0
    #: calls coming in taken by an agent, and those put through (:func:`inbound_calls`)
    inbound: tuple[int, int] = (0, 0)

    @property
    def people_called(self) -> int:
        return self.funnel[1].count

    @property
    def conversion_rate(self) -> float:
        """Useful contacts over the people called."""
        return conversion_rate(self.useful_contacts, self.people_called)

    @property
    def answer_rate(self) -> float:
        return self.answered / self.dialled if self.dialled else 0.0

    @property
    def useful_contact_rate(self) -> float:
        """Useful contacts over the people on the register."""
        return self.useful_contacts / self.register if self.register else 0.0


def dialled(attempts: tuple[AttemptRow, ...]) -> list[AttemptRow]:
    """The attempts the dialer placed (a call coming in is no dial)."""
    return [a for a in attempts if a.placed_at is not None and a.kind != AttemptKind.INBOUND]


def inbound_calls(attempts: tuple[AttemptRow, ...]) -> tuple[int, int]:
    """People who called the campaign's number and were taken by an agent: (calls, of
    which put through to the agent)."""
    calls = [a for a in attempts if a.kind == AttemptKind.INBOUND]
    return len(calls), sum(1 for a in calls if a.bridged_at is not None)


def outcome_lines(rows: ReportRows) -> tuple[OutcomeLine, ...]:
    """One line per outcome (every outcome listed, zero included), then the attempts
    still without one."""
    placed = dialled(rows.attempts)
    counts = Counter(a.outcome for a in placed)
    total = len(placed)

    def line(outcome: CallOutcome | None, label: str) -> OutcomeLine:
        count = counts.get(outcome, 0)
        return OutcomeLine(outcome, label, count, count / total if total else 0.0)

    lines = [line(outcome, OUTCOME_LABELS[outcome]) for outcome in CallOutcome]
    lines.append(line(None, PENDING_OUTCOME_LABEL))
    return tuple(lines)


def attempts_per_person(rows: ReportRows) -> tuple[AttemptsBucket, ...]:
    """How many people (per cycle) had 0, 1, 2, 3, 4+ dialled attempts."""
    per_member: Counter[tuple[int, int]] = Counter(
        (a.cycle_id, a.person_id) for a in dialled(rows.attempts)
    )
    buckets: Counter[str] = Counter()
    for member in rows.members:
        count = per_member.get(member, 0)
        buckets[ATTEMPT_BUCKETS[min(count, 4)]] += 1
    total = len(rows.members)
    return tuple(
        AttemptsBucket(label, buckets[label], buckets[label] / total if total else 0.0)
        for label in ATTEMPT_BUCKETS
    )


def answer_rate_by_hour(rows: ReportRows, zone: ZoneInfo = PARIS) -> tuple[HourLine, ...]:
    """Dialled attempts and those a person answered, by local hour (hours with attempts)."""
    attempts: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for attempt in rows.attempts:
        if attempt.placed_at is None:
            continue
        hour = attempt.placed_at.astimezone(zone).hour
        attempts[hour] += 1
        if attempt.outcome in PERSON_ANSWERED:
            answered[hour] += 1
    return tuple(HourLine(hour, attempts[hour], answered[hour]) for hour in sorted(attempts))


def call_timings(rows: ReportRows) -> list[CallTiming]:
    """The ended calls' timings (for :mod:`dialer.core.handling_time`)."""
    return [
        CallTiming(
            attempt_id=a.id,
            campaign_id=rows.campaign.id,
            cycle_id=a.cycle_id,
            agent=a.agent,
            dialed_at=a.placed_at,
            answered_at=a.answered_at,
            joined_at=a.bridged_at,
            hung_up_at=a.ended_at,
            wrap_up_done_at=a.wrap_up_done_at,
        )
        for a in rows.attempts
        if a.placed_at is not None and a.ended_at is not None
    ]


def dmt_histogram(handling_s: list[float]) -> tuple[int, ...]:
    counts = [0] * len(DMT_BUCKET_NAMES)
    for seconds in handling_s:
        index = next(
            (i for i, edge in enumerate(DMT_BUCKET_EDGES_S) if seconds < edge),
            len(DMT_BUCKET_EDGES_S),
        )
        counts[index] += 1
    return tuple(counts)


def dmt_by_agent(timings: list[CallTiming]) -> tuple[AgentDmt, ...]:
    """DMT per agent over the calls they handled, agents by name."""
    groups: dict[str, list[CallTiming]] = defaultdict(list)
    for timing in timings:
        if timing.handled:
            groups[timing.agent or "-"].append(timing)
    lines = []
    for agent in sorted(groups):
        stats = summarize(groups[agent])
        lines.append(
            AgentDmt(
                agent=agent,
                calls=stats.calls,
                mean_s=stats.mean_handling_s,
                p50_s=stats.median_handling_s,
                p90_s=stats.p90_handling_s,
                mean_talk_s=stats.mean_talk_s,
                mean_wrap_up_s=stats.mean_wrap_up_s,
                histogram=dmt_histogram([t.handling_s for t in groups[agent]]),
            )
        )
    return tuple(lines)


def follow_up_list(rows: ReportRows) -> tuple[FollowUpLine, ...]:
    """People nobody reached by phone (never reached, or no valid number): each cycle's
    never-reached list, by name, with why (:mod:`dialer.core.never_reached`) and every
    attempt of the cycle."""
    numbers = rows.cycle_numbers
    attempts: dict[tuple[int, int], list[AttemptTrace]] = defaultdict(list)
    for a in rows.attempts:
        if a.placed_at is not None:
            outcome = OUTCOME_LABELS[a.outcome] if a.outcome else PENDING_OUTCOME_LABEL
            trace = AttemptTrace(a.id, a.placed_at, a.number, outcome)
            attempts[(a.cycle_id, a.person_id)].append(trace)
    lines = []
    for result in rows.results:
        if result.result not in FIELD_VISIT_RESULTS:
            continue
        person = rows.people[result.person_id]
        traces = tuple(
            sorted(attempts[(result.cycle_id, result.person_id)], key=lambda t: (t.at, t.id))
        )
        why = listed_reason(result.result, result.reason, result.note, len(traces))
        reason = f"{CYCLE_RESULT_LABELS[result.result]} : {never_reached_text(why, len(traces))}"
        lines.append(FollowUpLine(person, numbers[result.cycle_id], result.result, reason, traces))
    lines.sort(key=lambda f: (f.person.last_name, f.person.first_name, f.person.id, f.cycle))
    return tuple(lines)


def alert_log(rows: ReportRows) -> tuple[AlertLine, ...]:
    numbers = rows.cycle_numbers
    return tuple(
        AlertLine(
            id=alert.id,
            cycle=numbers[alert.cycle_id],
            person=rows.people.get(alert.person_id),
            team=alert.team or "aucune équipe",
            priority=alert.priority,
            need=alert.need,
            message=alert.message,
            raised_at=alert.raised_at,
            raised_by=alert.raised_by,
            escalation_level=alert.escalation_level,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=alert.acknowledged_by,
        )
        for alert in sorted(rows.alerts, key=lambda a: (a.raised_at, a.id))
    )


def useful_contact_members(rows: ReportRows) -> set[tuple[int, int]]:
    return {
        (s.cycle_id, s.person_id) for s in rows.sheets if s.complete and s.submitted_at is not None
    }


def funnel(rows: ReportRows) -> tuple[FunnelStep, ...]:
    """Register → attempted → reached → questionnaire complete (people, per cycle) →
    alerts raised → alerts acknowledged (alerts)."""
    placed = dialled(rows.attempts)
    attempted = {(a.cycle_id, a.person_id) for a in placed}
    reached = {(a.cycle_id, a.person_id) for a in placed if a.bridged_at is not None}
    return (
        FunnelStep("register", "au registre", len(rows.members)),
        FunnelStep("attempted", "appelées", len(attempted)),
        FunnelStep("reached", "jointes", len(reached)),
        FunnelStep("complete", "questionnaire complet", len(useful_contact_members(rows))),
        FunnelStep("alerts_raised", "alertes levées", len(rows.alerts)),
        FunnelStep(
            "alerts_acknowledged",
            "alertes acquittées",
            sum(1 for a in rows.alerts if a.acknowledged_at is not None),
        ),
    )


def cycle_seat_seconds(rows: ReportRows, cycle: CycleRow) -> float:
    """Agents' logged-in time during ``cycle`` (to its close, or its deadline while open)."""
    return seat_seconds(rows.seat_sessions, cycle.started_at, cycle.closed_at or cycle.deadline)


def compute_figures(rows: ReportRows, zone: ZoneInfo = PARIS) -> Figures:
    timings = call_timings(rows)
    handled = [t.handling_s for t in timings if t.handled]
    placed = dialled(rows.attempts)
    steps = funnel(rows)
    return Figures(
        register=len(rows.members),
        dialled=len(placed),
        answered=sum(1 for a in placed if a.outcome in PERSON_ANSWERED),
        reached=steps[2].count,
        useful_contacts=steps[3].count,
        outcomes=outcome_lines(rows),
        attempts_per_person=attempts_per_person(rows),
        by_hour=answer_rate_by_hour(rows, zone),
        dmt_overall=summarize(timings),
        dmt_histogram=dmt_histogram(handled),
        dmt_by_agent=dmt_by_agent(timings),
        follow_up=follow_up_list(rows),
        alerts=alert_log(rows),
        funnel=steps,
        seat_seconds=sum(cycle_seat_seconds(rows, cycle) for cycle in rows.cycles),
        inbound=inbound_calls(rows.attempts),
    )
