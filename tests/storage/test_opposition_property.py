"""Property: over random registers, campaigns and oppositions (recorded before or during
a cycle, some lifted), no attempt is ever planned for an opposed person, by the automatic
queue or an agent's claim, and everyone else is (SQLite; the rule is
:func:`dialer.core.holds.may_be_dialled`)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import windows_from_json
from dialer.core.campaigns import CampaignKind
from dialer.core.holds import Hold, may_be_dialled
from dialer.core.planning import Cycle, RetryPolicy
from dialer.storage import CampaignRepository, PacingMode, PersonRepository, SessionFactory
from dialer.storage.database import migrated_database
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.storage.schedule import open_cycle_with_register
from tests.storage.conftest import NOW, person
from tests.stored import person_by_external_id

WINDOWS = {"week": [["00:00-23:59"]] * 7, "holiday": []}
_EXAMPLES = itertools.count()
#: every example shares one database: the people opposed by the earlier ones stay opposed
_OPPOSED_SO_FAR: set[int] = set()


@dataclass(frozen=True)
class Someone:
    opposed_before: bool
    lifted: bool
    opposed_during: bool


@dataclass(frozen=True)
class Scenario:
    people: list[Someone]
    #: per campaign: does an agent claim (preview) or the automatic queue take?
    campaigns: list[bool]


scenarios = st.builds(
    Scenario,
    people=st.lists(
        st.builds(Someone, st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=6
    ),
    campaigns=st.lists(st.booleans(), min_size=1, max_size=3),
)


async def _campaign(sessions: SessionFactory, name: str) -> int:
    campaign = await CampaignRepository(sessions).create(
        name=name,
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows=WINDOWS,
        retry_policy={},
        now=NOW,
    )
    return campaign.id


async def _play(url: str, scenario: Scenario, example: int) -> None:
    async with migrated_database(url) as sessions:
        keys = [f"E{example}-{i}" for i in range(len(scenario.people))]
        await PersonRepository(sessions).write_batch(
            [person(key, "Nom", f"+3314567{example % 1000:03d}{i}") for i, key in enumerate(keys)],
            [],
            now=NOW,
        )
        holds = PersonHolds(sessions)
        ids = {}
        for key in keys:
            found = await person_by_external_id(sessions, key)
            assert found is not None
            ids[key] = found.id
        before = [k for k, p in zip(keys, scenario.people, strict=True) if p.opposed_before]
        if before:
            await holds.oppose([OppositionRequest(k, "avant") for k in before], actor="t", now=NOW)
        for key, someone in zip(keys, scenario.people, strict=True):
            if someone.opposed_before and someone.lifted:
                await holds.lift(key, reason="levée", actor="t", now=NOW)
        queues = []
        for number, preview in enumerate(scenario.campaigns):
            campaign_id = await _campaign(sessions, f"E{example}-campagne-{number}")
            cycle, _ = await open_cycle_with_register(
                sessions,
                campaign_id,
                number=1,
                started_at=NOW,
                deadline=NOW + timedelta(days=1),
                due=NOW,
            )
            queues.append(
                (
                    preview,
                    CycleDialQueue(
                        sessions,
                        cycle_id=cycle.id,
                        cycle=Cycle(NOW, NOW + timedelta(days=1)),
                        windows=windows_from_json(WINDOWS),
                        policy=RetryPolicy(),
                        every_call_reserved=preview,
                    ),
                )
            )
        during = [k for k, p in zip(keys, scenario.people, strict=True) if p.opposed_during]
        if during:
            await holds.oppose(
                [OppositionRequest(k, "pendant") for k in during], actor="t", now=NOW
            )

        opposed = set()
        for key in keys:
            history = [
                Hold(h.kind, h.recorded_at, h.until, h.fingerprint, h.lifted_at)
                for h in await holds.history(key)
            ]
            if not may_be_dialled(history, now=NOW, fingerprint=""):
                opposed.add(ids[key])
        expected = set(ids.values()) - opposed
        # the storage's rule and the core's say the same
        assert opposed == {
            ids[k]
            for k, p in zip(keys, scenario.people, strict=True)
            if (p.opposed_before and not p.lifted) or p.opposed_during
        }
        for preview, queue in queues:
            planned = []
            if preview:
                while (claimed := await queue.claim("agent-1", NOW)) is not None:
                    planned.append(claimed.person_id)
            else:
                planned = [dial.person_id for dial in await queue.take(50, NOW)]
            assert not set(planned) & (opposed | _OPPOSED_SO_FAR)
            assert sorted(p for p in planned if p in ids.values()) == sorted(expected)
        _OPPOSED_SO_FAR.update(opposed)


def test_no_attempt_is_ever_planned_for_an_opposed_person(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=scenarios)
    def check(scenario: Scenario) -> None:
        asyncio.run(_play(url, scenario, next(_EXAMPLES)))

    check()
