"""The live dashboard: one :class:`Snapshot` a second of the engine's live counts and the
current campaign's figures (:mod:`dialer.dashboard.campaign_figures`, from the counts of
:mod:`dialer.storage.dashboard_counts`, cached for ``cache_s``), with the forecast of
:mod:`dialer.core.forecast`.

The live part (agents by state, calls ringing and connected, lines per free agent) comes
from the running engine and costs nothing; the campaign part is a few aggregate queries, read
at most once per ``cache_s`` however many screens watch (one lock, one read). A snapshot is
a frozen dataclass; :meth:`Snapshot.to_json` gives the dict pushed to the screens, served
at ``/api/v1/dashboard`` and read by ``/metrics``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from dialer.core.agent_states import AgentState
from dialer.core.forecast import TARGET_CEILING, TARGET_FLOOR, CycleFigures, Forecast, forecast
from dialer.core.labels import AGENT_STATE_LABELS, alarm_text
from dialer.core.seats import SeatBoard
from dialer.core.wallboard import (
    DEFAULT_THRESHOLDS,
    AlarmKind,
    Level,
    Thresholds,
    TrendBucket,
    abandon_level,
    agent_level,
    alarms,
    day_trend,
    waiting_level,
)
from dialer.core.windows import to_utc
from dialer.dashboard.campaign_figures import (
    RECENT,
    CampaignFigures,
    Funnel,
    HandlingTime,
    Rates,
    campaign_rules,
    local_midnight,
    open_cycle_figures,
    pace_span,
    pace_start,
)
from dialer.storage.dashboard_counts import EpisodeCounts, LiveCampaign, dashboard_counts
from dialer.storage.database import SessionFactory


class LiveSource(Protocol):
    """What the dashboard reads from the running engine (``DialingEngine`` has it)."""

    @property
    def seats(self) -> SeatBoard: ...

    def statistics(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent on the wallboard: state (code and French), time in it, the current call's
    duration (on a call), the pause reason, and the row's colour."""

    agent: str
    state: str
    state_label: str
    in_state_s: float
    call_s: float | None
    pause_reason: str | None
    level: Level


@dataclass(frozen=True, slots=True)
class AlarmView:
    kind: AlarmKind
    level: Level
    agent: str
    text: str


@dataclass(frozen=True, slots=True)
class InboundFigures:
    """People calling the campaign's number, since the engine started: waiting for an agent
    now, answered by one, lost (nobody in time, or they hung up waiting), arrived outside
    calling hours, and the mean wait of those answered (seconds)."""

    waiting: int = 0
    answered: int = 0
    lost: int = 0
    closed: int = 0
    wait_s_mean: float | None = None


def inbound_figures(stats: dict[str, object]) -> InboundFigures:
    """The incoming calls' figures from the engine's statistics (see dialer.engine.inbound)."""

    def number(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    mean = stats.get("inbound_wait_s_mean")
    return InboundFigures(
        waiting=number("inbound_waiting"),
        answered=number("inbound_answered"),
        lost=number("inbound_lost"),
        closed=number("inbound_closed"),
        wait_s_mean=float(mean) if isinstance(mean, int | float) else None,
    )


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """The engine now (all zero when no campaign runs in this process)."""

    engine: bool
    agents: dict[str, int]
    agents_logged_in: int
    calls_dialing: int
    calls_ringing: int
    calls_waiting_agent: int
    calls_connected: int
    #: calls not yet with an agent (dialing, ringing, answered) per ready agent
    lines_per_free_agent: float | None
    pacing: str | None
    #: one row per agent logged in, by name
    seats: tuple[AgentRow, ...] = ()
    #: people calling the campaign's number
    inbound: InboundFigures = InboundFigures()


@dataclass(frozen=True, slots=True)
class RateFigures:
    settled: int
    live_answers: int
    abandons: int
    answer_rate: float | None
    abandon_rate: float | None

    @classmethod
    def of(cls, rates: Rates) -> RateFigures:
        return cls(
            rates.settled,
            rates.live_answers,
            rates.abandons,
            rates.answer_rate,
            rates.abandon_rate,
        )


@dataclass(frozen=True, slots=True)
class UsefulContacts:
    contacts: int
    share: float | None
    target_floor: float
    target_ceiling: float
    #: "atteint" (>= ceiling), "dans l'objectif" (within), "en dessous" (under the floor)
    standing: str


@dataclass(frozen=True, slots=True)
class Pace:
    attempts_per_hour: float
    contacts_per_hour: float
    window_s: float


@dataclass(frozen=True, slots=True)
class CampaignRef:
    id: int
    name: str
    state: str
    cycle_id: int | None
    cycle_number: int | None
    cycle_started_at: datetime | None
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: datetime
    live: LiveFigures
    campaign: CampaignRef | None = None
    recent: RateFigures | None = None
    today: RateFigures | None = None
    handling: HandlingTime | None = None
    useful: UsefulContacts | None = None
    funnel: Funnel | None = None
    pace: Pace | None = None
    forecast: Forecast | None = None
    #: the alert episode across its cycles
    episode: EpisodeCounts | None = None
    #: when the campaign's figures were read (the name is the JSON key of the API)
    ledger_at: datetime | None = None
    #: the wallboard: the day's trend, the alarms, each figure's colour
    trend: tuple[TrendBucket, ...] = ()
    alarms: tuple[AlarmView, ...] = ()
    levels: dict[str, Level] = dataclasses.field(default_factory=dict)
    #: reserved calls nobody took in time (every open cycle)
    callbacks_overdue: int | None = None
    #: every campaign running or paused (the dashboard's list to choose from)
    campaigns: tuple[LiveCampaign, ...] = ()
    #: the figures the engine paces the shown campaign on (``pacing_figures`` of
    #: ``GET /api/v1/statistics``; None when the engine does not run it)
    pacing_figures: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            field.name: _jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float):
        return round(value, 4)
    return value


