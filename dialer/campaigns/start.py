"""Starting a campaign from a template: one action from the alert to the first dials.

The campaign is created running, its first cycle opened (48 h by default), and the current
register snapshotted into the cycle with every person due at the first calling instant
(now, if a window is open). The city's obligation is to start within 4 hours; this takes
seconds for 10,500 people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialer.campaigns.rules import (
    policy_from_json,
    policy_to_json,
    windows_from_json,
    windows_to_json,
)
from dialer.campaigns.templates import CampaignTemplate
from dialer.core.campaigns import CampaignState
from dialer.core.planning import Cycle, RetryPolicy, first_cycle, initial_attempt_time
from dialer.core.selection import read_selection
from dialer.core.windows import CallingWindows
from dialer.errors import ConflictError
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.models import Campaign
from dialer.storage.schedule import enrol_register
from dialer.storage.selection import list_names, set_campaign_selection


@dataclass(frozen=True)
class StartedCampaign:
    campaign_id: int
    cycle_id: int
    name: str
    people: int
    first_due: datetime


async def create_from_template(
    sessions: SessionFactory,
    template: CampaignTemplate,
    *,
    now: datetime,
    name: str | None = None,
    caller_id: str = "",
    questionnaire_version: str = "1",
) -> Campaign:
    """A new campaign in ``draft`` with the template's rules (no cycle yet)."""
    return await CampaignRepository(sessions).create(
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
        ring_timeout_s=template.ring_timeout_s,
    )


@dataclass(frozen=True)
class OpenedCycle:
    cycle_id: int
    people: int
    first_due: datetime


def _first_cycle_due(
    now: datetime, windows: CallingWindows, policy: RetryPolicy
) -> tuple[Cycle, datetime]:
    """The cycle opened at ``now`` and its first calling instant; :class:`ConflictError`
    when no window opens before its deadline."""
    cycle = first_cycle(now, policy)
    first_due = initial_attempt_time(now=now, cycle=cycle, windows=windows, policy=policy)
    if first_due is None:
        raise ConflictError(
            "no calling window opens before the cycle's deadline "
            f"({cycle.deadline:%Y-%m-%d %H:%M} UTC)"
        )
    return cycle, first_due


async def open_cycle(
    sessions: SessionFactory,
    campaign: Campaign,
    *,
    now: datetime,
    districts: Collection[str] = (),
) -> OpenedCycle:
    """Open the campaign's next cycle from ``now`` and snapshot the current register (of
    ``districts`` only, when given) into it, everyone due at the first calling instant.
    :class:`ConflictError` when no window opens before the cycle's deadline, or while a
    cycle is open."""
    windows = windows_from_json(campaign.calling_windows)
    policy = policy_from_json(campaign.retry_policy)
    cycle, first_due = _first_cycle_due(now, windows, policy)
    opened = await CycleRepository(sessions).open(
        campaign.id, started_at=cycle.started_at, deadline=cycle.deadline
    )
    people = await enrol_register(sessions, opened.id, due=first_due, districts=districts)
    return OpenedCycle(opened.id, people, first_due)


async def start_campaign(
    sessions: SessionFactory,
    template: CampaignTemplate,
    *,
    now: datetime,
    name: str | None = None,
    caller_id: str = "",
    questionnaire_version: str = "1",
    selection: Mapping[str, Any] | None = None,
) -> StartedCampaign:
    """Create, open the first cycle and mark running, in the database only (the service's
    :class:`~dialer.campaigns.control.CampaignControl` also attaches it to the engine).
    ``selection``: who it calls (:func:`~dialer.core.selection.read_selection`; none: the
    whole register), checked before anything is created."""
    _first_cycle_due(now, template.windows, template.policy)  # refused: nothing created
    chosen = (
        None
        if selection is None
        else read_selection(selection, known_lists=await list_names(sessions))
    )
    campaign = await create_from_template(
        sessions,
        template,
        now=now,
        name=name,
        caller_id=caller_id,
        questionnaire_version=questionnaire_version,
    )
    if chosen is not None:
        await set_campaign_selection(sessions, campaign.id, chosen)
    opened = await open_cycle(sessions, campaign, now=now)
    await CampaignRepository(sessions).set_state(
        campaign.id, CampaignState.RUNNING, expected={CampaignState.DRAFT}
    )
    return StartedCampaign(
        campaign.id, opened.cycle_id, campaign.name, opened.people, opened.first_due
    )
