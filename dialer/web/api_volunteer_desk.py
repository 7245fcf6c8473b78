"""The volunteer's desk through the versioned API. For the volunteer (``VOLUNTEER_DESK``):
``GET /api/v1/volunteer/calls`` (their own calls, debriefs, help requests and the answers
to them), ``POST /api/v1/volunteer/calls/{attempt_id}/debrief`` (free text and
« situation à signaler ») and ``POST …/help`` (« besoin d'aide » after the call). For
coordinators (``VOLUNTEERS_MANAGE``): ``GET /api/v1/volunteers/activity``, ``POST
/api/v1/volunteers/debriefs/{id}/answer``, ``POST /api/v1/volunteers/help/{id}/answer`` and
``PUT /api/v1/volunteers/households/{campaign_id}/{external_id}`` (assign or take over a
household). The same storage as the pages and ``dialer volunteers assign``
(:mod:`dialer.storage.volunteer_calls`), audited there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.core.volunteer_desk import MAX_TEXT
from dialer.errors import InputError
from dialer.storage.volunteer_calls import Answerable, Assigned, VolunteerCall, VolunteerCalls
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.call_help import call_help_of
from dialer.web.read_log import record_read, route_of
from dialer.web.service import steering


class DebriefBody(Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="le bilan de l'appel")
    flagged: bool = Field(default=False, description="situation à signaler au coordinateur")


class AnswerBody(Body):
    answer: str = Field(min_length=1, max_length=MAX_TEXT, description="la réponse")


class AssignBody(Body):
    volunteer: str = Field(
        min_length=1, max_length=50, description="le bénévole, ou le superviseur qui reprend"
    )


class DebriefView(Answer):
    id: int
    text: str
    flagged: bool
    written_at: datetime
    answer: str | None
    answered_by: str | None


class HelpView(Answer):
    id: int
    raised_at: datetime
    answered_by: str | None
    answer: str | None


class VolunteerCallView(Answer):
    attempt_id: str
    volunteer: str
    when: datetime
    person_id: int
    first_name: str
    last_name: str
    campaign: str
    outcome: str | None
    debrief: DebriefView | None
    help_requests: list[HelpView]


class VolunteerCallList(Answer):
    calls: list[VolunteerCallView]


class ActivityView(Answer):
    calls: list[VolunteerCallView]
    flagged: list[VolunteerCallView] = Field(description="les situations signalées")
    open_help: list[VolunteerCallView] = Field(description="les demandes d'aide sans réponse")


class AssignedView(Answer):
    person_id: int
    external_id: str
    name: str
    account: str


class Answered(Answer):
    id: int
    answer: str
    answered_by: str | None


def call_json(call: VolunteerCall) -> dict[str, Any]:
    debrief = call.debrief
    return {
        "attempt_id": call.attempt_id,
        "volunteer": call.volunteer,
        "when": call.when.isoformat(),
        "person_id": call.person_id,
        "first_name": call.first_name,
        "last_name": call.last_name,
        "campaign": call.campaign,
        "outcome": call.outcome,
        "debrief": (
            {
                "id": debrief.id,
                "text": debrief.text,
                "flagged": debrief.flagged,
                "written_at": debrief.written_at.isoformat(),
                "answer": debrief.answer,
                "answered_by": debrief.answered_by,
            }
            if debrief is not None
            else None
        ),
        "help_requests": [
            {
                "id": h.id,
                "raised_at": h.raised_at.isoformat(),
                "answered_by": h.answered_by,
                "answer": h.answer,
            }
            for h in call.helps
        ],
    }


@dataclass(frozen=True)
class Activity:
    """What the coordinators see: the latest calls; the flagged situations (every one
    nobody answered, however old, then the latest answered ones); the calls with a help
    request nobody answered (however old)."""

    calls: list[VolunteerCall]
    flagged: list[VolunteerCall]
    open_help: list[VolunteerCall]


async def coordinators_activity(calls: VolunteerCalls) -> Activity:
    recent, waiting = await calls.calls(), await calls.awaiting_answer()
    unanswered = [c for c in waiting if c.debrief is not None and c.debrief.flagged]
    if_answered = [
        c
        for c in recent
        if c.debrief is not None and c.debrief.flagged and c.debrief.answer is not None
    ]
    return Activity(
        recent,
        unanswered + if_answered,
        [c for c in waiting if any(h.answer is None for h in c.helps)],
    )


async def record_calls_read(
    request: Request, actor: str, calls: list[VolunteerCall], *, target: str
) -> None:
    """The read of volunteers' calls (households' names, debriefs that may tell of
    health), audited with the households shown."""
    await record_read(
        request,
        actor=actor,
        action="read.volunteer_calls",
        target=target,
        details={"persons": sorted({call.person_id for call in calls})},
    )


def activity_json(activity: Activity) -> dict[str, Any]:
    return {
        "calls": [call_json(c) for c in activity.calls],
        "flagged": [call_json(c) for c in activity.flagged],
        "open_help": [call_json(c) for c in activity.open_help],
    }


def assigned_json(row: Assigned) -> dict[str, Any]:
    return {
        "person_id": row.person_id,
        "external_id": row.external_id,
        "name": row.name,
        "account": row.account,
    }


def path_id(request: Request, name: str) -> int:
    value = str(request.path_params[name])
    if not value.isdigit() or len(value) > 12:
        raise InputError(f"champ « {name} » : un nombre entier est attendu")
    return int(value)


async def my_calls(request: Request) -> Response:
    who = await caller(request)
    calls = await VolunteerCalls(steering(request).sessions).calls(who.username)
    await record_calls_read(request, who.actor, calls, target=f"volunteer:{who.username}")
    return ok({"calls": [call_json(c) for c in calls]})


async def write_debrief(request: Request) -> Response:
    who = await caller(request)
    data: DebriefBody = await request_body(request, DebriefBody)
    ops = steering(request)
    row = await VolunteerCalls(ops.sessions).write_debrief(
        str(request.path_params["attempt_id"]),
        who.username,
        data.text,
        flagged=data.flagged,
        now=ops.clock(),
        route=route_of(request),
    )
    return ok(
        {
            "id": row.id,
            "text": row.text,
            "flagged": row.flagged,
            "written_at": row.written_at.isoformat(),
            "answer": None,
            "answered_by": None,
        },
        201,
    )


async def ask_help(request: Request) -> Response:
    who = await caller(request)
    help_request, _ = await call_help_of(request).raise_help(
        who.username, route=route_of(request), after_call=str(request.path_params["attempt_id"])
    )
    return ok(
        {"id": help_request.id, "raised_at": help_request.raised_at.isoformat(),
         "answered_by": None,
         "answer": None},
        201,
    )  # fmt: skip


async def activity(request: Request) -> Response:
    who = await caller(request)
    shown = await coordinators_activity(VolunteerCalls(steering(request).sessions))
    await record_calls_read(
        request, who.actor, shown.calls + shown.flagged + shown.open_help, target="volunteers"
    )
    return ok(activity_json(shown))


def _answering(subject: Answerable, name: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler of a coordinator's answer to a debrief or a help request."""

    async def answer(request: Request) -> Response:
        who = await caller(request)
        data: AnswerBody = await request_body(request, AnswerBody)
        ops = steering(request)
        row = await VolunteerCalls(ops.sessions).answer(
            subject, path_id(request, name), data.answer, by=who.actor, now=ops.clock(),
            route=route_of(request),
        )  # fmt: skip
        return ok({"id": row.id, "answer": row.answer, "answered_by": row.answered_by})

    return answer


