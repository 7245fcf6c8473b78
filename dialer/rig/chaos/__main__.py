"""``python -m dialer.rig.chaos [--database sqlite|postgresql] [--short] [--report PATH]``
(the Makefile's ``chaos``; run it alone on the rig: ``flock /tmp/rig.lock …``).

Exit status 1 when an invariant fails. ``--serve`` is the controller's own process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from dialer.rig.asterisk import Rig
from dialer.rig.chaos.faults import full_plan, short_plan
from dialer.rig.chaos.processes import AGENTS, serve
from dialer.rig.chaos.run import RunOptions, run_chaos
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings


async def chaos(options: RunOptions) -> int:
    rig = Rig(Settings(rig={"agents": AGENTS}))  # type: ignore[arg-type]
    await asyncio.to_thread(rig.provision)
    started_rig = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    try:
        verdict = await run_chaos(rig, world, options)
    finally:
        world.stop()
        if started_rig:
            await rig.stop()
    return 0 if verdict.passed else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dialer.rig.chaos", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--short", action="store_true", help="a few faults of each kind (CI)")
    parser.add_argument("--report", type=Path, help="write this file (docs/reliability.md)")
    parser.add_argument("--serve", nargs=4, metavar=("DATABASE_URL", "WEB", "AMI", "CAMPAIGN"))
    args = parser.parse_args()
    if args.serve:
        url, web, ami, campaign = args.serve
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(url, int(web), int(ami), int(campaign)))
        return 0
    plan = (short_plan if args.short else full_plan)(args.database)
    options = RunOptions(args.database, args.seed, plan, args.short, args.report)
    return asyncio.run(chaos(options))


if __name__ == "__main__":
    raise SystemExit(main())
