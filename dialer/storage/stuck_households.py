"""The households of running veille-sociale campaigns offered to nobody: assigned to an
account that can take neither calls nor the household any more (deactivated, training
removed, no longer a volunteer: :func:`dialer.core.assignees.why_stuck`). The
coordinators' activity page lists them, to be assigned again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dialer.core.assignees import why_stuck
from dialer.core.campaign_plans import today_in_paris
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.storage.account_rows import Account
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import HouseholdAssignment
from dialer.storage.models import Campaign, Person
from dialer.storage.volunteer_rows import VolunteerProfile

#: campaigns whose households still wait for calls
_LIVE = (CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED)


@dataclass(frozen=True)
class StuckHousehold:
    campaign_id: int
    campaign: str
    external_id: str
    name: str
    account: str
    why: str


async def stuck_households(sessions: SessionFactory, now: datetime) -> list[StuckHousehold]:
    """The assigned households nobody will call, by campaign and household."""
    today = today_in_paris(now)
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Campaign, Person, Account, VolunteerProfile.trained_on)
            .join(HouseholdAssignment, HouseholdAssignment.campaign_id == Campaign.id)
            .join(Person, Person.id == HouseholdAssignment.person_id)
            .join(Account, Account.id == HouseholdAssignment.account_id)
            .outerjoin(VolunteerProfile, VolunteerProfile.account_id == Account.id)
            .where(Campaign.kind == CampaignKind.VEILLE_SOCIALE)
            .where(Campaign.state.in_(_LIVE))
            .order_by(Campaign.id, Person.last_name, Person.first_name, Person.id)
        )
        stuck = []
        for campaign, person, account, trained_on in rows:
            why = why_stuck(account.role, active=account.active, trained_on=trained_on, today=today)
            if why is not None:
                stuck.append(
                    StuckHousehold(
                        campaign.id,
                        campaign.name,
                        person.external_id,
                        f"{person.first_name} {person.last_name}".strip(),
                        account.username,
                        why,
                    )
                )
    return stuck
