"""The households of the veille-sociale list (:data:`~dialer.core.consent.CONSENT_LIST`)
with no valid consent to regular calls: a veille-sociale campaign never enrols them, so
the supervisors' consent page lists them with the reason (no consent, withdrawn,
emergency campaigns only) rather than let them be silently never called."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from dialer.core.consent import CONSENT_LIST, ConsentGap, consent_gap
from dialer.storage.consent_rows import ConsentRow, consented_at, on_list_named
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Person


@dataclass(frozen=True)
class Unconsented:
    """One household of the list the volunteers do not call, and why."""

    person_id: int
    external_id: str
    name: str
    gap: ConsentGap


async def unconsented_on_list(
    sessions: SessionFactory, at: datetime, *, limit: int, offset: int = 0
) -> tuple[int, list[Unconsented]]:
    """How many households of the list have no valid consent to regular calls at ``at``,
    and ``limit`` of them from ``offset`` (by register id)."""
    where = (on_list_named(Person.id, CONSENT_LIST), ~consented_at(Person.id, at))
    async with transaction(sessions) as session:
        total = await session.scalar(select(func.count(Person.id)).where(*where))
        people = list(
            await session.execute(
                select(Person.id, Person.external_id, Person.last_name, Person.first_name)
                .where(*where)
                .order_by(Person.external_id)
                .limit(limit)
                .offset(offset)
            )
        )
        consents: dict[int, list[ConsentRow]] = {}
        rows = await session.scalars(
            select(ConsentRow).where(ConsentRow.person_id.in_([p.id for p in people]))
        )
        for row in rows:
            consents.setdefault(row.person_id, []).append(row)
    return int(total or 0), [
        Unconsented(
            person_id=p.id,
            external_id=p.external_id,
            name=f"{p.last_name} {p.first_name}".strip(),
            gap=consent_gap([row.consent() for row in consents.get(p.id, [])], at)
            or ConsentGap.NONE,
        )
        for p in people
    ]
