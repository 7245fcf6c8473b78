"""Property: over random households (on the register, the veille-sociale list, another
list, or several), consents (none, emergency campaigns, regular calls only, withdrawn,
given later) and selections of an emergency campaign (the register plus the veille-sociale
list, …), no household of the veille-sociale list without a valid consent to emergency
campaigns is ever planned in the emergency campaign, through any other selected list only;
the count before the start and the enrolment are the pure rule's
(:func:`dialer.core.selection.selects` with ``emergency``), and a household of that list
only whose consent is withdrawn after the enrolment is never taken (SQLite)."""

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
from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.planning import Cycle, RetryPolicy
from dialer.core.selection import Candidate, Selection, selection_to_json, selects
from dialer.storage import CampaignRepository, PacingMode, PersonRepository, SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import migrated_database, transaction
from dialer.storage.models import Campaign
from dialer.storage.people import encode_batch
from dialer.storage.schedule import open_cycle_with_register
from dialer.storage.selection import count_selected
from tests.storage.conftest import NOW, person
from tests.stored import person_by_external_id

WINDOWS = {"week": [["00:00-23:59"]] * 7, "holiday": []}
LISTS = ("registre", CONSENT_LIST, "autre")
_EXAMPLES = itertools.count()


@dataclass(frozen=True)
class Household:
    lists: frozenset[str]
    #: none, emergency (valid), regular calls only, emergency given later, withdrawn before
    consent: str
    #: withdrawn after the enrolment, before the queue takes anyone
    withdrawn_during: bool


@dataclass(frozen=True)
class Scenario:
    households: list[Household]
    selected: frozenset[str]  # empty: the whole register


households = st.builds(
    Household,
    lists=st.frozensets(st.sampled_from(LISTS), min_size=1),
    consent=st.sampled_from(["none", "emergency", "regular", "later", "withdrawn"]),
    withdrawn_during=st.booleans(),
)
scenarios = st.builds(
    Scenario,
    households=st.lists(households, min_size=1, max_size=6),
    selected=st.frozensets(st.sampled_from(LISTS)),
)


def _valid_emergency(someone: Household) -> bool:
    return someone.consent == "emergency"


async def _write_people(
    sessions: SessionFactory, keys: list[str], example: int, s: Scenario
) -> None:
    people = PersonRepository(sessions)
    records = {
        key: person(key, "Nom", f"+3314569{example % 1000:03d}{i}") for i, key in enumerate(keys)
    }
    written: set[str] = set()
    for name in LISTS:
        on = [key for key, h in zip(keys, s.households, strict=True) if name in h.lists]
        added = [records[k] for k in on if k not in written]
        changed = [records[k] for k in on if k in written]
        if on:
            await people.write_encoded(
                encode_batch(await people.dialect(), added, changed, now=NOW, list_name=name)
            )
        written.update(on)


def _record(key: str, someone: Household) -> ConsentRecord:
    return ConsentRecord(
        external_id=key,
        agreed_by=AgreedBy.PERSON,
        relative_name=None,
        agreed_at=NOW + timedelta(days=2)
        if someone.consent == "later"
        else NOW - timedelta(days=30),
        channel=ConsentChannel.PHONE,
        regular_calls=True,
        emergency_campaigns=someone.consent != "regular",
        collected_by="CCAS",
    )


async def _play(url: str, scenario: Scenario, example: int) -> None:
    async with migrated_database(url) as sessions:
        keys = [f"U{example}-{i}" for i in range(len(scenario.households))]
        pairs = list(zip(keys, scenario.households, strict=True))
        await _write_people(sessions, keys, example, scenario)
        ids = {}
        for key in keys:
            found = await person_by_external_id(sessions, key)
            assert found is not None
            ids[key] = found.id
        registry = ConsentRegistry(sessions)
        records = [_record(k, h) for k, h in pairs if h.consent != "none"]
        if records:
            await registry.record(records, actor="t", now=NOW - timedelta(days=1))
        gone = [WithdrawalRequest(k, AgreedBy.PERSON, ConsentChannel.PAPER) for k, h in pairs]
        before = [w for w, (_, h) in zip(gone, pairs, strict=True) if h.consent == "withdrawn"]
        if before:
            await registry.withdraw(before, actor="t", now=NOW - timedelta(hours=1))

        selection = Selection(lists=tuple(sorted(scenario.selected)))
        expected = {
            ids[k]
            for k, h in pairs
            if selects(
                selection,
                Candidate(h.lists, None, None, None, False, False, _valid_emergency(h)),
                day=NOW.date(),
                emergency=True,
            )
        }
        campaign = await CampaignRepository(sessions).create(
            name=f"U{example}-canicule",
            kind=CampaignKind.HEATWAVE,
            questionnaire_id="canicule",
            questionnaire_version="1",
            caller_id="+33140000000",
            pacing_mode=PacingMode.PROGRESSIVE,
            calling_windows=WINDOWS,
            retry_policy={},
            now=NOW,
        )
        async with transaction(sessions) as session:
            stored = await session.get(Campaign, campaign.id)
            assert stored is not None
            stored.selection = selection_to_json(selection)
        before_count = await count_selected(
            sessions, selection, day=NOW.date(), now=NOW, kind=CampaignKind.HEATWAVE
        )
        cycle, _ = await open_cycle_with_register(
            sessions,
            campaign.id,
            number=1,
            started_at=NOW,
            deadline=NOW + timedelta(days=1),
            due=NOW,
        )
        during = [w for w, (_, h) in zip(gone, pairs, strict=True) if h.withdrawn_during]
        if during:
            await registry.withdraw(during, actor="t", now=NOW)
        queue = CycleDialQueue(
            sessions,
            cycle_id=cycle.id,
            cycle=Cycle(NOW, NOW + timedelta(days=1)),
            windows=windows_from_json(WINDOWS),
            policy=RetryPolicy(),
        )
        taken = {d.person_id for d in await queue.take(5000, NOW)}
        mine = taken & set(ids.values())
        # enrolment and count are the pure rule's (the count covers earlier examples too)
        assert mine <= expected
        assert before_count >= len(expected)
        for key, someone in pairs:
            if ids[key] not in taken:
                continue
            # never a household of the veille-sociale list without a valid emergency
            # consent, unless another selected list (or the whole register) has it
            valid = _valid_emergency(someone) and not someone.withdrawn_during
            if CONSENT_LIST in someone.lists and not valid:
                others = someone.lists - {CONSENT_LIST}
                assert others
                assert not scenario.selected or others & scenario.selected
        # everyone expected is taken but those withdrawn meanwhile who came in through the
        # veille-sociale list only
        for key, someone in pairs:
            if ids[key] in expected and ids[key] not in taken:
                assert someone.withdrawn_during, (scenario, key)
                others = someone.lists - {CONSENT_LIST}
                assert CONSENT_LIST in someone.lists
                assert not others & scenario.selected if scenario.selected else not others


def test_no_veille_sociale_household_without_emergency_consent_in_an_emergency_campaign(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=scenarios)
    def check(scenario: Scenario) -> None:
        asyncio.run(_play(url, scenario, next(_EXAMPLES)))

    check()
