"""The dashboard's figures of the current campaign, made from the counts of
:mod:`dialer.storage.dashboard_counts` (pure: counts in, figures out; no I/O, ``now`` given).

Definitions (each is checked against the rows by ``tests/storage/test_dashboard_figures``):

- the *current campaign*: the most recently created campaign running or paused; its
  *cycle*: its open cycle (none: no cycle figures);
- *on the register*: the people snapshotted into the cycle (``cycle_members``);
- *attempted*: people with at least one attempt placed (``placed_at`` set) in the cycle;
- *reached*: people joined to an agent (``bridged_at`` set) in the cycle;
- *questionnaire complete* (a useful contact): people with a submitted call sheet of the
  cycle whose disposition is ``complete``;
- *alerts raised / acknowledged*: alerts of the cycle's call sheets (one per team
  notified), and those acknowledged;
- *settled dials, live answers, abandons* (the pacing cap's own counts, over the last 15
  minutes and since the local midnight, for the whole campaign): attempts ended
  (state ``ended``) in the period; of those, answered by a person (``answered_at`` set,
  not a machine); of those, abandoned. Answer rate = live answers / settled dials; abandon
  rate = abandons / live answers;
- *DMT*: the mean of talk (``bridged_at`` → ``ended_at``) + wrap-up (→ ``wrap_up_done_at``)
  over the cycle's handled calls (joined and wrapped up), as
  :func:`dialer.core.handling_time.summarize` counts them;
- *attempts left*: for people whose cycle is open, ``max_attempts`` minus the attempts
  they had in the cycle (an upper bound: the planner may close them sooner);
- *pace*: attempts placed and useful contacts made in the last 15 minutes of calling time
  (since the cycle's start if later), per hour;
- *the episode* (when the campaign runs an alert episode): its cycles (and how many are
  closed), attempts placed, useful contacts (once per person and cycle) and people on the
  never-reached lists of its closed cycles (once per cycle), over every cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.campaigns.rules import policy_from_json, windows_from_json
from dialer.core.planning import RetryPolicy
from dialer.core.wallboard import TrendBucket
from dialer.core.windows import CallingWindows, calling_time_between, to_utc
from dialer.errors import InputError
from dialer.storage.dashboard_counts import (
    CurrentCampaign,
    CycleCounts,
    EpisodeCounts,
    OpenCycle,
    RateCounts,
)

#: the recent window of the rates and the pace
RECENT = timedelta(minutes=15)
#: the pace is never measured over less calling time than this (a window that just opened)
MIN_PACE_SPAN = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Rates:
    """Settled dials, live answers and abandons over one period, and their rates."""

    settled: int
    live_answers: int
    abandons: int

    @classmethod
    def of(cls, counts: RateCounts) -> Rates:
        return cls(counts.settled, counts.live_answers, counts.abandons)

    @property
    def answer_rate(self) -> float | None:
        return self.live_answers / self.settled if self.settled else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandons / self.live_answers if self.live_answers else None


@dataclass(frozen=True, slots=True)
class Funnel:
    register: int
    attempted: int
    reached: int
    complete: int
    alerts_raised: int
    alerts_acknowledged: int
    #: when the phone does not reach someone (``core.labels.ESCALATION_STAGES``)
    never_reached: int = 0
    relative_called: int = 0
    visit_requested: int = 0
    visit_done: int = 0


@dataclass(frozen=True, slots=True)
class HandlingTime:
    """DMT over the cycle's handled calls (seconds; None before the first one)."""

    handled: int
    mean_handling_s: float | None
    mean_talk_s: float | None
    mean_wrap_up_s: float | None


