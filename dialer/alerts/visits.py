"""Field visit requests (issue #22), raised by the alert dispatcher before it sends its
outbox: every person whose relative had no news (at once), and everyone on a closed
cycle's never-reached list, becomes a visit request for the field team of their district
(routed as a *social* need, like the never-reached list), delivered as an alert: inbox,
e-mail, webhook, retried until sent, escalated until acknowledged. Its priority orders the
visits by risk (:func:`dialer.core.relatives.visit_priority`). The team records what it
found from its inbox (:meth:`~dialer.storage.visits.VisitRepository.record_outcome`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.alerts.escalation import EscalationPolicy
from dialer.alerts.never_reached import VISIT_NEED
from dialer.alerts.raising import scope_of, team_deliveries
from dialer.alerts.routing import route
from dialer.core.labels import VISIT_REASON_LABELS
from dialer.core.relatives import RiskFlags, visit_priority
from dialer.core.windows import PARIS
from dialer.storage.alerts import TeamRecord, TeamRepository
from dialer.storage.database import SessionFactory
from dialer.storage.visits import NewVisit, VisitCandidate, VisitRepository

log = logging.getLogger(__name__)


def visit_message(candidate: VisitCandidate) -> str:
    person = candidate.person
    name = " ".join(p for p in (person.first_name, person.last_name) if p)
    text = f"Demande de visite à domicile : {name}, {VISIT_REASON_LABELS[candidate.reason]}."
    if person.contact_name or person.contact_phone:
        contact = " ".join(p for p in (person.contact_name, person.contact_phone) if p)
        text += f" Proche : {contact}."
    return text + " Indiquez l'issue de la visite dans la boîte d'alertes."


def plan_visits(
    candidate: VisitCandidate,
    teams: Sequence[TeamRecord],
    *,
    now: datetime,
    policy: EscalationPolicy,
    zone: ZoneInfo = PARIS,
) -> list[NewVisit]:
    """One visit request per team the person is routed to (or one no team covers)."""
    person = candidate.person
    priority = visit_priority(
        RiskFlags(
            birth_date=person.birth_date,
            living_alone=candidate.living_alone,
            disabled=person.disabled,
            medical=person.medical_flag,
            earlier_high_risk=candidate.earlier_high_risk,
        ),
        now.astimezone(zone).date(),
    )
    decision = route(VISIT_NEED.value, person.district, [scope_of(t) for t in teams])
    by_id = {record.team.id: record for record in teams}
    message = visit_message(candidate)
    if decision.unassigned:
        return [NewVisit(None, priority, message, False, None, ())]
    return [
        NewVisit(
            team_id,
            priority,
            message,
            decision.by_default,
            policy.first_deadline(priority, now),
            team_deliveries(by_id[team_id]),
        )
        for team_id in decision.team_ids
    ]


class VisitPublisher:
    def __init__(self, sessions: SessionFactory, policy: EscalationPolicy) -> None:
        self._visits = VisitRepository(sessions)
        self._teams = TeamRepository(sessions)
        self._policy = policy

    async def request_due(self, now: datetime) -> int:
        """Write the visit requests due; how many people got one."""
        candidates = await self._visits.candidates(now)
        if not candidates:
            return 0
        teams = await self._teams.list_all()
        done = 0
        for candidate in candidates:
            visits = plan_visits(candidate, teams, now=now, policy=self._policy)
            if await self._visits.request(candidate, visits, now=now):
                done += 1
                log.info(
                    "visit requested for person %d (cycle %d): %s",
                    candidate.person.id,
                    candidate.cycle_id,
                    candidate.reason.value,
                )
        return done
