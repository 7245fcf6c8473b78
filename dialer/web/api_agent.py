"""The agent's screen's calls in the versioned API, ``/api/v1/agent/...``: state, phone,
ready and pause, hang-up, the person offered (call or pass), the current call's view,
answers, note and sheet, and the person on the call. Each answer is checked against its
model (:mod:`dialer.web.api_agent_responses`), the one the OpenAPI document shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from dialer.core.agent_states import AgentState
from dialer.core.attempts import Disposition
from dialer.core.labels import PASS_REASONS, PAUSE_REASONS
from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.desk.port import AgentDesk, seat_of
from dialer.engine.wrap_ups import WrapUp
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_agent_requests import AnswerGiven, NoteGiven, ReasonGiven, SheetGiven
from dialer.web.api_agent_responses import (
    AgentScreenState,
    CallView,
    NoteSaved,
    OfferCalled,
    PersonRecord,
    SheetProgress,
    SheetSubmitted,
)
from dialer.web.api_models import request_body
from dialer.web.api_responses import checked
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.service import web
from dialer.web.volunteer_pages import volunteer_may_connect


def _desk(request: Request) -> AgentDesk:
    desk = web(request).desk
    if desk is None:
        raise ConflictError("aucune campagne n'est en cours : la téléphonie n'est pas active")
    return desk


def _state(request: Request, agent: str) -> Response:
    return checked(AgentScreenState, web(request).screens.state(agent))


def _reason(
    body: ReasonGiven, choices: Sequence[str], *, longest: int, unknown: str, missing: str
) -> str:
    """The reason chosen from ``choices``, with its detail (required for « Autre »)."""
    reason = body.reason.strip()
    detail = body.detail.strip()[:longest]
    if reason not in choices:
        raise InputError(unknown)
    if reason == "Autre" and not detail:
        raise InputError(missing)
    return f"{reason} : {detail}" if detail else reason


# ---- the agent's state --------------------------------------------------------------------
@described_by(AgentScreenState)
async def get_state(request: Request) -> Response:
    """L'état de l'agent : disponible, en pause, en appel, en fiche (agent)."""
    user = await caller(request)
    return _state(request, user.username)


@described_by(AgentScreenState)
async def connect_phone(request: Request) -> Response:
    """Connecter le téléphone de l'agent au moteur d'appels : son logiciel (compte SIP), ou
    son propre téléphone (« mon téléphone », appelé ; il appuie sur 1) (agent)."""
    user = await caller(request)
    desk = _desk(request)
    if user.role is Role.VOLUNTEER:
        await volunteer_may_connect(request, user.username)
    account = await web(request).accounts.by_username(user.username)
    seat = seat_of(desk, user.username)
    if seat is not None and seat.state is not AgentState.LOGGED_OUT:
        return _state(request, user.username)
    if account is not None and account.own_phone:
        await desk.call_own_phone(user.username, account.own_phone)
        return _state(request, user.username)
    endpoint = account.sip_endpoint if account is not None else None
    if not endpoint:
        raise ConflictError(
            "aucun compte SIP n'est associé à votre compte : choisissez « mon téléphone » "
            "dans « Mon téléphone », ou voyez l'administrateur"
        )
    await desk.log_in(user.username, endpoint)
    return _state(request, user.username)


@described_by(AgentScreenState)
async def go_ready(request: Request) -> Response:
    """Se rendre disponible pour les appels (agent)."""
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
    return _state(request, user.username)


@described_by(AgentScreenState, body=ReasonGiven)
async def pause(request: Request) -> Response:
    """Se mettre en pause, avec un motif de la liste (agent)."""
    user = await caller(request)
    desk = _desk(request)
    text = _reason(
        await request_body(request, ReasonGiven),
        PAUSE_REASONS,
        longest=200,
        unknown="choisissez un motif de pause dans la liste",
        missing="précisez le motif de la pause",
    )
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
    desk.pause(user.username, text)
    return _state(request, user.username)


@described_by(AgentScreenState)
async def hang_up(request: Request) -> Response:
    """Raccrocher l'appel en cours (agent)."""
    user = await caller(request)
    await _desk(request).hang_up_call(user.username)
    return _state(request, user.username)


