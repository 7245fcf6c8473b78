"""What the tests read back from the database to check what the code stored, and the one
scene they write directly (people enrolled in a cycle without a campaign start): queries
the running service never makes, so they live with the tests, not in the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from dialer.core.attempts import AttemptKind
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.holds import HoldKind
from dialer.core.pacing_settings import PacingMode
from dialer.core.phones import PhoneKind
from dialer.storage.alert_rows import Alert, AlertDelivery, DeliveryState
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import PersonHold
from dialer.storage.models import Cycle, Person
from dialer.storage.never_reached_rows import NeverReachedEntry, NeverReachedList
from dialer.storage.people import PersonRecord, PersonRepository, PhoneRecord, encode_batch
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.storage.team_rows import Team


async def person_by_external_id(sessions: SessionFactory, external_id: str) -> Person | None:
    """The person with the register's id ``external_id`` (removed or not), with numbers."""
    async with transaction(sessions) as session:
        return await session.scalar(
            select(Person)
            .where(Person.external_id == external_id)
            .options(selectinload(Person.phones))
        )


async def active_people(sessions: SessionFactory) -> list[Person]:
    """People on the register (not removed), by id, with their numbers."""
    async with transaction(sessions) as session:
        return list(
            await session.scalars(
                select(Person)
                .where(Person.removed_at.is_(None))
                .order_by(Person.id)
                .options(selectinload(Person.phones))
            )
        )


async def count_active_people(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        count = await session.scalar(
            select(func.count()).select_from(Person).where(Person.removed_at.is_(None))
        )
    return int(count or 0)


async def alerts_of_sheet(sessions: SessionFactory, sheet_id: int) -> list[Alert]:
    async with transaction(sessions) as session:
        return list(
            await session.scalars(
                select(Alert).where(Alert.sheet_id == sheet_id).order_by(Alert.id)
            )
        )


async def deliveries_of_alert(sessions: SessionFactory, alert_id: int) -> list[AlertDelivery]:
    async with transaction(sessions) as session:
        return list(
            await session.scalars(
                select(AlertDelivery)
                .where(AlertDelivery.alert_id == alert_id)
                .order_by(AlertDelivery.id)
            )
        )


async def members_of_cycle(sessions: SessionFactory, cycle_id: int) -> list[CycleMember]:
    async with transaction(sessions) as session:
        return list(
            await session.scalars(
                select(CycleMember)
                .where(CycleMember.cycle_id == cycle_id)
                .order_by(CycleMember.person_id)
            )
        )


async def never_reached_delivered(
    sessions: SessionFactory, team: str
) -> dict[int, tuple[set[str], set[DeliveryState]]]:
    """For each cycle number with a never-reached list for ``team``: the external ids of
    its people (the team's inbox) and the states of its outbox messages (e-mail, webhook).
    A rig test asserts ``{n: ({…waiting people…}, {DeliveryState.SENT})}`` per cycle."""
    async with transaction(sessions) as session:
        team_id = await session.scalar(select(Team.id).where(Team.name == team))
        people = await session.execute(
            select(Cycle.number, Person.external_id)
            .join(NeverReachedList, NeverReachedList.cycle_id == Cycle.id)
            .join(NeverReachedEntry, NeverReachedEntry.list_id == NeverReachedList.id)
            .join(Person, Person.id == NeverReachedEntry.person_id)
            .where(NeverReachedEntry.team_id == team_id)
        )
        states = await session.execute(
            select(Cycle.number, AlertDelivery.state)
            .join(NeverReachedList, NeverReachedList.cycle_id == Cycle.id)
            .join(AlertDelivery, AlertDelivery.never_reached_list_id == NeverReachedList.id)
            .where(AlertDelivery.team_id == team_id)
        )
        delivered: dict[int, tuple[set[str], set[DeliveryState]]] = {}
        for number, external_id in people.all():
            delivered.setdefault(number, (set(), set()))[0].add(external_id)
        for number, state in states.all():
            delivered.setdefault(number, (set(), set()))[1].add(state)
        return delivered


async def enrol(
    sessions: SessionFactory, cycle_id: int, people: Sequence[tuple[int, str, datetime]]
) -> None:
    """Put ``(person_id, first number, first due time)`` into the cycle, waiting."""
    async with transaction(sessions) as session:
        await session.execute(
            insert(CycleMember),
            [
                {
                    "cycle_id": cycle_id,
                    "person_id": person_id,
                    "status": MemberStatus.WAITING,
                    "next_due_at": due,
                    "next_number": number,
                    "next_kind": AttemptKind.AUTOMATIC,
                    "attempt_id": None,
                }
                for person_id, number, due in people
            ],
        )


async def consenting_households(
    sessions: SessionFactory,
    consents: dict[str, tuple[bool, bool] | None],
    *,
    now: datetime,
    number_prefix: str = "+331456710",
) -> dict[str, int]:
    """Households on the veille-sociale list (``dialer register import --list
    veille_sociale``), each with its consent given 20 days before ``now``: key -> (regular
    calls, emergency campaigns), or None for no consent. Their ids by key."""
    people = PersonRepository(sessions)
    records = [
        PersonRecord(
            external_id=key,
            last_name=f"Foyer {key}",
            district="Nord",
            phones=[PhoneRecord(f"{number_prefix}{n:02d}", PhoneKind.LANDLINE)],
        )
        for n, key in enumerate(consents)
    ]
    await people.write_encoded(
        encode_batch(await people.dialect(), records, [], now=now, list_name=CONSENT_LIST)
    )
    given = [(key, purposes) for key, purposes in consents.items() if purposes is not None]
    if given:
        await ConsentRegistry(sessions).record(
            [
                ConsentRecord(
                    external_id=key,
                    agreed_by=AgreedBy.PERSON,
                    relative_name=None,
                    agreed_at=now - timedelta(days=20),
                    channel=ConsentChannel.PAPER,
                    regular_calls=regular,
                    emergency_campaigns=emergency,
                    collected_by="CCAS",
                )
                for key, (regular, emergency) in given
            ],
            actor="cli:ville",
            now=now - timedelta(days=19),
        )
    ids = {}
    for key in consents:
        found = await person_by_external_id(sessions, key)
        assert found is not None
        ids[key] = found.id
    return ids


async def volunteer_campaign(sessions: SessionFactory, now: datetime) -> int:
    """A veille-sociale campaign in draft (the volunteers' calls, preview), its id."""
    campaign = await CampaignRepository(sessions).create(
        name="Veille sociale fêtes",
        kind=CampaignKind.VEILLE_SOCIALE,
        questionnaire_id="veille_sociale",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PREVIEW,
        calling_windows={},
        retry_policy={},
        now=now,
    )
    return campaign.id


async def oppose(sessions: SessionFactory, person_id: int, at: datetime) -> None:
    """The person opposed to the calls at ``at`` (a hold, as ``dialer holds add``)."""
    async with transaction(sessions) as session:
        session.add(
            PersonHold(
                person_id=person_id,
                kind=HoldKind.OPPOSITION,
                reason="ne veut plus être appelé",
                recorded_by="superviseur",
                recorded_at=at,
            )
        )


def paper_consent(external_id: str, agreed_at: datetime) -> ConsentRecord:
    """The household's own consent on paper to the regular calls (not the emergencies)."""
    return ConsentRecord(
        external_id=external_id,
        agreed_by=AgreedBy.PERSON,
        relative_name=None,
        agreed_at=agreed_at,
        channel=ConsentChannel.PAPER,
        regular_calls=True,
        emergency_campaigns=False,
        collected_by="CCAS",
    )