async def assign_household(request: Request) -> Response:
    who = await caller(request)
    data: AssignBody = await request_body(request, AssignBody)
    external_id = str(request.path_params["external_id"])
    if not external_id.strip() or len(external_id) > 100:
        raise InputError("champ « external_id » : de 1 à 100 caractères")
    ops = steering(request)
    row = await VolunteerCalls(ops.sessions).assign(
        path_id(request, "campaign_id"), external_id, data.volunteer, actor=who.actor,
        now=ops.clock(), route=route_of(request),
    )  # fmt: skip
    return ok(assigned_json(row))


DESK = Area("volunteer_desk", Action.VOLUNTEER_DESK, Action.VOLUNTEER_DESK)
COORDINATION = Area("volunteers", Action.VOLUNTEERS_MANAGE, Action.VOLUNTEERS_MANAGE)
_MINE = API_PREFIX + "/volunteer/calls"
_V = API_PREFIX + "/volunteers"

ENDPOINTS: tuple[Endpoint, ...] = (
    DESK(
        "GET", _MINE, my_calls,
        "Les appels du bénévole : ses bilans, ses demandes d'aide et les réponses du "
        "coordinateur", VolunteerCallList,
    ),
    DESK(
        "POST", _MINE + "/{attempt_id}/debrief", write_debrief,
        "Le bilan d'un appel du bénévole (texte libre, situation à signaler)", DebriefView,
        body=DebriefBody, created=True,
    ),
    DESK(
        "POST", _MINE + "/{attempt_id}/help", ask_help,
        "« Besoin d'aide » après un appel du bénévole", HelpView, created=True,
    ),
    COORDINATION(
        "GET", _V + "/activity", activity,
        "L'activité des bénévoles : leurs appels, bilans, situations signalées et demandes "
        "d'aide", ActivityView,
    ),
    COORDINATION(
        "POST", _V + "/debriefs/{debrief_id}/answer", _answering("debrief", "debrief_id"),
        "Répondre au bilan d'un bénévole (la réponse s'affiche sur son poste)", Answered,
        body=AnswerBody,
    ),
    COORDINATION(
        "POST", _V + "/help/{request_id}/answer", _answering("help", "request_id"),
        "Répondre à la demande d'aide d'un bénévole (la réponse s'affiche sur son poste)",
        Answered, body=AnswerBody,
    ),
    COORDINATION(
        "PUT", _V + "/households/{campaign_id}/{external_id}", assign_household,
        "Confier un foyer d'une campagne de veille sociale à un bénévole, ou le reprendre",
        AssignedView, body=AssignBody, replaces=True,
    ),
)  # fmt: skip
