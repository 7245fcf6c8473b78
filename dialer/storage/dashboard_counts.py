"""The live dashboard's counts: a handful of aggregate queries (COUNT, AVG with CASE,
GROUP BY) on the current campaign and its open cycle, never a row per person. The figures
made from them, and what each count means, are in :mod:`dialer.dashboard.campaign_figures`.

The counts of one snapshot are read in one transaction::

    async with dashboard_counts(sessions) as counts:
        campaign = await counts.current_campaign()
        ...
        recent, today = await counts.rates(campaign.id, recent_start=..., day_start=...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, distinct, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.attempts import AttemptKind, AttemptState, Disposition
from dialer.core.campaigns import CampaignState
from dialer.core.never_reached import FIELD_VISIT_RESULTS
from dialer.core.outcomes import CallOutcome
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import AlertEpisode, Attempt, Campaign, Cycle, CycleResultRow
from dialer.storage.relatives import cycle_escalation
from dialer.storage.schedule import CycleMember, MemberStatus

#: the attempts the dialer placed: a call coming in (kind inbound) is no dial, and counts
#: in no dial, answer or abandon figure (an agent's handling time still counts it)
DIALLED = Attempt.kind != AttemptKind.INBOUND


#: the campaigns the dashboard shows (running or paused)
LIVE_STATES = (CampaignState.RUNNING, CampaignState.PAUSED)


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    """A campaign running or paused, as the dashboard lists it."""

    id: int
    name: str
    state: str


@dataclass(frozen=True, slots=True)
class CurrentCampaign:
    """The most recently created campaign running or paused, its rules as stored (JSON)."""

    id: int
    name: str
    state: str
    calling_windows: dict[str, Any]
    retry_policy: dict[str, Any]
    #: the pacing's abandon cap (a share of live answers)
    max_abandon_rate: float


@dataclass(frozen=True, slots=True)
class OpenCycle:
    id: int
    number: int
    started_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class RateCounts:
    """Settled dials, live answers and abandons since some moment."""

    settled: int
    live_answers: int
    abandons: int


@dataclass(frozen=True, slots=True)
class CycleCounts:
    """The open cycle's counts (people are counted once each)."""

    register: int
    #: people on the register not done yet
    open_people: int
    attempted: int
    reached: int
    complete: int
    alerts_raised: int
    alerts_acknowledged: int
    #: attempts placed in the cycle, and since ``pace_start``
    attempts_done: int
    attempts_recent: int
    #: useful contacts since ``pace_start``
    contacts_recent: int
    #: attempts placed for the people still open
    attempts_by_open_people: int
    #: calls joined, ended and wrapped up, and their mean durations (seconds; None without)
    handled: int
    mean_handling_s: float | None
    mean_talk_s: float | None
    mean_wrap_up_s: float | None
    #: the escalation funnel of the cycle (``storage.relatives.cycle_escalation``)
    escalation: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DayTrendCounts:
    """Counts per bucket number (:meth:`DashboardCounts.trend`)."""

    answered: dict[int, int]
    abandoned: dict[int, int]
    useful: dict[int, int]


@dataclass(frozen=True, slots=True)
class EpisodeCounts:
    """The alert episode the campaign runs, over all its cycles."""

    episode_id: int
    kind: str
    level: int
    started_at: datetime
    ended_at: datetime | None
    cycles: int
    closed_cycles: int
    #: attempts placed, in every cycle
    attempts: int
    #: useful contacts: people with a complete, submitted call sheet, once per cycle
    useful_contacts: int
    #: people on the never-reached lists of the closed cycles (once per cycle)
    never_reached: int


def _epoch(column: Any, dialect: str) -> ColumnElement[Any]:
    """Seconds since the epoch of a timestamp column, in SQL (SQLite stores UTC text)."""
    if dialect == "sqlite":
        return func.julianday(column) * 86400.0
    return extract("epoch", column)


def _bucket(column: Any, start: datetime, width: timedelta, dialect: str) -> ColumnElement[int]:
    """The number of the ``width`` bucket since ``start`` a timestamp column falls in."""
    # SQLite's julian days count from 4714 BC: the Unix epoch is julian day 2440587.5
    origin = start.timestamp() + (2440587.5 * 86400.0 if dialect == "sqlite" else 0.0)
    offset = (_epoch(column, dialect) - origin) / width.total_seconds()
    # SQLite's CAST truncates (offsets are never negative here); PostgreSQL's rounds
    return cast(offset if dialect == "sqlite" else func.floor(offset), Integer)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _seconds(start: Any, end: Any) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, float(end) - float(start))


