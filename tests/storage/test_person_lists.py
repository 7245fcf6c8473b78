"""Issue 17, named lists: one file imported under each list's name, a person on two lists
is one person, a re-import of a list takes off that list only the people it no longer
names (history kept), a person on no list is off the register; a campaign's selection
enrols the people of its lists and filters, never an opposed or deceased person. On SQLite
and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.holds import HoldKind
from dialer.core.pacing_settings import PacingMode
from dialer.core.selection import Selection
from dialer.errors import ConflictError, InputError
from dialer.register import import_register
from dialer.storage import (
    CampaignRepository,
    CycleRepository,
    SessionFactory,
    create_engine,
    migrate_engine,
)
from dialer.storage.database import transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.list_rows import ListMembership, PersonList, list_id
from dialer.storage.schedule import enrol_register
from dialer.storage.selection import count_selected, list_counts, set_campaign_selection
from tests.register.test_importer import NOW, write_csv
from tests.storage.conftest import postgres_url, reset_postgres
from tests.stored import members_of_cycle, person_by_external_id


def row(key: str, name: str, *, district: str = "11e", postcode: str = "75011",
        birth: str = "01/01/1940", phone: str = "01 43 00 00 01",
        disability: str = "", medical: str = "") -> list[str]:  # fmt: skip
    return [key, name, "Jeanne", birth, "1 rue", postcode, "Paris", district, phone,
            "", "", "", disability, medical]  # fmt: skip


HEAT = [
    row("H1", "Dupont", phone="01 43 00 00 01"),
    row("H2", "Martin", phone="01 43 00 00 02", birth="01/01/1970"),
    row("B1", "Bernard", phone="01 43 00 00 03", district="4e", postcode="75004"),
]
FLOOD = [
    row("F1", "Roux", phone="01 43 00 00 04", district="4e", postcode="75004"),
    row("B1", "Bernard", phone="01 43 00 00 03", district="4e", postcode="75004"),
]


async def memberships(sessions: SessionFactory, key: str) -> list[tuple[str, bool]]:
    """The lists the person has been on: (name, still on it), by name."""
    person = await person_by_external_id(sessions, key)
    assert person is not None
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(PersonList.name, ListMembership.removed_at)
            .join(ListMembership, ListMembership.list_id == PersonList.id)
            .where(ListMembership.person_id == person.id)
            .order_by(PersonList.name, ListMembership.id)
        )
        return [(name, removed is None) for name, removed in rows]


async def counts(sessions: SessionFactory) -> dict[str, int]:
    return dict(await list_counts(sessions))


@pytest.mark.asyncio
async def test_two_lists_one_person_on_both_and_a_reimport_of_one(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    heat = await import_register(
        sessions, write_csv(tmp_path / "canicule.csv", HEAT), now=NOW, list_name="canicule"
    )
    assert (heat.added, heat.removed) == (3, 0)
    flood = await import_register(
        sessions, write_csv(tmp_path / "crue.csv", FLOOD), now=NOW, list_name="crue 4e"
    )
    # B1 is already stored: the same person, now on the flood list too
    assert (flood.added, flood.changed, flood.unchanged) == (1, 1, 0)
    assert await counts(sessions) == {"canicule": 3, "crue 4e": 2, "registre": 0}
    assert await memberships(sessions, "B1") == [("canicule", True), ("crue 4e", True)]

    # the heatwave list again without B1: off that list, still on the flood list
    later = NOW + timedelta(days=1)
    again = await import_register(
        sessions, write_csv(tmp_path / "canicule-2.csv", HEAT[:2]), now=later,
        list_name="canicule",
    )  # fmt: skip
    assert (again.unchanged, again.removed) == (2, 1)
    assert await memberships(sessions, "B1") == [("canicule", False), ("crue 4e", True)]
    bernard = await person_by_external_id(sessions, "B1")
    assert bernard is not None
    assert bernard.removed_at is None
    assert await counts(sessions) == {"canicule": 2, "crue 4e": 1 + 1, "registre": 0}

    # the flood list without B1: on no list any more, off the register (history kept)
    await import_register(
        sessions, write_csv(tmp_path / "crue-2.csv", FLOOD[:1]), now=later,
        list_name="crue 4e",
    )  # fmt: skip
    bernard = await person_by_external_id(sessions, "B1")
    assert bernard is not None
    assert bernard.removed_at == later
    assert await memberships(sessions, "B1") == [("canicule", False), ("crue 4e", False)]
    # back on a list: back on the register
    await import_register(
        sessions, write_csv(tmp_path / "canicule-3.csv", HEAT), now=later, list_name="canicule"
    )
    bernard = await person_by_external_id(sessions, "B1")
    assert bernard is not None
    assert bernard.removed_at is None
    assert await memberships(sessions, "B1") == [
        ("canicule", False), ("canicule", True), ("crue 4e", False),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_a_failing_file_writes_nothing_on_any_list(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    await import_register(
        sessions, write_csv(tmp_path / "canicule.csv", HEAT), now=NOW, list_name="canicule"
    )
    before = await counts(sessions)
    broken = tmp_path / "crue.csv"
    broken.write_text("Nom;Prénom\n", encoding="utf-8")  # no row names anybody
    with pytest.raises(InputError, match=r"crue\.csv"):
        await import_register(sessions, broken, now=NOW, list_name="crue")
    assert await counts(sessions) == before
    with pytest.raises(InputError, match="list : nom de liste trop long"):
        await import_register(
            sessions, write_csv(tmp_path / "x.csv", FLOOD), now=NOW, list_name="x" * 101
        )
    assert await counts(sessions) == before


async def campaign(sessions: SessionFactory) -> int:
    created = await CampaignRepository(sessions).create(
        name="Canicule 2025",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="canicule",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows={"week": [["09:00-19:00"]] * 7, "holiday": []},
        retry_policy={"max_attempts": 3},
        now=NOW,
    )
    return created.id


@pytest.mark.asyncio
async def test_a_cycle_enrols_the_selection_never_an_opposed_or_deceased_person(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    extra = [
        row("H3", "Petit", phone="01 43 00 00 05", medical="oxygène"),
        row("H4", "Morel", phone="01 43 00 00 06"),
        row("H5", "Fabre", phone="01 43 00 00 07", birth=""),
    ]
    await import_register(
        sessions, write_csv(tmp_path / "c.csv", HEAT + extra), now=NOW, list_name="canicule"
    )
    await import_register(sessions, write_csv(tmp_path / "f.csv", FLOOD), now=NOW, list_name="crue")
    h4 = await person_by_external_id(sessions, "H4")
    h1 = await person_by_external_id(sessions, "H1")
    assert h4 is not None
    assert h1 is not None
    async with transaction(sessions) as session:
        for person_id, kind in ((h4.id, HoldKind.OPPOSITION), (h1.id, HoldKind.DECEASED)):
            session.add(
                PersonHold(person_id=person_id, kind=kind, reason="test", recorded_by="cli",
                           recorded_at=NOW)
            )  # fmt: skip
    campaign_id = await campaign(sessions)
    selection = Selection(lists=("canicule",), postcodes=("75011",), min_age=65)
    # H1 deceased, H4 opposed, H2 under 65, H5 of unknown age, B1 of 75004: H3 alone
    assert await count_selected(sessions, selection, day=NOW.date(), now=NOW) == 1
    await set_campaign_selection(sessions, campaign_id, selection)
    cycle = await CycleRepository(sessions).open(
        campaign_id, started_at=NOW, deadline=NOW + timedelta(days=2)
    )
    assert await enrol_register(sessions, cycle.id, due=NOW) == 1
    [member] = await members_of_cycle(sessions, cycle.id)
    h3 = await person_by_external_id(sessions, "H3")
    assert h3 is not None
    assert member.person_id == h3.id

    both = Selection(lists=("canicule", "crue"), flags=())
    # H2, H3, H5, B1, F1 (B1 counted once)
    assert await count_selected(sessions, both, day=NOW.date(), now=NOW) == 5
    medical = Selection(lists=("canicule", "crue"), flags=("medical",))
    assert await count_selected(sessions, medical, day=NOW.date(), now=NOW) == 1
    with pytest.raises(InputError, match=r"selection\.lists"):
        await count_selected(sessions, Selection(lists=("inconnue",)), day=NOW.date(), now=NOW)

    await CampaignRepository(sessions).set_state(
        campaign_id, CampaignState.RUNNING, expected={CampaignState.DRAFT}
    )
    with pytest.raises(ConflictError):
        await set_campaign_selection(sessions, campaign_id, both)


@pytest.mark.asyncio
async def test_two_imports_creating_the_same_new_list_at_once_both_land_on_it(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    """Two imports under one new list name at once (two district offices sending their
    flood lists): one list, everybody on it, no unique-name violation."""
    first = write_csv(tmp_path / "nord.csv", HEAT)
    second = write_csv(tmp_path / "sud.csv", [FLOOD[0]])
    done = await asyncio.gather(
        import_register(sessions, first, now=NOW, list_name="crue 2027"),
        import_register(sessions, second, now=NOW, list_name="crue 2027"),
        return_exceptions=True,
    )
    failed = [outcome for outcome in done if isinstance(outcome, BaseException)]
    # the importer may refuse a second import running at once (a clear conflict), never a
    # database error; a refused one goes through when tried again
    assert all(isinstance(outcome, ConflictError) for outcome in failed), failed
    for outcome, path in zip(done, (first, second), strict=True):
        if isinstance(outcome, BaseException):
            await import_register(sessions, path, now=NOW, list_name="crue 2027")
    assert (await counts(sessions))["crue 2027"] == 4
    async with transaction(sessions) as session:
        named = await session.scalar(
            select(func.count()).select_from(PersonList).where(PersonList.name == "crue 2027")
        )
    assert named == 1


@pytest.mark.asyncio
@pytest.mark.postgres
async def test_a_list_created_by_two_transactions_at_once_is_one_list() -> None:
    """The race itself, made certain: the second transaction's insert waits on the first's
    uncommitted row; once the first commits, the second gets the same id (it failed with a
    unique-name violation before)."""
    url = postgres_url()
    await reset_postgres(url)
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        async with engine.connect() as one, engine.connect() as two:
            await one.begin()
            await two.begin()
            mine = await list_id(one, "canicule 2027", now=NOW)
            theirs = asyncio.create_task(list_id(two, "canicule 2027", now=NOW))
            await asyncio.sleep(0.3)
            assert not theirs.done()  # waiting on the first's row
            await one.commit()
            assert await asyncio.wait_for(theirs, 10) == mine
            await two.commit()
    finally:
        await engine.dispose()
