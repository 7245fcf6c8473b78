"""Reserved calls nobody took in time, for the supervisor's page: an abandoned person's
call-back not taken within the campaign's ``abandon_callback_within``, an agent's callback
still waiting after its ``callback_grace`` (it is then offered to every agent)."""

from __future__ import annotations

from datetime import datetime

from dialer.campaigns.rules import policy_from_json
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.reserved_calls import ReservedCallClaims, WaitingReservedCall


async def late_reserved_calls(sessions: SessionFactory, now: datetime) -> list[WaitingReservedCall]:
    """Every open cycle's reserved calls waiting past the campaign's delay, earliest first."""
    cycles = CycleRepository(sessions)
    claims = ReservedCallClaims(sessions)
    late: list[WaitingReservedCall] = []
    for campaign in await CampaignRepository(sessions).list_all():
        cycle = await cycles.current(campaign.id)
        if cycle is None:
            continue
        policy = policy_from_json(campaign.retry_policy)
        grace = min(policy.abandon_callback_within, policy.callback_grace)
        late.extend(await claims.late([cycle.id], now=now, grace=grace))
    return sorted(late, key=lambda call: call.due_at)
