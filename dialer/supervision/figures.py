"""The dashboard's ledger figures: a handful of aggregate queries (COUNT, AVG with CASE,
GROUP BY) on the current campaign and its open cycle, never a row per person.

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
  (since the cycle's start if later), per hour.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.campaigns.rules import policy_from_json, windows_from_json
from dialer.core.attempts import AttemptState, Disposition
from dialer.core.campaigns import CampaignState
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, calling_time_between, to_utc
from dialer.errors import InputError
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Attempt, Campaign, Cycle
from dialer.storage.schedule import CycleMember, MemberStatus

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


@dataclass(frozen=True, slots=True)
class HandlingTime:
    """DMT over the cycle's handled calls (seconds; None before the first one)."""

    handled: int
    mean_handling_s: float | None
    mean_talk_s: float | None
    mean_wrap_up_s: float | None


@dataclass(frozen=True, slots=True)
class CycleLedger:
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
class LedgerFigures:
    """What the database says about the current campaign at ``read_at``."""

    read_at: datetime
    campaign_id: int
    campaign_name: str
    campaign_state: str
    windows: CallingWindows
    policy: RetryPolicy
    recent: Rates
    today: Rates
    cycle: CycleLedger | None
    #: how long the queries took
    read_ms: float


def _per_hour(count: int, span: timedelta) -> float:
    if span <= timedelta(0):
        return 0.0
    return count / (span / timedelta(hours=1))


def _epoch(column: Any, dialect: str) -> ColumnElement[Any]:
    """Seconds since the epoch of a timestamp column, in SQL (SQLite stores UTC text)."""
    if dialect == "sqlite":
        return func.julianday(column) * 86400.0
    return extract("epoch", column)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def campaign_rules(campaign: Campaign) -> tuple[CallingWindows, RetryPolicy]:
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


async def read_ledger(sessions: SessionFactory, now: datetime) -> LedgerFigures | None:
    """The current campaign's figures, or ``None`` when no campaign runs or pauses."""
    started = time.perf_counter()
    now = to_utc(now)
    async with transaction(sessions) as session:
        campaign = await session.scalar(
            select(Campaign)
            .where(Campaign.state.in_([CampaignState.RUNNING, CampaignState.PAUSED]))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
            .limit(1)
        )
        if campaign is None:
            return None
        windows, policy = campaign_rules(campaign)
        recent, today = await _rates(session, campaign.id, now, windows)
        cycle = await session.scalar(
            select(Cycle)
            .where(Cycle.campaign_id == campaign.id)
            .where(Cycle.closed_at.is_(None))
            .order_by(Cycle.number.desc())
            .limit(1)
        )
        cycle_figures = (
            await _cycle(session, cycle, now, windows, policy) if cycle is not None else None
        )
    return LedgerFigures(
        read_at=now,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        campaign_state=campaign.state.value,
        windows=windows,
        policy=policy,
        recent=recent,
        today=today,
        cycle=cycle_figures,
        read_ms=(time.perf_counter() - started) * 1000,
    )


def local_midnight(now: datetime, windows: CallingWindows) -> datetime:
    """The start of the campaign's local day containing ``now`` (UTC)."""
    local = to_utc(now).astimezone(windows.timezone)
    return to_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


async def _rates(
    session: AsyncSession, campaign_id: int, now: datetime, windows: CallingWindows
) -> tuple[Rates, Rates]:
    day_start = local_midnight(now, windows)
    recent_start = now - RECENT
    ended = Attempt.state == AttemptState.ENDED
    live = and_(ended, Attempt.answered_at.is_not(None), Attempt.outcome != CallOutcome.MACHINE)
    abandoned = and_(ended, Attempt.outcome == CallOutcome.ABANDONED)
    in_day = Attempt.ended_at >= day_start
    in_recent = Attempt.ended_at >= recent_start
    row = (
        await session.execute(
            select(
                _count(and_(ended, in_recent)),
                _count(and_(live, in_recent)),
                _count(and_(abandoned, in_recent)),
                _count(and_(ended, in_day)),
                _count(and_(live, in_day)),
                _count(and_(abandoned, in_day)),
            )
            .join(Cycle, Cycle.id == Attempt.cycle_id)
            .where(Cycle.campaign_id == campaign_id)
            .where(Attempt.ended_at >= min(day_start, recent_start))
        )
    ).one()
    values = [int(v or 0) for v in row]
    return Rates(*values[:3]), Rates(*values[3:])


