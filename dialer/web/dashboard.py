"""The live dashboard (operations): the page ``/tableau-de-bord``, its WebSocket
``/ws/tableau-de-bord`` pushing a snapshot every second, and ``/api/v1/dashboard`` (the same
snapshot as JSON). Supervisors, operations staff and administrators only.

Each takes ``?campagne=ID`` (a campaign running or paused; 404 otherwise, 422 when not a
number): its figures instead of the current campaign's (the most recently created one
running or paused). The page lists every campaign running or paused, each a link.

One :class:`~dialer.dashboard.live.LiveDashboard` per application (made on first use,
kept in ``app.state.dashboard``): however many screens watch, the database is read at most
once per ``cache_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from dialer.core.agent_states import AgentState
from dialer.core.call_help import SpyMode
from dialer.core.labels import (
    AGENT_STATE_LABELS,
    ESCALATION_STAGES,
    FUNNEL_STAGES,
    SPY_MODE_LABELS,
    campaign_state_label,
)
from dialer.core.permissions import Action, allowed
from dialer.dashboard.board import LiveDashboard
from dialer.errors import InputError, NotFoundError
from dialer.web.access import GuardedRoute, GuardedSocket, socket_allowed
from dialer.web.api_models import DashboardQuery
from dialer.web.api_responses import Dashboard, checked
from dialer.web.auth import same_origin, session_token
from dialer.web.failures import french_message
from dialer.web.openapi import described_by
from dialer.web.service import authenticated, web

#: WebSocket close code: the session ended (the page goes back to the login page)
CLOSE_SESSION_ENDED = 4401
#: WebSocket close code: logged in, but not allowed to see the dashboard
CLOSE_FORBIDDEN = 4403
#: WebSocket close codes: the campaign chosen is not a number / neither runs nor pauses
CLOSE_BAD_CAMPAIGN = 4422
CLOSE_UNKNOWN_CAMPAIGN = 4404
PUSH_EVERY_S = 1.0
#: how often an open dashboard checks that its session is still valid (and keeps it alive)
SESSION_CHECK_S = 30.0


def dashboard_of(connection: HTTPConnection) -> LiveDashboard:
    """The application's dashboard, made on first use."""
    state = connection.app.state
    board: LiveDashboard | None = getattr(state, "dashboard", None)
    if board is None:
        service = web(connection)
        board = LiveDashboard(
            service.sessions,
            lambda: service.desk,
            clock=service.clock,
            thresholds=state.wallboard,
        )
        state.dashboard = board
    return board


def chosen_campaign(connection: HTTPConnection) -> int | None:
    """The campaign id of ``?campagne=`` (None: not given, the current campaign)."""
    given = connection.query_params.get("campagne", "").strip()
    if not given:
        return None
    if not given.isascii() or not given.isdigit() or len(given) > 18:
        raise InputError(f"campagne : numéro de campagne attendu, reçu « {given[:40]} »")
    return int(given)


async def dashboard_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    board = dashboard_of(request)
    chosen = chosen_campaign(request)
    snapshot = await board.snapshot(chosen)  # NotFoundError: the page says so (404)
    return service.templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "user": user,
            "zone": str(service.zone),
            "agent_states": [
                (state.value, AGENT_STATE_LABELS[state])
                for state in AgentState
                if state is not AgentState.LOGGED_OUT
            ],
            "funnel": FUNNEL_STAGES,
            "escalation": ESCALATION_STAGES,
            "bucket_min": int(board.thresholds.trend_bucket.total_seconds() // 60),
            "can_acknowledge_help": allowed(user.role, Action.CALL_HELP_ACKNOWLEDGE),
            "can_listen": allowed(user.role, Action.CALL_LISTEN),
            "spy_modes": [(mode.value, SPY_MODE_LABELS[mode]) for mode in SpyMode],
            "campaigns": [
                (campaign.id, campaign.name, campaign_state_label(campaign.state))
                for campaign in snapshot.campaigns
            ],
            "chosen": chosen,
            "shown": snapshot.campaign.id if snapshot.campaign else None,
        },
    )


@described_by(Dashboard, query=DashboardQuery)
async def dashboard_json(request: Request) -> Response:
    """Le tableau de bord en direct : agents, appels, taux, entonnoir, prévision, tendance
    du jour et alarmes (superviseur, opérations, administrateur). ``?campagne=ID`` : les
    chiffres de cette campagne (en cours ou en pause ; 404 sinon), sinon ceux de la plus
    récente ; ``campaigns`` liste les campagnes en cours ou en pause."""
    snapshot = await dashboard_of(request).snapshot(chosen_campaign(request))
    return checked(Dashboard, snapshot.to_json())


async def dashboard_socket(websocket: WebSocket) -> None:
    service = web(websocket)
    token = session_token(websocket)
    if not same_origin(websocket):
        await websocket.close()  # refused before the handshake: HTTP 403
        return
    user = await service.auth.user_for(token)
    await websocket.accept()  # so that the page learns why it is closed
    if user is None or not socket_allowed(websocket, user.role):
        await websocket.close(code=CLOSE_SESSION_ENDED if user is None else CLOSE_FORBIDDEN)
        return
    board = dashboard_of(websocket)
    try:
        chosen = chosen_campaign(websocket)
    except InputError as exc:
        await _refuse(websocket, exc)
        return
    board.watchers += 1
    reader = asyncio.create_task(_until_closed(websocket))
    checked = time.monotonic()
    try:
        while not reader.done():
            try:
                snapshot = await board.snapshot(chosen)
            except NotFoundError as exc:  # unknown, or it finished meanwhile
                await _refuse(websocket, exc)
                return
            message = {"type": "snapshot", "data": snapshot.to_json()}
            await websocket.send_text(json.dumps(message, ensure_ascii=False))
            if time.monotonic() - checked >= SESSION_CHECK_S:
                checked = time.monotonic()
                if await service.auth.user_for(token) is None:
                    await websocket.send_text(json.dumps({"type": "expired"}))
                    await websocket.close(code=CLOSE_SESSION_ENDED)
                    return
            await asyncio.wait({reader}, timeout=PUSH_EVERY_S)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the browser went away
    finally:
        board.watchers -= 1
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader


async def _refuse(websocket: WebSocket, error: InputError) -> None:
    """Tell the page why (in French), then close: 4404 unknown or finished, 4422 not a
    number."""
    code = CLOSE_UNKNOWN_CAMPAIGN if isinstance(error, NotFoundError) else CLOSE_BAD_CAMPAIGN
    message = {"type": "error", "message": french_message(error)}
    await websocket.send_text(json.dumps(message, ensure_ascii=False))
    await websocket.close(code=code)


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the page sends, until it goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()


ROUTES = [
    GuardedRoute("/tableau-de-bord", dashboard_page, rule=Action.SUPERVISION_VIEW, methods=["GET"]),
    GuardedRoute(
        "/api/v1/dashboard", dashboard_json, rule=Action.SUPERVISION_VIEW, methods=["GET"]
    ),
    GuardedSocket("/ws/tableau-de-bord", dashboard_socket, rule=Action.SUPERVISION_VIEW),
]
