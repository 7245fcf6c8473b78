"""The volunteers' pages. For coordinators (supervisors, administrators):
``/supervision/benevoles`` lists the volunteers (training, coordinator, slots) and records
a training, a coordinator or the slots. For the volunteer: ``/benevole``, their home,
whose « Prendre des appels » opens the desk, refused with a French message until their
training is recorded, then leads to the call screen the agents use (``/agent``: preview
offers, the phone, the questionnaire); their calls, debriefs and help requests are
:mod:`dialer.web.volunteer_activity`. The same
storage as the API and ``dialer volunteers`` (:mod:`dialer.storage.volunteers`)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.campaign_plans import today_in_paris
from dialer.core.permissions import Action
from dialer.core.volunteers import DAYS, availability_text, desk_refusal, parse_slot
from dialer.core.windows import PARIS
from dialer.errors import InputError, NotReadyError
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from dialer.web.access import GuardedRoute
from dialer.web.api_volunteer_desk import record_calls_read
from dialer.web.failures import french_message
from dialer.web.read_log import route_of
from dialer.web.service import authenticated, for_form, steering, web

PAGE = "/supervision/benevoles"
DESK = "/benevole"


async def volunteers_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    local = ops.clock().astimezone(PARIS)
    today = local.date()
    found = await VolunteerRoster(ops.sessions).list()
    return web(request).templates.TemplateResponse(
        request,
        "volunteers.html",
        {
            "user": user,
            "volunteers": [
                (
                    v,
                    desk_refusal(trained_on=v.trained_on, today=today) is None,
                    availability_text(v.slots, local),
                )
                for v in found
            ],
            "today": today.isoformat(),
            "days": DAYS,
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?fait={quote(notice)}", status_code=303)


async def _field(request: Request, name: str) -> str:
    form = await request.form()
    return str(form.get(name) or "").strip()


async def record_training(request: Request) -> Response:
    user = await for_form(request)
    username = await _field(request, "benevole")
    trained_by = await _field(request, "formateur") or user.username
    day = await _field(request, "date")
    ops = steering(request)
    try:
        try:
            trained_on = date.fromisoformat(day)
        except ValueError:
            raise InputError("champ « date » : date de la formation attendue") from None
        await VolunteerRoster(ops.sessions).train(
            username,
            trained_by=trained_by,
            trained_on=trained_on,
            actor=user.username,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        return await volunteers_page(request, error=french_message(exc), status=422)
    return _done(f"Formation de {username} enregistrée : il peut prendre des appels.")


async def record_coordinator(request: Request) -> Response:
    user = await for_form(request)
    username = await _field(request, "benevole")
    coordinator = await _field(request, "coordinateur")
    ops = steering(request)
    try:
        await VolunteerRoster(ops.sessions).assign(
            username,
            coordinator=coordinator,
            actor=user.username,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        return await volunteers_page(request, error=french_message(exc), status=422)
    return _done(f"{coordinator} coordonne désormais {username}.")


async def record_slots(request: Request) -> Response:
    user = await for_form(request)
    username = await _field(request, "benevole")
    lines = [line for line in (await _field(request, "creneaux")).splitlines() if line.strip()]
    ops = steering(request)
    try:
        slots = [parse_slot(line, field="créneaux") for line in lines]
        await VolunteerRoster(ops.sessions).set_slots(
            username, slots, actor=user.username, now=ops.clock(), route=route_of(request)
        )
    except InputError as exc:
        return await volunteers_page(request, error=french_message(exc), status=422)
    return _done(f"Créneaux de {username} enregistrés.")


async def desk_home(
    request: Request, *, error: str | None = None, status: int = 200, opened: bool = False
) -> Response:
    user = await authenticated(request)
    ops = steering(request)
    volunteer = await VolunteerRoster(ops.sessions).get(user.username)
    calls = await VolunteerCalls(ops.sessions).calls(user.username)
    await record_calls_read(request, user.username, calls, target=f"volunteer:{user.username}")
    return web(request).templates.TemplateResponse(
        request,
        "volunteer_desk.html",
        {
            "user": user,
            "volunteer": volunteer,
            "refusal": desk_refusal(
                trained_on=volunteer.trained_on, today=today_in_paris(ops.clock())
            ),
            "error": error,
            "opened": opened,
            "notice": request.query_params.get("fait"),
            "calls": calls,
        },
        status_code=status,
    )


async def refuse_untrained(request: Request, username: str) -> None:
    """:class:`NotReadyError` (403, in French) while the volunteer's training is not
    recorded: no phone for them yet, neither the line to the engine nor the page's SIP
    credentials."""
    ops = steering(request)
    volunteer = await VolunteerRoster(ops.sessions).get(username)
    refusal = desk_refusal(trained_on=volunteer.trained_on, today=today_in_paris(ops.clock()))
    if refusal is not None:
        raise NotReadyError(refusal)


async def volunteer_may_connect(request: Request, username: str) -> None:
    """Before a volunteer's phone joins the engine: refused (403, in French) until their
    training is recorded; the engine's serving is read again, so they serve the
    veille-sociale campaigns only, even when their account is newer than its last read."""
    await refuse_untrained(request, username)
    ops = steering(request)
    if ops.control is not None:
        await ops.control.agents.load()


async def open_desk(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    volunteer = await VolunteerRoster(ops.sessions).get(user.username)
    refusal = desk_refusal(trained_on=volunteer.trained_on, today=today_in_paris(ops.clock()))
    if refusal is not None:
        return await desk_home(request, error=refusal, status=403)
    return await desk_home(request, opened=True)


ROUTES = [
    GuardedRoute(PAGE, volunteers_page, rule=Action.VOLUNTEERS_MANAGE, methods=["GET"]),
    GuardedRoute(
        PAGE + "/formation", record_training, rule=Action.VOLUNTEERS_MANAGE, methods=["POST"]
    ),
    GuardedRoute(
        PAGE + "/coordinateur",
        record_coordinator,
        rule=Action.VOLUNTEERS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(PAGE + "/creneaux", record_slots, rule=Action.VOLUNTEERS_MANAGE, methods=["POST"]),
    GuardedRoute(DESK, desk_home, rule=Action.VOLUNTEER_DESK, methods=["GET"]),
    GuardedRoute(DESK + "/poste", open_desk, rule=Action.VOLUNTEER_DESK, methods=["POST"]),
]
