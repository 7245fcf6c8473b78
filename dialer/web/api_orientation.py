"""The « Orienter » panel of a veille-sociale call sheet in the versioned API:
``/api/v1/agent/calls/{attempt_id}/orientation`` (the resources that match the needs the
household named, the orientations recorded, the follow-up), ``…/orientations`` (record
one) and ``…/follow-up`` (schedule the follow-up call). Only the caller the call is
joined to, while it is theirs; every orientation and follow-up is audited."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.desk.orientations import Orientations
from dialer.errors import InputError
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_models import request_body
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import route_of
from dialer.web.service import web


class OrientationGiven(BaseModel):
    """One orientation of the household to a resource of the directory."""

    resource_id: int = Field(description="la ressource de l'annuaire")
    need: str = Field("", max_length=40, description="le besoin auquel elle répond (facultatif)")
    mode: str = Field(max_length=40, description="information, mise_en_relation ou rendez_vous")
    appointment_at: str | None = Field(
        None, max_length=40, description="date et heure du rendez-vous (ISO 8601, heure de Paris)"
    )
    note: str = Field("", description="une note (2 000 caractères au plus)")


class FollowUpGiven(BaseModel):
    """The follow-up call to schedule for the household."""

    at: str | None = Field(
        None, max_length=40, description="date et heure du suivi (ISO 8601, heure de Paris)"
    )
    note: str = Field("", description="une note (2 000 caractères au plus)")


class NeedShown(Answer):
    id: str
    word: str = Field(description="le mot de l'annuaire et du questionnaire")
    label: str


class ResourceOffered(Answer):
    id: int
    name: str
    needs: list[NeedShown]
    area: str
    contact: str
    hours: str


class ModeShown(Answer):
    id: str
    label: str


class OrientationRecorded(Answer):
    id: int
    resource: str
    need: str
    mode: str
    mode_label: str
    appointment_at: str | None
    note: str


class FollowUpShown(Answer):
    due_at: str
    note: str
    outside_slots: str | None = Field(
        default=None,
        description="pour un bénévole : le suivi tombe hors de ses disponibilités (et son "
        "créneau suivant) ; null sinon",
    )


class OrientationPanel(Answer):
    """Le panneau « Orienter » d'un appel de la veille sociale."""

    needs: list[NeedShown] = Field(description="les besoins exprimés au second niveau")
    district: str = Field(
        description="le quartier du ménage (vide pour un bénévole : son écran le cache)"
    )
    resources: list[ResourceOffered] = Field(description="les ressources qui y répondent")
    modes: list[ModeShown]
    orientations: list[OrientationRecorded]
    follow_up: FollowUpShown | None


def _orientations(request: Request) -> Orientations:
    service = web(request)
    return Orientations(service.sessions, service.sheets.views, clock=service.clock)


def _moment(request: Request, text: str | None, field: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"champ « {field} » : date invalide") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=web(request).zone)


async def _current(request: Request) -> tuple[str, str]:
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    return user.username, attempt_id


@described_by(OrientationPanel)
async def orientation_panel(request: Request) -> Response:
    """Les ressources de l'annuaire qui répondent aux besoins exprimés par le ménage (et à
    son quartier), les orientations faites et le suivi de l'appel en cours (agent)."""
    name, attempt_id = await _current(request)
    return checked(OrientationPanel, await _orientations(request).panel(name, attempt_id))


@described_by(OrientationPanel, body=OrientationGiven)
async def record_orientation(request: Request) -> Response:
    """Orienter le ménage vers une ressource : information donnée, mise en relation ou
    rendez-vous pris (avec sa date) ; journalisé (agent)."""
    name, attempt_id = await _current(request)
    given = await request_body(request, OrientationGiven)
    panel = await _orientations(request).orient(
        name,
        attempt_id,
        resource_id=given.resource_id,
        need=given.need.strip(),
        mode=given.mode.strip(),
        appointment_at=_moment(request, given.appointment_at, "appointment_at"),
        note=given.note,
        route=route_of(request),
    )
    return checked(OrientationPanel, panel)


@described_by(OrientationPanel, body=FollowUpGiven)
async def schedule_follow_up(request: Request) -> Response:
    """Programmer un appel de suivi du ménage : il vous sera proposé à nouveau à cette
    date, avant la fin du cycle ; journalisé (agent)."""
    name, attempt_id = await _current(request)
    given = await request_body(request, FollowUpGiven)
    panel = await _orientations(request).follow_up(
        name,
        attempt_id,
        at=_moment(request, given.at, "at"),
        note=given.note,
        route=route_of(request),
    )
    return checked(OrientationPanel, panel)


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/orientation",
        orientation_panel,
        rule=Action.AGENT_DESK,
        methods=["GET"],
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/orientations",
        record_orientation,
        rule=Action.AGENT_DESK,
        methods=["POST"],
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/follow-up",
        schedule_follow_up,
        rule=Action.AGENT_DESK,
        methods=["POST"],
    ),
]