# ---- the person offered (preview, reserved call-backs) ------------------------------------
@described_by(OfferCalled)
async def call_offered(request: Request) -> Response:
    """« Appeler » la personne proposée : l'appel est relié à cet agent (agent)."""
    user = await caller(request)
    desk = _desk(request)
    if desk.offer_of(user.username) is None:
        raise ConflictError("aucune personne ne vous est proposée")
    attempt_id = await desk.call_offer(user.username)
    state = web(request).screens.state(user.username)
    return checked(OfferCalled, {"attempt_id": attempt_id, "state": state})


@described_by(AgentScreenState, body=ReasonGiven)
async def pass_offered(request: Request) -> Response:
    """« Passer » la personne proposée, avec un motif de la liste (et une précision pour
    « Autre ») (agent)."""
    user = await caller(request)
    desk = _desk(request)
    text = _reason(
        await request_body(request, ReasonGiven),
        PASS_REASONS,
        longest=150,
        unknown="choisissez pourquoi vous passez cette personne dans la liste",
        missing="précisez pourquoi vous passez cette personne",
    )
    attempt_id = desk.offer_of(user.username)
    if attempt_id is None:
        raise ConflictError("aucune personne ne vous est proposée")
    await desk.pass_offer(user.username, text)
    web(request).screens.forget(user.username, attempt_id)
    return _state(request, user.username)


# ---- the current call ---------------------------------------------------------------------
@described_by(CallView)
async def call_view(request: Request) -> Response:
    """L'appel en cours de l'agent : la personne, son historique, le questionnaire et la
    fiche (agent ; consultation journalisée)."""
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
    return checked(CallView, view)


@described_by(PersonRecord)
async def person_view(request: Request) -> Response:
    """La fiche de la personne de l'appel en cours : un agent ne voit que celle-là (agent ;
    consultation journalisée)."""
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
    return checked(PersonRecord, view["person"])


@described_by(SheetProgress, body=AnswerGiven)
async def save_answer(request: Request) -> Response:
    """Enregistrer (ou effacer) une réponse au questionnaire : les questions qui suivent, ce
    qui manque, la consigne d'urgence (agent)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    given = await request_body(request, AnswerGiven)
    outcome = await service.sheets.answer(
        user.username, attempt_id, given.question_id, given.value, cleared=given.cleared
    )
    return checked(SheetProgress, outcome)


@described_by(NoteSaved, body=NoteGiven)
async def save_note(request: Request) -> Response:
    """Enregistrer la note de l'appel (agent)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    given = await request_body(request, NoteGiven)
    await service.sheets.save_note(user.username, attempt_id, given.note)
    return checked(NoteSaved, {"ok": True})


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


@described_by(SheetSubmitted, body=SheetGiven)
async def submit_sheet(request: Request) -> Response:
    """Valider la fiche de l'appel avec son issue : score, niveau de risque, alertes levées
    et fin de la fiche (agent)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    given = await request_body(request, SheetGiven)
    try:
        disposition = Disposition(given.disposition)
    except ValueError:
        raise InputError("choisissez l'issue de l'appel") from None
    result = await service.sheets.submit(
        user.username,
        attempt_id,
        disposition=disposition,
        note=given.note,
        callback_at=_callback_time(request, given.callback_at),
        new_number=given.nouveau_numero or None,
    )
    wrap_up = WrapUp.NONE
    if service.desk is not None:
        wrap_up = await service.desk.give_disposition(
            user.username, attempt_id, result.person_result
        )
    if wrap_up is WrapUp.DONE:
        service.screens.forget(user.username, attempt_id)
    scores = allowed(user.role, Action.CALL_SCORES)  # a volunteer is not told them
    return checked(
        SheetSubmitted,
        {
            "score": result.score if scores else None,
            "risk_level": result.risk_level if scores else None,
            "complete": result.complete,
            "alerts": result.alerts,
            "wrap_up": wrap_up.value,
            "state": service.screens.state(user.username),
        },
    )


ROUTES = [
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
]
