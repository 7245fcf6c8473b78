"""Help during a call on the web: the agent's « besoin d'aide » (``POST
/api/v1/agent/help``), the open requests the dashboard shows (``GET
/api/v1/help-requests``) and a supervisor's acknowledgement, and a supervisor's listening
to an agent's call through their own phone (``POST /api/v1/agents/{agent}/listening``:
listen, whisper or barge). Supervisors only acknowledge and listen (the permission table);
the service behind is :class:`dialer.desk.call_help.CallHelp`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from dialer.core.call_help import SpyMode
from dialer.core.labels import HELP_ACKNOWLEDGED_TEXT, HELP_RAISED_TEXT, SPY_MODE_LABELS
from dialer.core.permissions import Action
from dialer.desk.call_help import CallHelp
from dialer.errors import InputError
from dialer.storage.call_help import OpenHelp
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_models import request_body
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import route_of
from dialer.web.service import web


def configure_call_help(app: Starlette, help_service: CallHelp) -> None:
    """Attach the service's :class:`CallHelp` (with the telephony node) to the app."""
    app.state.call_help = help_service


def call_help_of(connection: HTTPConnection) -> CallHelp:
    """The app's :class:`CallHelp`; without telephony (no ``dialer serve``), one that
    records requests and refuses listenings, made on first use."""
    state = connection.app.state
    service: CallHelp | None = getattr(state, "call_help", None)
    if service is None:
        shared = web(connection)
        service = CallHelp(shared.sessions, desk=shared.desk, port=None, clock=shared.clock)
        state.call_help = service
    return service


class HelpRequestView(Answer):
    """Une demande d'aide d'un agent pendant (ou juste après) un appel."""

    id: int
    agent: str
    attempt_id: str = Field(description="l'appel concerné")
    person_id: int | None
    person: str = Field(description="la personne appelée (prénom nom)")
    raised_at: datetime = Field(description="quand l'agent a demandé de l'aide")
    call_since: datetime | None = Field(description="début de la conversation")
    call_ended: datetime | None = Field(description="fin de l'appel (None : en cours)")


class HelpRequests(Answer):
    requests: list[HelpRequestView]


class HelpRaised(Answer):
    request: HelpRequestView
    new: bool = Field(description="False : une demande était déjà ouverte pour cet appel")
    message: str


class HelpAcknowledged(Answer):
    request: HelpRequestView
    message: str


class ListeningAsked(BaseModel):
    mode: str = Field(description="listen (écouter), whisper (parler à l'agent), barge")


class ListeningStarted(Answer):
    channel: str = Field(description="le canal du téléphone du superviseur")
    agent: str
    attempt_id: str
    mode: str
    label: str


def _view(request: OpenHelp) -> dict[str, object]:
    return {
        "id": request.id,
        "agent": request.agent,
        "attempt_id": request.attempt_id,
        "person_id": request.person_id,
        "person": request.person,
        "raised_at": request.raised_at.isoformat(),
        "call_since": request.call_since.isoformat() if request.call_since else None,
        "call_ended": request.call_ended.isoformat() if request.call_ended else None,
    }


@described_by(HelpRaised)
async def raise_help(request: Request) -> Response:
    """« Besoin d'aide » : prévenir les superviseurs pendant un appel, ou juste après
    (agent)."""
    user = await caller(request)
    raised, made = await call_help_of(request).raise_help(user.username, route=route_of(request))
    body = {"request": _view(raised), "new": made, "message": HELP_RAISED_TEXT}
    return checked(HelpRaised, body, 201 if made else 200)


@described_by(HelpRequests)
async def help_requests(request: Request) -> Response:
    """Les demandes d'aide des agents pas encore prises en charge, les plus anciennes
    d'abord (superviseur, opérations, administrateur)."""
    rows = await call_help_of(request).open_requests()
    return checked(HelpRequests, {"requests": [_view(row) for row in rows]})


@described_by(HelpAcknowledged)
async def acknowledge_help(request: Request) -> Response:
    """Prendre en charge une demande d'aide (superviseur) ; l'écran de l'agent l'affiche."""
    user = await caller(request)
    done = await call_help_of(request).acknowledge(
        request.path_params["request_id"], by=user.username, route=route_of(request)
    )
    web(request).screens.push(
        done.agent,
        {"type": "help_acknowledged", "by": user.username, "text": HELP_ACKNOWLEDGED_TEXT},
    )
    return checked(HelpAcknowledged, {"request": _view(done), "message": HELP_ACKNOWLEDGED_TEXT})


@described_by(ListeningStarted, body=ListeningAsked)
async def start_listening(request: Request) -> Response:
    """Écouter l'appel d'un agent, lui parler sans que la personne entende (whisper), ou
    rejoindre l'appel (barge), depuis son propre téléphone (superviseur ; journalisé)."""
    user = await caller(request)
    asked = await request_body(request, ListeningAsked)
    try:
        mode = SpyMode(asked.mode)
    except ValueError:
        raise InputError(
            f"champ « mode » : {asked.mode[:20]!r} inconnu (listen, whisper ou barge)"
        ) from None
    account = await web(request).accounts.by_username(user.username)
    listening = await call_help_of(request).listen(
        user.username,
        account.sip_endpoint if account is not None else None,
        request.path_params["agent"],
        mode,
        route=route_of(request),
    )
    return checked(
        ListeningStarted,
        {
            "channel": listening.spy_id,
            "agent": listening.agent,
            "attempt_id": listening.attempt_id,
            "mode": mode.value,
            "label": SPY_MODE_LABELS[mode],
        },
        201,
    )


ROUTES = [
    GuardedRoute("/api/v1/agent/help", raise_help, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedRoute(
        "/api/v1/help-requests", help_requests, rule=Action.SUPERVISION_VIEW, methods=["GET"]
    ),
    GuardedRoute(
        "/api/v1/help-requests/{request_id:id}/acknowledge",
        acknowledge_help,
        rule=Action.CALL_HELP_ACKNOWLEDGE,
        methods=["POST"],
    ),
    GuardedRoute(
        "/api/v1/agents/{agent}/listening",
        start_listening,
        rule=Action.CALL_LISTEN,
        methods=["POST"],
    ),
]
