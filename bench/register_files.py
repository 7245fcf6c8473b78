"""Benchmark of hostile register files: ``.venv/bin/python -m bench.register_files``.

What it costs the service to refuse what an attacker uploads (:mod:`bench.hostile_files`:
a workbook declaring ``A1:XFD8001``, a shared-strings bomb, a ZIP bomb, a workbook whose
archive lies about its sizes, a million rows), and to import a normal 10,500-row register
(CSV, and the same as XLSX). Each file goes through :func:`import_register` (what the
upload page, the API and ``dialer register import`` call) into a fresh SQLite database,
in its own process, so the peak RSS (``ru_maxrss``) is that import's own; "before" is the
RSS of that process once everything is imported and the database created, just before
the import. "Loop lag" is the longest an event-loop ticker (every 10 ms) waited past its
time during the import: the service's own reactions wait as long.

Options: ``--keep DIR`` to keep the generated files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]

from bench import hostile_files as hostile
from bench.register_import import generate
from dialer.errors import DialerError
from dialer.register import import_register
from dialer.storage import create_engine, create_session_factory, migrate_engine

_TICK = 0.01


def normal_xlsx(path: Path, csv_path: Path) -> Path:
    """The CSV register ``csv_path`` as a workbook (written by openpyxl, as Excel would)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Registre")
    with csv_path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            sheet.append(line.rstrip("\r\n").split(";"))
    workbook.save(path)
    return path


def _normal_csv(path: Path) -> Path:
    generate(path, 10_500)
    return path


CASES: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "declared-xfd": (
        "4.7 KB-style workbook declaring A1:XFD8001, a value in column XFD",
        lambda path: hostile.declared_as_wide_as_excel(path, value_in_last_column=True),
    ),
    "declared-xfd-ok": (
        "workbook declaring A1:XFD8001, header at row 8000 (read, not padded)",
        lambda path: hostile.declared_as_wide_as_excel(path, value_in_last_column=False),
    ),
    "shared-strings-bomb": ("shared-strings bomb, 4,000,000 strings", hostile.shared_strings_bomb),
    "many-shared-strings": (
        "1,100,000 different shared strings",
        lambda path: hostile.many_shared_strings(path, 1_100_000),
    ),
    "zip-bomb": ("ZIP bomb, a 64 MiB sheet", hostile.zip_bomb),
    "lying-sizes": ("archive declaring a 2 GiB sheet", hostile.lying_sizes),
    "many-parts": ("archive of 70,000 parts", hostile.many_parts),
    "million-rows": ("workbook of 1,000,000 rows", hostile.many_rows),
    "normal-csv": ("normal register, 10,500 rows, CSV", _normal_csv),
}


async def _import(path: Path, database: Path) -> dict[str, object]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    lag = 0.0
    running = True

    async def ticker() -> None:
        nonlocal lag
        while running:
            due = time.perf_counter() + _TICK
            await asyncio.sleep(_TICK)
            lag = max(lag, time.perf_counter() - due)

    try:
        await migrate_engine(engine)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ticking = asyncio.create_task(ticker())
        started = time.perf_counter()
        try:
            report = await import_register(
                create_session_factory(engine), path, now=datetime.now(UTC), name=path.name
            )
            outcome = f"imported: {report.read:,} read, {report.added:,} added"
        except DialerError as exc:
            outcome = f"refused: {exc}"
        seconds = time.perf_counter() - started
        running = False
        await ticking
    finally:
        await engine.dispose()
    return {
        "seconds": seconds,
        "outcome": outcome,
        "before_mib": before,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lag_ms": lag * 1000,
    }


def _child(case: str, directory: Path) -> None:
    path = directory / f"{case}.{'csv' if case.endswith('csv') else 'xlsx'}"
    result = asyncio.run(_import(path, directory / f"{case}.db"))
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "DIR"), help="internal")
    options = parser.parse_args(argv)
    if options.child:
        _child(options.child[0], Path(options.child[1]))
        return
    lines = [
        "| file | size | seconds | loop lag (ms) | RSS before (MiB) | peak RSS (MiB) | outcome |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="register-files-bench-") as scratch:
        directory = options.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        cases = dict(CASES)
        normal = directory / "normal-csv.csv"
        cases["normal-xlsx"] = (
            "normal register, 10,500 rows, XLSX",
            lambda path: normal_xlsx(path, normal),
        )
        for case, (label, build) in cases.items():
            path = build(directory / f"{case}.{'csv' if case.endswith('csv') else 'xlsx'}")
            done = subprocess.run(
                [sys.executable, "-m", "bench.register_files", "--child", case, str(directory)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            outcome = str(result["outcome"]).replace("|", "\\|")
            lines.append(
                f"| {label} | {path.stat().st_size / 1024:,.0f} KiB | {result['seconds']:.2f} "
                f"| {result['lag_ms']:.0f} | {result['before_mib']:.0f} "
                f"| {result['peak_mib']:.0f} | {outcome} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
