"""Calls coming in after the campaign is stopped through the API: the caller hears the
hours and the emergency numbers, reaches no agent, and is called back at the opening."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dialer.core.attempts import AttemptKind
from dialer.engine.inbound import CLOSED_CONTEXT
from dialer.storage.database import transaction
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.telephony.port import CallInbound
from tests.web.steering_support import SteerRig, ready_agent, steer

__all__ = ["steer"]


@pytest.mark.asyncio
async def test_after_the_campaign_is_stopped_a_caller_hears_the_hours_and_is_called_back(
    steer: SteerRig,
) -> None:
    sup = steer.auth("superviseur")
    campaign_id = steer.world.campaign_id
    started = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    assert started.status_code == 200, started.text
    stopped = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/stop", headers=sup)
    assert stopped.json()["state"] == "stopped"
    await ready_agent(steer.engine)  # an agent free: not given the caller
    await steer.engine.handle(CallInbound("1790000000.70", "0145678910", steer.clock()), steer.node)
    assert steer.node.sent == [("1790000000.70", CLOSED_CONTEXT)]
    assert steer.node.joins == []
    async with transaction(steer.sessions) as session:
        member = await session.scalar(
            select(CycleMember).where(CycleMember.person_id == steer.world.jeanne_id)
        )
    assert member is not None
    assert member.status is MemberStatus.WAITING
    assert member.next_kind is AttemptKind.CALLBACK  # an agent reserved, at the opening
    statistics = steer.engine.statistics()
    assert (statistics["inbound_closed"], statistics["inbound_calls_back"]) == (1, 1)
