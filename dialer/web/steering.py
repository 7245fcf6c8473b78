"""The supervisor's steering pages: campaigns (start, pause, resume, stop, pacing, and
"Démarrer depuis l'alerte", alert episodes started and ended), agents (force logout, new
SIP credentials) and the audit log.

Server-rendered forms with the session's CSRF token; each form goes through the same
operations as the REST API (:class:`~dialer.campaigns.control.CampaignControl`,
:mod:`dialer.desk.operations`), so the same audit entries are written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.campaigns.episodes import EpisodeStart
from dialer.core.agent_states import AgentState
from dialer.core.labels import (
    AGENT_STATE_LABELS,
    ALERT_KIND_LABELS,
    CAMPAIGN_STATE_LABELS,
    PACING_MODE_LABELS,
    audit_action_name,
    audit_details_text,
)
from dialer.core.pacing_settings import (
    ABANDON_RATE_CEILING,
    MAX_LINES_PER_AGENT,
    MIN_LINES_PER_AGENT,
    PacingMode,
)
from dialer.core.permissions import Action, allowed
from dialer.core.roles import Role
from dialer.desk.operations import (
    force_logout,
    reset_sip,
)
from dialer.errors import ConflictError, InputError
from dialer.storage.audit import AuditFilter
from dialer.web.access import GuardedRoute
from dialer.web.auth import User
from dialer.web.failures import french_message
from dialer.web.service import (
    authenticated,
    campaign_control,
    episode_control,
    for_form,
    steering,
    web,
)

ACTIONS: dict[str, tuple[str, str]] = {
    # path word: (CampaignControl method, French past participle for the notice)
    "demarrer": ("start", "démarrée"),
    "pause": ("pause", "mise en pause"),
    "reprendre": ("resume", "reprise"),
    "arreter": ("stop", "arrêtée"),
}


def _back(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?fait={quote(notice)}", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}


# ---- campaigns --------------------------------------------------------------------------
async def campaigns_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    control = campaign_control(request)
    return web(request).templates.TemplateResponse(
        request,
        "steering_campaigns.html",
        {
            "user": user,
            "campaigns": await control.list(),
            "episodes": await episode_control(request).running(),
            "alert_kinds": ALERT_KIND_LABELS,
            "templates": {t.key: t for t in control.templates},
            "pacing_labels": PACING_MODE_LABELS,
            "state_labels": CAMPAIGN_STATE_LABELS,
            "ceiling_percent": ABANDON_RATE_CEILING * 100,
            "lines_per_agent_range": (MIN_LINES_PER_AGENT, MAX_LINES_PER_AGENT),
            "can_steer": allowed(user.role, Action.CAMPAIGNS_STEER),
            "engine": control.statistics(),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def _steer_form(
    request: Request, operation: Callable[[User, dict[str, str]], Awaitable[str]]
) -> Response:
    user = await for_form(request)
    fields = await _form(request)
    try:
        notice = await operation(user, fields)
    except (InputError, ConflictError) as exc:
        return await campaigns_page(request, error=french_message(exc), status=409)
    return _back("/supervision/campagnes", notice)


def _started_notice(start: EpisodeStart) -> str:
    started, episode = start.started, start.episode
    return (
        f"Épisode « {ALERT_KIND_LABELS[episode.kind]} » niveau {episode.level} déclenché ; "
        f"campagne « {started.campaign.name} » démarrée : {started.people} personnes, "
        f"{started.first_plan.dials} premier(s) appel(s) lancé(s)"
    )


async def start_from_alert(request: Request) -> Response:
    async def operation(user: User, fields: dict[str, str]) -> str:
        start = await episode_control(request).start_from_alert(
            fields.get("modele", ""), actor=user.username, name=fields.get("nom") or None
        )
        return _started_notice(start)

    return await _steer_form(request, operation)


async def start_episode(request: Request) -> Response:
    async def operation(user: User, fields: dict[str, str]) -> str:
        raw_level = fields.get("niveau", "")
        if not raw_level.isdigit():
            raise InputError("niveau : un nombre de 1 à 4")
        start = await episode_control(request).start(
            kind=fields.get("type", ""),
            level=int(raw_level),
            districts=fields.get("quartiers", "").split(","),
            actor=user.username,
            template_key=fields.get("modele") or None,
            name=fields.get("nom") or None,
        )
        return _started_notice(start)

    return await _steer_form(request, operation)


async def end_episode(request: Request) -> Response:
    async def operation(user: User, _fields: dict[str, str]) -> str:
        ended = await episode_control(request).end(
            actor=user.username, episode_id=request.path_params["episode_id"]
        )
        return (
            f"Épisode « {ALERT_KIND_LABELS[ended.kind]} » terminé : plus de nouvel appel, "
            "les appels en cours finissent, le cycle est clos ; son rapport : "
            f"/rapports/episodes/{ended.id}"
        )

    return await _steer_form(request, operation)


async def create_campaign(request: Request) -> Response:
    async def operation(user: User, fields: dict[str, str]) -> str:
        view = await campaign_control(request).create(
            fields.get("modele", ""), actor=user.username, name=fields.get("nom") or None
        )
        return f"Campagne « {view.name} » créée (en préparation)"

    return await _steer_form(request, operation)


async def steer_campaign(request: Request) -> Response:
    word = request.path_params["action"]
    if word not in ACTIONS:
        return Response(status_code=404)
    method, done = ACTIONS[word]

    async def operation(user: User, _fields: dict[str, str]) -> str:
        control = campaign_control(request)
        view = await getattr(control, method)(
            request.path_params["campaign_id"], actor=user.username
        )
        return f"Campagne « {view.name} » {done}"

    return await _steer_form(request, operation)


async def change_pacing(request: Request) -> Response:
    async def operation(user: User, fields: dict[str, str]) -> str:
        try:
            mode = PacingMode(fields.get("mode", ""))
        except ValueError:
            raise InputError("mode de rythme inconnu") from None
        raw = fields.get("taux_abandon", "").replace(",", ".").rstrip("%").strip()
        try:
            percent = float(raw)
        except ValueError:
            raise InputError("taux d'abandon maximal : un nombre en %, 3 au plus") from None
        if not 0 <= percent <= ABANDON_RATE_CEILING * 100:
            raise InputError("taux d'abandon maximal : entre 0 et 3 %")
        lines = _lines_per_agent(fields.get("lignes_par_agent", ""))
        view = await campaign_control(request).set_pacing(
            request.path_params["campaign_id"],
            actor=user.username,
            mode=mode,
            max_abandon_rate=round(percent / 100, 5),
            max_lines_per_agent=lines,
        )
        return (
            f"Rythme de « {view.name} » : {PACING_MODE_LABELS[view.pacing_mode]}, {percent:g} %, "
            f"{view.max_lines_per_agent:g} lignes par agent au plus"
        )

    return await _steer_form(request, operation)


def _lines_per_agent(raw: str) -> float | None:
    """The form's « Lignes par agent (max) », ``None`` when left out (kept as it is)."""
    raw = raw.replace(",", ".").strip()
    if not raw:
        return None
    bounds = f"entre {MIN_LINES_PER_AGENT:g} et {MAX_LINES_PER_AGENT:g}"
    try:
        lines = float(raw)
    except ValueError:
        raise InputError(f"lignes par agent (max) : un nombre {bounds}") from None
    if not MIN_LINES_PER_AGENT <= lines <= MAX_LINES_PER_AGENT:
        raise InputError(f"lignes par agent (max) : {bounds}")
    return lines


