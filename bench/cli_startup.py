"""How quickly ``dialer --help`` and ``dialer --version`` answer:
``.venv/bin/python -m bench.cli_startup``.

Each command runs ``--runs`` times (10) in a fresh interpreter, as a person types it; the
table gives the median and the slowest wall-clock time, with a bare ``python -c pass`` for
reference (the interpreter's own start). Then ``python -X importtime`` lists the modules
that cost the most in ``dialer --help``. The target is 0.3 s for ``dialer --help``
(issue 23: it took 1.6 s when every command module was imported eagerly).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

ENTRY = "from dialer.cli import main; main()"
COMMANDS = (
    ("python -c pass", ["-c", "pass"]),
    ("dialer --help", ["-c", ENTRY, "--help"]),
    ("dialer --version", ["-c", ENTRY, "--version"]),
)


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], capture_output=True, check=True)
    return time.perf_counter() - started


def slowest_imports(count: int) -> list[tuple[int, str]]:
    """The ``count`` imports of ``dialer --help`` with the largest cumulative time (µs)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ENTRY, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    print("| command | median | slowest |")
    print("| --- | ---: | ---: |")
    for title, args in COMMANDS:
        times = [timed(args) for _ in range(options.runs)]
        print(f"| `{title}` | {statistics.median(times):.3f} s | {max(times):.3f} s |")
    print(f"\n{options.runs} runs each. Slowest imports of `dialer --help` (cumulative):\n")
    print("| module | time |")
    print("| --- | ---: |")
    for micros, module in slowest_imports(8):
        print(f"| `{module.strip()}` | {micros / 1000:.1f} ms |")


if __name__ == "__main__":
    main()