@asynccontextmanager
async def dashboard_counts(sessions: SessionFactory) -> AsyncIterator[DashboardCounts]:
    """The dashboard's queries, inside one read transaction."""
    async with transaction(sessions) as session:
        yield DashboardCounts(session)


class DashboardCounts:
    """Each method is one or a few aggregate queries in the transaction it was given."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current_campaign(self, campaign_id: int | None = None) -> CurrentCampaign | None:
        """The campaign ``campaign_id`` if it runs or pauses, or without one the most
        recently created campaign running or paused (None: none)."""
        query = select(Campaign).where(Campaign.state.in_(LIVE_STATES))
        if campaign_id is not None:
            query = query.where(Campaign.id == campaign_id)
        campaign = await self._session.scalar(
            query.order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(1)
        )
        if campaign is None:
            return None
        return CurrentCampaign(
            id=campaign.id,
            name=campaign.name,
            state=campaign.state.value,
            calling_windows=campaign.calling_windows,
            retry_policy=campaign.retry_policy,
            max_abandon_rate=campaign.max_abandon_rate,
        )

    async def live_campaigns(self) -> tuple[LiveCampaign, ...]:
        """Every campaign running or paused, the most recently created first."""
        rows = await self._session.execute(
            select(Campaign.id, Campaign.name, Campaign.state)
            .where(Campaign.state.in_(LIVE_STATES))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
        return tuple(LiveCampaign(id, name, state.value) for id, name, state in rows)

    async def episode(self, campaign_id: int) -> EpisodeCounts | None:
        """The episode whose campaign is ``campaign_id`` (None: none), over its cycles."""
        session = self._session
        episode = await session.scalar(
            select(AlertEpisode).where(AlertEpisode.campaign_id == campaign_id)
        )
        if episode is None:
            return None
        cycles = (
            await session.execute(
                select(func.count(Cycle.id), _count(Cycle.closed_at.is_not(None))).where(
                    Cycle.campaign_id == campaign_id
                )
            )
        ).one()
        of_campaign = select(Cycle.id).where(Cycle.campaign_id == campaign_id)
        closed = of_campaign.where(Cycle.closed_at.is_not(None))
        attempts = await session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.cycle_id.in_(of_campaign))
            .where(Attempt.placed_at.is_not(None))
            .where(DIALLED)
        )
        useful = (
            select(CallSheet.cycle_id, CallSheet.person_id)
            .where(CallSheet.cycle_id.in_(of_campaign))
            .where(CallSheet.disposition == Disposition.COMPLETE)
            .where(CallSheet.submitted_at.is_not(None))
            .distinct()
            .subquery()
        )
        contacts = await session.scalar(select(func.count()).select_from(useful))
        never = await session.scalar(
            select(func.count())
            .select_from(CycleResultRow)
            .where(CycleResultRow.cycle_id.in_(closed))
            .where(CycleResultRow.result.in_(FIELD_VISIT_RESULTS))
        )
        return EpisodeCounts(
            episode_id=episode.id,
            kind=episode.kind.value,
            level=episode.level,
            started_at=episode.started_at,
            ended_at=episode.ended_at,
            cycles=int(cycles[0] or 0),
            closed_cycles=int(cycles[1] or 0),
            attempts=int(attempts or 0),
            useful_contacts=int(contacts or 0),
            never_reached=int(never or 0),
        )

    async def open_cycle(self, campaign_id: int) -> OpenCycle | None:
        """The campaign's open cycle (the latest, should there be more than one)."""
        cycle = await self._session.scalar(
            select(Cycle)
            .where(Cycle.campaign_id == campaign_id)
            .where(Cycle.closed_at.is_(None))
            .order_by(Cycle.number.desc())
            .limit(1)
        )
        if cycle is None:
            return None
        return OpenCycle(cycle.id, cycle.number, cycle.started_at, cycle.deadline)

    async def rates(
        self, campaign_id: int, *, recent_start: datetime, day_start: datetime
    ) -> tuple[RateCounts, RateCounts]:
        """The campaign's settled dials, live answers and abandons since ``recent_start``
        and since ``day_start``: attempts ended (state ``ended``) in the period; of those,
        answered by a person (not a machine); of those, abandoned."""
        ended = and_(Attempt.state == AttemptState.ENDED, DIALLED)
        live = and_(ended, Attempt.answered_at.is_not(None), Attempt.outcome != CallOutcome.MACHINE)
        abandoned = and_(ended, Attempt.outcome == CallOutcome.ABANDONED)
        in_day = Attempt.ended_at >= day_start
        in_recent = Attempt.ended_at >= recent_start
        row = (
            await self._session.execute(
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
        return RateCounts(*values[:3]), RateCounts(*values[3:])

    async def trend(
        self, campaign_id: int, *, day_start: datetime, width: timedelta
    ) -> DayTrendCounts:
        """The campaign's live answers, abandons (by the attempt's end) and useful contacts
        (by the call sheet's submission) since ``day_start``, per bucket of ``width``
        (bucket 0 starts at ``day_start``)."""
        session = self._session
        dialect = session.get_bind().dialect.name
        ended = and_(Attempt.state == AttemptState.ENDED, DIALLED)
        live = and_(ended, Attempt.answered_at.is_not(None), Attempt.outcome != CallOutcome.MACHINE)
        abandoned = and_(ended, Attempt.outcome == CallOutcome.ABANDONED)
        attempt_bucket = _bucket(Attempt.ended_at, day_start, width, dialect)
        attempts = await session.execute(
            select(attempt_bucket, _count(live), _count(abandoned))
            .join(Cycle, Cycle.id == Attempt.cycle_id)
            .where(Cycle.campaign_id == campaign_id)
            .where(Attempt.ended_at >= day_start)
            .group_by(attempt_bucket)
        )
        sheet_bucket = _bucket(CallSheet.submitted_at, day_start, width, dialect)
        sheets = await session.execute(
            select(sheet_bucket, func.count(CallSheet.id))
            .join(Cycle, Cycle.id == CallSheet.cycle_id)
            .where(Cycle.campaign_id == campaign_id)
            .where(CallSheet.disposition == Disposition.COMPLETE)
            .where(CallSheet.submitted_at >= day_start)
            .group_by(sheet_bucket)
        )
        counts = DayTrendCounts({}, {}, {})
        for bucket, answers, abandons in attempts:
            counts.answered[int(bucket)] = int(answers or 0)
            counts.abandoned[int(bucket)] = int(abandons or 0)
        for bucket, useful in sheets:
            counts.useful[int(bucket)] = int(useful or 0)
        return counts

    async def cycle(self, cycle_id: int, *, pace_start: datetime) -> CycleCounts:
        """The cycle's register, funnel, handled calls and attempts; the attempts placed
        and useful contacts made since ``pace_start``."""
        session = self._session
        dialect = session.get_bind().dialect.name
        members = dict(
            (
                await session.execute(
                    select(CycleMember.status, func.count())
                    .where(CycleMember.cycle_id == cycle_id)
                    .group_by(CycleMember.status)
                )
            ).all()
        )
        register = sum(int(n) for n in members.values())

        placed = and_(Attempt.placed_at.is_not(None), DIALLED)
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
                    func.count(
                        distinct(case((Attempt.bridged_at.is_not(None), Attempt.person_id)))
                    ),
                    _count(and_(Attempt.placed_at >= pace_start, DIALLED)),
                    _count(handled),
                    # mean(a - b) = mean(a) - mean(b): three conversions a row, not six
                    func.avg(case((handled, bridged))),
                    func.avg(case((handled, ended))),
                    func.avg(case((handled, wrapped))),
                ).where(Attempt.cycle_id == cycle_id)
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
            .where(Attempt.cycle_id == cycle_id)
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
                ).where(CallSheet.cycle_id == cycle_id)
            )
        ).one()
        alerts = (
            await session.execute(
                select(func.count(Alert.id), _count(Alert.state == AlertState.ACKNOWLEDGED))
                .join(CallSheet, CallSheet.id == Alert.sheet_id)
                .where(CallSheet.cycle_id == cycle_id)
            )
        ).one()
        mean_bridged, mean_ended, mean_wrapped = attempts[5], attempts[6], attempts[7]
        return CycleCounts(
            register=register,
            open_people=register - int(members.get(MemberStatus.DONE, 0)),
            attempted=int(attempts[1] or 0),
            reached=int(attempts[2] or 0),
            complete=int(sheets[0] or 0),
            alerts_raised=int(alerts[0] or 0),
            alerts_acknowledged=int(alerts[1] or 0),
            attempts_done=int(attempts[0] or 0),
            attempts_recent=int(attempts[3] or 0),
            contacts_recent=int(sheets[1] or 0),
            attempts_by_open_people=int(used_by_open or 0),
            handled=int(attempts[4] or 0),
            mean_handling_s=_seconds(mean_bridged, mean_wrapped),
            mean_talk_s=_seconds(mean_bridged, mean_ended),
            mean_wrap_up_s=_seconds(mean_ended, mean_wrapped),
            escalation=await cycle_escalation(session, cycle_id),
        )
