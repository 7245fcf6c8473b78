"""The own volunteer of a household that calls in, looked up in storage (SQLite and
PostgreSQL) through the campaign's inbound desk: the account it is assigned to (``dialer
volunteers assign``), else the trained volunteer who last talked to it, else nobody; the
same answer as the pure rule :func:`dialer.core.own_volunteer.own_volunteer`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from dialer.campaigns.inbound import CycleInboundDesk
from dialer.campaigns.rules import windows_from_json
from dialer.storage.database import migrated_database
from dialer.storage.schedule import open_cycle_with_register
from tests.storage.conftest import NOW
from tests.storage.test_account_cli import database, run_main
from tests.storage.test_consent_property import WINDOWS
from tests.storage.test_volunteer_desk import _scene

__all__ = ["database"]


async def _cycle(url: str, campaign_id: int) -> int:
    async with migrated_database(url) as sessions:
        cycle, _ = await open_cycle_with_register(
            sessions,
            campaign_id,
            number=1,
            started_at=NOW,
            deadline=NOW + timedelta(days=1),
            due=NOW,
        )
        return cycle.id


async def _own(url: str, cycle_id: int, callers: list[str]) -> list[str | None]:
    async with migrated_database(url) as sessions:
        desk = CycleInboundDesk(sessions, cycle_id=cycle_id, windows=windows_from_json(WINDOWS))
        return [await desk.household_volunteer(c, at=NOW) for c in callers]


def test_a_caller_s_own_volunteer_is_assigned_else_the_last_one_else_nobody(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(_scene(database))  # ana talked to H2 in an earlier campaign
    veille = str(ids["veille"])
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H1", "bea")
    assert code == 0, out
    cycle_id = asyncio.run(_cycle(database, ids["veille"]))
    callers = ["0145680000", "+33145680001", "33145680002", "0199999999", "masqué"]
    # H1 assigned to bea; H2: ana (continuity); H3: nobody; numbers on no register: nobody
    assert asyncio.run(_own(database, cycle_id, callers)) == ["bea", "ana", None, None, None]
    code, out = run_main(monkeypatch, capsys, "volunteers", "assign", veille, "H2", "bea")
    assert code == 0, out
    [h2] = asyncio.run(_own(database, cycle_id, ["+33145680001"]))
    assert h2 == "bea"  # the assignment wins over continuity
