"""Every dashboard figure equals what is counted independently from the rows.

A random ledger (attempts in every state and outcome, ended today, yesterday and in the last
15 minutes, machines, abandons, call sheets of every disposition, alerts acknowledged or
not), the current campaign's among other campaigns' (an older paused one, a newer finished
one), on SQLite (and PostgreSQL when configured). The dashboard's figures are compared with
plain Python counts over all the rows, and its DMT with :func:`dialer.core.handling_time.
summarize` over the same calls."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, AttemptState, Disposition
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.handling_time import CallTiming, summarize
from dialer.core.outcomes import CallOutcome
from dialer.core.phones import PhoneKind
from dialer.core.planning import RetryPolicy
from dialer.core.seats import SeatBoard
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.dashboard.board import LiveDashboard
from dialer.dashboard.campaign_figures import CampaignFigures, local_midnight
from dialer.dashboard.live import (
    build_snapshot,
    live_figures,
    read_campaign_figures,
)
from dialer.storage import (
    Attempt,
    CampaignRepository,
    CycleRepository,
    PacingMode,
    PersonRecord,
    PersonRepository,
    PhoneRecord,
    SessionFactory,
)
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.dashboard_counts import dashboard_counts
from dialer.storage.database import transaction
from dialer.storage.models import Person
from dialer.storage.schedule import CycleMember, MemberStatus
from tests.stored import enrol

pytestmark = pytest.mark.asyncio

#: Monday 13 July 2026, 12:00 in Paris
NOW = datetime(2026, 7, 13, 10, 0, tzinfo=UTC)
ALL_DAY = (OpeningInterval.parse("00:00-23:59:59"),)
WINDOWS = CallingWindows(week=(ALL_DAY,) * 7, holiday=ALL_DAY)
POLICY = RetryPolicy(max_attempts=3)
ANSWERED_OUTCOMES = (
    CallOutcome.ANSWERED,
    CallOutcome.ABANDONED,
    CallOutcome.HUNG_UP,
    CallOutcome.MACHINE,
)


@dataclass
class Scene:
    current_campaign: int
    cycle_id: int
    cycle_started_at: datetime
    people: list[int]


async def make_campaign(
    sessions: SessionFactory, name: str, state: CampaignState, created: datetime
) -> tuple[int, int, datetime]:
    campaigns = CampaignRepository(sessions)
    campaign = await campaigns.create(
        name=name,
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows=windows_to_json(WINDOWS),
        retry_policy=policy_to_json(POLICY),
        now=created,
    )
    started = created + timedelta(minutes=5)
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=started, deadline=started + timedelta(hours=48)
    )
    async with transaction(sessions) as session:
        await session.execute(
            update(type(campaign)).where(type(campaign).id == campaign.id).values(state=state)
        )
    return campaign.id, cycle.id, started


def random_attempt(rng: random.Random, cycle_id: int, person_id: int, number: int) -> Attempt:
    """One attempt in any state; ended ones in the last 30 hours, so some yesterday."""
    kind = rng.choices(["planned", "in_flight", "ended", "failed"], [1, 2, 12, 1])[0]
    attempt = Attempt(
        id=f"{cycle_id}-{person_id}-{number}-{rng.getrandbits(32):08x}",
        cycle_id=cycle_id,
        person_id=person_id,
        number="+33145678910",
        kind=AttemptKind.AUTOMATIC,
        state=AttemptState.PLANNED,
        planned_for=NOW - timedelta(hours=30),
    )
    if kind == "planned":
        return attempt
    ended_at = NOW - timedelta(seconds=rng.choice([rng.uniform(0, 900), rng.uniform(0, 30 * 3600)]))
    placed_at = ended_at - timedelta(seconds=rng.uniform(20, 600))
    attempt.placed_at = placed_at
    if kind == "failed":
        attempt.state = AttemptState.FAILED
        attempt.outcome = CallOutcome.FAILED
        attempt.ended_at = ended_at
        return attempt
    outcome = rng.choice([*ANSWERED_OUTCOMES, *ANSWERED_OUTCOMES, *CallOutcome])
    answered = outcome in ANSWERED_OUTCOMES
    if answered:
        attempt.answered_at = placed_at + timedelta(seconds=rng.uniform(2, 15))
    if outcome is CallOutcome.ANSWERED:
        assert attempt.answered_at is not None
        attempt.bridged_at = attempt.answered_at + timedelta(seconds=rng.uniform(0.1, 1.5))
    if kind == "in_flight":
        attempt.state = (
            AttemptState.BRIDGED
            if attempt.bridged_at
            else AttemptState.ANSWERED
            if answered
            else AttemptState.RINGING
        )
        return attempt
    attempt.state = AttemptState.ENDED
    attempt.outcome = outcome
    attempt.ended_at = ended_at
    if attempt.bridged_at is not None and rng.random() < 0.8:
        attempt.wrap_up_done_at = ended_at + timedelta(seconds=rng.uniform(5, 120))
    return attempt


async def fill(sessions: SessionFactory, seed: int) -> Scene:
    rng = random.Random(seed)
    await PersonRepository(sessions).write_batch(
        [
            PersonRecord(
                external_id=f"P{i:03d}",
                last_name=f"Nom{i}",
                phones=[PhoneRecord(f"+331456789{i:02d}", PhoneKind.LANDLINE)],
            )
            for i in range(40)
        ],
        [],
        now=NOW - timedelta(days=10),
    )
    async with transaction(sessions) as session:
        people = list(await session.scalars(select(Person.id).order_by(Person.id)))
    old, old_cycle, _ = await make_campaign(
        sessions, "Ancienne", CampaignState.PAUSED, NOW - timedelta(days=5)
    )
    current, cycle_id, started = await make_campaign(
        sessions, "Canicule", CampaignState.RUNNING, NOW - timedelta(hours=3)
    )
    await make_campaign(sessions, "Finie", CampaignState.FINISHED, NOW - timedelta(hours=1))
    del old
    members = people[:30]  # ten people are not in the current cycle
    await enrol(sessions, cycle_id, [(p, "+33145678910", started) for p in members])
    await enrol(sessions, old_cycle, [(p, "+33145678910", started) for p in people])
    attempts: list[Attempt] = []
    for person in members:
        for number in range(rng.randint(0, POLICY.max_attempts)):
            attempts.append(random_attempt(rng, cycle_id, person, number))
    for person in people:  # the older campaign's calls count nowhere
        for number in range(rng.randint(0, 2)):
            attempts.append(random_attempt(rng, old_cycle, person, number))
    async with transaction(sessions) as session:
        session.add_all(attempts)
        await session.flush()
        for person in members:
            status = rng.choice(list(MemberStatus))
            await session.execute(
                update(CycleMember)
                .where(CycleMember.cycle_id == cycle_id, CycleMember.person_id == person)
                .values(status=status)
            )
        sheets = []
        for attempt in attempts:
            if attempt.answered_at is None or rng.random() < 0.1:
                continue
            submitted = rng.random() < 0.85
            disposition = rng.choice(list(Disposition)) if submitted else None
            if submitted and rng.random() < 0.5:
                disposition = Disposition.COMPLETE
            sheets.append(
                CallSheet(
                    attempt_id=attempt.id,
                    person_id=attempt.person_id,
                    cycle_id=attempt.cycle_id,
                    agent="agent-1",
                    questionnaire_id="canicule",
                    questionnaire_version=1,
                    note="",
                    disposition=disposition,
                    complete=disposition is Disposition.COMPLETE,
                    opened_at=attempt.answered_at,
                    updated_at=attempt.answered_at,
                    submitted_at=(attempt.ended_at or NOW) + timedelta(seconds=30)
                    if submitted
                    else None,
                )
            )
        session.add_all(sheets)
        await session.flush()
        for sheet in sheets:
            for key in range(rng.choice([0, 0, 1, 2])):
                acknowledged = rng.random() < 0.4
                session.add(
                    Alert(
                        sheet_id=sheet.id,
                        key=f"regle-{key}",
                        team_id=None,
                        person_id=sheet.person_id,
                        need="social",
                        priority=2,
                        message="Isolement",
                        because=[],
                        raised_by="agent-1",
                        raised_at=sheet.opened_at,
                        state=AlertState.ACKNOWLEDGED if acknowledged else AlertState.OPEN,
                        acknowledged_by="equipe" if acknowledged else None,
                        acknowledged_at=NOW if acknowledged else None,
                    )
                )
    return Scene(current, cycle_id, started, members)


@dataclass
class Rows:
    attempts: list[Attempt]
    sheets: list[CallSheet]
    alerts: list[Alert]
    members: list[CycleMember]


async def rows(sessions: SessionFactory) -> Rows:
    async with transaction(sessions) as session:
        return Rows(
            list(await session.scalars(select(Attempt))),
            list(await session.scalars(select(CallSheet))),
            list(await session.scalars(select(Alert))),
            list(await session.scalars(select(CycleMember))),
        )


def expected_rates(attempts: list[Attempt], since: datetime) -> tuple[int, int, int]:
    settled = [
        a
        for a in attempts
        if a.state is AttemptState.ENDED and a.ended_at is not None and a.ended_at >= since
    ]
    live = [
        a for a in settled if a.answered_at is not None and a.outcome is not CallOutcome.MACHINE
    ]
    abandons = [a for a in live if a.outcome is CallOutcome.ABANDONED]
    return len(settled), len(live), len(abandons)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_dashboard_figure_equals_the_rows(sessions: SessionFactory, seed: int) -> None:
    scene = await fill(sessions, seed)
    figures = await read_campaign_figures(sessions, NOW)
    assert figures is not None
    data = await rows(sessions)
    assert figures.campaign_id == scene.current_campaign
    assert figures.campaign_name == "Canicule"
    assert figures.campaign_state == "running"
    cycle = figures.cycle
    assert cycle is not None
    assert cycle.cycle_id == scene.cycle_id

    # rates over the whole current campaign (its one cycle here)
    mine = [a for a in data.attempts if a.cycle_id == scene.cycle_id]
    day_start = local_midnight(NOW, WINDOWS)
    assert day_start == datetime(2026, 7, 12, 22, 0, tzinfo=UTC)  # midnight in Paris
    recent = figures.recent
    today = figures.today
    assert (recent.settled, recent.live_answers, recent.abandons) == expected_rates(
        mine, NOW - timedelta(minutes=15)
    )
    assert (today.settled, today.live_answers, today.abandons) == expected_rates(mine, day_start)
    assert today.settled > recent.settled > 0
    assert today.answer_rate == pytest.approx(today.live_answers / today.settled)
    if today.live_answers:
        assert today.abandon_rate == pytest.approx(today.abandons / today.live_answers)

    # the wallboard's trend: the same counts per 15 minutes, counted here from the rows
    width = timedelta(minutes=15)
    shown = {bucket.start: bucket for bucket in figures.trend}
    assert figures.trend[-1].start <= NOW < figures.trend[-1].start + width
    ended_today = [
        (a.ended_at, a) for a in mine if a.ended_at is not None and a.ended_at >= day_start
    ]
    useful_today = [
        s.submitted_at
        for s in data.sheets
        if s.cycle_id == scene.cycle_id
        and s.disposition is Disposition.COMPLETE
        and s.submitted_at is not None
        and s.submitted_at >= day_start
    ]
    for start, bucket in shown.items():
        inside = [a for ended, a in ended_today if start <= ended < start + width]
        expected = expected_rates(inside, start)
        assert (bucket.answered, bucket.abandoned) == (expected[1], expected[2]), start
        assert bucket.useful == len([at for at in useful_today if start <= at < start + width])
    assert sum(b.answered for b in figures.trend) == today.live_answers
    assert sum(b.abandoned for b in figures.trend) == today.abandons

    # the funnel
    members = [m for m in data.members if m.cycle_id == scene.cycle_id]
    sheets = [s for s in data.sheets if s.cycle_id == scene.cycle_id]
    complete = [
        s for s in sheets if s.disposition is Disposition.COMPLETE and s.submitted_at is not None
    ]
    sheet_ids = {s.id for s in sheets}
    alerts = [a for a in data.alerts if a.sheet_id in sheet_ids]
    funnel = cycle.funnel
    assert funnel.register == len(members) == 30
    assert funnel.attempted == len({a.person_id for a in mine if a.placed_at is not None})
    assert funnel.reached == len({a.person_id for a in mine if a.bridged_at is not None})
    assert funnel.complete == len({s.person_id for s in complete})
    assert funnel.alerts_raised == len(alerts)
    assert funnel.alerts_acknowledged == len(
        [a for a in alerts if a.state is AlertState.ACKNOWLEDGED]
    )
    assert funnel.register >= funnel.attempted >= funnel.reached > 0
    assert funnel.alerts_raised >= funnel.alerts_acknowledged > 0

    # DMT, as the core counts it
    timings = [
        CallTiming(
            attempt_id=a.id,
            campaign_id=scene.current_campaign,
            cycle_id=a.cycle_id,
            agent="agent-1",
            dialed_at=a.placed_at,
            answered_at=a.answered_at,
            joined_at=a.bridged_at,
            hung_up_at=a.ended_at,
            wrap_up_done_at=a.wrap_up_done_at,
        )
        for a in mine
        if a.placed_at is not None and a.ended_at is not None
    ]
    stats = summarize(timings)
    handling = cycle.handling
    assert handling.handled == stats.calls > 0
    assert handling.mean_handling_s == pytest.approx(stats.mean_handling_s, abs=1e-3)
    assert handling.mean_talk_s == pytest.approx(stats.mean_talk_s, abs=1e-3)
    assert handling.mean_wrap_up_s == pytest.approx(stats.mean_wrap_up_s, abs=1e-3)

    # what the forecast starts from
    open_people = {m.person_id for m in members if m.status is not MemberStatus.DONE}
    assert cycle.open_people == len(open_people)
    assert cycle.attempts_done == len([a for a in mine if a.placed_at is not None])
    used = sum(1 for a in mine if a.placed_at is not None and a.person_id in open_people)
    assert cycle.attempts_left == POLICY.max_attempts * len(open_people) - used
    since = NOW - timedelta(minutes=15)
    assert cycle.attempts_recent == len(
        [a for a in mine if a.placed_at is not None and a.placed_at >= since]
    )
    assert cycle.contacts_recent == len(
        [s for s in complete if s.submitted_at is not None and s.submitted_at >= since]
    )
    assert cycle.pace_span == timedelta(minutes=15)
    assert cycle.attempts_per_hour == pytest.approx(cycle.attempts_recent * 4)

    # the snapshot shows exactly these figures
    check_snapshot(figures)


def check_snapshot(figures: CampaignFigures) -> None:
    seats = SeatBoard()
    seats.log_in("agent-1", "agent-1", "leg-1", NOW)
    seats.go_ready("agent-1", NOW)
    seats.log_in("agent-2", "agent-2", "leg-2", NOW)

    class Engine:
        def __init__(self) -> None:
            self.seats = seats

        def statistics(self) -> dict[str, object]:
            return {"calls_dialing": 2, "calls_ringing": 1, "calls_connected": 0}

    live = live_figures(Engine())
    assert live.agents[AgentState.READY.value] == 1
    assert live.agents[AgentState.PAUSED.value] == 1
    assert live.agents_logged_in == 2
    assert live.lines_per_free_agent == 3
    data = build_snapshot(NOW, live, figures).to_json()
    assert figures.cycle is not None
    funnel = figures.cycle.funnel
    assert data["funnel"] == {
        "register": funnel.register,
        "attempted": funnel.attempted,
        "reached": funnel.reached,
        "complete": funnel.complete,
        "alerts_raised": funnel.alerts_raised,
        "alerts_acknowledged": funnel.alerts_acknowledged,
        "never_reached": funnel.never_reached,
        "relative_called": funnel.relative_called,
        "visit_requested": funnel.visit_requested,
        "visit_done": funnel.visit_done,
    }
    assert data["today"]["settled"] == figures.today.settled
    assert data["recent"]["abandons"] == figures.recent.abandons
    assert data["useful"]["contacts"] == funnel.complete
    assert data["useful"]["share"] == pytest.approx(funnel.complete / funnel.register, abs=1e-4)
    assert data["campaign"]["cycle_id"] == figures.cycle.cycle_id
    assert data["forecast"]["target_share"] == 0.65
    assert data["live"]["agents_logged_in"] == 2


async def test_no_running_campaign_means_no_campaign_figures(sessions: SessionFactory) -> None:
    assert await read_campaign_figures(sessions, NOW) is None
    await make_campaign(sessions, "Finie", CampaignState.FINISHED, NOW - timedelta(hours=1))
    board = LiveDashboard(sessions, lambda: None, clock=lambda: NOW)
    snapshot = await board.snapshot()
    assert snapshot.campaign is None
    assert snapshot.funnel is None
    assert snapshot.to_json()["live"]["engine"] is False
    assert board.statistics()["ledger_reads"] == 1


async def test_the_campaign_figures_are_read_once_per_cache_period(
    sessions: SessionFactory,
) -> None:
    await make_campaign(sessions, "Canicule", CampaignState.RUNNING, NOW - timedelta(hours=1))
    board = LiveDashboard(sessions, lambda: None, clock=lambda: NOW, cache_s=60)
    for _ in range(5):
        snapshot = await board.snapshot()
    assert snapshot.funnel is not None
    assert snapshot.funnel.register == 0
    stats = board.statistics()
    assert stats["snapshots"] == 5
    assert stats["ledger_reads"] == 1
    board.cache_s = 0  # older than the cache now
    await board.snapshot()
    assert board.statistics()["ledger_reads"] == 2


async def test_a_chosen_campaign_is_read_when_it_runs_or_pauses(sessions: SessionFactory) -> None:
    heatwave, _, _ = await make_campaign(
        sessions, "Canicule", CampaignState.RUNNING, NOW - timedelta(hours=3)
    )
    flood, _, _ = await make_campaign(
        sessions, "Inondation", CampaignState.PAUSED, NOW - timedelta(hours=2)
    )
    done, _, _ = await make_campaign(
        sessions, "Finie", CampaignState.FINISHED, NOW - timedelta(hours=1)
    )
    async with dashboard_counts(sessions) as counts:
        listed = await counts.live_campaigns()
    assert [(c.id, c.name, c.state) for c in listed] == [
        (flood, "Inondation", "paused"),
        (heatwave, "Canicule", "running"),
    ]
    default = await read_campaign_figures(sessions, NOW)
    assert default is not None
    assert default.campaign_id == flood  # the most recently created
    chosen = await read_campaign_figures(sessions, NOW, campaign_id=heatwave)
    assert chosen is not None
    assert (chosen.campaign_id, chosen.campaign_name) == (heatwave, "Canicule")
    assert await read_campaign_figures(sessions, NOW, campaign_id=done) is None
    assert await read_campaign_figures(sessions, NOW, campaign_id=10**9) is None
