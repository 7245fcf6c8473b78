"""The simulated world around the rig's Asterisk: called people and agents' softphones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from dialer.errors import RigError
from dialer.rig.asterisk import Rig
from dialer.rig.callees import AGENT_FARM, SippUas
from dialer.rig.softphones import Softphone
from dialer.telephony.ami import AmiClient
from dialer.telephony.queries import contact_statuses

SOFTPHONE_HOST = "127.0.0.1"


class SimulatedWorld:
    def __init__(self, rig: Rig) -> None:
        settings = rig.settings
        self.callees = SippUas(
            host=settings.trunk.host,
            port=settings.trunk.port,
            log_dir=rig.root / "world",
            log_messages=True,
        )
        self.agent_farm = (
            SippUas(
                host=SOFTPHONE_HOST,
                port=settings.rig.agent_farm_port,
                log_dir=rig.root / "world",
                scenario=AGENT_FARM,
            )
            if settings.rig.bench_agents
            else None
        )
        self.softphones = [
            Softphone(
                account,
                host=SOFTPHONE_HOST,
                port=settings.rig.softphone_first_port + 2 * index,  # baresip also binds port+1
                registrar_host=settings.sip.bind_host,
                registrar_port=settings.sip.port,
                state_dir=rig.root / "softphones",
            )
            for index, account in enumerate(rig.agent_accounts())
        ]

    def start(self) -> None:
        self.callees.start()
        if self.agent_farm is not None:
            self.agent_farm.start()
        for phone in self.softphones:
            phone.start()

    def stop(self) -> None:
        for phone in self.softphones:
            phone.stop()
        self.callees.stop()
        if self.agent_farm is not None:
            self.agent_farm.stop()

    async def wait_registered(
        self, ami: AmiClient, usernames: Iterable[str] | None = None, timeout_s: float = 15.0
    ) -> dict[str, str]:
        """Wait until every named softphone (default: all) is registered and reachable."""
        wanted = set(usernames or (p.account.username for p in self.softphones))
        deadline = time.monotonic() + timeout_s
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            statuses = await contact_statuses(ami)
            if all(_registered(statuses.get(name)) for name in wanted):
                return statuses
            await asyncio.sleep(0.2)
        missing = sorted(name for name in wanted if not _registered(statuses.get(name)))
        raise RigError(f"softphones not registered within {timeout_s:.0f} s: {missing}")


def _registered(status: str | None) -> bool:
    """A contact exists (the phone registered) and the last qualify did not fail."""
    return status is not None and status not in {"Unavailable", "Unreachable"}
