"""The rig of a demo (``make demo``, ``dialer demo --mode veille-sociale``): its settings
and the local Asterisk with the simulated world, started for the demo's length."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from dialer.rig.asterisk import Rig
from dialer.rig.world import SimulatedWorld
from dialer.settings import CycleSettings, Settings
from dialer.telephony.ami import AmiClient

#: a demo's retries within seconds (the heatwave demo's episode: two cycles of half the
#: demo's time each, ``--minutes``); the service applies them to the templates' cycles
DEMO_CYCLES = CycleSettings(
    max_attempts=2,
    busy_delay_min=20 / 60,
    no_answer_delay_min=0.5,
    failure_delay_min=0.5,
    answered_delay_min=0.5,
    min_gap_min=10 / 60,
    time_of_day_spread_min=0,
    ring_allowance_min=0.5,
    check_s=2,
    callback_grace_min=0.5,  # then a robot's callback goes to any robot
)


def demo_settings(settings: Settings, agents: int, port: int, database: Path) -> Settings:
    """The settings of a demo: ``agents`` softphones on the rig, its own SQLite database,
    the service on 127.0.0.1:``port`` without secure cookies."""
    return settings.model_copy(
        update={
            "rig": settings.rig.model_copy(update={"agents": agents}),
            "database_url": f"sqlite+aiosqlite:///{database}",
            "web": settings.web.model_copy(
                update={"host": "127.0.0.1", "port": port, "secure_cookies": False,
                        "public_url": f"http://127.0.0.1:{port}"}
            ),
        }
    )  # fmt: skip


@contextlib.asynccontextmanager
async def demo_rig(
    settings: Settings, say: Callable[[str], None]
) -> AsyncIterator[tuple[Rig, SimulatedWorld]]:
    """The local Asterisk provisioned and started (stopped after, if started here) and the
    simulated world (sipp callees, the agents' softphones registered)."""
    rig = Rig(settings)
    report = await asyncio.to_thread(rig.provision)
    say(
        f"Asterisk : {report.asterisk_version} "
        f"({'installé' if report.built_chroot else 'réutilisé'})."
    )
    started_now = await rig.start()
    world = SimulatedWorld(rig)
    world.start()
    try:
        async with AmiClient(rig.ami_credentials()) as ami:
            registered = await world.wait_registered(ami)
            say(f"{len(registered)} softphones d'agents enregistrés, vus par AMI.")
        yield rig, world
    finally:
        world.stop()
        if started_now:
            await rig.stop()
            say("Asterisk arrêté proprement.")