@dataclass(frozen=True, slots=True)
class OpenCycleFigures:
    """The open cycle's figures."""

    cycle_id: int
    number: int
    started_at: datetime
    deadline: datetime
    funnel: Funnel
    handling: HandlingTime
    open_people: int
    attempts_done: int
    attempts_left: int
    attempts_recent: int
    contacts_recent: int
    #: the calling time the pace was measured over
    pace_span: timedelta

    @property
    def attempts_per_hour(self) -> float:
        return _per_hour(self.attempts_recent, self.pace_span)

    @property
    def contacts_per_hour(self) -> float:
        return _per_hour(self.contacts_recent, self.pace_span)


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    """What the database says about the current campaign at ``read_at``."""

    read_at: datetime
    campaign_id: int
    campaign_name: str
    campaign_state: str
    windows: CallingWindows
    policy: RetryPolicy
    recent: Rates
    today: Rates
    cycle: OpenCycleFigures | None
    #: how long the queries took
    read_ms: float
    #: the alert episode the campaign runs, over all its cycles (None: no episode)
    episode: EpisodeCounts | None = None
    #: the pacing's abandon cap (a share of today's live answers)
    abandon_cap: float = 0.0
    #: the day's trend (the wallboard's bars)
    trend: tuple[TrendBucket, ...] = ()
    #: reserved calls (call-backs after an abandon, agents' callbacks) nobody took in time
    callbacks_overdue: int = 0


def _per_hour(count: int, span: timedelta) -> float:
    if span <= timedelta(0):
        return 0.0
    return count / (span / timedelta(hours=1))


def campaign_rules(campaign: CurrentCampaign) -> tuple[CallingWindows, RetryPolicy]:
    """The campaign's windows and policy; the defaults when the stored JSON is incomplete."""
    try:
        windows = windows_from_json(campaign.calling_windows)
    except InputError:
        windows = CallingWindows()
    try:
        policy = policy_from_json(campaign.retry_policy)
    except InputError:
        policy = RetryPolicy()
    return windows, policy


def local_midnight(now: datetime, windows: CallingWindows) -> datetime:
    """The start of the campaign's local day containing ``now`` (UTC)."""
    local = to_utc(now).astimezone(windows.timezone)
    return to_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


def pace_start(now: datetime, cycle: OpenCycle) -> datetime:
    """Since when the pace is measured: the last :data:`RECENT`, or the cycle's start."""
    return max(now - RECENT, cycle.started_at)


def pace_span(now: datetime, start: datetime, windows: CallingWindows) -> timedelta:
    """The calling time between ``start`` and ``now`` (at least :data:`MIN_PACE_SPAN`
    when there is any)."""
    span = calling_time_between(windows, start, now) if start < now else timedelta(0)
    if timedelta(0) < span < MIN_PACE_SPAN:
        span = MIN_PACE_SPAN
    return span


def open_cycle_figures(
    cycle: OpenCycle, counts: CycleCounts, *, span: timedelta, policy: RetryPolicy
) -> OpenCycleFigures:
    return OpenCycleFigures(
        cycle_id=cycle.id,
        number=cycle.number,
        started_at=cycle.started_at,
        deadline=cycle.deadline,
        funnel=Funnel(
            register=counts.register,
            attempted=counts.attempted,
            reached=counts.reached,
            complete=counts.complete,
            alerts_raised=counts.alerts_raised,
            alerts_acknowledged=counts.alerts_acknowledged,
            never_reached=counts.escalation.get("never_reached", 0),
            relative_called=counts.escalation.get("relative_called", 0),
            visit_requested=counts.escalation.get("visit_requested", 0),
            visit_done=counts.escalation.get("visit_done", 0),
        ),
        handling=HandlingTime(
            handled=counts.handled,
            mean_handling_s=counts.mean_handling_s,
            mean_talk_s=counts.mean_talk_s,
            mean_wrap_up_s=counts.mean_wrap_up_s,
        ),
        open_people=counts.open_people,
        attempts_done=counts.attempts_done,
        attempts_left=max(
            0, policy.max_attempts * counts.open_people - counts.attempts_by_open_people
        ),
        attempts_recent=counts.attempts_recent,
        contacts_recent=counts.contacts_recent,
        pace_span=span,
    )
