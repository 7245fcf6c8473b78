"""The REST API's campaign settings: ``GET`` and ``PATCH /api/v1/campaigns/{id}/settings``
(supervisors and administrators change them; a change names the settings' ``version`` it
was made on: a stale one is a 409)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from dialer.errors import InputError
from dialer.web.access import caller
from dialer.web.api_models import CampaignSettingsChange, request_body
from dialer.web.api_responses import ok
from dialer.web.service import campaign_control, web


async def campaign_settings(request: Request) -> Response:
    await caller(request)
    view = await campaign_control(request).settings(request.path_params["campaign_id"])
    return ok(view.as_json())


async def change_campaign_settings(request: Request) -> Response:
    who = await caller(request)
    data: CampaignSettingsChange = await request_body(request, CampaignSettingsChange)
    change = data.change()
    if not change:
        raise InputError("corps de la requête : indiquez au moins un réglage à changer")
    view = await campaign_control(request).change_settings(
        request.path_params["campaign_id"],
        change,
        actor=who.actor,
        version=data.version,
        questionnaires=web(request).questionnaires,
    )
    return ok(view.as_json())
