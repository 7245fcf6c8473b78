"""The supervisor's page of which campaigns each agent serves,
``/supervision/agents/campagnes``: every agent with the campaigns stored for them and
their priority (none: every running campaign), a form to make an agent serve a campaign
(or change its priority) and a button to end it. The changes go through
:class:`~dialer.campaigns.campaign_agents.CampaignAgents`, as the API's do (checked,
audited, followed by the engine at once); a bad value re-shows the page with the field
named (422)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.campaigns.campaign_agents import checked_priority
from dialer.core.campaigns import CampaignState
from dialer.core.labels import CAMPAIGN_STATE_LABELS
from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.core.serving import DEFAULT_PRIORITY, PRIORITY_RANGE
from dialer.errors import ConflictError, InputError
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.service import authenticated, campaign_control, for_form, web

PAGE = "/supervision/agents/campagnes"


async def serving_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    control = campaign_control(request)
    rows = await control.agents.list()
    agents = [a.username for a in await web(request).accounts.list_all() if a.role is Role.AGENT]
    campaigns = [
        c
        for c in await control.list()
        if c.state not in (CampaignState.FINISHED, CampaignState.STOPPED)
    ]
    return web(request).templates.TemplateResponse(
        request,
        "steering_serving.html",
        {
            "user": user,
            "agents": agents,
            "served": {a: [r for r in rows if r.agent == a] for a in agents},
            "campaigns": campaigns,
            "state_labels": CAMPAIGN_STATE_LABELS,
            "default_priority": DEFAULT_PRIORITY,
            "priorities": (PRIORITY_RANGE.start, PRIORITY_RANGE.stop - 1),
            "can_steer": allowed(user.role, Action.CAMPAIGNS_STEER),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}


def _campaign(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise InputError("champ « campaign » : choisissez une campagne")
    return int(raw)


async def serve(request: Request) -> Response:
    user = await for_form(request)
    fields = await _fields(request)
    try:
        agent = fields.get("agent", "")
        campaign = _campaign(fields.get("campagne", ""))
        priority = checked_priority(fields.get("priorite") or DEFAULT_PRIORITY)
        row = await campaign_control(request).agents.serve(
            agent, campaign, actor=user.username, priority=priority
        )
    except (InputError, ConflictError) as exc:
        return await serving_page(request, error=french_message(exc), status=422)
    notice = f"{row.agent} sert « {row.campaign_name} » (priorité {row.priority})"
    return RedirectResponse(f"{PAGE}?fait={quote(notice)}", status_code=303)


async def stop_serving(request: Request) -> Response:
    user = await for_form(request)
    fields = await _fields(request)
    try:
        agent = fields.get("agent", "")
        campaign = _campaign(fields.get("campagne", ""))
        await campaign_control(request).agents.stop_serving(agent, campaign, actor=user.username)
    except (InputError, ConflictError) as exc:
        return await serving_page(request, error=french_message(exc), status=422)
    notice = f"{agent} ne sert plus la campagne {campaign}"
    return RedirectResponse(f"{PAGE}?fait={quote(notice)}", status_code=303)


ROUTES = [
    GuardedRoute(PAGE, serving_page, rule=Action.CAMPAIGNS_VIEW, methods=["GET"]),
    GuardedRoute(PAGE, serve, rule=Action.CAMPAIGNS_STEER, methods=["POST"]),
    GuardedRoute(PAGE + "/retirer", stop_serving, rule=Action.CAMPAIGNS_STEER, methods=["POST"]),
]
