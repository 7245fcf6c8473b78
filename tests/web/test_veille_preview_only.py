"""A veille-sociale campaign is preview only: each household is offered to its volunteer
before the dial (an automatic join would bypass its assignment). Another pacing mode is
refused through the API (and so the CLI's ``dialer campaign pacing`` and the steering
page, which go through the same control) with the field named, and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from dialer.core.campaigns import CampaignKind
from dialer.core.pacing_settings import PacingMode
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.database import transaction
from dialer.storage.models import Campaign
from tests.web.steering_support import SteerRig, steer

__all__ = ["steer"]


@pytest.mark.asyncio
async def test_a_veille_sociale_campaign_refuses_any_mode_but_preview(steer: SteerRig) -> None:
    campaign_id = steer.world.campaign_id
    async with transaction(steer.sessions) as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(kind=CampaignKind.VEILLE_SOCIALE, pacing_mode=PacingMode.PREVIEW)
        )
    sup = steer.auth("superviseur")
    path = f"/api/v1/campaigns/{campaign_id}/pacing"
    for mode in ("progressive", "predictive"):
        refused = await steer.http.patch(path, json={"mode": mode}, headers=sup)
        assert refused.status_code == 422, refused.text
        error = refused.json()["erreur"]
        assert "« mode »" in error
        assert "veille sociale" in error
        assert "aperçu" in error
    stored = await CampaignRepository(steer.sessions).get(campaign_id)
    assert stored.pacing_mode is PacingMode.PREVIEW  # nothing written
    assert await steer.audit("campaign.pacing") == []
    kept = await steer.http.patch(path, json={"mode": "preview"}, headers=sup)
    assert kept.status_code == 200, kept.text
    assert kept.json()["pacing_mode"] == "preview"


@pytest.mark.asyncio
async def test_another_campaign_still_changes_its_mode(steer: SteerRig) -> None:
    campaign_id = steer.world.campaign_id
    sup = steer.auth("superviseur")
    changed = await steer.http.patch(
        f"/api/v1/campaigns/{campaign_id}/pacing", json={"mode": "predictive"}, headers=sup
    )
    assert changed.status_code == 200, changed.text
