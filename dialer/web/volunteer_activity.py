"""The volunteer and their coordinator working together, on pages. The volunteer, on
their desk ``/benevole``: the debrief of each of their calls (free text, « situation à
signaler ») and « besoin d'aide » after a call, with the coordinator's answers. The
coordinators (supervisors, administrators): ``/supervision/benevoles/activite`` lists the
volunteers' calls, debriefs, flagged situations and help requests, answers them, and
assigns a household to a volunteer or takes it over. The same storage as the API
(:mod:`dialer.storage.volunteer_calls`), audited there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.permissions import Action
from dialer.errors import DialerError, InputError, http_status
from dialer.storage.stuck_households import stuck_households
from dialer.storage.volunteer_calls import Answerable, VolunteerCalls
from dialer.web.access import GuardedRoute
from dialer.web.api_volunteer_desk import coordinators_activity, path_id, record_calls_read
from dialer.web.call_help import call_help_of
from dialer.web.failures import french_message
from dialer.web.read_log import route_of
from dialer.web.service import authenticated, for_form, steering, web
from dialer.web.volunteer_pages import DESK, PAGE, desk_home

ACTIVITY = PAGE + "/activite"


async def _field(request: Request, name: str) -> str:
    form = await request.form()
    return str(form.get(name) or "").strip()


# ---- the volunteer ------------------------------------------------------------------------
async def write_debrief(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    flagged = bool(await _field(request, "signaler"))
    try:
        await VolunteerCalls(ops.sessions).write_debrief(
            str(request.path_params["attempt_id"]),
            user.username,
            await _field(request, "bilan"),
            flagged=flagged,
            now=ops.clock(),
            route=route_of(request),
        )
    except DialerError as exc:
        return await desk_home(request, error=french_message(exc), status=http_status(exc))
    notice = "Bilan enregistré" + (" : situation signalée au coordinateur." if flagged else ".")
    return RedirectResponse(f"{DESK}?fait={quote(notice)}", status_code=303)


async def ask_help(request: Request) -> Response:
    user = await for_form(request)
    try:
        await call_help_of(request).raise_help(
            user.username,
            route=route_of(request),
            after_call=str(request.path_params["attempt_id"]),
        )
    except DialerError as exc:
        return await desk_home(request, error=french_message(exc), status=http_status(exc))
    notice = "Demande d'aide envoyée à votre coordinateur."
    return RedirectResponse(f"{DESK}?fait={quote(notice)}", status_code=303)


# ---- the coordinators ---------------------------------------------------------------------
async def activity_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    calls_store = VolunteerCalls(steering(request).sessions)
    activity = await coordinators_activity(calls_store)
    shown = activity.calls + activity.flagged + activity.open_help
    await record_calls_read(request, user.username, shown, target="volunteers")
    return web(request).templates.TemplateResponse(
        request,
        "volunteer_activity.html",
        {
            "user": user,
            "calls": activity.calls,
            "flagged": activity.flagged,
            "open_help": [(c, h) for c in activity.open_help for h in c.helps if h.answer is None],
            "assigned": await calls_store.assignments(),
            "stuck": await stuck_households(steering(request).sessions, steering(request).clock()),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"{ACTIVITY}?fait={quote(notice)}", status_code=303)


def _answering(
    subject: Answerable, name: str, notice: str
) -> Callable[[Request], Awaitable[Response]]:
    """The form of a coordinator's answer to a debrief or a help request."""

    async def answer(request: Request) -> Response:
        user = await for_form(request)
        ops = steering(request)
        try:
            await VolunteerCalls(ops.sessions).answer(
                subject,
                path_id(request, name),
                await _field(request, "reponse"),
                by=user.username,
                now=ops.clock(),
                route=route_of(request),
            )
        except InputError as exc:
            return await activity_page(request, error=french_message(exc), status=http_status(exc))
        return _done(notice)

    return answer


async def assign_household(request: Request) -> Response:
    user = await for_form(request)
    ops = steering(request)
    campaign = await _field(request, "campagne")
    household = await _field(request, "foyer")
    account = await _field(request, "benevole") or user.username
    try:
        if not campaign.isdigit() or len(campaign) > 12:
            raise InputError("champ « campagne » : le numéro de la campagne est attendu")
        if not household or len(household) > 100:
            raise InputError("champ « foyer » : l'identifiant du foyer est attendu")
        row = await VolunteerCalls(ops.sessions).assign(
            int(campaign),
            household,
            account,
            actor=user.username,
            now=ops.clock(),
            route=route_of(request),
        )
    except InputError as exc:
        return await activity_page(request, error=french_message(exc), status=http_status(exc))
    return _done(f"Le foyer {row.name} est confié à {row.account}.")


ROUTES = [
    GuardedRoute(
        DESK + "/appels/{attempt_id}/bilan",
        write_debrief,
        rule=Action.VOLUNTEER_DESK,
        methods=["POST"],
    ),
    GuardedRoute(
        DESK + "/appels/{attempt_id}/aide", ask_help, rule=Action.VOLUNTEER_DESK, methods=["POST"]
    ),
    GuardedRoute(ACTIVITY, activity_page, rule=Action.VOLUNTEERS_MANAGE, methods=["GET"]),
    GuardedRoute(
        ACTIVITY + "/bilans/{debrief_id}/reponse",
        _answering("debrief", "debrief_id", "Réponse au bilan envoyée au bénévole."),
        rule=Action.VOLUNTEERS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(
        ACTIVITY + "/aides/{request_id}/reponse",
        _answering("help", "request_id", "Réponse à la demande d'aide envoyée au bénévole."),
        rule=Action.VOLUNTEERS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute(
        ACTIVITY + "/foyers", assign_household, rule=Action.VOLUNTEERS_MANAGE, methods=["POST"]
    ),
]
