"""What the tests read back from the database to check what the code stored: queries the
running service never makes, so they live with the tests, not in the repositories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dialer.storage.alert_rows import Alert, AlertDelivery
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Person
from dialer.storage.schedule import CycleMember


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
