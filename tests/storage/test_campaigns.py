from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.errors import ConflictError, NotFoundError
from dialer.storage import (
    CallbackRepository,
    CampaignRepository,
    CycleRepository,
    CycleResultRepository,
    PacingMode,
    SessionFactory,
)

from .conftest import NOW, Scene


@pytest.mark.asyncio
async def test_a_campaign_is_created_in_draft_and_moved_by_compare_and_set(
    sessions: SessionFactory, scene: Scene
) -> None:
    campaigns = CampaignRepository(sessions)
    campaign = await campaigns.get(scene.campaign_id)
    assert campaign.state is CampaignState.DRAFT
    assert campaign.calling_windows == {"week": [["09:00-19:00"]] * 6 + [[]], "holiday": []}
    assert campaign.retry_policy == {"max_attempts": 3}
    assert campaign.created_at == NOW

    running = await campaigns.set_state(
        campaign.id, CampaignState.RUNNING, expected={CampaignState.DRAFT}
    )
    assert running.state is CampaignState.RUNNING
    with pytest.raises(ConflictError, match="is running: cannot make it running"):
        await campaigns.set_state(
            campaign.id, CampaignState.RUNNING, expected={CampaignState.DRAFT}
        )
    assert (await campaigns.by_name("Canicule 2025")).state is CampaignState.RUNNING
    assert [c.id for c in await campaigns.list_all()] == [campaign.id]

    with pytest.raises(ConflictError, match="existe déjà"):
        await campaigns.create(
            name="Canicule 2025",
            kind=CampaignKind.HEATWAVE,
            questionnaire_id="q",
            questionnaire_version="1",
            caller_id="+33140000000",
            pacing_mode=PacingMode.PREVIEW,
            calling_windows={},
            retry_policy={},
            now=NOW,
        )
    with pytest.raises(NotFoundError):
        await campaigns.by_name("Grand froid")


@pytest.mark.asyncio
async def test_pacing_stores_the_lines_per_agent_cap(
    sessions: SessionFactory, scene: Scene
) -> None:
    campaigns = CampaignRepository(sessions)
    assert (await campaigns.get(scene.campaign_id)).max_lines_per_agent == 3.0
    await campaigns.set_pacing(
        scene.campaign_id,
        mode=PacingMode.PREDICTIVE,
        max_abandon_rate=0.02,
        max_lines_per_agent=2.5,
    )
    stored = await campaigns.get(scene.campaign_id)
    assert (stored.pacing_mode, stored.max_abandon_rate, stored.max_lines_per_agent) == (
        PacingMode.PREDICTIVE,
        0.02,
        2.5,
    )
    # left out: kept
    await campaigns.set_pacing(
        scene.campaign_id, mode=PacingMode.PROGRESSIVE, max_abandon_rate=0.01
    )
    assert (await campaigns.get(scene.campaign_id)).max_lines_per_agent == 2.5


@pytest.mark.asyncio
async def test_cycles_are_numbered_and_one_is_open_at_a_time(
    sessions: SessionFactory, scene: Scene
) -> None:
    cycles = CycleRepository(sessions)
    first = await cycles.current(scene.campaign_id)
    assert first is not None
    assert first.number == 1
    with pytest.raises(ConflictError, match="cycle 1 is still open"):
        await cycles.open(scene.campaign_id, started_at=NOW, deadline=NOW + timedelta(days=1))
    closed = await cycles.close(first.id, at=NOW + timedelta(hours=8))
    assert closed.cycle.closed_at == NOW + timedelta(hours=8)
    with pytest.raises(ConflictError, match="already closed"):
        await cycles.close(first.id, at=NOW)
    second = await cycles.open(
        scene.campaign_id, started_at=NOW + timedelta(days=1), deadline=NOW + timedelta(days=2)
    )
    assert second.number == 2
    assert [c.number for c in await cycles.list_for(scene.campaign_id)] == [1, 2]
    with pytest.raises(NotFoundError):
        await cycles.open(10_000, started_at=NOW, deadline=NOW)


