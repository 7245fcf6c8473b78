"""The consenting households in an emergency campaign, through the HTTP API, on SQLite and
PostgreSQL: a selection of the register plus the veille-sociale list counts, before the
start, the register as usual and of the veille-sociale list only the households with a
valid consent to emergency campaigns (not those who agreed to regular calls only, never
agreed, or withdrew)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from tests.stored import consenting_households
from tests.web.steering_support import SteerRig, steer
from tests.web.test_lists_and_selection import count, database_url, selection_path, sessions

pytestmark = pytest.mark.asyncio
__all__ = ["database_url", "sessions", "steer"]


async def households(steer: SteerRig) -> None:
    """VS1 agreed to emergency campaigns, VS2 to regular calls only, VS3 never agreed, VS4
    withdrew."""
    now = steer.clock()
    await consenting_households(
        steer.sessions,
        {"VS1": (True, True), "VS2": (True, False), "VS3": None, "VS4": (True, True)},
        now=now,
    )
    registry = ConsentRegistry(steer.sessions)
    await registry.withdraw(
        [WithdrawalRequest("VS4", AgreedBy.PERSON, ConsentChannel.PHONE)],
        actor="cli:ville",
        now=now - timedelta(days=1),
    )


async def test_the_count_before_the_start_takes_only_the_emergency_consents(
    steer: SteerRig,
) -> None:
    register = await count(steer, {"lists": ["registre"]})
    await households(steer)
    assert await count(steer, {"lists": ["registre"]}) == register
    assert await count(steer, {"lists": ["registre", CONSENT_LIST]}) == register + 1
    assert await count(steer, {"lists": [CONSENT_LIST]}) == 1
    assert await count(steer, {}) == register + 1  # the whole register: VS1 only of them
    chosen = await steer.http.put(
        selection_path(steer),
        json={"selection": {"lists": ["registre", CONSENT_LIST]}},
        headers=steer.auth("superviseur"),
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["count"] == register + 1