# ---- agents -----------------------------------------------------------------------------
async def agents_page(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    sip: dict[str, str] | None = None,
) -> Response:
    user = await authenticated(request)
    service = web(request)
    engine = steering(request).engine
    seats = engine.seats.seats_by_agent() if engine is not None else {}
    rows: list[dict[str, Any]] = []
    for account in await service.accounts.list_all():
        if account.role is not Role.AGENT:
            continue
        seat = seats.get(account.username)
        rows.append(
            {
                "account": account,
                "state": AGENT_STATE_LABELS[seat.state] if seat else "Téléphone non connecté",
                "connected": seat is not None and seat.state is not AgentState.LOGGED_OUT,
            }
        )
    return service.templates.TemplateResponse(
        request,
        "steering_agents.html",
        {
            "user": user,
            "rows": rows,
            "can_reset_sip": allowed(user.role, Action.AGENTS_MANAGE),
            "error": error,
            "notice": request.query_params.get("fait"),
            "sip": sip,
        },
        status_code=status,
    )


async def logout_agent(request: Request) -> Response:
    user = await for_form(request)
    username = request.path_params["username"]
    try:
        await force_logout(steering(request), actor=user.username, username=username)
    except (InputError, ConflictError) as exc:
        return await agents_page(request, error=french_message(exc), status=409)
    return _back("/supervision/agents", f"Agent {username} déconnecté")