def agent_rows(source: LiveSource, now: datetime, thresholds: Thresholds) -> tuple[AgentRow, ...]:
    """The agents logged in, by name (the wallboard's and ``/supervision``'s table)."""
    rows = []
    for seat in sorted(source.seats.seats(), key=lambda seat: seat.agent):
        if seat.state is AgentState.LOGGED_OUT:
            continue
        in_state = max(0.0, seat.seconds_in_state(now))
        rows.append(
            AgentRow(
                agent=seat.agent,
                state=seat.state.value,
                state_label=AGENT_STATE_LABELS[seat.state],
                in_state_s=in_state,
                call_s=in_state if seat.state is AgentState.ON_CALL else None,
                pause_reason=seat.pause_reason if seat.state is AgentState.PAUSED else None,
                level=agent_level(seat.state, timedelta(seconds=in_state), thresholds),
            )
        )
    return tuple(rows)


def live_figures(
    source: LiveSource | None,
    now: datetime | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    stats: dict[str, object] | None = None,
) -> LiveFigures:
    """The engine's live counts (zeros without an engine) and its agents at ``now``."""
    if source is None:
        return LiveFigures(
            engine=False,
            agents={state.value: 0 for state in AgentState},
            agents_logged_in=0,
            calls_dialing=0,
            calls_ringing=0,
            calls_waiting_agent=0,
            calls_connected=0,
            lines_per_free_agent=None,
            pacing=None,
        )
    counts = source.seats.counts()
    if stats is None:
        stats = source.statistics()

    def number(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    dialing, ringing, waiting = (
        number("calls_dialing"),
        number("calls_ringing"),
        number("calls_waiting_agent"),
    )
    ready = counts.get(AgentState.READY, 0)
    plan = stats.get("pacing")
    return LiveFigures(
        engine=True,
        agents={state.value: counts.get(state, 0) for state in AgentState},
        agents_logged_in=sum(n for s, n in counts.items() if s is not AgentState.LOGGED_OUT),
        calls_dialing=dialing,
        calls_ringing=ringing,
        calls_waiting_agent=waiting,
        calls_connected=number("calls_connected"),
        lines_per_free_agent=(dialing + ringing + waiting) / ready if ready else None,
        pacing=plan if isinstance(plan, str) else None,
        seats=agent_rows(source, now, thresholds) if now is not None else (),
        inbound=inbound_figures(stats),
    )


def useful_contacts(funnel: Funnel) -> UsefulContacts:
    share = funnel.complete / funnel.register if funnel.register else None
    if share is None or share < TARGET_FLOOR:
        standing = "en dessous"
    elif share < TARGET_CEILING:
        standing = "dans l'objectif"
    else:
        standing = "atteint"
    return UsefulContacts(funnel.complete, share, TARGET_FLOOR, TARGET_CEILING, standing)


async def read_campaign_figures(
    sessions: SessionFactory,
    now: datetime,
    trend_bucket: timedelta = DEFAULT_THRESHOLDS.trend_bucket,
    campaign_id: int | None = None,
) -> CampaignFigures | None:
    """The figures of campaign ``campaign_id`` (without one: the current campaign), or
    ``None`` when it does not run or pause (one read transaction)."""
    started = time.perf_counter()
    now = to_utc(now)
    async with dashboard_counts(sessions) as counts:
        campaign = await counts.current_campaign(campaign_id)
        if campaign is None:
            return None
        windows, policy = campaign_rules(campaign)
        day_start = local_midnight(now, windows)
        recent, today = await counts.rates(
            campaign.id, recent_start=now - RECENT, day_start=day_start
        )
        per_bucket = await counts.trend(campaign.id, day_start=day_start, width=trend_bucket)
        cycle = await counts.open_cycle(campaign.id)
        episode = await counts.episode(campaign.id)
        cycle_figures = None
        if cycle is not None:
            start = pace_start(now, cycle)
            cycle_figures = open_cycle_figures(
                cycle,
                await counts.cycle(cycle.id, pace_start=start),
                span=pace_span(now, start, windows),
                policy=policy,
            )
    return CampaignFigures(
        read_at=now,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        campaign_state=campaign.state,
        windows=windows,
        policy=policy,
        recent=Rates.of(recent),
        today=Rates.of(today),
        cycle=cycle_figures,
        read_ms=(time.perf_counter() - started) * 1000,
        episode=episode,
        abandon_cap=campaign.max_abandon_rate,
        trend=day_trend(
            day_start,
            now,
            trend_bucket,
            answered=per_bucket.answered,
            abandoned=per_bucket.abandoned,
            useful=per_bucket.useful,
        ),
    )


def wallboard_alarms(
    live: LiveFigures, figures: CampaignFigures | None, thresholds: Thresholds
) -> tuple[tuple[AlarmView, ...], dict[str, Level]]:
    """The alarms in French, and the colour of the figures that have a threshold."""
    rate = figures.today.abandon_rate if figures else None
    cap = figures.abandon_cap if figures else 0.0
    found = alarms(
        abandon_rate=rate,
        abandon_cap=cap,
        paused=[
            (row.agent, timedelta(seconds=row.in_state_s))
            for row in live.seats
            if row.state == AgentState.PAUSED.value
        ],
        waiting=live.calls_waiting_agent,
        callbacks_overdue=figures.callbacks_overdue if figures else 0,
        thresholds=thresholds,
    )
    views = tuple(AlarmView(a.kind, a.level, a.agent, alarm_text(a)) for a in found)
    levels = {
        "abandon_rate": abandon_level(rate, cap, thresholds),
        "calls_waiting_agent": waiting_level(live.calls_waiting_agent, thresholds),
        "callbacks_overdue": Level.ALARM if figures and figures.callbacks_overdue else Level.NORMAL,
    }
    return views, levels


def build_snapshot(
    now: datetime,
    live: LiveFigures,
    figures: CampaignFigures | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Snapshot:
    """The snapshot from its two halves (pure: the forecast takes ``now``)."""
    views, levels = wallboard_alarms(live, figures, thresholds)
    if figures is None:
        return Snapshot(at=now, live=live, alarms=views, levels=levels)
    cycle = figures.cycle
    campaign = CampaignRef(
        id=figures.campaign_id,
        name=figures.campaign_name,
        state=figures.campaign_state,
        cycle_id=cycle.cycle_id if cycle else None,
        cycle_number=cycle.number if cycle else None,
        cycle_started_at=cycle.started_at if cycle else None,
        deadline=cycle.deadline if cycle else None,
    )
    snapshot = Snapshot(
        at=now,
        live=live,
        campaign=campaign,
        recent=RateFigures.of(figures.recent),
        today=RateFigures.of(figures.today),
        ledger_at=figures.read_at,
        episode=figures.episode,
        trend=figures.trend,
        callbacks_overdue=figures.callbacks_overdue,
        alarms=views,
        levels=levels,
    )
    if cycle is None:
        return snapshot
    funnel = cycle.funnel
    handling = cycle.handling
    forecast_input = CycleFigures(
        now=now,
        deadline=cycle.deadline,
        register=funnel.register,
        open_people=cycle.open_people,
        attempts_done=cycle.attempts_done,
        attempts_left=cycle.attempts_left,
        contacts=min(funnel.complete, funnel.register),
        attempts_per_hour=cycle.attempts_per_hour,
        contacts_per_hour=cycle.contacts_per_hour,
        agents=live.agents_logged_in,
        mean_handling_s=handling.mean_handling_s or None,
        useful_per_handled=min(1.0, funnel.complete / handling.handled)
        if handling.handled
        else None,
    )
    return dataclasses.replace(
        snapshot,
        handling=handling,
        useful=useful_contacts(funnel),
        funnel=funnel,
        pace=Pace(
            cycle.attempts_per_hour, cycle.contacts_per_hour, cycle.pace_span.total_seconds()
        ),
        forecast=forecast(forecast_input, figures.windows),
    )
