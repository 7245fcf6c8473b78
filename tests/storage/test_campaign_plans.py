"""Campaigns planned by dates in storage, on SQLite and PostgreSQL: two plans of one list
never overlap (nothing written for the refused one), and the plan keeper opens the
campaign at its start date with the consenting households only and closes it after its
end date, once, even with two controllers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dialer.campaigns.plans import PlanControl
from dialer.core.campaign_plans import PlanStep
from dialer.core.campaigns import CampaignState
from dialer.errors import InputError
from dialer.storage import CampaignRepository, SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.campaign_plans import CampaignPlan
from dialer.storage.database import transaction
from dialer.storage.models import Campaign
from dialer.storage.schedule import open_cycle_with_register
from dialer.testing import Clock
from tests.web.steering_support import build_engine
from tests.web.test_campaign_plans import LIST, consenting_list, members

#: Monday 13 July 2026, 09:00 UTC (the veille-sociale list's consents date from June)
NOW = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


async def plans_and_campaigns(sessions: SessionFactory) -> tuple[int, int]:
    async with transaction(sessions) as session:
        plans = await session.scalar(select(func.count()).select_from(CampaignPlan))
        campaigns = await session.scalar(select(func.count()).select_from(Campaign))
    return int(plans or 0), int(campaigns or 0)


@pytest.mark.asyncio
async def test_two_plans_of_one_list_never_overlap(sessions: SessionFactory) -> None:
    clock = Clock(NOW)
    await consenting_list(sessions)
    _, _, control = await build_engine(sessions, clock)
    plans = PlanControl(control)
    await plans.plan(list_name=LIST, starts_on="2026-07-20", ends_on="2026-07-31", actor="sup")
    with pytest.raises(InputError, match="chevauchent"):
        await plans.plan(
            list_name=LIST, starts_on="2026-07-31", ends_on="2026-08-10", actor="sup", name="B"
        )
    with pytest.raises(InputError, match="list"):
        await plans.plan(list_name="nulle", starts_on="2026-08-01", ends_on="2026-08-10", actor="s")
    assert await plans_and_campaigns(sessions) == (1, 1)
    await plans.plan(
        list_name=LIST, starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 10), actor="s", name="C"
    )
    assert await plans_and_campaigns(sessions) == (2, 2)


@pytest.mark.asyncio
async def test_the_keeper_opens_and_closes_once_with_two_controllers(
    sessions: SessionFactory,
) -> None:
    clock = Clock(NOW)
    await consenting_list(sessions)
    _, _, first = await build_engine(sessions, clock)
    _, _, second = await build_engine(sessions, clock)
    one, other = PlanControl(first), PlanControl(second)
    planned = await one.plan(
        list_name=LIST, starts_on="2026-07-14", ends_on="2026-07-14", actor="sup"
    )
    campaign_id = planned.campaign.id
    assert await one.keep_plans() == []
    clock.advance(hours=14)  # Tuesday 14, 01:00 in Paris
    assert await one.keep_plans() == [(campaign_id, PlanStep.OPEN)]
    assert await other.keep_plans() == []
    assert await members(sessions, campaign_id) == {"V1", "V2"}
    state = (await CampaignRepository(sessions).get(campaign_id)).state
    assert state is CampaignState.RUNNING
    clock.advance(timedelta(days=1).total_seconds())
    assert await other.keep_plans() == [(campaign_id, PlanStep.CLOSE)]
    assert await one.keep_plans() == []
    state = (await CampaignRepository(sessions).get(campaign_id)).state
    assert state is CampaignState.FINISHED


@pytest.mark.asyncio
async def test_a_plan_opened_halfway_is_run_at_the_next_turn(sessions: SessionFactory) -> None:
    """A controller stopped between the plan's cycle and the campaign's state (a crash, the
    database lost) left the campaign in draft with its cycle open: the next turn runs it
    instead of taking the open cycle for another controller's work for ever."""
    clock = Clock(NOW)
    await consenting_list(sessions)
    _, _, control = await build_engine(sessions, clock)
    plans = PlanControl(control)
    planned = await plans.plan(
        list_name=LIST, starts_on="2026-07-14", ends_on="2026-07-20", actor="sup"
    )
    campaign_id = planned.campaign.id
    clock.advance(hours=14)  # Tuesday 14, 01:00 in Paris
    await open_cycle_with_register(
        sessions, campaign_id, number=1, started_at=clock(),
        deadline=clock() + timedelta(days=7), due=clock(),
    )  # fmt: skip
    assert (await CampaignRepository(sessions).get(campaign_id)).state is CampaignState.DRAFT
    assert await plans.keep_plans() == [(campaign_id, PlanStep.OPEN)]
    assert (await CampaignRepository(sessions).get(campaign_id)).state is CampaignState.RUNNING
    assert await plans.keep_plans() == []


@pytest.mark.asyncio
async def test_a_plan_stopped_before_its_start_is_not_opened_nor_said_opened(
    sessions: SessionFactory,
) -> None:
    clock = Clock(NOW)
    await consenting_list(sessions)
    _, _, control = await build_engine(sessions, clock)
    plans = PlanControl(control)
    planned = await plans.plan(
        list_name=LIST, starts_on="2026-07-14", ends_on="2026-07-20", actor="sup"
    )
    campaign_id = planned.campaign.id
    await CampaignRepository(sessions).set_state(
        campaign_id, CampaignState.STOPPED, expected={CampaignState.DRAFT}
    )
    clock.advance(hours=14)  # Tuesday 14, 01:00 in Paris: its start
    assert await plans.keep_plans() == [(campaign_id, PlanStep.OPEN)]  # kept: not again
    assert await plans.keep_plans() == []
    assert (await CampaignRepository(sessions).get(campaign_id)).state is CampaignState.STOPPED
    assert await members(sessions, campaign_id) == set()
    actions = [e.action for e in await AuditLog(sessions).search(AuditFilter())]
    assert "campaign.plan_not_opened" in actions
    assert "campaign.plan_open" not in actions