async def sip_reset_agent(request: Request) -> Response:
    user = await for_form(request)
    fields = await _form(request)
    try:
        created = await reset_sip(
            steering(request),
            actor=user.username,
            username=request.path_params["username"],
            remote=fields.get("distant") == "oui",
        )
    except (InputError, ConflictError) as exc:
        return await agents_page(request, error=french_message(exc), status=422)
    # shown once, on this response only (never in a URL)
    return await agents_page(
        request,
        sip={
            "username": created.username,
            "endpoint": created.endpoint,
            "password": created.password,
        },
    )


# ---- audit log --------------------------------------------------------------------------
async def audit_page(request: Request) -> Response:
    user = await authenticated(request)
    params = request.query_params
    zone = web(request).zone
    errors: list[str] = []

    def day(name: str, label: str) -> datetime | None:
        raw = params.get(name, "")
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=zone) if raw else None
        except ValueError:
            errors.append(f"Date « {label} » invalide (format AAAA-MM-JJ).")
            return None

    since, until = day("depuis", "depuis"), day("jusqua", "jusqu'au")
    raw_person = params.get("personne", "").strip()
    if raw_person and not (raw_person.isdigit() and len(raw_person) <= 18):
        errors.append("Personne : indiquez son numéro (un entier).")
        raw_person = ""
    query = AuditFilter(
        actor=params.get("qui") or None,
        action=params.get("action") or None,
        target=params.get("cible") or None,
        person_id=int(raw_person) if raw_person else None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        limit=300,
    )
    names = ("qui", "action", "cible", "personne", "depuis", "jusqua")
    return web(request).templates.TemplateResponse(
        request,
        "steering_audit.html",
        {
            "user": user,
            "entries": await steering(request).audit.search(query),
            "action_name": audit_action_name,
            "details_text": audit_details_text,
            "filters": {k: params.get(k, "") for k in names},
            "error": " ".join(errors) or None,
        },
    )


ROUTES = [
    GuardedRoute(
        "/supervision/campagnes", campaigns_page, rule=Action.CAMPAIGNS_VIEW, methods=["GET"]
    ),
    GuardedRoute(
        "/supervision/campagnes", create_campaign, rule=Action.CAMPAIGNS_STEER, methods=["POST"]
    ),
    GuardedRoute(
        "/supervision/campagnes/alerte",
        start_from_alert,
        rule=Action.CAMPAIGNS_STEER,
        methods=["POST"],
    ),
    GuardedRoute(
        "/supervision/episodes", start_episode, rule=Action.CAMPAIGNS_STEER, methods=["POST"]
    ),
    GuardedRoute(
        "/supervision/episodes/{episode_id:id}/terminer",
        end_episode,
        rule=Action.CAMPAIGNS_STEER,
        methods=["POST"],
    ),
    GuardedRoute(
        "/supervision/campagnes/{campaign_id:id}/rythme",
        change_pacing,
        rule=Action.CAMPAIGNS_STEER,
        methods=["POST"],
    ),
    GuardedRoute(
        "/supervision/campagnes/{campaign_id:id}/{action}",
        steer_campaign,
        rule=Action.CAMPAIGNS_STEER,
        methods=["POST"],
    ),
    GuardedRoute("/supervision/agents", agents_page, rule=Action.AGENTS_VIEW, methods=["GET"]),
    GuardedRoute(
        "/supervision/agents/{username}/deconnecter",
        logout_agent,
        rule=Action.AGENT_LOGOUT,
        methods=["POST"],
    ),
    GuardedRoute(
        "/supervision/agents/{username}/sip",
        sip_reset_agent,
        rule=Action.AGENTS_MANAGE,
        methods=["POST"],
    ),
    GuardedRoute("/supervision/journal", audit_page, rule=Action.AUDIT_VIEW, methods=["GET"]),
]
