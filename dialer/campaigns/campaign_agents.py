"""Which agents serve which campaign: supervisors set it (the API, the agents' page, the
CLI through the API); the engine follows each change at once (its next ticks and joins,
:mod:`dialer.engine.assignments`). An agent with none set serves every running campaign;
the rules are :mod:`dialer.core.serving`. Volunteers serve veille-sociale campaigns only
(:func:`dialer.core.volunteer_desk.volunteers_serving`). Every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from dialer.clock import utcnow
from dialer.core.serving import DEFAULT_PRIORITY, PRIORITY_RANGE
from dialer.core.volunteer_desk import volunteers_serving
from dialer.engine.engine import DialingEngine
from dialer.errors import InputError, NotFoundError
from dialer.storage.agent_campaigns import AgentCampaignRepository, Serving
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.volunteer_calls import VolunteerCalls


def checked_priority(value: object) -> int:
    """A priority from a form or a request body (:class:`InputError` naming the field)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError("champ « priority » : un nombre entier est attendu")
    try:
        priority = int(value)
    except ValueError:
        raise InputError("champ « priority » : un nombre entier est attendu") from None
    if priority not in PRIORITY_RANGE:
        raise InputError(
            f"champ « priority » : entre {PRIORITY_RANGE.start} et {PRIORITY_RANGE.stop - 1}"
        )
    return priority


class CampaignAgents:
    def __init__(
        self,
        sessions: SessionFactory,
        engine: DialingEngine,
        *,
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = AgentCampaignRepository(sessions)
        self.volunteer_calls = VolunteerCalls(sessions)
        self.engine = engine
        self.audit = audit
        self.clock = clock

    async def list(self) -> list[Serving]:
        return await self.repository.all()

    async def load(self) -> None:
        """Give the engine the stored assignments (at start-up and after each change)."""
        serving: dict[str, dict[int, int]] = {}
        for row in await self.repository.all():
            serving.setdefault(row.agent, {})[row.campaign_id] = row.priority
        volunteers, veille = await self.volunteer_calls.serving_facts()
        kinds = await self.volunteer_calls.campaign_kinds()
        self.engine.set_serving(
            volunteers_serving(serving, volunteers, veille), volunteers=volunteers, kinds=kinds
        )

    async def serve(
        self, agent: str, campaign_id: int, *, actor: str, priority: int = DEFAULT_PRIORITY
    ) -> Serving:
        """``agent`` serves ``campaign_id`` with ``priority`` (again: a new priority)."""
        priority = checked_priority(priority)
        row = await self.repository.serve(agent, campaign_id, priority)
        await self.load()
        await self._record(actor, "agent.serve", agent, campaign_id, priority=priority)
        return row

    async def stop_serving(self, agent: str, campaign_id: int, *, actor: str) -> None:
        """``agent`` no longer serves ``campaign_id`` (none left: every campaign)."""
        if not await self.repository.stop_serving(agent, campaign_id):
            raise NotFoundError(f"l'agent {agent!r} ne sert pas la campagne {campaign_id}")
        await self.load()
        await self._record(actor, "agent.stop_serving", agent, campaign_id)

    async def _record(
        self, actor: str, action: str, agent: str, campaign_id: int, **more: object
    ) -> None:
        await self.audit.record(
            actor=actor,
            action=action,
            target=f"agent:{agent}",
            at=self.clock(),
            details={"campaign_id": campaign_id, **more},
        )
