"""Every report figure checked against the ledger it comes from.

The ledger is :mod:`tests.report_scene` (two cycles, every kind of fate, alerts, two
planted billing anomalies), in a real database. Each expected figure is counted here
independently, with plain SQL on the tables, not through the report's repository or
figure code."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from dialer.core.billing import IssueKind
from dialer.core.outcomes import CallOutcome
from dialer.core.windows import PARIS
from dialer.errors import NotFoundError
from dialer.reports.figures import DMT_BUCKET_EDGES_S
from dialer.reports.service import Report, ReportBuilder
from dialer.storage import SessionFactory
from dialer.storage.database import transaction
from tests.report_scene import Scene, build_scene
from tests.web.support import catalog_in

NOW = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)
PICKED_UP = ("answered", "abandoned", "hung_up")


pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def scene(sessions: SessionFactory) -> Scene:
    return await build_scene(sessions)


async def rows(sessions: SessionFactory, sql: str, **params: Any) -> list[Any]:
    async with transaction(sessions) as session:
        return list((await session.execute(text(sql), params)).all())


def moment(value: Any) -> datetime:
    """A timestamp as the database returns it to plain SQL (SQLite: naive UTC text)."""
    parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def in_clause(cycle_ids: list[int]) -> str:
    return "(" + ",".join(str(int(c)) for c in cycle_ids) + ")"


async def build(
    sessions: SessionFactory, tmp_path: Path, scene: Scene, cycle: int | None
) -> Report:
    builder = ReportBuilder(sessions, catalog=catalog_in(tmp_path / "q"))
    return await builder.build(scene.campaign_id, cycle, now=NOW)


SCOPES = [None, 1, 2]


@pytest.mark.parametrize("cycle", SCOPES)
async def test_outcomes_and_attempts_per_person(
    sessions: SessionFactory, scene: Scene, tmp_path: Path, cycle: int | None
) -> None:
    report = await build(sessions, tmp_path, scene, cycle)
    ids = in_clause(scene.cycle_ids if cycle is None else [scene.cycle_ids[cycle - 1]])
    counted = dict(
        await rows(
            sessions,
            f"SELECT coalesce(outcome, 'pending'), count(*) FROM attempts "  # noqa: S608
            f"WHERE cycle_id IN {ids} AND placed_at IS NOT NULL GROUP BY outcome",
        )
    )
    figures = report.figures
    got = {
        (line.outcome.value if line.outcome else "pending"): line.count for line in figures.outcomes
    }
    assert {k: v for k, v in got.items() if v} == counted
    assert sum(got.values()) == figures.dialled == sum(counted.values())
    assert len(figures.outcomes) == len(CallOutcome) + 1

    members = await rows(
        sessions,
        f"SELECT m.person_id, (SELECT count(*) FROM attempts a WHERE a.cycle_id = m.cycle_id "  # noqa: S608
        f"AND a.person_id = m.person_id AND a.placed_at IS NOT NULL) FROM cycle_members m "
        f"WHERE m.cycle_id IN {ids}",
    )
    buckets = Counter(min(n, 4) for _, n in members)
    assert [b.people for b in figures.attempts_per_person] == [buckets[n] for n in range(5)]
    assert figures.register == len(members) == 48 * (2 if cycle is None else 1)


@pytest.mark.parametrize("cycle", SCOPES)
async def test_answer_rate_by_hour(
    sessions: SessionFactory, scene: Scene, tmp_path: Path, cycle: int | None
) -> None:
    report = await build(sessions, tmp_path, scene, cycle)
    ids = in_clause(scene.cycle_ids if cycle is None else [scene.cycle_ids[cycle - 1]])
    placed = await rows(
        sessions,
        f"SELECT placed_at, outcome FROM attempts WHERE cycle_id IN {ids} "  # noqa: S608
        "AND placed_at IS NOT NULL",
    )
    attempts: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for placed_at, outcome in placed:
        hour = moment(placed_at).astimezone(PARIS).hour  # July: UTC+2
        attempts[hour] += 1
        answered[hour] += outcome in PICKED_UP
    assert [(h.hour, h.attempts, h.answered) for h in report.figures.by_hour] == [
        (hour, attempts[hour], answered[hour]) for hour in sorted(attempts)
    ]
    assert min(attempts) >= 9
    assert max(attempts) <= 18
    assert report.figures.answered == sum(answered.values())


@pytest.mark.parametrize("cycle", SCOPES)
async def test_dmt_per_agent(
    sessions: SessionFactory, scene: Scene, tmp_path: Path, cycle: int | None
) -> None:
    report = await build(sessions, tmp_path, scene, cycle)
    ids = in_clause(scene.cycle_ids if cycle is None else [scene.cycle_ids[cycle - 1]])
    handled = await rows(
        sessions,
        f"SELECT agent, bridged_at, ended_at, wrap_up_done_at FROM attempts "  # noqa: S608
        f"WHERE cycle_id IN {ids} AND bridged_at IS NOT NULL AND ended_at IS NOT NULL "
        "AND wrap_up_done_at IS NOT NULL",
    )
    per_agent: dict[str, list[float]] = defaultdict(list)
    for agent, bridged, _ended, done in handled:
        seconds = (moment(done) - moment(bridged)).total_seconds()  # talk + wrap-up
        per_agent[agent].append(seconds)
    lines = {line.agent: line for line in report.figures.dmt_by_agent}
    assert set(lines) == set(per_agent)
    for agent, values in per_agent.items():
        line = lines[agent]
        ordered = sorted(values)
        assert line.calls == len(values)
        assert line.mean_s == pytest.approx(statistics.fmean(values))
        assert line.p50_s == pytest.approx(statistics.median(values))
        # nearest rank: the value at index round(0.9 (n - 1))
        assert line.p90_s == pytest.approx(ordered[round(0.9 * (len(ordered) - 1))])
        edges = [0, *DMT_BUCKET_EDGES_S, 10**9]
        assert list(line.histogram) == [
            sum(1 for v in values if low <= v < high) for low, high in itertools.pairwise(edges)
        ]
    everything = [v for values in per_agent.values() for v in values]
    assert report.figures.dmt_overall.calls == len(everything)
    assert report.figures.dmt_overall.mean_handling_s == pytest.approx(statistics.fmean(everything))
    assert sum(report.figures.dmt_histogram) == len(everything)


@pytest.mark.parametrize("cycle", SCOPES)
async def test_never_reached_list(
    sessions: SessionFactory, scene: Scene, tmp_path: Path, cycle: int | None
) -> None:
    report = await build(sessions, tmp_path, scene, cycle)
    ids = in_clause(scene.cycle_ids if cycle is None else [scene.cycle_ids[cycle - 1]])
    expected = await rows(
        sessions,
        f"SELECT r.cycle_id, r.person_id, p.last_name, p.address, p.district, r.result "  # noqa: S608
        f"FROM cycle_results r JOIN persons p ON p.id = r.person_id "
        f"WHERE r.cycle_id IN {ids} AND r.result IN ('never_reached', 'wrong_number')",
    )
    lines = report.figures.follow_up
    numbers = {cid: n for n, cid in enumerate(scene.cycle_ids, start=1)}
    assert sorted((numbers[c], p) for c, p, *_ in expected) == sorted(
        (line.cycle, line.person.id) for line in lines
    )
    assert [line.person.last_name for line in lines] == sorted(
        line.person.last_name for line in lines
    )
    fates = {"never_reached": 4, "never_reached_deadline": 2, "wrong_number": 1}
    for line in lines:
        fate = scene.fates[(scene.cycle_ids[line.cycle - 1], line.person.id)]
        assert len(line.attempts) == fates[fate]
        placed = await rows(
            sessions,
            "SELECT placed_at FROM attempts WHERE cycle_id = :c AND person_id = :p "
            "ORDER BY placed_at",
            c=scene.cycle_ids[line.cycle - 1],
            p=line.person.id,
        )
        assert [t.at for t in line.attempts] == [moment(p) for (p,) in placed]
        assert line.person.district in ("Nord", "Sud", "Est")
        assert line.person.phones[0] == "+33145678910"
        assert len(line.person.phones) == 2
        reason = {
            "never_reached": (
                "jamais joint (suivi terrain) : tentatives épuisées après 4 tentatives"
            ),
            "never_reached_deadline": (
                "jamais joint (suivi terrain) : échéance du cycle atteinte après 2 tentatives"
            ),
            "wrong_number": "mauvais numéro : aucun numéro valide après 1 tentative",
        }[fate]
        assert line.reason == reason


@pytest.mark.parametrize("cycle", SCOPES)
async def test_alert_log_and_funnel(
    sessions: SessionFactory, scene: Scene, tmp_path: Path, cycle: int | None
) -> None:
    report = await build(sessions, tmp_path, scene, cycle)
    ids = in_clause(scene.cycle_ids if cycle is None else [scene.cycle_ids[cycle - 1]])
    alerts = await rows(
        sessions,
        f"SELECT al.id, t.name, al.acknowledged_by, al.acknowledged_at FROM alerts al "  # noqa: S608
        f"JOIN call_sheets s ON s.id = al.sheet_id LEFT JOIN teams t ON t.id = al.team_id "
        f"WHERE s.cycle_id IN {ids}",
    )
    log = {line.id: line for line in report.figures.alerts}
    assert set(log) == {a[0] for a in alerts}
    assert alerts, "the scene raises alerts in every cycle"
    for alert_id, team, by, at in alerts:
        assert log[alert_id].team == (team or "aucune équipe")
        assert log[alert_id].acknowledged_by == by
        assert log[alert_id].acknowledged_at == (moment(at) if at else None)

    async def count(sql: str) -> int:
        (value,) = (await rows(sessions, sql))[0]
        return int(value)

    funnel = {step.key: step.count for step in report.figures.funnel}
    assert funnel == {
        "register": await count(f"SELECT count(*) FROM cycle_members WHERE cycle_id IN {ids}"),  # noqa: S608
        "attempted": await count(
            "SELECT count(*) FROM (SELECT DISTINCT cycle_id, person_id FROM attempts "  # noqa: S608
            f"WHERE cycle_id IN {ids} AND placed_at IS NOT NULL) x"
        ),
        "reached": await count(
            "SELECT count(*) FROM (SELECT DISTINCT cycle_id, person_id FROM attempts "  # noqa: S608
            f"WHERE cycle_id IN {ids} AND bridged_at IS NOT NULL) x"
        ),
        "complete": await count(
            "SELECT count(*) FROM (SELECT DISTINCT cycle_id, person_id FROM call_sheets "  # noqa: S608
            f"WHERE cycle_id IN {ids} AND complete AND submitted_at IS NOT NULL) x"
        ),
        "alerts_raised": len(alerts),
        "alerts_acknowledged": sum(1 for a in alerts if a[3] is not None),
    }
    values = list(funnel.values())
    assert values[0] >= values[1] >= values[2] > 0


async def test_billing_reconciles_with_the_ledger(
    sessions: SessionFactory, scene: Scene, tmp_path: Path
) -> None:
    report = await build(sessions, tmp_path, scene, None)
    rec = report.billing.reconciliation
    complete = await rows(
        sessions,
        "SELECT s.id, s.attempt_id, s.cycle_id, s.person_id, a.bridged_at FROM call_sheets s "
        "LEFT JOIN attempts a ON a.id = s.attempt_id "
        "WHERE s.complete AND s.submitted_at IS NOT NULL",
    )
    bridged = [r for r in complete if r[4] is not None]
    people = {(r[2], r[3]) for r in bridged}
    # one billed contact per person and cycle, each from a bridged call of the ledger
    assert rec.billed_count == len(people) == len(bridged) - 1
    assert rec.ledger_completed_attempts == len(bridged)
    billed_attempts = {c.attempt_id for c in rec.billed}
    assert billed_attempts <= {r[1] for r in bridged}
    assert {(c.cycle_id, c.person_id) for c in rec.billed} == people
    # the two planted anomalies, and nothing else
    assert {(i.kind, i.cycle_id, i.person_id) for i in rec.issues} == {
        (IssueKind.DUPLICATE_PERSON, *scene.duplicate),
        (IssueKind.NOT_BRIDGED, scene.cycle_ids[0], scene.people[0]),
    }
    assert scene.unbridged_sheet in {i.sheet_id for i in rec.issues}
    assert not rec.balanced
    # the shipped grid: every contact in the first band at 2.40 €
    bill = report.billing.bill
    assert bill.contacts_amount == Decimal("2.40") * rec.billed_count
    assert report.billing.setup_billed
    assert report.billing.complexity is not None
    assert report.billing.complexity.tier.name == "moyen"  # 5 questions, 1 skip rule
    assert bill.setup_amount == Decimal("900.00")


async def test_a_cycles_bill_continues_the_bands(
    sessions: SessionFactory, scene: Scene, tmp_path: Path
) -> None:
    first = await build(sessions, tmp_path, scene, 1)
    second = await build(sessions, tmp_path, scene, 2)
    whole = await build(sessions, tmp_path, scene, None)
    assert second.rows.earlier_useful_contacts == first.figures.useful_contacts
    assert (
        first.billing.reconciliation.billed_count + second.billing.reconciliation.billed_count
        == whole.billing.reconciliation.billed_count
    )
    assert not first.billing.setup_billed
    assert first.billing.bill.setup_line is None
    assert second.billing.reconciliation.balanced


async def test_unknown_campaign_or_cycle(
    sessions: SessionFactory, scene: Scene, tmp_path: Path
) -> None:
    builder = ReportBuilder(sessions, catalog=None)
    with pytest.raises(NotFoundError):
        await builder.build(scene.campaign_id + 99, None, now=NOW)
    with pytest.raises(NotFoundError):
        await builder.build(scene.campaign_id, 3, now=NOW)
    report = await builder.build(scene.campaign_id, None, now=NOW)
    assert report.billing.complexity is None
    assert report.billing.bill.setup_line is None
