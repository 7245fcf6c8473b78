"""Issue 17, campaign settings through the REST API: read and change a campaign's calling
windows, retries, AMD, caller id, ring timeout, cycle length and questionnaire version;
validated (422 naming the field), audited (old → new), refused to agents (403) and to a
stale version (409), and taken up by the running campaign's next dials and plans."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dialer.storage import CampaignRepository
from tests.web.steering_support import SteerRig, ready_agent, steer

__all__ = ["steer"]


def path(steer: SteerRig) -> str:
    return f"/api/v1/campaigns/{steer.world.campaign_id}/settings"


async def read(steer: SteerRig, who: str = "superviseur") -> dict[str, Any]:
    response = await steer.http.get(path(steer), headers=steer.auth(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.asyncio
async def test_the_settings_are_read_by_staff_and_refused_to_agents(steer: SteerRig) -> None:
    settings = await read(steer)
    assert settings["version"] == 1
    assert settings["week"][0] == ["09:00-19:00"]
    assert settings["week"][6] == ["10:00-19:00"]
    assert (settings["max_attempts"], settings["cycle_length_h"]) == (4, 48)
    assert (settings["busy_delay_min"], settings["no_answer_delay_min"]) == (15, 180)
    assert settings["ring_timeout_s"] is None
    assert settings["default_ring_timeout_s"] == 30
    assert (await read(steer, "admin"))["version"] == 1
    agent = await steer.http.get(path(steer), headers=steer.auth("agent1"))
    assert agent.status_code == 403
    anonymous = await steer.http.get(path(steer))
    assert anonymous.status_code == 401
    changed = await steer.http.patch(
        path(steer), json={"version": 1, "max_attempts": 2}, headers=steer.auth("agent1")
    )
    assert changed.status_code == 403
    assert (await read(steer))["max_attempts"] == 4


@pytest.mark.asyncio
async def test_a_change_is_stored_audited_and_raises_the_version(steer: SteerRig) -> None:
    week = [["09:00-12:00", "14:00-18:00"]] * 5 + [["10:00-12:00"], []]
    response = await steer.http.patch(
        path(steer),
        json={
            "version": 1,
            "week": week,
            "holiday": [],
            "closed_dates": ["2026-07-14"],
            "open_dates": {"2026-08-15": ["10:00-12:00"]},
            "max_attempts": 6,
            "cycle_length_h": 24,
            "busy_delay_min": 5,
            "answering_machine_detection": True,
            "caller_id": "+33149000000",
            "ring_timeout_s": 40,
            "questionnaire_version": 2,
        },
        headers=steer.auth("admin"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["week"] == week
    assert (body["closed_dates"], body["open_dates"]) == (
        ["2026-07-14"],
        {"2026-08-15": ["10:00-12:00"]},
    )
    assert (body["max_attempts"], body["cycle_length_h"], body["busy_delay_min"]) == (6, 24, 5)
    assert (body["answering_machine_detection"], body["caller_id"]) == (True, "+33149000000")
    assert body["ring_timeout_s"] == 40
    assert await read(steer) == body
    stored = await CampaignRepository(steer.sessions).get(steer.world.campaign_id)
    assert stored.retry_policy["busy_delay_s"] == 300
    assert stored.calling_windows["closed_dates"] == ["2026-07-14"]
    assert (stored.ring_timeout_s, stored.settings_version) == (40, 2)
    [entry] = await steer.audit("campaign.settings")
    assert (entry.actor, entry.target) == ("api:jeton-admin", f"campaign:{stored.id}")
    before, after = entry.details["before"], entry.details["after"]
    assert (before["busy_delay_min"], after["busy_delay_min"]) == (15, 5)
    assert (before["caller_id"], after["caller_id"]) == ("+33140000000", "+33149000000")
    assert (before["ring_timeout_s"], after["ring_timeout_s"]) == (None, 40)
    assert (before["closed_dates"], after["closed_dates"]) == ([], ["2026-07-14"])
    assert entry.details["version"] == 2
    assert "no_answer_delay_min" not in after  # unchanged: not in the entry


@pytest.mark.asyncio
async def test_a_stale_version_is_refused_with_409(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    first = await steer.http.patch(
        path(steer), json={"version": 1, "busy_delay_min": 20}, headers=sup
    )
    assert first.status_code == 200, first.text
    # a second supervisor, who read version 1, saves over it
    second = await steer.http.patch(
        path(steer), json={"version": 1, "busy_delay_min": 30}, headers=steer.auth("admin")
    )
    assert second.status_code == 409
    assert "modifiés entre-temps" in second.json()["erreur"]
    assert (await read(steer))["busy_delay_min"] == 20
    assert len(await steer.audit("campaign.settings")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"week": [["09:00-19:00"]] * 6}, "week"),
        ({"week": [["19:00-09:00"]] * 7}, "week"),
        ({"week": [["09:00-13:00", "12:00-19:00"]] * 7}, "week"),
        ({"week": [["9h-19h"]] * 7}, "week.0.0"),
        ({"holiday": ["25:00-26:00"]}, "holiday"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates.0"),
        (
            {"closed_dates": ["2026-08-15"], "open_dates": {"2026-08-15": ["10:00-12:00"]}},
            "open_dates",
        ),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 99}, "max_attempts"),
        ({"cycle_length_h": 0}, "cycle_length_h"),
        ({"busy_delay_min": -1}, "busy_delay_min"),
        ({"ring_timeout_s": 5}, "ring_timeout_s"),
        ({"ring_timeout_s": 600}, "ring_timeout_s"),
        ({"caller_id": "0140'; DROP TABLE"}, "caller_id"),
        ({"answering_machine_detection": "peut-être"}, "answering_machine_detection"),
        ({"questionnaire_version": 7}, "questionnaire_version"),
        ({"retry_policy": {"max_attempts": 1}}, "retry_policy"),
        ({"state": "finished"}, "state"),
    ],
)
@pytest.mark.asyncio
async def test_bad_settings_are_refused_naming_the_field(
    steer: SteerRig, change: dict[str, Any], field: str
) -> None:
    response = await steer.http.patch(
        path(steer), json={"version": 1, **change}, headers=steer.auth("superviseur")
    )
    assert response.status_code == 422, response.text
    assert f"« {field}" in response.json()["erreur"]
    assert (await read(steer))["version"] == 1
    assert await steer.audit("campaign.settings") == []


@pytest.mark.asyncio
async def test_a_change_without_version_or_setting_is_refused(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    no_version = await steer.http.patch(path(steer), json={"max_attempts": 2}, headers=sup)
    assert no_version.status_code == 422
    assert "version" in no_version.json()["erreur"]
    nothing = await steer.http.patch(path(steer), json={"version": 1}, headers=sup)
    assert nothing.status_code == 422
    assert "au moins un réglage" in nothing.json()["erreur"]
    unknown = await steer.http.get(
        "/api/v1/campaigns/999999/settings", headers=steer.auth("superviseur")
    )
    assert unknown.status_code == 404


@pytest.mark.asyncio
async def test_the_running_campaign_takes_a_change_up_at_its_next_dial(steer: SteerRig) -> None:
    sup = steer.auth("superviseur")
    campaign_id = steer.world.campaign_id
    await ready_agent(steer.engine)
    started = await steer.http.post(f"/api/v1/campaigns/{campaign_id}/start", headers=sup)
    assert started.status_code == 200, started.text
    [first] = steer.node.placed
    assert (first.caller_id, first.ring_timeout_s, first.answering_machine_detection) == (
        "+33140000000",
        30,
        False,
    )
    queue_before = steer.control.current.queue if steer.control.current else None

    changed = await steer.http.patch(
        path(steer),
        json={
            "version": 1,
            "caller_id": "+33149000000",
            "ring_timeout_s": 45,
            "answering_machine_detection": True,
            "busy_delay_min": 2,
            "closed_dates": [(steer.clock().date() + timedelta(days=1)).isoformat()],
        },
        headers=sup,
    )
    assert changed.status_code == 200, changed.text
    current = steer.control.current
    assert current is not None
    assert current.queue is queue_before  # the same cycle's queue, not a new one
    assert current.queue.policy.busy_delay == timedelta(minutes=2)
    assert date.fromisoformat(changed.json()["closed_dates"][0]) in current.windows.closed_dates
    assert current.queue.windows is current.windows

    await ready_agent(steer.engine, "agent2")
    await steer.engine.tick()
    assert len(steer.node.placed) == 2
    second = steer.node.placed[1]
    assert (second.caller_id, second.ring_timeout_s, second.answering_machine_detection) == (
        "+33149000000",
        45,
        True,
    )


@pytest.mark.asyncio
async def test_a_finished_campaign_keeps_its_settings(steer: SteerRig) -> None:
    await steer.control.finish(steer.world.campaign_id, actor="superviseur")
    response = await steer.http.patch(
        path(steer), json={"version": 1, "max_attempts": 2}, headers=steer.auth("superviseur")
    )
    assert response.status_code == 409
    assert "terminée" in response.json()["erreur"]
    assert (await read(steer))["max_attempts"] == 4


@pytest.mark.asyncio
async def test_a_null_ring_timeout_is_the_services_again(steer: SteerRig) -> None:
    await steer.control.start(steer.world.campaign_id, actor="superviseur")
    own = await steer.http.patch(
        path(steer), json={"version": 1, "ring_timeout_s": 45}, headers=steer.auth("admin")
    )
    assert own.status_code == 200, own.text
    assert steer.engine.ring_timeout_s == 45
    reset = await steer.http.patch(
        path(steer), json={"version": 2, "ring_timeout_s": None}, headers=steer.auth("admin")
    )
    assert reset.status_code == 200, reset.text
    assert (reset.json()["ring_timeout_s"], reset.json()["default_ring_timeout_s"]) == (None, 30)
    stored = await CampaignRepository(steer.sessions).get(steer.world.campaign_id)
    assert (stored.ring_timeout_s, stored.settings_version) == (None, 3)
    assert steer.engine.ring_timeout_s == 30
    entry = (await steer.audit("campaign.settings"))[0]  # the latest first
    assert (
        entry.details["before"]["ring_timeout_s"],
        entry.details["after"]["ring_timeout_s"],
    ) == (
        45,
        None,
    )
    untouched = await steer.http.patch(
        path(steer), json={"version": 3, "max_attempts": 5}, headers=steer.auth("admin")
    )
    assert untouched.status_code == 200, untouched.text
    assert untouched.json()["ring_timeout_s"] is None
