"""From the alerts a questionnaire triggered to stored, routed alerts and their outbox."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Protocol

from dialer.alerts.escalation import EscalationPolicy
from dialer.alerts.routing import TeamScope, route
from dialer.core.scoring import TriggeredAlert
from dialer.storage.alert_rows import Alert, DeliveryChannel
from dialer.storage.alerts import AlertRepository, NewAlert, NewDelivery, TeamRecord, TeamRepository
from dialer.storage.answers import CallSheetRepository, SheetSubmission
from dialer.storage.database import SessionFactory

log = logging.getLogger(__name__)


class Wakeable(Protocol):
    def wake(self) -> None: ...


def alert_key(alert: TriggeredAlert) -> str:
    """Identifies a triggered alert within one call sheet (same rule, same alert)."""
    text = f"{alert.need.value}|{alert.priority}|{alert.message}|{alert.emergency}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def scope_of(record: TeamRecord) -> TeamScope:
    team = record.team
    return TeamScope(team.id, team.name, team.districts, team.needs, team.is_default)


def team_deliveries(record: TeamRecord) -> tuple[NewDelivery, ...]:
    deliveries = []
    if record.team.email:
        deliveries.append(NewDelivery(DeliveryChannel.EMAIL, record.team.email))
    if record.team.webhook_url:
        deliveries.append(NewDelivery(DeliveryChannel.WEBHOOK, record.team.webhook_url))
    return tuple(deliveries)


def plan_alerts(
    triggered: Sequence[TriggeredAlert],
    *,
    district: str | None,
    teams: Sequence[TeamRecord],
    now: datetime,
    policy: EscalationPolicy,
) -> list[NewAlert]:
    """One :class:`NewAlert` per triggered alert and team it is routed to."""
    scopes = [scope_of(record) for record in teams]
    by_id = {record.team.id: record for record in teams}
    planned: list[NewAlert] = []
    for alert in triggered:
        decision = route(alert.need.value, district, scopes)
        base = NewAlert(
            key=alert_key(alert),
            team_id=None,
            need=alert.need.value,
            priority=alert.priority,
            message=alert.message,
            because=[asdict(reason) for reason in alert.because],
            risk_level=alert.risk_level,
            agent_instructions=alert.agent_instructions,
            routed_to_default=decision.by_default,
            next_escalation_at=None,
        )
        if decision.unassigned:
            log.warning(
                "no team covers need %s in district %r and there is no default team: "
                "alert kept unassigned",
                alert.need.value,
                district,
            )
            planned.append(base)
            continue
        if decision.by_default:
            log.info(
                "no team covers need %s in district %r: alert sent to the default team",
                alert.need.value,
                district,
            )
        for team_id in decision.team_ids:
            record = by_id[team_id]
            deadline = policy.first_deadline(alert.priority, now) if record.contacts else None
            planned.append(
                replace(
                    base,
                    team_id=team_id,
                    next_escalation_at=deadline,
                    deliveries=team_deliveries(record),
                )
            )
    return planned


class AlertRaiser:
    """Stores the alerts of a call sheet, routed, with their outbox, and wakes the
    dispatcher that delivers them."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Callable[[], datetime],
        policy: EscalationPolicy | None = None,
        dispatcher: Wakeable | None = None,
    ) -> None:
        self._teams = TeamRepository(sessions)
        self._alerts = AlertRepository(sessions)
        self._sheets = CallSheetRepository(sessions)
        self._clock = clock
        self.policy = policy or EscalationPolicy()
        self.dispatcher = dispatcher

    async def raise_now(
        self,
        sheet_id: int,
        triggered: Sequence[TriggeredAlert],
        *,
        district: str | None,
        raised_by: str,
    ) -> list[Alert]:
        """Raise alerts while the sheet is still being filled (a medical emergency)."""
        now = self._clock()
        planned = plan_alerts(
            triggered,
            district=district,
            teams=await self._teams.list_all(),
            now=now,
            policy=self.policy,
        )
        added = await self._alerts.raise_for_sheet(sheet_id, planned, raised_by=raised_by, now=now)
        self._wake(added)
        return added

    async def submit(
        self,
        sheet_id: int,
        submission: SheetSubmission,
        triggered: Sequence[TriggeredAlert],
        *,
        district: str | None,
        raised_by: str,
    ) -> list[Alert]:
        """Close the sheet and store its alerts in one transaction, then wake delivery."""
        now = self._clock()
        planned = plan_alerts(
            triggered,
            district=district,
            teams=await self._teams.list_all(),
            now=now,
            policy=self.policy,
        )
        added = await self._sheets.submit(
            sheet_id, submission, alerts=planned, raised_by=raised_by, now=now
        )
        self._wake(added)
        return added

    def _wake(self, added: Sequence[Alert]) -> None:
        if added and self.dispatcher is not None:
            self.dispatcher.wake()