@pytest.mark.asyncio
async def test_callbacks_come_due_and_are_done_once(sessions: SessionFactory, scene: Scene) -> None:
    callbacks = CallbackRepository(sessions)
    later = await callbacks.schedule(
        person_id=scene.alice_id,
        cycle_id=scene.cycle_id,
        due_at=NOW + timedelta(hours=2),
        number="+33145678910",
        agent="agent-1001",
        note="rappeler après la sieste",
        now=NOW,
    )
    soon = await callbacks.schedule(
        person_id=scene.bob_id,
        cycle_id=scene.cycle_id,
        due_at=NOW + timedelta(hours=1),
        number="+33612345678",
        agent=None,
        now=NOW,
    )
    assert await callbacks.due(NOW) == []
    assert [c.id for c in await callbacks.due(NOW + timedelta(hours=3))] == [soon.id, later.id]
    await callbacks.mark_done(soon.id)
    with pytest.raises(ConflictError, match="already done"):
        await callbacks.mark_done(soon.id)
    due = await callbacks.due(NOW + timedelta(hours=3), cycle_id=scene.cycle_id)
    assert [c.note for c in due] == ["rappeler après la sieste"]


@pytest.mark.asyncio
async def test_results_are_final_unless_replaced_and_feed_the_follow_up_list(
    sessions: SessionFactory, scene: Scene
) -> None:
    results = CycleResultRepository(sessions)
    await results.record(
        cycle_id=scene.cycle_id,
        person_id=scene.alice_id,
        result=CycleResult.NEVER_REACHED,
        decided_at=NOW,
    )
    await results.record(
        cycle_id=scene.cycle_id,
        person_id=scene.bob_id,
        result=CycleResult.REACHED,
        decided_at=NOW,
    )
    with pytest.raises(ConflictError, match="already has result never_reached"):
        await results.record(
            cycle_id=scene.cycle_id,
            person_id=scene.alice_id,
            result=CycleResult.REACHED,
            decided_at=NOW,
        )
    follow_up = await results.never_reached(scene.cycle_id)
    assert [(p.external_id, [n.e164 for n in p.phones]) for p in follow_up] == [
        ("A1", ["+33145678910"])
    ]
    await results.record(
        cycle_id=scene.cycle_id,
        person_id=scene.alice_id,
        result=CycleResult.HOSPITALISED,
        decided_at=NOW + timedelta(hours=1),
        note="hospitalisée depuis lundi",
        replace=True,
    )
    assert await results.never_reached(scene.cycle_id) == []
    assert await results.counts(scene.cycle_id) == {
        CycleResult.HOSPITALISED: 1,
        CycleResult.REACHED: 1,
    }
    stored = await results.get(scene.cycle_id, scene.alice_id)
    assert stored is not None
    assert stored.note == "hospitalisée depuis lundi"


@pytest.mark.asyncio
async def test_settings_change_by_compare_and_set_on_their_version(
    sessions: SessionFactory, scene: Scene
) -> None:
    campaigns = CampaignRepository(sessions)
    campaign = await campaigns.get(scene.campaign_id)
    assert (campaign.settings_version, campaign.ring_timeout_s) == (1, None)

    async def change(delay_s: int) -> object:
        try:
            return await campaigns.set_settings(
                campaign.id,
                expected_version=1,
                values={"retry_policy": {"max_attempts": 3, "busy_delay_s": delay_s}},
            )
        except ConflictError as refused:
            return refused

    # two supervisors save the version they both read, at once: one wins, one is told
    first, second = await asyncio.gather(change(60), change(120))
    refused = [r for r in (first, second) if isinstance(r, ConflictError)]
    assert len(refused) == 1
    assert "modifiés entre-temps" in str(refused[0])
    stored = await campaigns.get(campaign.id)
    assert stored.settings_version == 2
    assert stored.retry_policy["busy_delay_s"] in (60, 120)

    changed = await campaigns.set_settings(
        campaign.id, expected_version=2, values={"ring_timeout_s": 40, "caller_id": "+33149000000"}
    )
    assert (changed.settings_version, changed.ring_timeout_s, changed.caller_id) == (
        3,
        40,
        "+33149000000",
    )
    with pytest.raises(ConflictError):
        await campaigns.set_settings(campaign.id, expected_version=2, values={"ring_timeout_s": 50})
    with pytest.raises(NotFoundError):
        await campaigns.set_settings(999_999, expected_version=1, values={"ring_timeout_s": 50})
    with pytest.raises(ValueError, match="not a campaign setting"):
        await campaigns.set_settings(campaign.id, expected_version=3, values={"state": "finished"})
    assert (await campaigns.get(campaign.id)).ring_timeout_s == 40
