"""``make bench``: every benchmark in one run, written to ``docs/benchmarks.md``.

- the pacing simulator (our pacer against progressive and VICIdial-style pacing),
- register import speed and memory (10,500, 1,000,000 and 2,000,000 rows),
- what refusing hostile register files costs (a workbook declaring ``A1:XFD8001``, a
  shared-strings bomb, a ZIP bomb, a million rows) beside a normal 10,500-row register,
- the real-Asterisk measurements (answer → join, join → screen pop, capacity, controller
  CPU and memory), and answer → join with the agent's phone in the page (WebRTC) beside a
  softphone's,
- the controller's memory holding a campaign over a 100,000-person register,
- the time from « Démarrer depuis l'alerte » to the first dial, with a 10,500-person
  register,
- the engine's reaction to an answered person with and without a flood of wrong logins,
- the ledger's lag behind 400 people answering at once, batched and one write each,
- how quickly ``dialer --help`` answers (the command modules are imported lazily),
- the per-person results export (CSV, XLSX) of a 10,500-person cycle: time, peak memory,
  the event loop's share,
- the campaign report of a 10,500-person cycle: its time and the event loop's stalls.

Not in this run: ``make chaos`` (``python -m dialer.rig.chaos``: faults at seeded instants
during a real campaign, on SQLite and PostgreSQL, written to ``docs/reliability.md``), run
on its own under ``flock /tmp/rig.lock``.

Each runs in its own process (its peak memory is its own); the machine is described at the
top. Benchmarks measure; they never pass or fail a build.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BENCHMARKS = (
    ("Pacing simulator", ["-m", "bench.pacing"]),
    ("Register import", ["-m", "bench.register_import"]),
    ("Hostile register files", ["-m", "bench.register_files"]),
    ("Real Asterisk: join latency, screen pop, capacity", ["-m", "bench.telephony"]),
    ("Join latency with the phone in the page (WebRTC)", ["-m", "bench.webphone_join"]),
    ("Controller memory with a 100,000-person register", ["-m", "bench.controller_memory"]),
    ("From the alert to the first dial", ["-m", "bench.alert_to_dial"]),
    ("The engine's reaction under a login flood", ["-m", "bench.login_flood"]),
    ("Ledger writes under a burst of 400 answers", ["-m", "bench.ledger_burst"]),
    ("Command-line start-up (dialer --help)", ["-m", "bench.cli_startup"]),
    ("Per-person results of a 10,500-person cycle", ["-m", "bench.person_results"]),
    (
        "The campaign report of a 10,500-person cycle and the event loop",
        ["-m", "bench.report_stall"],
    ),
)


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.0f} GiB, "
        f"{platform.platform()}, Python {platform.python_version()}"
    )


def main() -> int:
    sections = [
        "# Benchmarks\n",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n",
        f"Machine: {machine()}.\n",
    ]
    failed = 0
    for title, args in BENCHMARKS:
        started = time.monotonic()
        print(f"== {title}", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        sys.stderr.write(done.stderr[-4000:])
        body = done.stdout.strip() or "(no output)"
        if done.returncode != 0:
            failed += 1
            body += f"\n\n**This benchmark failed (exit {done.returncode}):**\n\n```\n"
            body += done.stderr.strip()[-3000:] + "\n```"
        sections.append(f"## {title}\n\n_{seconds:.0f} s._\n\n{body}\n")
    OUT.write_text("\n".join(sections), encoding="utf-8")
    print(f"written: {OUT}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
