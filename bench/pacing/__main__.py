"""Run the pacing grid: policies x team sizes x answer rates, one simulated day each, and
the ceiling (10 agents, 30 %, 3 days per point): the engine's predictive rule against the same
rule told when agents will be free, at a few risk settings, and another rule, a Monte-Carlo
lookahead, with and without exact agent free times, at a few prices of an abandon.

``python -m bench.pacing`` prints markdown tables, writes ``bench/results/pacing.md`` and the
plot ``docs/pacing-occupancy.svg`` (and a PNG beside the results if matplotlib is
importable). ``--quick`` runs a small grid (and a one-day ceiling) and writes nothing.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from xml.sax.saxutils import escape

from bench.pacing.lookahead import NAME as LOOKAHEAD
from bench.pacing.lookahead import ORACLE_NAME as LOOKAHEAD_ORACLE
from bench.pacing.lookahead import LookaheadPolicy
from bench.pacing.model import CalleeModel
from bench.pacing.oracle import NAME as ORACLE
from bench.pacing.oracle import OraclePolicy
from bench.pacing.simulator import CorePolicy, Policy, SimulationResult, SimulationSetup, simulate
from bench.pacing.vicidial import VicidialAdaptHardLimit
from dialer.core.pacing_settings import PacingConfig, PacingMode

POLICIES = ("progressive", "predictive", ORACLE, "vicidial", "vicidial-dials")
TEAMS = (5, 10, 20, 50)
LIVE_RATES = (0.30, 0.55)
#: the oracle's days cost as much as predictive's: in the grid, it runs for these teams only
ORACLE_TEAMS = (10,)
#: issue #7's goal: this occupancy with 10 agents, 30 % live, at most 1 % abandons
TARGET = 0.92
#: the ceiling: predictive and the oracle with the day's budget off (cap 3 %, aim at all of
#: it, one spare abandon), at these risks per added line, for 10 agents and 30 % live
CEILING_POLICIES = ("predictive", ORACLE)
CEILING_RISKS = (0.02, 0.03, 0.05)
#: and the lookahead, with and without exact agent free times, at these prices of one abandon
#: (agent-seconds): they bracket 1 % abandons over the day
LOOKAHEAD_POLICIES = (LOOKAHEAD, LOOKAHEAD_ORACLE)
LOOKAHEAD_PRICES = (1000.0, 3000.0)
CEILING_AGENTS, CEILING_RATE = 10, 0.30
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "pacing.md"
PLOT = ROOT / "docs" / "pacing-occupancy.svg"

#: policy, agents, live rate, hours, seed, and the ceiling's setting (None: the grid):
#: max_line_risk for decide()'s policies, the price of an abandon for the lookahead's
Job = tuple[str, int, float, float, int, float | None]


def ceiling_config(max_line_risk: float) -> PacingConfig:
    """Predictive with the day's budget off: only ``max_line_risk`` holds the abandons."""
    return PacingConfig(
        mode=PacingMode.PREDICTIVE,
        max_abandon_rate=0.03,
        target_share=1.0,
        spare_abandons=1,
        max_line_risk=max_line_risk,
    )


def make_policy(
    name: str, setting: float | None = None, model: CalleeModel | None = None
) -> Policy:
    if name in LOOKAHEAD_POLICIES:
        if setting is None or model is None:
            raise ValueError(f"{name} needs a price of an abandon and the callee model")
        return LookaheadPolicy(model, setting, exact_agents=name == LOOKAHEAD_ORACLE)
    if setting is not None:
        config = ceiling_config(setting)
        return OraclePolicy(config) if name == ORACLE else CorePolicy(config)
    if name == "progressive":
        return CorePolicy(PacingConfig(mode=PacingMode.PROGRESSIVE))
    if name == "predictive":
        return CorePolicy(PacingConfig(mode=PacingMode.PREDICTIVE))
    if name == ORACLE:
        return OraclePolicy()
    if name == "vicidial":
        return VicidialAdaptHardLimit()
    if name == "vicidial-dials":
        return VicidialAdaptHardLimit(drops_of_dials=True, name=name)
    raise ValueError(f"unknown policy {name!r}")


