"""Property (issue 17): over random people, lists, register flags, holds and selections,
the people a cycle enrols are exactly those the selection's rule
(:func:`dialer.core.selection.selects`) picks, on the register and held by nothing (an
opposed or deceased person never); the count shown before the start is that number."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.core.campaigns import CampaignKind
from dialer.core.holds import HoldKind
from dialer.core.phones import PhoneKind
from dialer.core.selection import FLAGS, Candidate, Selection, selects
from dialer.storage import CampaignRepository, PacingMode, SessionFactory
from dialer.storage.database import migrated_database, transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.list_rows import list_id
from dialer.storage.people import PersonRecord, PhoneRecord
from dialer.storage.person_data import Actor
from dialer.storage.register_entries import RegisterEntries
from dialer.storage.schedule import open_cycle_with_register
from dialer.storage.selection import count_selected, set_campaign_selection
from tests.storage.conftest import NOW
from tests.stored import members_of_cycle

LISTS = ("canicule", "crue", "isolés")
DISTRICTS = ("1er", "2e", "11e")
POSTCODES = ("75001", "75002", "75011")
ACTOR = Actor("test", "")


@dataclass(frozen=True)
class Someone:
    lists: frozenset[str]
    district: str | None
    postcode: str | None
    birth_date: date | None
    disabled: bool
    medical: bool
    hold: HoldKind | None
    #: withdrawn from every list after being put on them
    withdrawn: bool


people = st.lists(
    st.builds(
        Someone,
        lists=st.frozensets(st.sampled_from(LISTS), min_size=1),
        district=st.none() | st.sampled_from(DISTRICTS),
        postcode=st.none() | st.sampled_from(POSTCODES),
        birth_date=st.none() | st.dates(date(1920, 1, 1), date(2000, 12, 31)),
        disabled=st.booleans(),
        medical=st.booleans(),
        hold=st.none() | st.sampled_from([HoldKind.OPPOSITION, HoldKind.DECEASED]),
        withdrawn=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
ages = st.none() | st.integers(0, 110)
selections = st.builds(
    Selection,
    lists=st.lists(st.sampled_from(LISTS), unique=True).map(tuple),
    districts=st.lists(st.sampled_from(DISTRICTS), unique=True).map(tuple),
    postcodes=st.lists(st.sampled_from(POSTCODES), unique=True).map(tuple),
    min_age=ages,
    max_age=ages,
    flags=st.lists(st.sampled_from(sorted(FLAGS)), unique=True).map(tuple),
).filter(lambda s: s.min_age is None or s.max_age is None or s.min_age <= s.max_age)


async def _store(sessions: SessionFactory, crowd: list[Someone]) -> dict[int, Someone]:
    entries = RegisterEntries(sessions)
    async with transaction(sessions) as session:  # every list exists, if empty
        for name in LISTS:
            await list_id(await session.connection(), name, now=NOW)
    stored: dict[int, Someone] = {}
    for index, someone in enumerate(crowd):
        record = PersonRecord(
            external_id=f"P{index}",
            last_name="Nom",
            birth_date=someone.birth_date,
            postcode=someone.postcode,
            district=someone.district,
            disabled=someone.disabled,
            medical_flag=someone.medical,
            phones=[PhoneRecord(f"+3314500{index:04d}", PhoneKind.LANDLINE)],
        )
        for name in sorted(someone.lists):
            put = await entries.put(record, actor=ACTOR, now=NOW, list_name=name)
        stored[put.person_id] = someone
        if someone.withdrawn:
            for name in sorted(someone.lists):
                await entries.withdraw(record.external_id, actor=ACTOR, now=NOW, list_name=name)
        if someone.hold is not None:
            async with transaction(sessions) as session:
                session.add(
                    PersonHold(
                        person_id=put.person_id,
                        kind=someone.hold,
                        reason="test",
                        recorded_by="test",
                        recorded_at=NOW,
                    )
                )
    return stored


async def _play(url: str, crowd: list[Someone], selection: Selection) -> None:
    async with migrated_database(url) as sessions:
        stored = await _store(sessions, crowd)
        campaign = await CampaignRepository(sessions).create(
            name="Canicule",
            kind=CampaignKind.HEATWAVE,
            questionnaire_id="canicule",
            questionnaire_version="1",
            caller_id="+33140000000",
            pacing_mode=PacingMode.PROGRESSIVE,
            calling_windows={"week": [["00:00-23:59"]] * 7, "holiday": []},
            retry_policy={},
            now=NOW,
        )
        await set_campaign_selection(sessions, campaign.id, selection)
        counted = await count_selected(sessions, selection, day=NOW.date(), now=NOW)
        cycle, enrolled = await open_cycle_with_register(
            sessions,
            campaign.id,
            number=1,
            started_at=NOW,
            deadline=NOW + timedelta(days=1),
            due=NOW,
        )
        members = {member.person_id for member in await members_of_cycle(sessions, cycle.id)}
        expected = {
            person_id
            for person_id, someone in stored.items()
            if someone.hold is None
            and not someone.withdrawn
            and selects(
                selection,
                Candidate(
                    someone.lists,
                    someone.district,
                    someone.postcode,
                    someone.birth_date,
                    someone.disabled,
                    someone.medical,
                ),
                day=NOW.date(),
            )
        }
        assert members == expected
        assert counted == enrolled == len(expected)


def test_a_cycle_enrols_exactly_the_selection() -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(crowd=people, selection=selections)
    def check(crowd: list[Someone], selection: Selection) -> None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'dialer.db'}"
            asyncio.run(_play(url, crowd, selection))

    check()
