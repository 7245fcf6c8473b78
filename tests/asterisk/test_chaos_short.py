"""``make chaos``, short (issue 19): a few faults of each kind during a real campaign on the
rig, the same code as the full run (:mod:`dialer.rig.chaos`); every invariant must hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.rig.asterisk import Rig
from dialer.rig.chaos.faults import Kind, short_plan
from dialer.rig.chaos.run import RunOptions, run_chaos
from dialer.rig.world import SimulatedWorld


@pytest.mark.asyncio
async def test_a_short_chaos_run_on_sqlite_loses_and_duplicates_nothing(
    rig: Rig, world: SimulatedWorld, tmp_path: Path
) -> None:
    plan = short_plan("sqlite")
    report = tmp_path / "reliability.md"

    verdict = await run_chaos(rig, world, RunOptions("sqlite", 19, plan, True, report))

    assert {f.kind for f in verdict.figures} == {k.value for k in plan.counts}
    assert len(verdict.figures) == sum(plan.counts.values())
    assert Kind.DISK_FULL.value in {f.kind for f in verdict.figures}
    assert verdict.totals["CDR outbound calls"] > 0
    assert verdict.totals["sheets submitted (robots)"] > 0
    assert {name: found for name, found in verdict.found.items() if found} == {}
    assert "**PASSED**" in report.read_text(encoding="utf-8")
