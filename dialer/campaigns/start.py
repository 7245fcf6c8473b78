"""Starting a campaign from a template: one action from the alert to the first dials.

The campaign is created running, its first cycle opened (48 h by default), and the current
register snapshotted into the cycle with every person due at the first calling instant
(now, if a window is open). The city's obligation is to start within 4 hours; this takes
seconds for 10,500 people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialer.campaigns.rules import policy_to_json, windows_to_json
from dialer.campaigns.templates import CampaignTemplate
from dialer.core.planning import first_cycle, initial_attempt_time
from dialer.errors import ConflictError
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.models import CampaignState
from dialer.storage.schedule import enrol_register


@dataclass(frozen=True)
class StartedCampaign:
    campaign_id: int
    cycle_id: int
    name: str
    people: int
    first_due: datetime


async def start_campaign(
    sessions: SessionFactory,
    template: CampaignTemplate,
    *,
    now: datetime,
    name: str | None = None,
    caller_id: str = "",
    questionnaire_version: str = "1",
) -> StartedCampaign:
    cycle = first_cycle(now, template.policy)
    first_due = initial_attempt_time(
        now=now, cycle=cycle, windows=template.windows, policy=template.policy
    )
    if first_due is None:
        raise ConflictError(
            "no calling window opens before the cycle's deadline "
            f"({cycle.deadline:%Y-%m-%d %H:%M} UTC)"
        )
    campaigns = CampaignRepository(sessions)
    campaign = await campaigns.create(
        name=name or f"{template.title} {now:%Y-%m-%d %H:%M}",
        kind=template.kind,
        questionnaire_id=template.questionnaire_id,
        questionnaire_version=questionnaire_version,
        caller_id=caller_id,
        pacing_mode=template.pacing_mode,
        calling_windows=windows_to_json(template.windows),
        retry_policy=policy_to_json(template.policy),
        now=now,
        answering_machine_detection=template.answering_machine_detection,
    )
    opened = await CycleRepository(sessions).open(
        campaign.id, started_at=cycle.started_at, deadline=cycle.deadline
    )
    people = await enrol_register(sessions, opened.id, due=first_due)
    await campaigns.set_state(campaign.id, CampaignState.RUNNING, expected={CampaignState.DRAFT})
    return StartedCampaign(campaign.id, opened.id, campaign.name, people, first_due)
