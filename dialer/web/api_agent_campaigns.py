"""Which campaigns an agent serves, through the versioned API:
``GET /api/v1/agents/{username}/campaigns`` reads them, ``PUT
/api/v1/agents/{username}/campaigns/{campaign_id}`` makes the agent serve a campaign with a
priority (the higher wins when two campaigns have a call for them), ``DELETE`` ends it. An
agent serving none serves every running campaign. Supervisors change it; the engine
follows at once (:class:`dialer.campaigns.campaign_agents.CampaignAgents`, audited)."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.core.roles import Role
from dialer.core.serving import DEFAULT_PRIORITY, PRIORITY_RANGE
from dialer.errors import NotFoundError
from dialer.storage.agent_campaigns import Serving
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.service import campaign_control, web


class ServeBody(Body):
    priority: int = Field(
        default=DEFAULT_PRIORITY,
        ge=PRIORITY_RANGE.start,
        le=PRIORITY_RANGE.stop - 1,
        description="priorité (la plus haute l'emporte quand deux campagnes ont un appel)",
    )


class ServedCampaign(Answer):
    campaign_id: int
    campaign_name: str
    priority: int


class AgentCampaigns(Answer):
    username: str
    every_campaign: bool = Field(description="aucune campagne choisie : il les sert toutes")
    campaigns: list[ServedCampaign] = Field(description="la plus haute priorité d'abord")


async def _agent(request: Request) -> str:
    username = str(request.path_params["username"])
    account = await web(request).accounts.by_username(username)
    if account is None or account.role is not Role.AGENT:
        raise NotFoundError(f"agent {username!r} inconnu")
    return username


def agent_campaigns_json(username: str, rows: list[Serving]) -> dict[str, object]:
    mine = [r for r in rows if r.agent == username]
    return {
        "username": username,
        "every_campaign": not mine,
        "campaigns": [
            {"campaign_id": r.campaign_id, "campaign_name": r.campaign_name, "priority": r.priority}
            for r in mine
        ],
    }


async def read_agent_campaigns(request: Request) -> Response:
    await caller(request)
    username = await _agent(request)
    rows = await campaign_control(request).agents.list()
    return ok(agent_campaigns_json(username, rows))


async def serve_campaign(request: Request) -> Response:
    who = await caller(request)
    username = await _agent(request)
    data: ServeBody = await request_body(request, ServeBody)
    agents = campaign_control(request).agents
    await agents.serve(
        username, request.path_params["campaign_id"], actor=who.actor, priority=data.priority
    )
    return ok(agent_campaigns_json(username, await agents.list()))


async def stop_serving_campaign(request: Request) -> Response:
    who = await caller(request)
    username = await _agent(request)
    agents = campaign_control(request).agents
    await agents.stop_serving(username, request.path_params["campaign_id"], actor=who.actor)
    return ok(agent_campaigns_json(username, await agents.list()))


SERVING = Area("agents", Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_STEER)
_PATH = API_PREFIX + "/agents/{username}/campaigns"

ENDPOINTS: tuple[Endpoint, ...] = (
    SERVING(
        "GET", _PATH, read_agent_campaigns,
        "Les campagnes que sert l'agent (aucune : toutes celles en cours)", AgentCampaigns,
    ),
    SERVING(
        "PUT", _PATH + "/{campaign_id:id}", serve_campaign,
        "L'agent sert cette campagne, avec sa priorité (la plus haute l'emporte)",
        AgentCampaigns, body=ServeBody,
    ),
    SERVING(
        "DELETE", _PATH + "/{campaign_id:id}", stop_serving_campaign,
        "L'agent ne sert plus cette campagne", AgentCampaigns,
    ),
)  # fmt: skip