async def _cycle(
    session: AsyncSession,
    cycle: Cycle,
    now: datetime,
    windows: CallingWindows,
    policy: RetryPolicy,
) -> CycleLedger:
    dialect = session.get_bind().dialect.name
    pace_start = max(now - RECENT, cycle.started_at)
    span = calling_time_between(windows, pace_start, now) if pace_start < now else timedelta(0)
    if timedelta(0) < span < MIN_PACE_SPAN:
        span = MIN_PACE_SPAN

    members = dict(
        (
            await session.execute(
                select(CycleMember.status, func.count())
                .where(CycleMember.cycle_id == cycle.id)
                .group_by(CycleMember.status)
            )
        ).all()
    )
    register = sum(int(n) for n in members.values())
    open_people = register - int(members.get(MemberStatus.DONE, 0))

    placed = Attempt.placed_at.is_not(None)
    handled = and_(
        Attempt.bridged_at.is_not(None),
        Attempt.ended_at.is_not(None),
        Attempt.wrap_up_done_at.is_not(None),
    )
    bridged, ended, wrapped = (
        _epoch(Attempt.bridged_at, dialect),
        _epoch(Attempt.ended_at, dialect),
        _epoch(Attempt.wrap_up_done_at, dialect),
    )
    attempts = (
        await session.execute(
            select(
                _count(placed),
                func.count(distinct(case((placed, Attempt.person_id)))),
                func.count(distinct(case((Attempt.bridged_at.is_not(None), Attempt.person_id)))),
                _count(Attempt.placed_at >= pace_start),
                _count(handled),
                # mean(a - b) = mean(a) - mean(b): three conversions a row, not six
                func.avg(case((handled, bridged))),
                func.avg(case((handled, ended))),
                func.avg(case((handled, wrapped))),
            ).where(Attempt.cycle_id == cycle.id)
        )
    ).one()
    used_by_open = await session.scalar(
        select(func.count())
        .select_from(Attempt)
        .join(
            CycleMember,
            and_(
                CycleMember.cycle_id == Attempt.cycle_id,
                CycleMember.person_id == Attempt.person_id,
            ),
        )
        .where(Attempt.cycle_id == cycle.id)
        .where(CycleMember.status != MemberStatus.DONE)
        .where(placed)
    )
    complete = and_(
        CallSheet.disposition == Disposition.COMPLETE, CallSheet.submitted_at.is_not(None)
    )
    sheets = (
        await session.execute(
            select(
                func.count(distinct(case((complete, CallSheet.person_id)))),
                _count(and_(complete, CallSheet.submitted_at >= pace_start)),
            ).where(CallSheet.cycle_id == cycle.id)
        )
    ).one()
    alerts = (
        await session.execute(
            select(func.count(Alert.id), _count(Alert.state == AlertState.ACKNOWLEDGED))
            .join(CallSheet, CallSheet.id == Alert.sheet_id)
            .where(CallSheet.cycle_id == cycle.id)
        )
    ).one()

    def seconds(start: Any, end: Any) -> float | None:
        if start is None or end is None:
            return None
        return max(0.0, float(end) - float(start))

    mean_bridged, mean_ended, mean_wrapped = attempts[5], attempts[6], attempts[7]

    return CycleLedger(
        cycle_id=cycle.id,
        number=cycle.number,
        started_at=cycle.started_at,
        deadline=cycle.deadline,
        funnel=Funnel(
            register=register,
            attempted=int(attempts[1] or 0),
            reached=int(attempts[2] or 0),
            complete=int(sheets[0] or 0),
            alerts_raised=int(alerts[0] or 0),
            alerts_acknowledged=int(alerts[1] or 0),
        ),
        handling=HandlingTime(
            handled=int(attempts[4] or 0),
            mean_handling_s=seconds(mean_bridged, mean_wrapped),
            mean_talk_s=seconds(mean_bridged, mean_ended),
            mean_wrap_up_s=seconds(mean_ended, mean_wrapped),
        ),
        open_people=open_people,
        attempts_done=int(attempts[0] or 0),
        attempts_left=max(0, policy.max_attempts * open_people - int(used_by_open or 0)),
        attempts_recent=int(attempts[3] or 0),
        contacts_recent=int(sheets[1] or 0),
        pace_span=span,
    )
