"""Intervention teams, their alerts, and the alert delivery outbox.

An alert row is one triggered alert for one team; it is its in-app inbox entry. Every
e-mail or webhook message about it is first written to the outbox
(:class:`~dialer.storage.alert_rows.AlertDelivery`) in the same transaction, then sent by
the dispatcher (:mod:`dialer.alerts`), which marks it sent or schedules the next try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from dialer.errors import ConflictError, NotFoundError
from dialer.storage.alert_rows import (
    Alert,
    AlertDelivery,
    AlertState,
    DeliveryChannel,
    DeliveryReason,
    DeliveryState,
)
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import Person
from dialer.storage.team_rows import Team, TeamContact


@dataclass(frozen=True)
class ContactRecord:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class TeamRecord:
    """A team with its escalation list, in order."""

    team: Team
    contacts: tuple[TeamContact, ...]


@dataclass(frozen=True)
class NewDelivery:
    channel: DeliveryChannel
    target: str


@dataclass(frozen=True)
class NewAlert:
    """A triggered alert already routed to one team (``team_id`` None: to nobody)."""

    key: str
    team_id: int | None
    need: str
    priority: int
    message: str
    because: list[dict[str, Any]]
    risk_level: str | None
    agent_instructions: str | None
    routed_to_default: bool
    next_escalation_at: datetime | None
    deliveries: tuple[NewDelivery, ...] = field(default=())


@dataclass(frozen=True)
class DeliveryJob:
    """An outbox row due now, with what its message needs."""

    delivery: AlertDelivery
    alert: Alert
    person: Person
    team: Team | None


class TeamRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def add(
        self,
        *,
        name: str,
        districts: Sequence[str] = (),
        needs: Sequence[str] = (),
        email: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_link_only: bool = False,
        is_default: bool = False,
        contacts: Sequence[ContactRecord] = (),
        now: datetime,
    ) -> TeamRecord:
        """A new team. :class:`ConflictError` when the name is taken, or when another team
        is already the default one."""
        team = Team(
            name=name,
            districts=list(districts),
            needs=list(needs),
            email=email,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            webhook_link_only=webhook_link_only,
            is_default=is_default,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            if await session.scalar(select(Team.id).where(Team.name == name)):
                raise ConflictError(f"l'équipe {name!r} existe déjà")
            if is_default and await session.scalar(select(Team.id).where(Team.is_default)):
                raise ConflictError("une équipe par défaut existe déjà")
            session.add(team)
            await session.flush()
            rows = [
                TeamContact(
                    team_id=team.id,
                    position=position,
                    name=contact.name,
                    email=contact.email,
                    phone=contact.phone,
                )
                for position, contact in enumerate(contacts, start=1)
            ]
            session.add_all(rows)
        return TeamRecord(team, tuple(rows))

    async def list_all(self) -> list[TeamRecord]:
        async with transaction(self._sessions) as session:
            teams = list(await session.scalars(select(Team).order_by(Team.name)))
            contacts = list(
                await session.scalars(
                    select(TeamContact).order_by(TeamContact.team_id, TeamContact.position)
                )
            )
        by_team: dict[int, list[TeamContact]] = {}
        for contact in contacts:
            by_team.setdefault(contact.team_id, []).append(contact)
        return [TeamRecord(team, tuple(by_team.get(team.id, []))) for team in teams]

    async def get(self, team_id: int) -> TeamRecord:
        async with transaction(self._sessions) as session:
            team = await session.get(Team, team_id)
            if team is None:
                raise NotFoundError(f"équipe {team_id} inconnue")
            contacts = await session.scalars(
                select(TeamContact)
                .where(TeamContact.team_id == team_id)
                .order_by(TeamContact.position)
            )
            return TeamRecord(team, tuple(contacts))

    async def by_name(self, name: str) -> TeamRecord:
        async with transaction(self._sessions) as session:
            team_id = await session.scalar(select(Team.id).where(Team.name == name))
        if team_id is None:
            raise NotFoundError(f"équipe {name!r} inconnue")
        return await self.get(team_id)


async def stage_alerts(
    session: AsyncSession,
    sheet: CallSheet,
    alerts: Sequence[NewAlert],
    *,
    raised_by: str,
    now: datetime,
) -> list[Alert]:
    """Add ``alerts`` for ``sheet`` and their outbox rows within ``session``, skipping
    those already raised for the sheet (same key and team). Returns the added alerts."""
    rows = await session.execute(select(Alert.key, Alert.team_id).where(Alert.sheet_id == sheet.id))
    existing: set[tuple[str, int | None]] = {(row[0], row[1]) for row in rows.all()}
    added: list[Alert] = []
    for new in alerts:
        if (new.key, new.team_id) in existing:
            continue
        existing.add((new.key, new.team_id))
        alert = Alert(
            sheet_id=sheet.id,
            key=new.key,
            team_id=new.team_id,
            person_id=sheet.person_id,
            need=new.need,
            priority=new.priority,
            message=new.message,
            because=new.because,
            risk_level=new.risk_level,
            agent_instructions=new.agent_instructions,
            routed_to_default=new.routed_to_default,
            raised_by=raised_by,
            raised_at=now,
            state=AlertState.OPEN,
            escalation_level=0,
            next_escalation_at=new.next_escalation_at,
            acknowledgement_note="",
        )
        session.add(alert)
        await session.flush()
        session.add_all(
            _delivery(alert.id, delivery, DeliveryReason.RAISED, 0, now)
            for delivery in new.deliveries
        )
        added.append(alert)
    return added


def _delivery(
    alert_id: int, new: NewDelivery, reason: DeliveryReason, level: int, now: datetime
) -> AlertDelivery:
    return AlertDelivery(
        alert_id=alert_id,
        channel=new.channel,
        target=new.target,
        reason=reason,
        escalation_level=level,
        state=DeliveryState.PENDING,
        tries=0,
        next_try_at=now,
        last_error="",
        created_at=now,
    )


def _inbox_order() -> tuple[Any, ...]:
    # open before acknowledged, then highest priority (1) first, then newest first
    return (Alert.state.desc(), Alert.priority, Alert.raised_at.desc(), Alert.id.desc())


class AlertRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def raise_for_sheet(
        self, sheet_id: int, alerts: Sequence[NewAlert], *, raised_by: str, now: datetime
    ) -> list[Alert]:
        """Write alerts (and their outbox) for a sheet still being filled (an emergency)."""
        async with transaction(self._sessions) as session:
            sheet = await session.get(CallSheet, sheet_id)
            if sheet is None:
                raise NotFoundError(f"fiche {sheet_id} inconnue")
            return await stage_alerts(session, sheet, alerts, raised_by=raised_by, now=now)

    async def get(self, alert_id: int) -> Alert:
        async with transaction(self._sessions) as session:
            alert = await session.get(Alert, alert_id)
        if alert is None:
            raise NotFoundError(f"alerte {alert_id} inconnue")
        return alert

    async def inbox(self, team_id: int | None, *, limit: int = 200) -> list[tuple[Alert, Person]]:
        """A team's alerts (``None``: alerts no team covers): open first, then highest
        priority, then newest."""
        where = Alert.team_id.is_(None) if team_id is None else Alert.team_id == team_id
        return await self._with_people(
            select(Alert, Person)
            .join(Person, Person.id == Alert.person_id)
            .where(where)
            .order_by(*_inbox_order())
            .limit(limit)
        )

    async def open_alerts(self, *, limit: int = 500) -> list[tuple[Alert, Person]]:
        """Every open alert, every team (supervision)."""
        return await self._with_people(
            select(Alert, Person)
            .join(Person, Person.id == Alert.person_id)
            .where(Alert.state == AlertState.OPEN)
            .order_by(*_inbox_order())
            .limit(limit)
        )

    async def _with_people(self, statement: Any) -> list[tuple[Alert, Person]]:
        async with transaction(self._sessions) as session:
            rows = (await session.execute(statement.options(selectinload(Person.phones)))).all()
        return [(row[0], row[1]) for row in rows]

    async def acknowledge(
        self, alert_id: int, *, by: str, note: str, now: datetime, team_id: int | None
    ) -> Alert:
        """Acknowledge an open alert of team ``team_id``. :class:`NotFoundError` for an
        alert of another team, :class:`ConflictError` when already acknowledged."""
        async with transaction(self._sessions) as session:
            alert = await session.get(Alert, alert_id, with_for_update=True)
            if alert is None or alert.team_id != team_id:
                raise NotFoundError(f"alerte {alert_id} inconnue")
            if alert.state is AlertState.ACKNOWLEDGED:
                raise ConflictError(f"alerte déjà prise en charge par {alert.acknowledged_by}")
            alert.state = AlertState.ACKNOWLEDGED
            alert.acknowledged_by = by
            alert.acknowledged_at = now
            alert.acknowledgement_note = note
            alert.next_escalation_at = None
        return alert

    async def due_escalations(self, now: datetime) -> list[Alert]:
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(Alert)
                    .where(Alert.state == AlertState.OPEN)
                    .where(Alert.next_escalation_at.is_not(None))
                    .where(Alert.next_escalation_at <= now)
                    .order_by(Alert.next_escalation_at, Alert.id)
                )
            )

    async def escalate(
        self,
        alert_id: int,
        *,
        from_level: int,
        to_level: int,
        next_escalation_at: datetime | None,
        deliveries: Sequence[NewDelivery],
        now: datetime,
    ) -> bool:
        """Move an open alert from ``from_level`` to ``to_level`` and queue its messages,
        in one transaction. False when it was acknowledged or escalated meanwhile."""
        async with transaction(self._sessions) as session:
            result = await session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .where(Alert.state == AlertState.OPEN)
                .where(Alert.escalation_level == from_level)
                .values(
                    escalation_level=to_level,
                    escalated_at=now if to_level != from_level else Alert.escalated_at,
                    next_escalation_at=next_escalation_at,
                )
                .execution_options(synchronize_session=False)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return False
            session.add_all(
                _delivery(alert_id, delivery, DeliveryReason.ESCALATED, to_level, now)
                for delivery in deliveries
            )
            return True

    async def counts(self) -> dict[str, int]:
        async with transaction(self._sessions) as session:
            rows = await session.execute(select(Alert.state, func.count()).group_by(Alert.state))
            return {state.value: int(count) for state, count in rows.all()}


class OutboxRepository:
    """The alert delivery outbox. Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def due(self, now: datetime, *, limit: int = 50) -> list[DeliveryJob]:
        """Pending deliveries whose next try is due, oldest first, with their alert."""
        statement = (
            select(AlertDelivery, Alert, Person, Team)
            .join(Alert, Alert.id == AlertDelivery.alert_id)
            .join(Person, Person.id == Alert.person_id)
            .outerjoin(Team, Team.id == Alert.team_id)
            .where(AlertDelivery.state == DeliveryState.PENDING)
            .where(AlertDelivery.next_try_at <= now)
            .order_by(Alert.priority, AlertDelivery.next_try_at, AlertDelivery.id)
            .limit(limit)
            .options(selectinload(Person.phones))
        )
        async with transaction(self._sessions) as session:
            rows = (await session.execute(statement)).all()
        return [DeliveryJob(row[0], row[1], row[2], row[3]) for row in rows]

    async def mark_sent(self, delivery_id: int, *, now: datetime) -> None:
        async with transaction(self._sessions) as session:
            delivery = await session.get(AlertDelivery, delivery_id)
            if delivery is not None:
                delivery.state = DeliveryState.SENT
                delivery.tries += 1
                delivery.sent_at = now
                delivery.last_error = ""

    async def mark_failed(self, delivery_id: int, *, error: str, next_try_at: datetime) -> None:
        async with transaction(self._sessions) as session:
            delivery = await session.get(AlertDelivery, delivery_id)
            if delivery is not None:
                delivery.tries += 1
                delivery.last_error = error[:2000]
                delivery.next_try_at = next_try_at

    async def pending_count(self) -> int:
        async with transaction(self._sessions) as session:
            count = await session.scalar(
                select(func.count())
                .select_from(AlertDelivery)
                .where(AlertDelivery.state == DeliveryState.PENDING)
            )
        return int(count or 0)
