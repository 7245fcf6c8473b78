"""The agent's screen: state, ready and pause, the call's person and questionnaire, the
call sheet, their own history and their softphone profile."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from dialer.core.agent_states import AgentState
from dialer.core.attempts import Disposition
from dialer.core.labels import DISPOSITION_LABELS, PASS_REASONS, PAUSE_REASONS
from dialer.core.permissions import Action
from dialer.desk.port import AgentDesk, seat_of
from dialer.engine.wrap_ups import WrapUp
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.web.access import GuardedRoute, GuardedSocket, caller, socket_allowed
from dialer.web.api_models import read_json
from dialer.web.auth import User, same_origin, session_token
from dialer.web.read_log import record_read
from dialer.web.service import WebService, authenticated, web

log = logging.getLogger(__name__)

#: WebSocket close code: the session ended (the screen goes back to the login page)
CLOSE_SESSION_ENDED = 4401
#: how long a screen may stay silent (it pings every 25 s) before it is closed
SOCKET_SILENCE_S = 90.0


def _desk(request: Request | WebSocket) -> AgentDesk:
    desk = web(request).desk
    if desk is None:
        raise ConflictError("aucune campagne n'est en cours : la téléphonie n'est pas active")
    return desk


async def _json(request: Request) -> dict[str, Any]:
    body = read_json(await request.body())
    if not isinstance(body, dict):
        raise InputError("requête illisible")
    return body


def _state(request: Request, agent: str) -> dict[str, Any]:
    return web(request).screens.state(agent)


# ---- pages --------------------------------------------------------------------------------
async def agent_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    return service.templates.TemplateResponse(
        request,
        "agent.html",
        {
            "user": user,
            "state": service.screens.state(user.username),
            "pause_reasons": PAUSE_REASONS,
            "pass_reasons": PASS_REASONS,
            "dispositions": [(d.value, label) for d, label in DISPOSITION_LABELS.items()],
            "telephony": service.desk is not None,
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


async def profile_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    return service.templates.TemplateResponse(
        request, "profile.html", {"user": user, "sip": service.sip}
    )


# ---- the agent's state --------------------------------------------------------------------
async def get_state(request: Request) -> Response:
    user = await caller(request)
    return JSONResponse(_state(request, user.username))


async def connect_phone(request: Request) -> Response:
    user = await caller(request)
    desk = _desk(request)
    account = await web(request).accounts.by_username(user.username)
    endpoint = account.sip_endpoint if account is not None else None
    if not endpoint:
        raise ConflictError(
            "aucun compte SIP n'est associé à votre compte : voyez l'administrateur"
        )
    seat = seat_of(desk, user.username)
    if seat is None or seat.state is AgentState.LOGGED_OUT:
        await desk.log_in(user.username, endpoint)
    return JSONResponse(_state(request, user.username))


async def go_ready(request: Request) -> Response:
    user = await caller(request)
    desk = _desk(request)
    seat = seat_of(desk, user.username)
    if seat is None or seat.state is AgentState.LOGGED_OUT:
        raise ConflictError("connectez d'abord votre téléphone")
    if seat.state is AgentState.WRAP_UP:
        raise ConflictError("validez d'abord la fiche de l'appel")
    if seat.state is not AgentState.READY:
        if seat.state is not AgentState.PAUSED:
            raise ConflictError("vous ne pouvez pas vous rendre disponible pendant un appel")
        desk.go_ready(user.username)
    return JSONResponse(_state(request, user.username))


async def pause(request: Request) -> Response:
    user = await caller(request)
    desk = _desk(request)
    body = await _json(request)
    reason = str(body.get("reason") or "").strip()
    detail = str(body.get("detail") or "").strip()[:200]
    if reason not in PAUSE_REASONS:
        raise InputError("choisissez un motif de pause dans la liste")
    if reason == "Autre" and not detail:
        raise InputError("précisez le motif de la pause")
    seat = seat_of(desk, user.username)
    if seat is None or seat.state is AgentState.LOGGED_OUT:
        raise ConflictError("connectez d'abord votre téléphone")
    if seat.state is AgentState.PAUSED:
        raise ConflictError("vous êtes déjà en pause")
    if seat.state is AgentState.WRAP_UP:
        raise ConflictError("validez d'abord la fiche de l'appel")
    if desk.offer_of(user.username) is not None:
        raise ConflictError("appelez ou passez d'abord la personne proposée")
    if seat.state is not AgentState.READY:
        raise ConflictError("vous ne pouvez pas vous mettre en pause pendant un appel")
    text = f"{reason} : {detail}" if detail else reason
    desk.pause(user.username, text)
    return JSONResponse(_state(request, user.username))


async def hang_up(request: Request) -> Response:
    user = await caller(request)
    await _desk(request).hang_up_call(user.username)
    return JSONResponse(_state(request, user.username))


# ---- the person offered (preview, reserved call-backs) ------------------------------------
async def call_offered(request: Request) -> Response:
    """« Appeler »: dial the person offered; the call is bridged to this agent."""
    user = await caller(request)
    desk = _desk(request)
    if desk.offer_of(user.username) is None:
        raise ConflictError("aucune personne ne vous est proposée")
    attempt_id = await desk.call_offer(user.username)
    return JSONResponse({"attempt_id": attempt_id, "state": _state(request, user.username)})


async def pass_offered(request: Request) -> Response:
    """« Passer », with a reason from the list (and a detail for « Autre »)."""
    user = await caller(request)
    desk = _desk(request)
    body = await _json(request)
    reason = str(body.get("reason") or "").strip()
    detail = str(body.get("detail") or "").strip()[:150]
    if reason not in PASS_REASONS:
        raise InputError("choisissez pourquoi vous passez cette personne dans la liste")
    if reason == "Autre" and not detail:
        raise InputError("précisez pourquoi vous passez cette personne")
    attempt_id = desk.offer_of(user.username)
    if attempt_id is None:
        raise ConflictError("aucune personne ne vous est proposée")
    await desk.pass_offer(user.username, f"{reason} : {detail}" if detail else reason)
    web(request).screens.forget(user.username, attempt_id)
    return JSONResponse(_state(request, user.username))


# ---- the current call ---------------------------------------------------------------------
async def call_view(request: Request) -> Response:
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    view = await service.sheets.views.view(attempt_id, agent=user.username)
    await record_read(
        request,
        actor=user.actor,
        action="read.call",
        target=f"attempt:{attempt_id}",
        person_id=view["person"]["id"],
    )
    return JSONResponse(view)


async def person_view(request: Request) -> Response:
    """A person's record: an agent sees only the person on their current call."""
    user = await caller(request)
    service = web(request)
    person_id = request.path_params["person_id"]
    seat = seat_of(service.desk, user.username)
    if seat is None or seat.attempt_id is None:
        raise NotFoundError("personne inconnue, ou qui n'est pas votre appel en cours")
    service.sheets.check_current(service.desk, user.username, seat.attempt_id)
    view = await service.sheets.views.view(seat.attempt_id, agent=user.username)
    if view["person"]["id"] != person_id:
        raise NotFoundError("personne inconnue, ou qui n'est pas votre appel en cours")
    await record_read(
        request,
        actor=user.actor,
        action="read.person",
        target=f"person:{person_id}",
        person_id=person_id,
    )
    return JSONResponse(view["person"])