def cell_seed(base: int, agents: int, live_rate: float) -> int:
    """One seed per cell, the same for every policy (they meet the same people)."""
    return base * 100_000 + agents * 1000 + round(live_rate * 100)


def run_job(job: Job) -> SimulationResult:
    policy, agents, live_rate, hours, seed, setting = job
    model = CalleeModel(live_rate=live_rate)
    setup = SimulationSetup(agents=agents, model=model, hours=hours, seed=seed)
    return simulate(setup, make_policy(policy, setting, model))


def jobs_for(
    teams: Sequence[int],
    rates: Sequence[float],
    hours: float,
    base_seed: int,
    ceiling_seeds: int = 3,
) -> list[Job]:
    """The grid's days, then the ceiling's: ``ceiling_seeds`` days per point, base seeds
    ``base_seed``, ``base_seed + 1``... (the first meets the grid's people of that cell)."""
    jobs: list[Job] = [
        (policy, agents, rate, hours, cell_seed(base_seed, agents, rate), None)
        for rate in rates
        for agents in teams
        for policy in POLICIES
        if policy != ORACLE or agents in ORACLE_TEAMS
    ]
    jobs += [
        (
            policy,
            CEILING_AGENTS,
            CEILING_RATE,
            hours,
            cell_seed(seed, CEILING_AGENTS, CEILING_RATE),
            setting,
        )
        for policy, setting in ceiling_settings()
        for seed in range(base_seed, base_seed + ceiling_seeds)
    ]
    # the slowest first (the lookahead, predictive, big teams), so two processes finish
    # together
    slow = (*LOOKAHEAD_POLICIES, "predictive", ORACLE)
    return sorted(
        jobs, key=lambda job: (slow.index(job[0]) if job[0] in slow else len(slow), -job[1])
    )


def ceiling_settings() -> list[tuple[str, float]]:
    """The ceiling's points: (policy, max_line_risk or price of an abandon)."""
    return [(policy, risk) for risk in CEILING_RISKS for policy in CEILING_POLICIES] + [
        (policy, price) for price in LOOKAHEAD_PRICES for policy in LOOKAHEAD_POLICIES
    ]


@dataclass(frozen=True, slots=True)
class CeilingPoint:
    """One point of the ceiling's curve: a policy at one setting (``max_line_risk``, or the
    lookahead's price of an abandon), over its days."""

    policy: str
    setting: float
    days: tuple[SimulationResult, ...]

    @property
    def setting_label(self) -> str:
        if self.policy in LOOKAHEAD_POLICIES:
            return f"price of an abandon {self.setting:g} s"
        return f"max line risk {_pct(self.setting, 0)}"

    @property
    def occupancy(self) -> float:
        return statistics.fmean(r.occupancy for r in self.days)

    @property
    def abandons(self) -> int:
        return sum(r.abandons for r in self.days)

    @property
    def live_answers(self) -> int:
        return sum(r.live_answers for r in self.days)

    @property
    def abandon_rate(self) -> float:
        return self.abandons / self.live_answers if self.live_answers else 0.0

    @property
    def peak_running_rate(self) -> float:
        return max(r.peak_running_rate for r in self.days)


