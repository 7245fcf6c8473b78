"""The volunteers of the veille sociale through the versioned API. For coordinators
(supervisors, administrators): ``GET /api/v1/volunteers``, ``POST
/api/v1/volunteers/{username}/training`` (the training completed, with its date and who
gave it), ``PUT …/coordinator`` and ``PUT …/slots``. For the volunteer: ``POST
/api/v1/volunteer/desk`` opens their desk, refused (403, in French) until their training is
recorded. The same storage as ``dialer volunteers`` and the coordinators' page
(:mod:`dialer.storage.volunteers`), audited there."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.campaign_plans import today_in_paris
from dialer.core.permissions import Action
from dialer.core.volunteers import MAX_SLOTS, desk_refusal, parse_slot
from dialer.errors import InputError, NotReadyError
from dialer.storage.volunteers import Volunteer, VolunteerRoster
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, Page, ok, page_of, paged
from dialer.web.read_log import route_of
from dialer.web.service import steering

_USERNAME_MAX = 50


class TrainingBody(Body):
    trained_by: str = Field(min_length=1, max_length=50, description="le superviseur formateur")
    trained_on: date = Field(description="la date de la formation (AAAA-MM-JJ)")


class CoordinatorBody(Body):
    coordinator: str = Field(min_length=1, max_length=50, description="un superviseur")


class SlotsBody(Body):
    slots: list[str] = Field(
        max_length=MAX_SLOTS, description="« lundi 14:00-17:00 », un par créneau"
    )


class VolunteerAnswer(Answer):
    username: str
    active: bool
    trained_on: str | None = Field(description="la date de sa formation ; null : pas formé")
    trained_by: str | None
    coordinator: str | None
    slots: list[str]
    may_take_calls: bool = Field(description="formé : il peut prendre des appels")


class VolunteerPage(Page[VolunteerAnswer]):
    pass


class DeskAnswer(Answer):
    username: str
    mode: str = Field(description="preview : le bénévole lance chaque appel")
    coordinator: str | None


def volunteer_json(volunteer: Volunteer, today: date) -> dict[str, Any]:
    return {
        "username": volunteer.username,
        "active": volunteer.active,
        "trained_on": volunteer.trained_on.isoformat() if volunteer.trained_on else None,
        "trained_by": volunteer.trained_by,
        "coordinator": volunteer.coordinator,
        "slots": [str(slot) for slot in volunteer.slots],
        "may_take_calls": desk_refusal(trained_on=volunteer.trained_on, today=today) is None,
    }


def _username(request: Request) -> str:
    username = str(request.path_params["username"])
    if not username.strip() or len(username) > _USERNAME_MAX:
        raise InputError(f"champ « username » : de 1 à {_USERNAME_MAX} caractères")
    return username


async def list_volunteers(request: Request) -> Response:
    await caller(request)
    ops = steering(request)
    today = today_in_paris(ops.clock())
    found = await VolunteerRoster(ops.sessions).list()
    return paged([volunteer_json(v, today) for v in found], page_of(request))


async def record_training(request: Request) -> Response:
    who = await caller(request)
    data: TrainingBody = await request_body(request, TrainingBody)
    ops = steering(request)
    now = ops.clock()
    volunteer = await VolunteerRoster(ops.sessions).train(
        _username(request),
        trained_by=data.trained_by,
        trained_on=data.trained_on,
        actor=who.actor,
        now=now,
        route=route_of(request),
    )
    return ok(volunteer_json(volunteer, today_in_paris(now)))


async def set_coordinator(request: Request) -> Response:
    who = await caller(request)
    data: CoordinatorBody = await request_body(request, CoordinatorBody)
    ops = steering(request)
    now = ops.clock()
    volunteer = await VolunteerRoster(ops.sessions).assign(
        _username(request),
        coordinator=data.coordinator,
        actor=who.actor,
        now=now,
        route=route_of(request),
    )
    return ok(volunteer_json(volunteer, today_in_paris(now)))


async def set_slots(request: Request) -> Response:
    who = await caller(request)
    data: SlotsBody = await request_body(request, SlotsBody)
    slots = [parse_slot(text) for text in data.slots]
    ops = steering(request)
    now = ops.clock()
    volunteer = await VolunteerRoster(ops.sessions).set_slots(
        _username(request), slots, actor=who.actor, now=now, route=route_of(request)
    )
    return ok(volunteer_json(volunteer, today_in_paris(now)))


async def open_desk(request: Request) -> Response:
    """The volunteer opens their desk: refused until their training is recorded."""
    who = await caller(request)
    ops = steering(request)
    volunteer = await VolunteerRoster(ops.sessions).get(who.username)
    refusal = desk_refusal(trained_on=volunteer.trained_on, today=today_in_paris(ops.clock()))
    if refusal is not None:
        raise NotReadyError(refusal)
    return ok({"username": who.username, "mode": "preview", "coordinator": volunteer.coordinator})


VOLUNTEERS = Area("volunteers", Action.VOLUNTEERS_MANAGE, Action.VOLUNTEERS_MANAGE)
DESK = Area("volunteer_desk", Action.VOLUNTEER_DESK, Action.VOLUNTEER_DESK)
_V = API_PREFIX + "/volunteers"

ENDPOINTS: tuple[Endpoint, ...] = (
    VOLUNTEERS.listing(
        _V, list_volunteers,
        "Les bénévoles de la veille sociale : formation, coordinateur, disponibilités",
        VolunteerPage,
    ),
    VOLUNTEERS(
        "POST", _V + "/{username}/training", record_training,
        "Enregistrer la formation suivie par un bénévole (date, formateur) : il peut alors "
        "prendre des appels",
        VolunteerAnswer, body=TrainingBody,
    ),
    VOLUNTEERS(
        "PUT", _V + "/{username}/coordinator", set_coordinator,
        "Le superviseur qui coordonne le bénévole", VolunteerAnswer, body=CoordinatorBody,
        replaces=True,
    ),
    VOLUNTEERS(
        "PUT", _V + "/{username}/slots", set_slots,
        "Les créneaux de disponibilité du bénévole (remplacés)", VolunteerAnswer,
        body=SlotsBody, replaces=True,
    ),
    DESK(
        "POST", API_PREFIX + "/volunteer/desk", open_desk,
        "Le bénévole ouvre son poste d'appel : refusé tant que sa formation n'est pas "
        "enregistrée",
        DeskAnswer,
    ),
)  # fmt: skip
