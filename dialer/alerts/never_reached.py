"""Publishing a closed cycle's never-reached list to the intervention teams.

The alert dispatcher runs :meth:`NeverReachedPublisher.publish_due` before sending its
outbox: every closed cycle whose list is not published yet gets one, in one transaction
(the list, one entry per person and team, one outbox message per team channel), then the
outbox delivers it like an alert (e-mail, webhook, retried until sent). A cycle is
published once, whichever controller sees it closed first, and also after a restart; it
waits for the calls still in progress at the close (30 minutes at most), whose people get
their result when the call ends.

A never-reached person needs a visit: they are routed as a *social* need (isolation, wish
for a visit) by their district, with :func:`~dialer.alerts.routing.route`, like an alert;
a person no team covers goes to the default team, else stays unassigned (supervisors
see them). A veille-sociale cycle's list is published empty (its households agreed to
calls, not to visits), and nobody whose consent basis is gone is on a list
(:func:`~dialer.core.never_reached.sent_to_field_teams`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from dialer.alerts.raising import scope_of, team_deliveries
from dialer.alerts.routing import route
from dialer.core.never_reached import listed_reason
from dialer.core.questionnaire import Need
from dialer.storage.alerts import NewDelivery, TeamRecord, TeamRepository
from dialer.storage.database import SessionFactory
from dialer.storage.never_reached import Candidate, NeverReachedRepository, NewEntry

log = logging.getLogger(__name__)

#: the need a never-reached person is routed as
VISIT_NEED = Need.SOCIAL


def plan_list(
    candidates: Sequence[Candidate], teams: Sequence[TeamRecord]
) -> tuple[list[NewEntry], list[tuple[int, NewDelivery]]]:
    """The entries of a list (one per person and team routed to) and the outbox messages
    (each team with someone on it, on each of its channels)."""
    scopes = [scope_of(record) for record in teams]
    by_id = {record.team.id: record for record in teams}
    entries: list[NewEntry] = []
    for candidate in candidates:
        reason = listed_reason(
            candidate.result, candidate.reason, candidate.note, len(candidate.trace)
        )
        decision = route(VISIT_NEED.value, candidate.district, scopes)
        for team_id in decision.team_ids or (None,):
            entries.append(
                NewEntry(candidate.person_id, team_id, candidate.result, reason, candidate.trace)
            )
    teams_on_list = sorted({entry.team_id for entry in entries if entry.team_id is not None})
    deliveries = [
        (team_id, delivery)
        for team_id in teams_on_list
        for delivery in team_deliveries(by_id[team_id])
    ]
    return entries, deliveries


class NeverReachedPublisher:
    def __init__(self, sessions: SessionFactory) -> None:
        self._lists = NeverReachedRepository(sessions)
        self._teams = TeamRepository(sessions)

    async def publish_due(self, now: datetime) -> int:
        """Publish the list of every closed cycle not published yet; how many were."""
        done = 0
        for cycle_id in await self._lists.unpublished_cycles(now):
            candidates = await self._lists.candidates(cycle_id, now)
            entries, deliveries = plan_list(candidates, await self._teams.list_all())
            published = await self._lists.publish(cycle_id, entries, deliveries, now=now)
            if published is not None:
                done += 1
                log.info(
                    "cycle %d: never-reached list published, %d person(s), %d message(s)",
                    cycle_id,
                    published.people,
                    len(deliveries),
                )
        return done
