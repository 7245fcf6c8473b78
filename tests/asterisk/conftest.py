"""The real-Asterisk tier: one rig for the session (Asterisk 22 in its chroot, sipp callees,
baresip agents), a clean AMI session per test.

Every test in this folder is marked ``asterisk``. The rig is provisioned if needed (root,
debootstrap); without root the tests fail, they are never skipped quietly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.rig.asterisk import Rig, hang_up_everything
from dialer.rig.callees import SippUas
from dialer.rig.world import SimulatedWorld
from dialer.settings import Settings
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_transfers import AGENT
from tests.asterisk.transfer_rig import Setup, transfer_service


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.asterisk)


@pytest.fixture(scope="session")
def rig_settings() -> Settings:
    return Settings(rig={"agents": 5})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def rig(rig_settings: Settings) -> Iterator[Rig]:
    """A running rig Asterisk for the whole session (reused if one already runs)."""
    if os.geteuid() != 0:
        pytest.fail("the real-Asterisk tier needs root (debootstrap, chroot); run `make test`")
    the_rig = Rig(rig_settings)
    the_rig.provision()
    started_now = asyncio.run(the_rig.start())
    yield the_rig
    if started_now or the_rig.spawned_running:  # a test may have restarted it
        asyncio.run(the_rig.stop())


@pytest.fixture(scope="session")
def world(rig: Rig) -> Iterator[SimulatedWorld]:
    """sipp playing the called people and one baresip per agent, for the whole session."""
    simulated = SimulatedWorld(rig)
    simulated.start()
    yield simulated
    simulated.stop()


@pytest_asyncio.fixture
async def ami(rig: Rig, world: SimulatedWorld) -> AsyncIterator[AmiClient]:
    """A fresh AMI session on a rig with no call in progress."""
    async with AmiClient(rig.ami_credentials()) as client:
        await hang_up_everything(client)
        yield client
        await hang_up_everything(client)


@pytest.fixture
def speaking_people(world: SimulatedWorld) -> Iterator[SippUas]:
    """The world's callees swapped, for the test's length, for ones that speak (sipp
    echoes the audio it receives), so RTP flows both ways on every trunk leg."""
    speaking = SippUas(
        host=world.callees.host,
        port=world.callees.port,
        log_dir=world.callees.log_dir,
        name="callee-echo",
        rtp_echo=True,
    )
    world.callees.stop()
    speaking.start()
    yield speaking
    speaking.stop()
    world.callees.start()


@pytest_asyncio.fixture
async def transfer_setup(
    speaking_people: SippUas,
    world: SimulatedWorld,
    ami: AmiClient,
    rig: Rig,
    rig_settings: Settings,
    tmp_path: Path,
) -> Setup:
    """The transfer tests' service (``transfer_rig.transfer_service``): agent-1001
    registered, one speaking person, the 15 offered."""
    await world.wait_registered(ami, [AGENT])
    return await transfer_service(rig_settings, rig, tmp_path)