async def save_answer(request: Request) -> Response:
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    body = await _json(request)
    question_id = body.get("question_id")
    if not isinstance(question_id, str):
        raise InputError("question manquante")
    outcome = await service.sheets.answer(
        user.username,
        attempt_id,
        question_id,
        body.get("value"),
        cleared=bool(body.get("cleared")),
    )
    return JSONResponse(outcome)


async def save_note(request: Request) -> Response:
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    body = await _json(request)
    await service.sheets.save_note(user.username, attempt_id, str(body.get("note") or ""))
    return JSONResponse({"ok": True})


def _callback_time(request: Request, text: object) -> datetime | None:
    if not text:
        return None
    try:
        local = datetime.fromisoformat(str(text))
    except ValueError:
        raise InputError("champ « callback_at » : date de rappel invalide") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=web(request).zone)
    return local


async def submit_sheet(request: Request) -> Response:
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    body = await _json(request)
    try:
        disposition = Disposition(str(body.get("disposition")))
    except ValueError:
        raise InputError("choisissez l'issue de l'appel") from None
    result = await service.sheets.submit(
        user.username,
        attempt_id,
        disposition=disposition,
        note=str(body.get("note") or ""),
        callback_at=_callback_time(request, body.get("callback_at")),
        new_number=str(body.get("nouveau_numero") or "") or None,
    )
    wrap_up = WrapUp.NONE
    if service.desk is not None:
        wrap_up = await service.desk.give_disposition(
            user.username, attempt_id, result.person_result
        )
    if wrap_up is WrapUp.DONE:
        service.screens.forget(user.username, attempt_id)
    return JSONResponse(
        {
            "score": result.score,
            "risk_level": result.risk_level,
            "complete": result.complete,
            "alerts": result.alerts,
            "wrap_up": wrap_up.value,
            "state": _state(request, user.username),
        }
    )


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
    GuardedRoute("/agent/historique", history_page, rule=Action.AGENT_DESK, methods=["GET"]),
    GuardedRoute("/agent/profil", profile_page, rule=Action.AGENT_DESK, methods=["GET"]),
    GuardedRoute("/api/v1/agent/state", get_state, rule=Action.AGENT_DESK, methods=["GET"]),
    GuardedRoute("/api/v1/agent/phone", connect_phone, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedRoute("/api/v1/agent/ready", go_ready, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedRoute("/api/v1/agent/pause", pause, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedRoute("/api/v1/agent/hang-up", hang_up, rule=Action.AGENT_DESK, methods=["POST"]),
    GuardedRoute(
        "/api/v1/agent/offer/call", call_offered, rule=Action.AGENT_DESK, methods=["POST"]
    ),
    GuardedRoute(
        "/api/v1/agent/offer/pass", pass_offered, rule=Action.AGENT_DESK, methods=["POST"]
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}", call_view, rule=Action.AGENT_DESK, methods=["GET"]
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/answers",
        save_answer,
        rule=Action.AGENT_DESK,
        methods=["POST"],
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/note", save_note, rule=Action.AGENT_DESK, methods=["POST"]
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/sheet",
        submit_sheet,
        rule=Action.AGENT_DESK,
        methods=["POST"],
    ),
    GuardedRoute(
        "/api/v1/agent/persons/{person_id:id}", person_view, rule=Action.AGENT_DESK, methods=["GET"]
    ),
    GuardedSocket("/ws/agent", screen_socket, rule=Action.AGENT_DESK),
]
