"""``docs/reliability.md``, written by ``make chaos``: one section per database, replaced
by each run (between ``<!-- chaos:<database> -->`` markers), under a fixed introduction."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dialer.rig.chaos.faults import LABELS, Kind, Plan
from dialer.rig.chaos.verdict import COUNTS, FaultFigures, Verdict

INTRODUCTION = """# Reliability: figures from `make chaos`

This file is written by `make chaos` (`python -m dialer.rig.chaos`, see
`dialer/rig/chaos/`); do not edit the sections between the markers by hand.

A predictive campaign of simulated people (sipp) runs on the rig with robot agents at the
web screens while faults are injected at seeded random instants. At the end (robots paused,
no call up, alerts' outbox drained, controller stopped) the ledger is checked against what
the controller does not write: Asterisk's CDR (one record per outbound channel, keyed by the
attempt id), the outbound channels seen over a separate AMI session twice a second, the
robot agents' own record of the sheets and answers they submitted (and of the alerts those
answers raise by the questionnaire's rules), and a webhook receiver's log of the alert
deliveries it received (signatures checked with the team's secret).

*Recovery* is the time from the moment a fault is lifted (the AMI sessions aborted, the
controller started again, SIGCONT, Asterisk booted, the disk freed, PostgreSQL back) until
the next outbound call is seen on Asterisk; it includes the robots logging in again after a
controller restart, and the pacing's own wait for a free agent, so it is an upper bound.
A call *in progress* is an outbound channel up when the fault hit; it *survived* when it
was still up {survived:.0f} s after the fault was lifted (a call that ended on its own
meanwhile, the people talk 8-20 s, counts as not surviving: over a 10-s fault most do).
The last column says what the controller is designed to do with them; the invariants below
check it.
"""

WHAT_HAPPENS = {
    Kind.AMI_CUT: "calls stay up in Asterisk; the controller reconnects, reconciles them "
    "from the channels and follows them to their end",
    Kind.CONTROLLER_KILL: "calls stay up in Asterisk; the new process resumes them from the "
    "ledger and the channels (agents log in again)",
    Kind.CONTROLLER_FREEZE: "calls stay up; Asterisk drops the AMI session after the keep-alive, "
    "the controller reconnects on SIGCONT and reconciles",
    Kind.ASTERISK_RESTART: "every call in progress is cut; the ledger closes them with the "
    "outcome the channels had",
    Kind.PHONE_KILL: "the agent's call is cut; no new call is joined to the dead leg",
    Kind.POSTGRES_RESTART: "calls stay up; ledger writes wait and are retried",
    Kind.DISK_FULL: "calls stay up; ledger writes wait until the disk has room again",
}


@dataclass(frozen=True)
class RunFacts:
    database: str
    seed: int
    plan: Plan
    short: bool
    robots: int
    duration_s: float


def _seconds(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.1f} s / {max(values):.1f} s"


def section(facts: RunFacts, verdict: Verdict) -> str:
    title = (
        "SHORT run (CI: a few faults of each kind, not the full counts)"
        if facts.short
        else "full run"
    )
    lines = [
        f"## {facts.database}: {title}",
        "",
        f"Seed {facts.seed}, {facts.plan.people} people, {facts.robots} robot agents, "
        f"{facts.plan.span_s:.0f} s of faults, {facts.duration_s / 60:.1f} min in all; "
        f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Verdict: "
        f"**{'PASSED' if verdict.passed else 'FAILED'}**.",
        "",
        "| fault | injected | calls in progress | survived | recovery p50 / max | "
        "what it does to calls in progress |",
        "|---|---|---|---|---|---|",
    ]
    by_kind: dict[str, list[FaultFigures]] = defaultdict(list)
    for figure in verdict.figures:
        by_kind[figure.kind].append(figure)
    for kind in Kind:
        figures = by_kind.get(kind.value, [])
        if not figures:
            continue
        recovered = [f.recovery_s for f in figures if f.recovery_s is not None]
        never = len(figures) - len(recovered)
        lines.append(
            f"| {LABELS[kind]} | {len(figures)} | {sum(f.in_progress for f in figures)} | "
            f"{sum(f.survived for f in figures)} | {_seconds(recovered)}"
            f"{f' ({never} never resumed)' if never else ''} | {WHAT_HAPPENS[kind]} |"
        )
    everything = [f.recovery_s for f in verdict.figures if f.recovery_s is not None]
    lines += ["", f"Recovery over all faults (p50 / max): {_seconds(everything)}.", ""]
    lines += ["| invariant | count |", "|---|---|"]
    lines += [f"| {name} | {len(verdict.found.get(name, []))} |" for name in COUNTS]
    lines += ["", "| totals | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in verdict.totals.items()]
    failures = [(n, d) for n in COUNTS for d in verdict.found.get(n, [])[:10]]
    if failures:
        lines += ["", "Findings (first ten of each):", ""]
        lines += [f"- {name}: {detail}" for name, detail in failures]
    return "\n".join(lines) + "\n"


def write(path: Path, facts: RunFacts, verdict: Verdict, survived_after_s: float) -> None:
    """Replace this database's section of ``path`` (the other's is kept)."""
    begin, end = f"<!-- chaos:{facts.database} -->", f"<!-- /chaos:{facts.database} -->"
    sections: dict[str, str] = {}
    if path.exists():
        text = path.read_text(encoding="utf-8")
        for database in ("sqlite", "postgresql"):
            b, e = f"<!-- chaos:{database} -->", f"<!-- /chaos:{database} -->"
            if b in text and e in text:
                sections[database] = text[text.index(b) : text.index(e) + len(e)]
    sections[facts.database] = f"{begin}\n{section(facts, verdict)}{end}"
    body = [INTRODUCTION.format(survived=survived_after_s)]
    body += [sections[d] + "\n" for d in ("sqlite", "postgresql") if d in sections]
    path.write_text("\n".join(body), encoding="utf-8")
