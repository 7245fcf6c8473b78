"""The agent's choices on a call coming in, in the versioned API: on a shared line, who of
the register's people is on the phone (``POST /api/v1/agent/calls/{attempt_id}/person``);
the call, its contact and its sheet become that person's, the others are untouched. Only
the agent on the call may (:data:`dialer.core.permissions.Action.INBOUND_ATTACH`); the
engine behind is :meth:`dialer.engine.inbound.InboundCalls.attach`."""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.desk.port import InboundChoices
from dialer.errors import ConflictError
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_agent_responses import CallView
from dialer.web.api_models import request_body
from dialer.web.api_responses import checked
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.service import web


class PersonChosen(BaseModel):
    """The person of the register the agent says is on the phone."""

    person_id: int = Field(gt=0, lt=2**31, description="l'identifiant de la personne choisie")


def _choices(request: Request) -> InboundChoices:
    desk = web(request).desk
    if not isinstance(desk, InboundChoices):
        raise ConflictError("aucune campagne n'est en cours : la téléphonie n'est pas active")
    return desk


@described_by(CallView, body=PersonChosen)
async def choose_person(request: Request) -> Response:
    """Ligne partagée : dire quelle personne du registre est au téléphone ; l'appel (son
    contact, sa fiche) devient le sien, les autres ne sont pas touchées (agent ;
    consultation journalisée)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    chosen = await request_body(request, PersonChosen)
    await _choices(request).attach_inbound(user.username, attempt_id, chosen.person_id)
    service.screens.forget(user.username, attempt_id)  # the payload kept was the other's
    view = await service.sheets.views.view(attempt_id, agent=user.username)
    await record_read(
        request,
        actor=user.actor,
        action="read.call",
        target=f"attempt:{attempt_id}",
        person_id=view["person"]["id"],
        details={"shared_line_choice": True},
    )
    return checked(CallView, view)


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/person",
        choose_person,
        rule=Action.INBOUND_ATTACH,
        methods=["POST"],
    ),
]
