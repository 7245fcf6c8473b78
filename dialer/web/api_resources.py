"""The directory of resources through the versioned API: ``GET /api/v1/resources``
(``?need=food`` …) for the staff, ``POST`` (add) and ``PUT /api/v1/resources/{id}`` (edit,
or take out of the proposals with ``active: false``) for the administrators. The same
storage as ``dialer resources`` and the administrator's page
(:mod:`dialer.storage.resources`), audited there."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.core.resources import (
    AREA_MAX,
    CONTACT_MAX,
    HOURS_MAX,
    NAME_MAX,
    NeedKind,
    ResourceEntry,
)
from dialer.errors import InputError
from dialer.storage.resource_rows import ResourceRow
from dialer.storage.resources import ResourceDirectory
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, ResourceQuery, parse_query, request_body
from dialer.web.api_responses import Answer, Page, ok, paged
from dialer.web.read_log import route_of
from dialer.web.service import steering


class ResourceBody(Body):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    needs: list[NeedKind] = Field(min_length=1, max_length=len(NeedKind))
    area: str = Field(min_length=1, max_length=AREA_MAX, description="la zone desservie")
    contact: str = Field(min_length=1, max_length=CONTACT_MAX)
    hours: str = Field(default="", max_length=HOURS_MAX)
    active: bool = Field(default=True, description="false : n'est plus proposée")

    def entry(self) -> ResourceEntry:
        texts = {"name": self.name, "area": self.area, "contact": self.contact}
        for field, value in texts.items():
            if not value.strip():
                raise InputError(f"champ « {field} » : vide")
        needs = tuple(kind for kind in NeedKind if kind in self.needs)
        return ResourceEntry(self.name, needs, self.area, self.contact, self.hours)


class ResourceAnswer(Answer):
    id: int
    name: str
    needs: list[str]
    area: str
    contact: str
    hours: str
    active: bool
    updated_by: str
    updated_at: str


class ResourcePage(Page[ResourceAnswer]):
    pass


def resource_json(row: ResourceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "needs": list(row.needs),
        "area": row.area,
        "contact": row.contact,
        "hours": row.hours,
        "active": row.active,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat(),
    }


async def list_resources(request: Request) -> Response:
    await caller(request)
    query = parse_query(ResourceQuery, request.query_params)
    rows = await ResourceDirectory(steering(request).sessions).list(query.need)
    return paged([resource_json(row) for row in rows], query)


async def add_resource(request: Request) -> Response:
    who = await caller(request)
    data: ResourceBody = await request_body(request, ResourceBody)
    ops = steering(request)
    row = await ResourceDirectory(ops.sessions).add(
        data.entry(), actor=who.actor, now=ops.clock(), route=route_of(request)
    )
    return ok(resource_json(row), 201)


async def edit_resource(request: Request) -> Response:
    who = await caller(request)
    data: ResourceBody = await request_body(request, ResourceBody)
    ops = steering(request)
    row = await ResourceDirectory(ops.sessions).edit(
        request.path_params["resource_id"],
        data.entry(),
        active=data.active,
        actor=who.actor,
        now=ops.clock(),
        route=route_of(request),
    )
    return ok(resource_json(row))


RESOURCES = Area("resources", Action.RESOURCES_VIEW, Action.RESOURCES_MANAGE)
_R = API_PREFIX + "/resources"

ENDPOINTS: tuple[Endpoint, ...] = (
    RESOURCES.listing(
        _R, list_resources,
        "L'annuaire des ressources (services de la Ville, partenaires), par besoin",
        ResourcePage, query=ResourceQuery,
    ),
    RESOURCES(
        "POST", _R, add_resource, "Ajouter une ressource à l'annuaire", ResourceAnswer,
        body=ResourceBody, created=True,
    ),
    RESOURCES(
        "PUT", _R + "/{resource_id:int}", edit_resource,
        "Modifier une ressource (ou ne plus la proposer : active false)", ResourceAnswer,
        body=ResourceBody, replaces=True,
    ),
)  # fmt: skip