def ceiling_points(jobs: Sequence[Job], results: Sequence[SimulationResult]) -> list[CeilingPoint]:
    days: dict[tuple[str, float], list[SimulationResult]] = {}
    for job, result in zip(jobs, results, strict=True):
        setting = job[5]
        if setting is not None:
            days.setdefault((job[0], setting), []).append(result)
    order = [*CEILING_POLICIES, *LOOKAHEAD_POLICIES]
    return [
        CeilingPoint(policy, setting, tuple(sorted(cell, key=lambda r: r.seed)))
        for (policy, setting), cell in sorted(
            days.items(),
            key=lambda item: (
                item[0][0] in LOOKAHEAD_POLICIES,
                item[0][1],
                order.index(item[0][0]),
            ),
        )
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pacing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 and 50 agents, 2 h, 0.30 only")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=None, help="length of the day")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--ceiling-seeds",
        type=int,
        default=None,
        help="days per point of the ceiling (3; 1 with --quick; 0: no ceiling)",
    )
    args = parser.parse_args(argv)
    teams, rates = ((10, 50), (0.30,)) if args.quick else (TEAMS, LIVE_RATES)
    hours = args.hours if args.hours is not None else (2.0 if args.quick else 8.0)
    ceiling_seeds = args.ceiling_seeds
    if ceiling_seeds is None:
        ceiling_seeds = 1 if args.quick else 3
    jobs = jobs_for(teams, rates, hours, args.seed, ceiling_seeds)
    started = time.perf_counter()
    if args.processes > 1:
        with multiprocessing.Pool(args.processes) as pool:
            days = pool.map(run_job, jobs, chunksize=1)
    else:
        days = [run_job(job) for job in jobs]
    elapsed = time.perf_counter() - started
    results = [day for job, day in zip(jobs, days, strict=True) if job[5] is None]
    ceiling = ceiling_points(jobs, days)
    command = "python -m bench.pacing" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    report = markdown_report(
        results,
        ceiling,
        command=command,
        elapsed=elapsed,
        processes=args.processes,
        base_seed=args.seed,
        model=CalleeModel(),
    )
    print(report)
    for line in goal_lines(results, ceiling):
        print(line)
    if args.quick or args.no_write:
        return 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    PLOT.write_text(svg_plot(results), encoding="utf-8")
    written = [RESULTS, PLOT]
    if importlib.util.find_spec("matplotlib") is not None:
        written.append(_png_plot(results, RESULTS.with_suffix(".png")))
    print("written: " + ", ".join(str(path.relative_to(ROOT)) for path in written))
    return 0


def _png_plot(results: Sequence[SimulationResult], path: Path) -> Path:
    """The same plot with matplotlib, when it is installed (it is not a dependency)."""
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, rate in zip(axes, sorted({r.live_rate for r in results}), strict=False):
        for policy in POLICIES:
            cell = sorted(
                (r for r in results if r.policy == policy and r.live_rate == rate),
                key=lambda r: r.agents,
            )
            xs = [100 * r.abandon_rate for r in cell]
            ys = [100 * r.occupancy for r in cell]
            ax.plot(xs, ys, marker="o", label=policy)
            for r, x, y in zip(cell, xs, ys, strict=True):
                ax.annotate(str(r.agents), (x, y))
        ax.axvline(1.0, linestyle="--", color="grey")
        ax.set_title(f"{_pct(rate, 0)} of dials reach a person")
        ax.set_xlabel("abandoned, % of live answers (day)")
    axes[0].set_ylabel("agent occupancy, %")
    axes[0].legend()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


# --------------------------------------------------------------------------- tables


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def _cell(
    results: Iterable[SimulationResult], policy: str, agents: int, rate: float
) -> SimulationResult | None:
    return next(
        (r for r in results if r.policy == policy and r.agents == agents and r.live_rate == rate),
        None,
    )


