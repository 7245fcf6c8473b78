"""How many attempts a person has left in the cycle of the call an agent or a volunteer is
on: a callback or a follow-up is refused when none is left (it would never be placed)."""

from __future__ import annotations

from dialer.campaigns.queue import planner_history
from dialer.campaigns.rules import policy_from_json
from dialer.core.callbacks import attempts_left
from dialer.desk.call_view import CallContext
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger


async def attempts_left_on(sessions: SessionFactory, context: CallContext) -> int:
    """The attempts left to the call's person in its cycle, as the planner counts them
    (placed attempts, a relative's call apart)."""
    attempts = await AttemptLedger(sessions).for_person(context.person.id, context.attempt.cycle_id)
    placed = planner_history(attempts)
    # the campaign as it is now (its settings may have changed since the call began)
    campaign = await CampaignRepository(sessions).get(context.campaign.id)
    policy = policy_from_json(campaign.retry_policy)
    return attempts_left(placed, policy.max_attempts)
