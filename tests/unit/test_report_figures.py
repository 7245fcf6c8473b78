"""Report figures on hand-made rows, each figure known in advance."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.outcomes import CallOutcome
from dialer.reports.figures import compute_figures, dmt_histogram
from dialer.storage.report_rows import (
    AttemptRow,
    CampaignRow,
    CycleRow,
    PersonRow,
    ReportRows,
    ResultRow,
    SheetRow,
)

T0 = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)  # 09:30 in Paris (winter: UTC+1)


def attempt(
    n: int,
    person: int,
    at: datetime,
    outcome: CallOutcome | None,
    *,
    talk_s: int = 0,
    wrap_s: int = 0,
    agent: str | None = None,
    placed: bool = True,
) -> AttemptRow:
    bridged = at + timedelta(seconds=10) if agent else None
    ended = (bridged or at) + timedelta(seconds=talk_s) if outcome else None
    return AttemptRow(
        id=f"a{n}",
        cycle_id=1,
        person_id=person,
        number="+33145678910",
        state="ended",
        outcome=outcome,
        planned_for=at,
        placed_at=at if placed else None,
        answered_at=bridged,
        bridged_at=bridged,
        ended_at=ended,
        wrap_up_done_at=ended + timedelta(seconds=wrap_s) if agent and ended else None,
        agent=agent,
        disposition=None,
    )


def person(pid: int) -> PersonRow:
    return PersonRow(pid, f"P{pid}", f"Nom{pid}", "Jeanne", "1 rue A", "75019", "Paris", "Nord", ())


def rows() -> ReportRows:
    hour = timedelta(hours=1)
    attempts = (
        attempt(1, 1, T0, CallOutcome.NO_ANSWER),
        attempt(2, 1, T0 + hour, CallOutcome.ANSWERED, talk_s=110, wrap_s=10, agent="b"),
        attempt(3, 2, T0, CallOutcome.MACHINE),
        attempt(4, 2, T0 + hour, CallOutcome.HUNG_UP),
        attempt(5, 3, T0, CallOutcome.BUSY),
        attempt(6, 3, T0, CallOutcome.BUSY),
        attempt(7, 3, T0, CallOutcome.BUSY),
        attempt(8, 3, T0, CallOutcome.BUSY),
        attempt(9, 3, T0 + 2 * hour, CallOutcome.ANSWERED, talk_s=300, wrap_s=60, agent="a"),
        attempt(10, 4, T0 + 2 * hour, None),  # ringing
        attempt(11, 5, T0, None, placed=False),  # planned, never placed
    )
    return ReportRows(
        campaign=CampaignRow(1, "Grand froid", "cold_spell", "q", "1", "running", T0),
        cycles=(CycleRow(1, 1, T0, T0 + timedelta(hours=48), None),),
        members=frozenset((1, p) for p in range(1, 7)),
        people={p: person(p) for p in range(1, 7)},
        attempts=attempts,
        sheets=(SheetRow(1, "a2", 1, 1, "b", "complete", True, T0 + 2 * hour),),
        results=(
            ResultRow(1, 2, CycleResult.NEVER_REACHED, T0, "attempts_exhausted"),
            ResultRow(1, 1, CycleResult.REACHED, T0, ""),
        ),
        alerts=(),
        all_cycles=False,
    )


def test_figures_by_hand() -> None:
    figures = compute_figures(rows())
    assert figures.register == 6
    assert figures.dialled == 10  # the planned-only attempt is not a dial
    # a person picked up: a2 (answered), a4 (hung up), a9 (answered); not the machine
    assert figures.answered == 3
    counts = {line.outcome: line.count for line in figures.outcomes}
    assert counts[CallOutcome.BUSY] == 4
    assert counts[CallOutcome.MACHINE] == 1
    assert counts[None] == 1
    assert [b.people for b in figures.attempts_per_person] == [2, 1, 2, 0, 1]  # 0,1,2,3,4+
    assert [(h.hour, h.attempts, h.answered) for h in figures.by_hour] == [
        (9, 6, 0),
        (10, 2, 2),
        (11, 2, 1),
    ]
    # DMT: b = 110 + 10 = 120 s ("2–4 min"); a = 300 + 60 = 360 s ("6–8 min")
    agents = {line.agent: line for line in figures.dmt_by_agent}
    assert agents["b"].mean_s == 120
    assert agents["b"].histogram == (0, 1, 0, 0, 0, 0, 0)
    assert agents["a"].mean_s == 360
    assert agents["a"].histogram == (0, 0, 0, 1, 0, 0, 0)
    assert figures.dmt_overall.mean_handling_s == 240
    assert [step.count for step in figures.funnel] == [6, 4, 2, 1, 0, 0]
    assert figures.useful_contacts == 1
    (follow_up,) = figures.follow_up
    assert follow_up.person.id == 2
    assert (
        follow_up.reason == "jamais joint (suivi terrain) : tentatives épuisées après 2 tentatives"
    )
    assert [t.outcome for t in follow_up.attempts] == ["répondeur", "a raccroché aussitôt"]


def test_histogram_edges() -> None:
    assert dmt_histogram([0, 119.9, 120, 899.9, 900, 5000]) == (2, 1, 0, 0, 0, 1, 2)


def test_a_call_coming_in_is_counted_as_such_and_is_no_dial() -> None:
    base = rows()
    inbound = replace(
        attempt(12, 6, T0, CallOutcome.ANSWERED, talk_s=60, wrap_s=5, agent="a"),
        kind=AttemptKind.INBOUND.value,
    )
    figures = compute_figures(replace(base, attempts=(*base.attempts, inbound)))
    before = compute_figures(base)
    assert figures.inbound == (1, 1)
    assert (figures.dialled, figures.answered) == (before.dialled, before.answered)
    assert figures.dmt_overall.calls == before.dmt_overall.calls + 1  # an agent handled it
    # the dial funnel (called → reached) counts the dialler's calls only
    assert [s.count for s in figures.funnel][:3] == [s.count for s in before.funnel][:3]
