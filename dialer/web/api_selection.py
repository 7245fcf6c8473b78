"""Lists and selection in the API: the named lists with their counts, who a campaign
calls (its selection: lists, districts, postcodes, age, register flags) and how many that
is before the start.

- ``GET /api/v1/lists``: every list and how many people are on it.
- ``POST /api/v1/selection/count``: how many people a selection enrols today (opposed,
  deceased and removed people never counted; with ``campaign_id`` or ``kind`` of a
  veille-sociale campaign, only valid consents to regular calls, as its cycle enrols).
- ``GET`` / ``PUT /api/v1/campaigns/{id}/selection``: a campaign's selection and its count;
  changed only before the start or when stopped (409 otherwise). Every bad value is a 422
  naming the field (« selection.lists : liste inconnue … »); nothing is written then.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.campaigns import CampaignKind
from dialer.core.permissions import Action
from dialer.core.selection import (
    MAX_AGE,
    MAX_LISTS,
    MAX_PLACES,
    Selection,
    read_selection,
    selection_to_json,
)
from dialer.storage.database import SessionFactory
from dialer.storage.selection import (
    campaign_kind,
    campaign_selection,
    count_selected,
    list_counts,
    list_names,
    set_campaign_selection,
)
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.service import steering


class SelectionFields(Body):
    """Who a campaign calls. Empty: no narrowing on that field; no list: every person on
    the register. Age: full years at the cycle's start; a person without a birth date is
    left out by an age filter."""

    lists: list[str] = Field(default_factory=list, max_length=MAX_LISTS)
    districts: list[str] = Field(default_factory=list, max_length=MAX_PLACES)
    postcodes: list[str] = Field(default_factory=list, max_length=MAX_PLACES)
    min_age: int | None = Field(default=None, ge=0, le=MAX_AGE)
    max_age: int | None = Field(default=None, ge=0, le=MAX_AGE)
    flags: list[str] = Field(default_factory=list, max_length=2, description="disability, medical")


class SelectionBody(Body):
    selection: SelectionFields


class CountBody(SelectionBody):
    """A selection to count as a campaign would enrol it: ``campaign_id`` (that campaign's
    kind) or ``kind``; a veille-sociale one counts only valid consents to regular calls."""

    campaign_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    kind: CampaignKind | None = None


class ListCount(Answer):
    name: str
    people: int


class ListCounts(Answer):
    lists: list[ListCount]


class SelectionCount(Answer):
    selection: dict[str, Any]
    count: int = Field(description="personnes sélectionnées aujourd'hui (hors oppositions…)")


async def checked(sessions: SessionFactory, fields: SelectionFields) -> Selection:
    """The selection, its lists checked against those stored."""
    return read_selection(fields.model_dump(), known_lists=await list_names(sessions))


async def lists(request: Request) -> Response:
    await caller(request)
    found = await list_counts(steering(request).sessions)
    return ok({"lists": [{"name": name, "people": people} for name, people in found]})


async def count(request: Request) -> Response:
    await caller(request)
    data: CountBody = await request_body(request, CountBody)
    ops = steering(request)
    selection = await checked(ops.sessions, data.selection)
    kind = data.kind
    if data.campaign_id is not None:
        kind = await campaign_kind(ops.sessions, data.campaign_id)
    return ok(await _counted(ops.sessions, selection, ops.clock(), kind))


async def get_selection(request: Request) -> Response:
    await caller(request)
    ops = steering(request)
    campaign_id = request.path_params["campaign_id"]
    selection = await campaign_selection(ops.sessions, campaign_id)
    kind = await campaign_kind(ops.sessions, campaign_id)
    return ok(await _counted(ops.sessions, selection, ops.clock(), kind))


async def put_selection(request: Request) -> Response:
    await caller(request)
    data: SelectionBody = await request_body(request, SelectionBody)
    ops = steering(request)
    selection = await checked(ops.sessions, data.selection)
    campaign_id = request.path_params["campaign_id"]
    await set_campaign_selection(ops.sessions, campaign_id, selection)
    kind = await campaign_kind(ops.sessions, campaign_id)
    return ok(await _counted(ops.sessions, selection, ops.clock(), kind))


async def _counted(
    sessions: SessionFactory, selection: Selection, now: Any, kind: CampaignKind | None
) -> dict[str, Any]:
    """The selection and how many it enrols today in a campaign of ``kind``."""
    people = await count_selected(sessions, selection, day=now.date(), now=now, kind=kind)
    return {"selection": selection_to_json(selection), "count": people}


LISTS = Area("listes", Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_STEER)
_CAMPAIGN = API_PREFIX + "/campaigns/{campaign_id:id}/selection"
ENDPOINTS: tuple[Endpoint, ...] = (
    LISTS("GET", API_PREFIX + "/lists", lists, "Les listes de personnes et leurs effectifs",
          ListCounts),
    LISTS(
        "POST", API_PREFIX + "/selection/count", count,
        "Compter les personnes d'une sélection (listes, quartiers, codes postaux, âge, "
        "indicateurs), sans rien enregistrer", SelectionCount, body=SelectionBody,
        rule=Action.CAMPAIGNS_VIEW,
    ),
    LISTS("GET", _CAMPAIGN, get_selection, "La sélection d'une campagne et son effectif",
          SelectionCount),
    LISTS(
        "PUT", _CAMPAIGN, put_selection,
        "Changer la sélection d'une campagne (avant le démarrage ou arrêtée ; 409 sinon)",
        SelectionCount, body=SelectionBody, replaces=True,
    ),
)  # fmt: skip
