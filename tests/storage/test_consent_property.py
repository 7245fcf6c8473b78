"""Property: over random households and consents (none, regular calls, emergency only,
given later, withdrawn before or during a cycle), no attempt is ever planned in a
veille-sociale campaign for a household without a valid consent to regular calls, by the
automatic queue or a volunteer's claim, and every consenting household is; a campaign of
another kind is not affected (SQLite; the rule is :func:`dialer.core.consent.may_be_called`)."""

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
from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.core.planning import Cycle, RetryPolicy
from dialer.storage import CampaignRepository, PacingMode, PersonRepository, SessionFactory
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import migrated_database
from dialer.storage.ledger import AttemptLedger
from dialer.storage.schedule import open_cycle_with_register
from tests.storage.conftest import NOW, person
from tests.stored import person_by_external_id

WINDOWS = {"week": [["00:00-23:59"]] * 7, "holiday": []}
_EXAMPLES = itertools.count()
#: every example shares one database: the households of earlier examples stay as they were
_NEVER_SO_FAR: set[int] = set()


@dataclass(frozen=True)
class Household:
    consents: bool
    regular: bool
    emergency: bool
    #: the consent is dated after the cycle starts (not valid yet)
    later: bool
    withdrawn_before: bool
    withdrawn_during: bool


@dataclass(frozen=True)
class Scenario:
    households: list[Household]
    #: per campaign: (veille sociale?, a volunteer claims (preview) or the automatic queue?)
    campaigns: list[tuple[bool, bool]]


scenarios = st.builds(
    Scenario,
    households=st.lists(
        st.builds(Household, *(st.booleans() for _ in range(6))), min_size=1, max_size=6
    ),
    campaigns=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=3),
)


async def _campaign(sessions: SessionFactory, name: str, volunteer: bool) -> int:
    campaign = await CampaignRepository(sessions).create(
        name=name,
        kind=CampaignKind.VEILLE_SOCIALE if volunteer else CampaignKind.HEATWAVE,
        questionnaire_id="veille_sociale" if volunteer else "canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PREVIEW if volunteer else PacingMode.PROGRESSIVE,
        calling_windows=WINDOWS,
        retry_policy={},
        now=NOW,
    )
    return campaign.id


def _record(key: str, someone: Household) -> ConsentRecord:
    return ConsentRecord(
        external_id=key,
        agreed_by=AgreedBy.PERSON,
        relative_name=None,
        agreed_at=NOW + timedelta(days=2) if someone.later else NOW - timedelta(days=30),
        channel=ConsentChannel.PHONE,
        regular_calls=someone.regular,
        emergency_campaigns=someone.emergency or not someone.regular,
        collected_by="CCAS",
    )


def _withdrawal(key: str) -> WithdrawalRequest:
    return WithdrawalRequest(key, AgreedBy.PERSON, ConsentChannel.PAPER)


async def _consents_before(registry: ConsentRegistry, pairs: list[tuple[str, Household]]) -> None:
    records = [_record(k, h) for k, h in pairs if h.consents]
    if records:
        await registry.record(records, actor="t", now=NOW - timedelta(days=1))
    before = [_withdrawal(k) for k, h in pairs if h.withdrawn_before]
    if before:
        await registry.withdraw(before, actor="t", now=NOW - timedelta(hours=1))


async def _play(url: str, scenario: Scenario, example: int) -> None:
    async with migrated_database(url) as sessions:
        keys = [f"C{example}-{i}" for i in range(len(scenario.households))]
        pairs = list(zip(keys, scenario.households, strict=True))
        await PersonRepository(sessions).write_batch(
            [person(k, "Nom", f"+3314568{example % 1000:03d}{i}") for i, k in enumerate(keys)],
            [],
            now=NOW,
        )
        ids = {}
        for key in keys:
            found = await person_by_external_id(sessions, key)
            assert found is not None
            ids[key] = found.id
        registry = ConsentRegistry(sessions)
        await _consents_before(registry, pairs)
        queues = []
        for number, (volunteer, preview) in enumerate(scenario.campaigns):
            campaign_id = await _campaign(sessions, f"C{example}-campagne-{number}", volunteer)
            cycle, _ = await open_cycle_with_register(
                sessions,
                campaign_id,
                number=1,
                started_at=NOW,
                deadline=NOW + timedelta(days=1),
                due=NOW,
            )
            queue = CycleDialQueue(
                sessions,
                cycle_id=cycle.id,
                cycle=Cycle(NOW, NOW + timedelta(days=1)),
                windows=windows_from_json(WINDOWS),
                policy=RetryPolicy(),
                every_call_reserved=preview,
            )
            queues.append((volunteer, preview, queue))
        during = [_withdrawal(k) for k, h in pairs if h.withdrawn_during]
        if during:
            await registry.withdraw(during, actor="t", now=NOW)

        consenting = set()
        for key in keys:
            history = [row.consent() for row in await registry.history(key)]
            if may_be_called(history, ConsentPurpose.REGULAR_CALLS, NOW):
                consenting.add(ids[key])
        # the storage's rule and the core's say the same
        assert consenting == {
            ids[k]
            for k, h in pairs
            if h.consents
            and h.regular
            and not h.later
            and not h.withdrawn_before
            and not h.withdrawn_during
        }
        dials: list[tuple[bool, str]] = []  # (of a veille-sociale campaign, attempt id)
        for volunteer, preview, queue in queues:
            planned = []
            if preview:
                while (claimed := await queue.claim("benevole-1", NOW)) is not None:
                    planned.append(claimed.person_id)
                    dials.append((volunteer, claimed.attempt_id))
            else:
                taken = await queue.take(5000, NOW)
                planned = [dial.person_id for dial in taken]
                dials += [(volunteer, d.attempt_id) for d in taken if d.person_id in ids.values()]
            mine = sorted(p for p in planned if p in ids.values())
            if volunteer:
                assert not set(planned) & _NEVER_SO_FAR
                assert mine == sorted(consenting)
            else:  # another kind of campaign calls the register as before
                assert mine == sorted(ids.values())
        _NEVER_SO_FAR.update(set(ids.values()) - consenting)
        still = [_withdrawal(key) for key in keys if ids[key] in consenting]
        await _withdrawn_once_planned(sessions, registry, still, dials)


async def _withdrawn_once_planned(
    sessions: SessionFactory,
    registry: ConsentRegistry,
    still: list[WithdrawalRequest],
    dials: list[tuple[bool, str]],
) -> None:
    """Consent withdrawn once planned (offered on a volunteer's screen): never dialled;
    other kinds of campaign call as before. (After ``NOW``: the next examples, planned at
    ``NOW``, still see these consents valid.)"""
    if still:
        await registry.withdraw(still, actor="t", now=NOW + timedelta(minutes=1))
    ledger = AttemptLedger(sessions)
    for volunteer, attempt_id in dials:
        dialled = await ledger.mark_dialing(attempt_id, at=NOW + timedelta(minutes=2))
        assert dialled is not volunteer


def test_no_attempt_is_ever_planned_for_a_household_without_a_valid_consent(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=scenarios)
    def check(scenario: Scenario) -> None:
        asyncio.run(_play(url, scenario, next(_EXAMPLES)))

    check()
