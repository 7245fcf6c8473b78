"""Campaigns planned by dates (« veille sociale ») in the versioned API.

- ``GET /api/v1/campaign-plans``: every plan, the soonest first, with its campaign.
- ``POST /api/v1/campaign-plans``: plan a campaign over a list for a date range (the
  service opens it at its start date and closes it after its end date). A plan in the
  past, ending before it starts or over another plan of the list is a 422 naming the
  field; nothing is written then. The same code as the page and ``dialer campaign plan``
  (:class:`~dialer.campaigns.plans.PlanControl`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.campaigns.plans import DEFAULT_PLAN_TEMPLATE, PlanControl, PlannedView
from dialer.core.permissions import Action
from dialer.core.selection import MAX_LIST_NAME
from dialer.errors import ConflictError
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, Campaign, Page, ok, page_of, paged
from dialer.web.service import steering


class PlanBody(Body):
    list: str = Field(max_length=MAX_LIST_NAME, description="la liste des ménages qui ont accepté")
    starts_on: str = Field(max_length=10, description="date de début, AAAA-MM-JJ (incluse)")
    ends_on: str = Field(max_length=10, description="date de fin, AAAA-MM-JJ (incluse)")
    name: str | None = Field(default=None, max_length=200)
    template: str = Field(default=DEFAULT_PLAN_TEMPLATE, max_length=100)


class Plan(Answer):
    id: int
    campaign_id: int
    list: str
    starts_on: str
    ends_on: str
    planned_by: str
    planned_at: str
    opened_at: str | None = Field(description="ouverte par le service à sa date de début")
    closed_at: str | None = Field(description="close par le service après sa date de fin")
    campaign: Campaign


class PlanPage(Page[Plan]):
    pass


def plan_control(request: Request) -> PlanControl:
    plans = steering(request).plans
    if plans is None:
        raise ConflictError("le moteur d'appels ne tourne pas : lancez « dialer serve »")
    return plans


def plan_json(view: PlannedView) -> dict[str, Any]:
    return {**view.plan.as_json(), "campaign": view.campaign.as_json()}


async def list_plans(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    return paged([plan_json(view) for view in await plan_control(request).all()], asked)


async def create_plan(request: Request) -> Response:
    who = await caller(request)
    data: PlanBody = await request_body(request, PlanBody)
    planned = await plan_control(request).plan(
        list_name=data.list,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        actor=who.actor,
        name=data.name,
        template_key=data.template,
    )
    return ok(plan_json(planned), status=201)


PLANS = Area("campagnes", Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_STEER)
_PLANS = API_PREFIX + "/campaign-plans"
ENDPOINTS: tuple[Endpoint, ...] = (
    PLANS.listing(_PLANS, list_plans, "Campagnes planifiées par dates (veille sociale)", PlanPage),
    PLANS(
        "POST", _PLANS, create_plan,
        "Planifier une campagne de veille sociale sur une liste, d'une date à une autre : le "
        "service l'ouvre à sa date de début et la clôt après sa date de fin (422 : dates "
        "passées, inversées ou chevauchant un autre plan de la liste)",
        Plan, body=PlanBody, created=True,
    ),
)  # fmt: skip