def results_table(results: Sequence[SimulationResult], rate: float) -> list[str]:
    lines = [
        "| agents | policy | occupancy | abandoned, day (2 s) | worst 15 min | peak running "
        "rate | idle gap mean / p90 | connects / agent-h | dials / agent-h | "
        "10,500-person cycle | floor | cycle ÷ floor |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for agents in sorted({r.agents for r in results}):
        for policy in POLICIES:
            r = _cell(results, policy, agents, rate)
            if r is None:
                continue
            star = "*" if r.cycle_extrapolated else ""
            lines.append(
                f"| {agents} | {policy} | {_pct(r.occupancy)} | "
                f"{_pct(r.abandon_rate, 2)} ({r.abandons}/{r.live_answers}) | "
                f"{_pct(r.worst_15min_rate)} ({r.worst_15min_abandons}/{r.worst_15min_answers}) | "
                f"{_pct(r.peak_running_rate, 2)} | "
                f"{r.idle_gap_mean:.0f} s / {r.idle_gap_p90:.0f} s | "
                f"{r.connects_per_agent_hour:.2f} | {r.dials_per_agent_hour:.1f} | "
                f"{r.cycle_hours:.1f} h{star} | {r.cycle_floor_hours:.1f} h{star} | "
                f"{r.cycle_ratio:.3f} |"
            )
    return lines


def goal_lines(
    results: Sequence[SimulationResult], ceiling: Sequence[CeilingPoint] = ()
) -> list[str]:
    """One line per cell: does predictive beat progressive at <= 1 % over the day, with the
    running rate never above 1 %? And the 92 % target at 10 agents, 30 %, with the ceiling
    of the same rule beside it."""
    lines = []
    for rate in sorted({r.live_rate for r in results}):
        for agents in sorted({r.agents for r in results}):
            pred = _cell(results, "predictive", agents, rate)
            prog = _cell(results, "progressive", agents, rate)
            if pred is None or prog is None:
                continue
            gain = 100 * (pred.occupancy - prog.occupancy)
            ok = gain > 0 and pred.abandon_rate <= 0.01 and pred.peak_running_rate <= 0.01
            lines.append(
                f"{'MET' if ok else 'NOT MET'}: {agents} agents, {_pct(rate, 0)} live: predictive "
                f"{_pct(pred.occupancy)} vs progressive {_pct(prog.occupancy)} "
                f"({gain:+.2f} points), abandons {_pct(pred.abandon_rate, 2)} over the day, "
                f"running rate at most {_pct(pred.peak_running_rate, 2)}"
            )
            if agents == 10 and rate == 0.30:
                target = pred.occupancy >= TARGET
                lines.append(
                    f"{'MET' if target else 'NOT MET'}: 10 agents, 30 % live: predictive "
                    f"occupancy {_pct(pred.occupancy)} against the 92 % target"
                )
                lines += _ceiling_line(ceiling)
    return lines


def _ceiling_line(ceiling: Sequence[CeilingPoint]) -> list[str]:
    lines = []
    for policy, who in (
        (ORACLE, "with exact agent free times the same rule"),
        (LOOKAHEAD, "another rule, the lookahead,"),
        (LOOKAHEAD_ORACLE, "the lookahead with exact agent free times"),
    ):
        best, highest = _best_points(ceiling, policy)
        if highest is None:
            continue
        days = len(highest.days)
        line = (
            f"ceiling ({CEILING_AGENTS} agents, {_pct(CEILING_RATE, 0)} live, "
            f"{days} day{'s' * (days > 1)} per point): {who}"
        )
        top = f"at most {_pct(highest.occupancy)} at {_pct(highest.abandon_rate, 2)} abandons"
        if best is None:
            lines.append(f"{line} never keeps the day within 1 % abandons, {top}")
            continue
        line += (
            f" reaches {_pct(best.occupancy)} at {_pct(best.abandon_rate, 2)} abandons, "
            f"running rate up to {_pct(best.peak_running_rate, 2)}"
        )
        lines.append(line if best is highest else f"{line}; {top}")
    return lines


def _best_points(
    ceiling: Sequence[CeilingPoint], policy: str
) -> tuple[CeilingPoint | None, CeilingPoint | None]:
    """A policy's best point within 1 % abandons over the day, and its highest occupancy."""
    curve = [p for p in ceiling if p.policy == policy]
    within = [p for p in curve if p.abandon_rate <= 0.01]
    best = max(within, key=lambda p: p.occupancy) if within else None
    return best, max(curve, key=lambda p: p.occupancy) if curve else None


def ceiling_table(ceiling: Sequence[CeilingPoint]) -> list[str]:
    lines = [
        "| setting | policy | occupancy (mean; each day) | abandoned, all days | "
        "peak running rate (worst day) |",
        "|---|---|---:|---:|---:|",
    ]
    for p in ceiling:
        each = " / ".join(f"{100 * r.occupancy:.1f}" for r in p.days)
        lines.append(
            f"| {p.setting_label} | {p.policy} | {_pct(p.occupancy)} ({each}) | "
            f"{_pct(p.abandon_rate, 2)} ({p.abandons}/{p.live_answers}) | "
            f"{_pct(p.peak_running_rate, 2)} |"
        )
    return lines


def ceiling_summary(ceiling: Sequence[CeilingPoint]) -> str:
    """What the curve shows, in words, from its numbers."""
    ranges = []
    for policy in (*CEILING_POLICIES, *LOOKAHEAD_POLICIES):
        curve = [p for p in ceiling if p.policy == policy]
        if curve:
            occupancy = sorted(p.occupancy for p in curve)
            abandons = sorted(p.abandon_rate for p in curve)
            ranges.append(
                f"{policy} {_pct(occupancy[0])} to {_pct(occupancy[-1])} occupancy at "
                f"{_pct(abandons[0], 2)} to {_pct(abandons[-1], 2)} abandons"
            )
    sentences = ["Over these settings: " + "; ".join(ranges) + "."]
    best, highest = _best_points(ceiling, ORACLE)
    core, _ = _best_points(ceiling, "predictive")
    if best is None:
        sentences.append("With exact agent free times, no setting keeps the day within 1 %.")
    else:
        versus = (
            f"predictive: {_pct(core.occupancy)} at {_pct(core.abandon_rate, 2)}"
            if core is not None
            else "predictive: no setting within 1 %"
        )
        sentences.append(
            f"Within 1 % abandons over the day, exact agent free times give at best "
            f"{_pct(best.occupancy)} at {_pct(best.abandon_rate, 2)} ({versus}), "
            f"{_versus_target(best.occupancy)}."
        )
    if highest is not None and highest is not best:
        sentences.append(
            f"The oracle's highest occupancy here, {_pct(highest.occupancy)} at "
            f"{_pct(highest.abandon_rate, 2)} abandons, is {_versus_target(highest.occupancy)}."
        )
    for policy, who in (
        (LOOKAHEAD, "The lookahead, a different rule with what a dialer can know,"),
        (LOOKAHEAD_ORACLE, "The lookahead told the exact agent free times"),
    ):
        best, highest = _best_points(ceiling, policy)
        if highest is None:
            continue
        if best is None:
            sentences.append(f"{who} never keeps the day within 1 %.")
        else:
            sentences.append(
                f"{who} gives at best {_pct(best.occupancy)} at "
                f"{_pct(best.abandon_rate, 2)} within 1 %, {_versus_target(best.occupancy)}."
            )
        if highest is not best:
            sentences.append(
                f"Its highest, {_pct(highest.occupancy)} at "
                f"{_pct(highest.abandon_rate, 2)} abandons, is "
                f"{_versus_target(highest.occupancy)}."
            )
    return " ".join(sentences)


def _versus_target(occupancy: float) -> str:
    points = 100 * (occupancy - TARGET)
    return f"{abs(points):.1f} points {'under' if points < 0 else 'over'} the 92 % target"


def vicidial_table(results: Sequence[SimulationResult]) -> list[str]:
    lines = [
        "| policy | live | agents | level at 15 s / 30 s / 45 s | highest level | mean level "
        "(15-s samples) | drops, 5 s (VICIdial's count) | abandoned, 2 s |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r.policy, r.live_rate, r.agents)):
        if not r.policy.startswith("vicidial"):
            continue
        x = r.extras
        lines.append(
            f"| {r.policy} | {_pct(r.live_rate, 0)} | {r.agents} | "
            f"{x['level_15s']:.2f} / {x['level_30s']:.2f} / {x['level_45s']:.2f} | "
            f"{x['level_max']:.2f} | {x['level_mean']:.2f} | "
            f"{_pct(r.drops / r.live_answers if r.live_answers else 0, 2)} "
            f"({r.drops}/{r.live_answers}) | {_pct(r.abandon_rate, 2)} |"
        )
    return lines


def markdown_report(
    results: Sequence[SimulationResult],
    ceiling: Sequence[CeilingPoint],
    *,
    command: str,
    elapsed: float,
    processes: int,
    base_seed: int,
    model: CalleeModel,
) -> str:
    hours = sorted({r.hours for r in results})
    m = {f.name: getattr(model, f.name) for f in fields(model) if f.name != "live_rate"}
    ceiling_days = sum(len(p.days) for p in ceiling)
    out = [
        "# Pacing bench: agent occupancy against abandoned calls",
        "",
        f"Generated by `{command}`: {len(results) + ceiling_days} simulated days "
        f"({len(results)} in the grid, {ceiling_days} for the ceiling) of "
        f"{', '.join(f'{h:g}' for h in hours)} h, {elapsed:.0f} s wall clock on {processes} "
        f"process(es), base seed {base_seed}. Regenerate rather than edit.",
        "",
        "## Model (bench/pacing/model.py)",
        "",
        f"- A dial reaches a person with probability 30 % or 55 % (the two tables), after a "
        f"lognormal ring (mean {m['ring_mean']:g} s, CV {m['ring_cv']:g}, under the ring "
        f"timeout); an answering machine in {_pct(m['machine_rate'], 0)} of dials after about "
        f"{m['machine_after_mean']:g} s (hung up: not live, never an abandon); busy or invalid "
        f"{_pct(m['busy_rate'], 0)}, known in {m['busy_after_min']:g}-{m['busy_after_max']:g} s; "
        f"otherwise no answer at the ring timeout ({m['ring_timeout']:g} s).",
        f"- Talk lognormal mean {m['talk_mean']:g} s CV {m['talk_cv']:g}; wrap-up lognormal "
        f"mean {m['wrap_mean']:g} s CV {m['wrap_cv']:g} (CV assumed). All agents logged in "
        "the whole day, never paused; 3 lines per agent; every dial is a person's first "
        "attempt. The same people (seeded) meet every policy of a cell.",
        f"- Abandoned: a person not joined to an agent within {m['join_window']:g} s of "
        "answering (the engine plays its message then; VICIdial holds 5 s before its drop, "
        "its 2 to 5 s waits count as abandons here). Rates are shares of live answers, "
        "start-up included. *Peak running rate*: the day's rate right after each abandon, "
        "highest of the day. *Worst 15 min*: sliding window, 1-min steps.",
        "- Occupancy = (talk + wrap-up inside the day) / logged-in time. Idle gap: from "
        "ready to the next call. Cycle: calling hours until 10,500 people's first attempts "
        "are resolved; floor: handling time of the people reached ÷ agents. `*`: the day "
        "resolves fewer than 10,500, both are extrapolated from the day's pace (attempts "
        "resolved per hour, handling time inside the day), so cycle ÷ floor = 1 / "
        "occupancy there.",
        "",
        "## Policies",
        "",
        "- **progressive**: `dialer.core.pacing.decide`, mode PROGRESSIVE (one call per "
        "free agent).",
        "- **predictive**: `dialer.core.pacing.decide`, mode PREDICTIVE, default settings "
        "(cap 1 % of today's live answers, aim 75 % of it, at most 3 % risk per added line).",
        f"- **{ORACLE}**: not a policy a dialer can have, a ceiling: the same `decide()` "
        "and settings as predictive, its risk model told each busy agent's true remaining "
        "talk + wrap-up time instead of estimating it (bench/pacing/oracle.py); which calls "
        "answer, and when, stay estimated. Run with "
        f"{', '.join(str(n) for n in ORACLE_TEAMS)} agents only in the grid.",
        "- **vicidial**: VICIdial's ADAPT_HARD_LIMIT adaptive dial level with its defaults "
        "(bench/pacing/vicidial.py), its hard limit on drops as a share of human answers "
        "(VICIdial 2.14's AST_VDadapt.pl).",
        "- **vicidial-dials**: the same with the drop rate as a share of all dials (the "
        "\"DROPPED PERCENT\" of VICIdial's real-time screen, and the hard limit's base before "
        "answers were counted): 3 % of dials is 10 % of live answers at 30 %.",
        f"- **{LOOKAHEAD}** and **{LOOKAHEAD_ORACLE}** (the ceiling only): not the engine's "
        "rule but another one (bench/pacing/lookahead.py). Every second it samples 512 "
        "futures of the next 32 s (which calls ringing a person answers, and when, from the "
        "model's exact laws and each call's age; when each busy agent is free; what new "
        "calls would do), gives answers to agents in time order, and dials the number of "
        "calls with the least agent idle time + price × abandons. The lookahead draws the "
        "agents' free times from the model's talk and wrap-up laws given the time already "
        f"spent (what a dialer can know); {LOOKAHEAD_ORACLE} is told them exactly. Both "
        "know the true answer rate and laws, which the engine estimates, and have no day "
        "budget: the price is their only brake.",
        "",
    ]
    for rate in sorted({r.live_rate for r in results}):
        out += [f"## Results: {_pct(rate, 0)} of dials reach a person", ""]
        out += results_table(results, rate)
        out.append("")
    if ceiling:
        seeds = range(base_seed, base_seed + max(len(p.days) for p in ceiling))
        out += [
            f"## Ceiling: exact agent free times, and another rule ({CEILING_AGENTS} agents, "
            f"{_pct(CEILING_RATE, 0)} live)",
            "",
            f"Predictive and {ORACLE} with the day's budget off (cap 3 %, `target_share` 1.0, "
            "`spare_abandons` 1), so that only `max_line_risk` sets how hard they dial: the "
            f"occupancy / abandons trade-off; {LOOKAHEAD} and {LOOKAHEAD_ORACLE} at a few "
            f"prices of an abandon. Base seed{'s' * (len(seeds) > 1)} "
            f"{', '.join(str(s) for s in seeds)}, one day each (the first meets the grid's "
            "people); abandoned: all the days' abandons over their live answers. Nothing holds "
            "the running rate under 1 % here.",
            "",
        ]
        out += ceiling_table(ceiling)
        out += ["", ceiling_summary(ceiling), ""]
    out += ["## Goal check", ""]
    out += [f"- {line}" for line in goal_lines(results, ceiling)]
    out += ["", "## VICIdial's dial level", ""]
    out += vicidial_table(results)
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- plot

_COLOURS = {
    "progressive": "#6b6b6b",
    "predictive": "#1f5fbf",
    ORACLE: "#7d3c98",
    "vicidial": "#c0392b",
    "vicidial-dials": "#e67e22",
}
_W, _H = 980, 460
_PANEL_W, _PANEL_H = 400, 320
_LEFT, _TOP = 70, 70


def svg_plot(results: Sequence[SimulationResult]) -> str:
    """Occupancy against the day's abandon rate, per policy and team size, one panel per
    answer rate. The x axis is stretched between 0 and 2 % (two scales, marked)."""
    rates = sorted({r.live_rate for r in results})
    worst = max((r.abandon_rate for r in results), default=0.02)
    x_max = max(0.04, 0.02 * (int(worst / 0.02) + 1))
    lowest = min((r.occupancy for r in results), default=0.8)
    y_min = min(0.80, 0.05 * int(lowest / 0.05))

    def x_of(rate: float) -> float:
        if rate <= 0.02:
            return _PANEL_W * 0.6 * rate / 0.02
        return _PANEL_W * (0.6 + 0.4 * (rate - 0.02) / (x_max - 0.02))

    def y_of(occupancy: float) -> float:
        return _PANEL_H * (1 - (occupancy - y_min) / (1 - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2}" y="22" text-anchor="middle" font-size="15">Agent occupancy '
        "against abandoned calls, one simulated 8-h day per point (labels: agents)</text>",
    ]
    for i, policy in enumerate(POLICIES):
        legend_x = _LEFT + 170 * i
        parts.append(
            f'<circle cx="{legend_x}" cy="44" r="5" fill="{_COLOURS[policy]}"/>'
            f'<text x="{legend_x + 10}" y="48">{policy}</text>'
        )
    for panel, rate in enumerate(rates):
        ox, oy = _LEFT + panel * (_PANEL_W + 90), _TOP
        parts.append(f'<g transform="translate({ox},{oy})">')
        parts += _axes(x_of, y_of, x_max, y_min, rate)
        for policy in POLICIES:
            cell = sorted(
                (r for r in results if r.policy == policy and r.live_rate == rate),
                key=lambda r: r.agents,
            )
            points = [(x_of(r.abandon_rate), y_of(r.occupancy), r.agents) for r in cell]
            colour = _COLOURS[policy]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    'stroke-width="1.2" stroke-opacity="0.6"/>'
                )
            for i, (x, y, agents) in enumerate(points):
                # labels alternate above and below, so that close points stay readable
                dy = -6 if i % 2 == 0 else 13
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
                    f'<text x="{x + 6:.1f}" y="{y + dy:.1f}" fill="{colour}" '
                    f'font-size="10">{agents}</text>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axes(
    x_of: Callable[[float], float],
    y_of: Callable[[float], float],
    x_max: float,
    y_min: float,
    rate: float,
) -> list[str]:
    parts = [
        f'<rect width="{_PANEL_W}" height="{_PANEL_H}" fill="none" stroke="#333"/>',
        f'<text x="{_PANEL_W / 2}" y="-8" text-anchor="middle">'
        f"{escape(_pct(rate, 0))} of dials reach a person</text>",
        f'<text x="{_PANEL_W / 2}" y="{_PANEL_H + 36}" text-anchor="middle">abandoned, % of '
        "live answers over the day (0-2 % stretched)</text>",
        f'<text transform="translate(-48,{_PANEL_H / 2}) rotate(-90)" text-anchor="middle">'
        "occupancy, %</text>",
    ]
    ticks = [0.0, 0.005, 0.01, 0.015, 0.02]
    step = 0.02
    value = 0.04
    while value <= x_max + 1e-9:
        ticks.append(value)
        value += step
    for tick in ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{_PANEL_H}" x2="{x:.1f}" y2="{_PANEL_H + 5}" stroke="#333"/>'
            f'<text x="{x:.1f}" y="{_PANEL_H + 18}" text-anchor="middle" font-size="10">'
            f"{100 * tick:g}</text>"
        )
    cap = x_of(0.01)
    parts.append(
        f'<line x1="{cap:.1f}" y1="0" x2="{cap:.1f}" y2="{_PANEL_H}" stroke="#c0392b" '
        'stroke-dasharray="4,3"/>'
        f'<text x="{cap + 4:.1f}" y="12" fill="#c0392b" font-size="10">1 % cap</text>'
    )
    brk = x_of(0.02)
    parts.append(
        f'<line x1="{brk:.1f}" y1="0" x2="{brk:.1f}" y2="{_PANEL_H}" stroke="#bbb" '
        'stroke-dasharray="1,3"/>'
    )
    level = y_min
    while level <= 1.0 + 1e-9:
        y = y_of(level)
        parts.append(
            f'<line x1="-5" y1="{y:.1f}" x2="{_PANEL_W}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="-8" y="{y + 4:.1f}" text-anchor="end" font-size="10">'
            f"{100 * level:.0f}</text>"
        )
        level += 0.05
    return parts


if __name__ == "__main__":
    raise SystemExit(main())
