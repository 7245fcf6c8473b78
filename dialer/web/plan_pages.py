"""Campaigns planned by dates (« veille sociale ») in the supervisor's pages.

``/supervision/campagnes-planifiees``: the plans (list, dates, state of their campaign,
links to their settings and selection) and the form to plan one (list, start date, end
date, name). A bad value is re-shown with the field named (422), nothing written. The
same code as the API and ``dialer campaign plan`` (:class:`~dialer.campaigns.plans.PlanControl`).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.permissions import Action, allowed
from dialer.errors import ConflictError, InputError
from dialer.storage.selection import list_counts
from dialer.web.access import GuardedRoute
from dialer.web.api_plans import plan_control
from dialer.web.failures import french_message
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/supervision/campagnes-planifiees"


async def plans_page(
    request: Request,
    *,
    shown: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    user = await authenticated(request)
    return web(request).templates.TemplateResponse(
        request,
        "campaign_plans.html",
        {
            "user": user,
            "plans": await plan_control(request).all(),
            "lists": await list_counts(steering(request).sessions),
            "values": shown or {},
            "can_edit": allowed(user.role, Action.CAMPAIGNS_STEER),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def plan_campaign(request: Request) -> Response:
    who = await for_form(request)
    form = await request.form()
    shown = {key: str(form.get(key, ""))[:200] for key in ("list", "starts_on", "ends_on", "name")}
    try:
        planned = await plan_control(request).plan(
            list_name=shown["list"],
            starts_on=shown["starts_on"],
            ends_on=shown["ends_on"],
            actor=who.username,
            name=shown["name"] or None,
        )
    except InputError as exc:
        return await plans_page(request, shown=shown, error=french_message(exc), status=422)
    except ConflictError as exc:
        return await plans_page(request, shown=shown, error=french_message(exc), status=409)
    notice = f"Campagne « {planned.campaign.name} » planifiée"
    return RedirectResponse(f"{PAGE}?fait={quote(notice)}", status_code=303)


ROUTES = [
    GuardedRoute(PAGE, plans_page, rule=Action.CAMPAIGNS_VIEW, methods=["GET"]),
    GuardedRoute(PAGE, plan_campaign, rule=Action.CAMPAIGNS_STEER, methods=["POST"]),
]
