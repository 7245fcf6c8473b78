"""The agent's screen: its page, their own history and their softphone profile, and the
screen's WebSocket (the calls it makes are :mod:`dialer.web.api_agent`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from dialer.core.labels import DISPOSITION_LABELS, PASS_REASONS, PAUSE_REASONS
from dialer.core.permissions import Action, allowed
from dialer.core.phones import spreadsheet_number
from dialer.desk.own_line import choose_line
from dialer.errors import InputError, http_status
from dialer.web.access import GuardedRoute, GuardedSocket, socket_allowed
from dialer.web.api_webphone import uses_webphone
from dialer.web.auth import User, same_origin, session_token
from dialer.web.failures import french_message
from dialer.web.read_log import record_read
from dialer.web.service import WebService, authenticated, for_form, web

log = logging.getLogger(__name__)

#: WebSocket close code: the session ended (the screen goes back to the login page)
CLOSE_SESSION_ENDED = 4401
#: how long a screen may stay silent (it pings every 25 s) before it is closed
SOCKET_SILENCE_S = 90.0


# ---- pages --------------------------------------------------------------------------------
async def agent_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    account = await service.accounts.by_username(user.username)
    own_phone = account.own_phone if account is not None else None
    return service.templates.TemplateResponse(
        request,
        "agent.html",
        {
            "user": user,
            "own_phone": spreadsheet_number(own_phone) if own_phone else None,
            "state": service.screens.state(user.username),
            "pause_reasons": PAUSE_REASONS,
            "pass_reasons": PASS_REASONS,
            "dispositions": [(d.value, label) for d, label in DISPOSITION_LABELS.items()],
            "telephony": service.desk is not None,
            "webphone": await uses_webphone(request, user.username),
            # a volunteer's screen has no transfer (the API refuses it: 403)
            "transfer": allowed(user.role, Action.CALL_TRANSFER),
        },
    )


async def history_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    sheets = await service.sheets.history(user.username)
    await record_read(
        request,
        actor=user.username,
        action="read.sheets",
        target=f"agent:{user.username}",
        details={
            "sheets": [s.id for s in sheets],
            "persons": sorted({s.person_id for s in sheets}),
        },
    )
    return service.templates.TemplateResponse(
        request,
        "history.html",
        {"user": user, "sheets": sheets, "labels": DISPOSITION_LABELS, "zone": service.zone},
    )


async def profile_page(
    request: Request, *, error: str | None = None, typed: str = "", status: int = 200
) -> Response:
    user = await authenticated(request)
    service = web(request)
    account = await service.accounts.by_username(user.username)
    own_phone = account.own_phone if account is not None else None
    return service.templates.TemplateResponse(
        request,
        "profile.html",
        {
            "user": user,
            "sip": service.sip,
            "own_phone": spreadsheet_number(own_phone) if own_phone else None,
            "line_error": error,
            "typed": typed,
            "line_saved": request.query_params.get("ligne") is not None,
        },
        status_code=status,
    )


async def choose_line_page(request: Request) -> Response:
    """« Ma ligne » on the profile page: the softphone, or « mon téléphone » and its
    number (checked as the register checks French numbers, and by the own-line rule)."""
    user = await for_form(request)
    form = await request.form()
    line = str(form.get("ligne") or "")
    typed = str(form.get("numero") or "")[:40]
    try:
        if line not in ("logiciel", "telephone"):
            raise InputError("champ « ligne » : choisissez votre logiciel ou votre téléphone")
        await choose_line(
            web(request).accounts, user.account_id, own_phone=line == "telephone", number=typed
        )
    except InputError as exc:
        return await profile_page(
            request, error=french_message(exc), typed=typed, status=http_status(exc)
        )
    return RedirectResponse("/agent/profil?ligne", status_code=303)


# ---- the screen's WebSocket ---------------------------------------------------------------
async def screen_socket(websocket: WebSocket) -> None:
    service = web(websocket)
    user = await service.auth.user_for(session_token(websocket))
    if user is None or not socket_allowed(websocket, user.role) or not same_origin(websocket):
        await websocket.close(code=CLOSE_SESSION_ENDED)
        return
    await websocket.accept()
    socket = service.screens.open(user.username)
    writer = asyncio.create_task(_write(websocket, socket.queue))
    try:
        await websocket.send_text(
            json.dumps({"type": "state", "state": service.screens.state(user.username)})
        )
        view = await service.screens.current_view(user.username)
        if view is not None:
            await record_read(
                websocket,
                actor=user.username,
                action="read.call",
                target=f"attempt:{view['attempt_id']}",
                person_id=view["person"]["id"],
                details={"resumed": True},
            )
            service.screens.push(
                user.username,
                {
                    "type": "call",
                    "attempt_id": view["attempt_id"],
                    "view": view,
                    "state": service.screens.state(user.username),
                    "resumed": True,
                },
            )
        await _push_offer(service, user.username)
        await _read(websocket, user)
    except WebSocketDisconnect:
        pass
    finally:
        service.screens.close(socket)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await writer


async def _push_offer(service: WebService, agent: str) -> None:
    """A screen (re)opened while a person is offered to the agent shows that person."""
    desk = service.desk
    attempt_id = desk.offer_of(agent) if desk is not None else None
    if attempt_id is not None:
        view = await service.screens.views.view(attempt_id, agent=agent)
        service.screens.push(agent, service.screens.offer_message(agent, attempt_id, view, None))


async def _read(websocket: WebSocket, user: User) -> None:
    service = web(websocket)
    while True:
        try:
            await asyncio.wait_for(websocket.receive_text(), SOCKET_SILENCE_S)
        except TimeoutError:
            await websocket.close()
            return
        # the open screen keeps the session alive, within its absolute lifetime
        if await service.auth.user_for(session_token(websocket)) is None:
            await websocket.send_text(json.dumps({"type": "expired"}))
            await websocket.close(code=CLOSE_SESSION_ENDED)
            return


async def _write(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
    while True:
        await websocket.send_text(await queue.get())


ROUTES = [
    GuardedRoute("/agent", agent_page, rule=Action.AGENT_DESK, methods=["GET"]),
    GuardedRoute("/agent/historique", history_page, rule=Action.AGENT_HISTORY, methods=["GET"]),
    GuardedRoute("/agent/profil", profile_page, rule=Action.AGENT_DESK, methods=["GET"]),
    GuardedRoute("/agent/profil/ligne", choose_line_page, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedSocket("/ws/agent", screen_socket, rule=Action.AGENT_DESK),
]
