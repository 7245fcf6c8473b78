"""The lists and a campaign's selection in the supervisor's pages.

- ``/supervision/listes``: every list of people and how many people are on it.
- ``/supervision/selections/{id}``: who the campaign calls (lists, districts, postcodes,
  age at the cycle's start, register flags) with its count, shown before the start and
  counted again as the filters change (``/api/v1/selection/count``, the page's script);
  saved by supervisors before the start or when stopped (409 otherwise), a bad value
  re-shown with the field named (422). The start button sits below the count.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.consent import CONSENT_LIST
from dialer.core.labels import SELECTION_FLAG_NAMES
from dialer.core.permissions import Action, allowed
from dialer.core.selection import read_selection, selection_to_json
from dialer.errors import ConflictError, InputError
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.selection import (
    campaign_kind,
    campaign_selection,
    count_selected,
    list_counts,
    list_names,
    set_campaign_selection,
)
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.service import authenticated, for_form, steering, web


def _page_path(campaign_id: int) -> str:
    return f"/supervision/selections/{campaign_id}"


async def lists_page(request: Request) -> Response:
    user = await authenticated(request)
    found = await list_counts(steering(request).sessions)
    return web(request).templates.TemplateResponse(
        request, "lists.html", {"user": user, "lists": found}
    )


async def selection_page(
    request: Request,
    *,
    shown: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    campaign_id = request.path_params["campaign_id"]
    campaign = await CampaignRepository(ops.sessions).get(campaign_id)
    selection = await campaign_selection(ops.sessions, campaign_id)
    now = ops.clock()
    people = await count_selected(
        ops.sessions, selection, day=now.date(), now=now, kind=campaign.kind
    )
    return web(request).templates.TemplateResponse(
        request,
        "selection.html",
        {
            "user": user,
            "campaign": campaign,
            "values": shown or selection_to_json(selection),
            "count": people,
            "lists": await list_counts(ops.sessions),
            "flags": SELECTION_FLAG_NAMES,
            "consent_list": CONSENT_LIST,
            "can_edit": allowed(user.role, Action.CAMPAIGNS_STEER),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def change_selection(request: Request) -> Response:
    await for_form(request)
    form = await request.form()
    ops = steering(request)
    campaign_id = request.path_params["campaign_id"]
    raw = form_selection(
        {key: str(value) for key, value in form.items() if isinstance(value, str)},
        lists=[str(value) for value in form.getlist("lists")],
        flags=[str(value) for value in form.getlist("flags")],
    )
    try:
        selection = read_selection(raw, known_lists=await list_names(ops.sessions))
        await set_campaign_selection(ops.sessions, campaign_id, selection)
    except InputError as exc:
        return await selection_page(request, shown=raw, error=french_message(exc), status=422)
    except ConflictError as exc:
        return await selection_page(request, shown=raw, error=french_message(exc), status=409)
    kind = await campaign_kind(ops.sessions, campaign_id)
    now = ops.clock()
    people = await count_selected(ops.sessions, selection, day=now.date(), now=now, kind=kind)
    notice = f"Sélection enregistrée : {people} personne(s)"
    return RedirectResponse(f"{_page_path(campaign_id)}?fait={quote(notice)}", status_code=303)


def form_selection(fields: dict[str, str], *, lists: list[str], flags: list[str]) -> dict[str, Any]:
    """The form's fields as a selection to check (:func:`read_selection`): districts and
    postcodes separated by commas or spaces, ages as whole numbers."""
    return {
        "lists": lists,
        "districts": _words(fields.get("districts", "")),
        "postcodes": _words(fields.get("postcodes", "")),
        "min_age": _age(fields.get("min_age", ""), "min_age"),
        "max_age": _age(fields.get("max_age", ""), "max_age"),
        "flags": flags,
    }


def _words(text: str) -> list[str]:
    return [word for word in text.replace(";", ",").split(",") if word.strip()]


def _age(text: str, field: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 3 else text  # read_selection refuses


ROUTES = [
    GuardedRoute("/supervision/listes", lists_page, rule=Action.CAMPAIGNS_VIEW, methods=["GET"]),
    GuardedRoute(
        "/supervision/selections/{campaign_id:id}",
        selection_page,
        rule=Action.CAMPAIGNS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/supervision/selections/{campaign_id:id}",
        change_selection,
        rule=Action.CAMPAIGNS_STEER,
        methods=["POST"],
    ),
]
