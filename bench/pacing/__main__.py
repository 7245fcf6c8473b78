"""Run the pacing grid: policies x team sizes x answer rates, one simulated day each.

``python -m bench.pacing`` prints markdown tables, writes ``bench/results/pacing.md`` and the
plot ``docs/pacing-occupancy.svg`` (and a PNG beside the results if matplotlib is
importable). ``--quick`` runs a small grid and writes nothing.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from xml.sax.saxutils import escape

from bench.pacing.model import CalleeModel
from bench.pacing.simulator import CorePolicy, Policy, SimulationResult, SimulationSetup, simulate
from bench.pacing.vicidial import VicidialAdaptHardLimit
from dialer.core.pacing import PacingConfig, PacingMode

POLICIES = ("progressive", "predictive", "vicidial", "vicidial-dials")
TEAMS = (5, 10, 20, 50)
LIVE_RATES = (0.30, 0.55)
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "pacing.md"
PLOT = ROOT / "docs" / "pacing-occupancy.svg"

Job = tuple[str, int, float, float, int]


def make_policy(name: str) -> Policy:
    if name == "progressive":
        return CorePolicy(PacingConfig(mode=PacingMode.PROGRESSIVE))
    if name == "predictive":
        return CorePolicy(PacingConfig(mode=PacingMode.PREDICTIVE))
    if name == "vicidial":
        return VicidialAdaptHardLimit()
    if name == "vicidial-dials":
        return VicidialAdaptHardLimit(drops_of_dials=True, name=name)
    raise ValueError(f"unknown policy {name!r}")


def cell_seed(base: int, agents: int, live_rate: float) -> int:
    """One seed per cell, the same for every policy (they meet the same people)."""
    return base * 100_000 + agents * 1000 + round(live_rate * 100)


def run_job(job: Job) -> SimulationResult:
    policy, agents, live_rate, hours, seed = job
    setup = SimulationSetup(
        agents=agents, model=CalleeModel(live_rate=live_rate), hours=hours, seed=seed
    )
    return simulate(setup, make_policy(policy))


def jobs_for(
    teams: Sequence[int], rates: Sequence[float], hours: float, base_seed: int
) -> list[Job]:
    jobs = [
        (policy, agents, rate, hours, cell_seed(base_seed, agents, rate))
        for rate in rates
        for agents in teams
        for policy in POLICIES
    ]
    # the slowest first (predictive, big teams), so two processes finish together
    return sorted(jobs, key=lambda job: (job[0] != "predictive", -job[1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pacing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 and 50 agents, 2 h, 0.30 only")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=None, help="length of the day")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    teams, rates = ((10, 50), (0.30,)) if args.quick else (TEAMS, LIVE_RATES)
    hours = args.hours if args.hours is not None else (2.0 if args.quick else 8.0)
    jobs = jobs_for(teams, rates, hours, args.seed)
    started = time.perf_counter()
    if args.processes > 1:
        with multiprocessing.Pool(args.processes) as pool:
            results = pool.map(run_job, jobs, chunksize=1)
    else:
        results = [run_job(job) for job in jobs]
    elapsed = time.perf_counter() - started
    command = "python -m bench.pacing" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    report = markdown_report(
        results,
        command=command,
        elapsed=elapsed,
        processes=args.processes,
        base_seed=args.seed,
        model=CalleeModel(),
    )
    print(report)
    for line in goal_lines(results):
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


def goal_lines(results: Sequence[SimulationResult]) -> list[str]:
    """One line per cell: does predictive beat progressive at <= 1 % over the day, with the
    running rate never above 1 %? And the 92 % target at 10 agents, 30 %."""
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
                target = pred.occupancy >= 0.92
                lines.append(
                    f"{'MET' if target else 'NOT MET'}: 10 agents, 30 % live: predictive "
                    f"occupancy {_pct(pred.occupancy)} against the 92 % target"
                )
    return lines


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
    *,
    command: str,
    elapsed: float,
    processes: int,
    base_seed: int,
    model: CalleeModel,
) -> str:
    hours = sorted({r.hours for r in results})
    m = {f.name: getattr(model, f.name) for f in fields(model) if f.name != "live_rate"}
    out = [
        "# Pacing bench: agent occupancy against abandoned calls",
        "",
        f"Generated by `{command}`: {len(results)} simulated days of "
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
        "- **vicidial**: VICIdial's ADAPT_HARD_LIMIT adaptive dial level with its defaults "
        "(bench/pacing/vicidial.py), its hard limit on drops as a share of human answers "
        "(VICIdial 2.14's AST_VDadapt.pl).",
        "- **vicidial-dials**: the same with the drop rate as a share of all dials (the "
        "\"DROPPED PERCENT\" of VICIdial's real-time screen, and the hard limit's base before "
        "answers were counted): 3 % of dials is 10 % of live answers at 30 %.",
        "",
    ]
    for rate in sorted({r.live_rate for r in results}):
        out += [f"## Results: {_pct(rate, 0)} of dials reach a person", ""]
        out += results_table(results, rate)
        out.append("")
    out += ["## Goal check", ""]
    out += [f"- {line}" for line in goal_lines(results)]
    out += ["", "## VICIdial's dial level", ""]
    out += vicidial_table(results)
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- plot

_COLOURS = {
    "progressive": "#6b6b6b",
    "predictive": "#1f5fbf",
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
