"""The REST API, ``/api/v1/...``: the same steering operations as the CLI and the
supervisor's pages, as JSON.

Authentication: ``Authorization: Bearer <token>`` (an API token, ``dialer api-token
create``), or the browser's session cookie with the ``X-CSRF-Token`` header on every
request that changes something. Roles: supervisors steer campaigns and import registers;
administrators manage agents, teams (and import registers too); supervisors may also force
an agent's logout. Errors are ``{"erreur": "..."}`` with the status of
:mod:`dialer.errors` (a 422 names the field).

The endpoint table :data:`ENDPOINTS` is the one source of the routes and of the OpenAPI
document (:mod:`dialer.web.openapi`, served at ``/api/v1/openapi.json``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dialer.campaigns.episodes import EpisodeStart
from dialer.campaigns.templates import TEMPLATES
from dialer.core.labels import KEPT_AFTER_ERASURE
from dialer.core.permissions import Action
from dialer.core.roles import Role
from dialer.desk.account_changes import change_role, reactivate, reset_password
from dialer.desk.operations import (
    agent_json,
    create_agent,
    create_team,
    deactivate_account,
    force_logout,
    import_register_upload,
    reset_sip,
    team_json,
    update_team_members,
)
from dialer.errors import InputError, NotFoundError
from dialer.register.correction import check_correction
from dialer.storage.account_rows import Account
from dialer.storage.alerts import ContactRecord, TeamRepository
from dialer.storage.api_tokens import token_json
from dialer.storage.audit import AuditFilter
from dialer.storage.person_data import Actor, PersonData
from dialer.web.access import API_PREFIX, GuardedRoute, Open, Rule, caller
from dialer.web.api_models import (
    AccountRoleChange,
    AgentCreate,
    CampaignCreate,
    EpisodeStartBody,
    PacingChange,
    PasswordReset,
    PersonCorrectionBody,
    SipReset,
    TeamCreate,
    TeamMembers,
    parse_body,
)
from dialer.web.read_log import route_of
from dialer.web.service import campaign_control, episode_control, steering, web

PREFIX = API_PREFIX


async def body(request: Request, model: type[Any]) -> Any:
    return parse_body(model, await request.body())


def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


# ---- campaigns --------------------------------------------------------------------------
async def list_campaigns(request: Request) -> Response:
    await caller(request)
    return ok([view.as_json() for view in await campaign_control(request).list()])


async def get_campaign(request: Request) -> Response:
    await caller(request)
    return ok((await campaign_control(request).view(request.path_params["campaign_id"])).as_json())


async def create_campaign(request: Request) -> Response:
    who = await caller(request)
    data: CampaignCreate = await body(request, CampaignCreate)
    view = await campaign_control(request).create(data.template, actor=who.actor, name=data.name)
    return ok(view.as_json(), 201)


def _episode_started(start: EpisodeStart) -> JSONResponse:
    started = start.started
    return ok(
        {
            "episode": start.episode.as_json(),
            "campaign": started.campaign.as_json(),
            "people": started.people,
            "first_due": started.first_due.isoformat(),
            "first_dials": started.first_plan.dials,
            "plan": started.first_plan.reason,
        },
        201,
    )


async def start_from_alert(request: Request) -> Response:
    who = await caller(request)
    data: CampaignCreate = await body(request, CampaignCreate)
    start = await episode_control(request).start_from_alert(
        data.template, actor=who.actor, name=data.name
    )
    return _episode_started(start)


# ---- alert episodes ---------------------------------------------------------------------
async def list_episodes(request: Request) -> Response:
    await caller(request)
    return ok([episode.as_json() for episode in await episode_control(request).all()])


async def start_episode(request: Request) -> Response:
    who = await caller(request)
    data: EpisodeStartBody = await body(request, EpisodeStartBody)
    start = await episode_control(request).start(
        kind=data.kind,
        level=data.level,
        districts=data.districts,
        actor=who.actor,
        template_key=data.template,
        name=data.name,
    )
    return _episode_started(start)


async def end_episode(request: Request) -> Response:
    who = await caller(request)
    ended = await episode_control(request).end(
        actor=who.actor, episode_id=request.path_params["episode_id"]
    )
    return ok({**ended.as_json(), "report_url": f"/rapports/episodes/{ended.id}"})


def _steer(action: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        who = await caller(request)
        control = campaign_control(request)
        operation = getattr(control, action)
        view = await operation(request.path_params["campaign_id"], actor=who.actor)
        return ok(view.as_json())

    handler.__name__ = f"{action}_campaign"
    return handler


async def change_pacing(request: Request) -> Response:
    who = await caller(request)
    data: PacingChange = await body(request, PacingChange)
    if data.mode is None and data.max_abandon_rate is None and data.max_lines_per_agent is None:
        raise InputError(
            "champ « mode » : indiquez mode, max_abandon_rate et/ou max_lines_per_agent"
        )
    view = await campaign_control(request).set_pacing(
        request.path_params["campaign_id"],
        actor=who.actor,
        mode=data.mode,
        max_abandon_rate=data.max_abandon_rate,
        max_lines_per_agent=data.max_lines_per_agent,
    )
    return ok(view.as_json())


# ---- registers --------------------------------------------------------------------------
async def import_register(request: Request) -> Response:
    who = await caller(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InputError("champ « file » : envoyez le registre en multipart/form-data")
    async with request.form() as form:  # closes the uploaded files' spools
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("champ « file » : champ obligatoire (le fichier du registre)")
        mapping = form.get("mapping")
        dry_run = str(form.get("dry_run") or "false").lower()
        if dry_run not in ("true", "false", "1", "0", "oui", "non"):
            raise InputError("champ « dry_run » : doit valoir true ou false")
        filename, content = upload.filename, await upload.read()
        mapping_content = await mapping.read() if isinstance(mapping, UploadFile) else None
    report = await import_register_upload(
        steering(request),
        actor=who.actor,
        filename=filename,
        content=content,
        mapping=mapping_content,
        dry_run=dry_run in ("true", "1", "oui"),
    )
    return ok(report, 200 if report["dry_run"] else 201)


# ---- agents -----------------------------------------------------------------------------
async def list_agents(request: Request) -> Response:
    await caller(request)
    engine = steering(request).engine
    accounts = await web(request).accounts.list_all()
    return ok([agent_json(a, engine) for a in accounts if a.role is Role.AGENT])


async def add_agent(request: Request) -> Response:
    who = await caller(request)
    data: AgentCreate = await body(request, AgentCreate)
    created = await create_agent(
        steering(request),
        actor=who.actor,
        username=data.username,
        password=data.password,
        remote=data.remote,
        sip_endpoint=data.sip_endpoint,
    )
    return ok(
        {
            "username": created.username,
            "sip_endpoint": created.endpoint,
            "sip_password": created.password,
        },
        201,
    )


async def agent_sip_reset(request: Request) -> Response:
    who = await caller(request)
    data: SipReset = await body(request, SipReset)
    created = await reset_sip(
        steering(request),
        actor=who.actor,
        username=request.path_params["username"],
        remote=data.remote,
    )
    return ok(
        {
            "username": created.username,
            "sip_endpoint": created.endpoint,
            "sip_password": created.password,
        }
    )


async def agent_logout(request: Request) -> Response:
    who = await caller(request)
    username = request.path_params["username"]
    account = await web(request).accounts.by_username(username)
    if account is None or account.role is not Role.AGENT:
        raise NotFoundError(f"agent {username!r} inconnu")
    return ok(await force_logout(steering(request), actor=who.actor, username=username))


# ---- accounts ---------------------------------------------------------------------------
def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "role": account.role.value,
        "team_id": account.team_id,
        "active": account.active,
    }


async def list_accounts(request: Request) -> Response:
    await caller(request)
    return ok([account_json(a) for a in await web(request).accounts.list_all()])


async def account_role(request: Request) -> Response:
    who = await caller(request)
    data: AccountRoleChange = await body(request, AccountRoleChange)
    account = await change_role(
        steering(request),
        actor=who.actor,
        account_id=request.path_params["account_id"],
        role=data.role,
        team=data.team,
    )
    return ok(account_json(account))


async def account_password(request: Request) -> Response:
    who = await caller(request)
    data: PasswordReset = await body(request, PasswordReset)
    account = await reset_password(
        steering(request),
        actor=who.actor,
        account_id=request.path_params["account_id"],
        password=data.password,
    )
    return ok(account_json(account))


async def account_deactivate(request: Request) -> Response:
    who = await caller(request)
    done = await deactivate_account(
        steering(request), actor=who.actor, account_id=request.path_params["account_id"]
    )
    return ok(done)


async def account_reactivate(request: Request) -> Response:
    who = await caller(request)
    account = await reactivate(
        steering(request), actor=who.actor, account_id=request.path_params["account_id"]
    )
    return ok(account_json(await web(request).accounts.get(account.id)))


# ---- teams ------------------------------------------------------------------------------
async def list_teams(request: Request) -> Response:
    await caller(request)
    ops = steering(request)
    return ok(
        [await team_json(ops, record) for record in await TeamRepository(ops.sessions).list_all()]
    )


async def add_team(request: Request) -> Response:
    who = await caller(request)
    data: TeamCreate = await body(request, TeamCreate)
    ops = steering(request)
    record = await create_team(
        ops,
        actor=who.actor,
        name=data.name,
        districts=data.districts,
        needs=data.needs,
        email=data.email,
        webhook_url=data.webhook_url,
        is_default=data.is_default,
        contacts=[ContactRecord(c.name, c.email, c.phone) for c in data.contacts],
        webhook_link_only=data.webhook_link_only,
    )
    created = await team_json(ops, record)
    if record.team.webhook_secret is not None:
        created["webhook_secret"] = record.team.webhook_secret  # shown once, never again
    return ok(created, 201)


async def set_members(request: Request) -> Response:
    who = await caller(request)
    data: TeamMembers = await body(request, TeamMembers)
    ops = steering(request)
    team_id = request.path_params["team_id"]
    await update_team_members(ops, actor=who.actor, team_id=team_id, members=data.members)
    return ok(await team_json(ops, await TeamRepository(ops.sessions).get(team_id)))


# ---- a person's rights ------------------------------------------------------------------
async def person_export(request: Request) -> Response:
    who = await caller(request)
    ops = steering(request)
    document = await PersonData(ops.sessions).export(
        request.path_params["person_id"], actor=Actor(who.actor, route_of(request)), now=ops.clock()
    )
    return ok(document)


async def person_correct(request: Request) -> Response:
    who = await caller(request)
    data: PersonCorrectionBody = await body(request, PersonCorrectionBody)
    ops = steering(request)
    now = ops.clock()
    correction = check_correction(data.model_dump(exclude_unset=True), today=now.date())
    person = await PersonData(ops.sessions).correct(
        request.path_params["person_id"],
        correction,
        actor=Actor(who.actor, route_of(request)),
        now=now,
    )
    return ok({"id": person.id, "corrected": correction.changed_fields()})


async def person_erase(request: Request) -> Response:
    who = await caller(request)
    ops = steering(request)
    person_id = request.path_params["person_id"]
    done = await PersonData(ops.sessions).erase(
        person_id, actor=Actor(who.actor, route_of(request)), now=ops.clock()
    )
    return ok({"id": person_id, "erased": done, "kept": list(KEPT_AFTER_ERASURE)})


# ---- audit ------------------------------------------------------------------------------
def _when(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"champ « {name} » : date ISO 8601 attendue (ex. 2026-07-13T09:00:00+00:00)"
        ) from None
    if moment.tzinfo is None:
        raise InputError(f"champ « {name} » : précisez le fuseau (ex. +02:00 ou Z)")
    return moment


def _person_param(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InputError("champ « person » : le numéro de la personne (un entier)")
    return int(raw)


def audit_filter(request: Request) -> AuditFilter:
    params = request.query_params
    raw_limit = params.get("limit", "200")
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= 1000:
        raise InputError("champ « limit » : un entier entre 1 et 1000")
    return AuditFilter(
        actor=params.get("actor") or None,
        action=params.get("action") or None,
        target=params.get("target") or None,
        person_id=_person_param(params.get("person")),
        since=_when(request, "since"),
        until=_when(request, "until"),
        limit=int(raw_limit),
    )


async def audit_log(request: Request) -> Response:
    await caller(request)
    entries = await steering(request).audit.search(audit_filter(request))
    return ok(
        [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "person": e.person_id,
                "route": e.route,
                "details": e.details,
            }
            for e in entries
        ]
    )


async def templates(request: Request) -> Response:
    await caller(request)
    return ok([{"key": t.key, "title": t.title, "kind": t.kind.value} for t in TEMPLATES.values()])


# ---- one's own API tokens ---------------------------------------------------------------
async def own_tokens(request: Request) -> Response:
    who = await caller(request)
    ops = steering(request)
    now = ops.clock()
    return ok([token_json(record, now) for record in await ops.tokens.list_own(who.username)])


async def revoke_own_token(request: Request) -> Response:
    who = await caller(request)
    ops = steering(request)
    now = ops.clock()
    record = await ops.tokens.revoke_own(
        request.path_params["token_id"], username=who.username, now=now
    )
    await ops.audit.record(
        actor=who.actor, action="api_token.revoke", target=f"api_token:{record.name}", at=now
    )
    return ok(token_json(record, now))


# ---- the table --------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    name: str
    description: str
    format: str | None = None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Callable[[Request], Awaitable[Response]]
    summary: str
    action: Rule
    tag: str
    body: type[BaseModel] | None = None
    upload: bool = False
    query: tuple[Query, ...] = ()
    created: bool = False


_C = PREFIX + "/campaigns"
_E = PREFIX + "/episodes"
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", PREFIX + "/templates", templates, "Modèles de campagne", Action.CAMPAIGNS_VIEW,
        "campagnes",
    ),
    Endpoint("GET", _C, list_campaigns, "Liste des campagnes", Action.CAMPAIGNS_VIEW, "campagnes"),
    Endpoint(
        "POST", _C, create_campaign, "Créer une campagne depuis un modèle", Action.CAMPAIGNS_STEER,
        "campagnes", body=CampaignCreate, created=True,
    ),
    Endpoint(
        "POST", _C + "/start-from-alert", start_from_alert,
        "Démarrer depuis l'alerte : campagne, cycle, registre et premiers appels en une action",
        Action.CAMPAIGNS_STEER, "campagnes", body=CampaignCreate, created=True,
    ),
    Endpoint(
        "GET", _E, list_episodes, "Épisodes d'alerte, les plus récents d'abord",
        Action.CAMPAIGNS_VIEW, "alertes",
    ),
    Endpoint(
        "POST", _E, start_episode,
        "Déclencher un épisode d'alerte : sa campagne, son premier cycle et les premiers "
        "appels ; le service ouvre ensuite un cycle à chaque échéance",
        Action.CAMPAIGNS_STEER, "alertes", body=EpisodeStartBody, created=True,
    ),
    Endpoint(
        "POST", _E + "/{episode_id:id}/end", end_episode,
        "Terminer l'épisode : plus de nouvel appel, les appels en cours finissent, le cycle "
        "est clos", Action.CAMPAIGNS_STEER, "alertes",
    ),
    Endpoint(
        "GET", _C + "/{campaign_id:id}", get_campaign, "Une campagne", Action.CAMPAIGNS_VIEW,
        "campagnes",
    ),
    Endpoint(
        "POST", _C + "/{campaign_id:id}/start", _steer("start"),
        "Démarrer (ouvre un cycle si besoin)", Action.CAMPAIGNS_STEER, "campagnes",
    ),
    Endpoint(
        "POST", _C + "/{campaign_id:id}/pause", _steer("pause"),
        "Mettre en pause (les appels en cours continuent)", Action.CAMPAIGNS_STEER, "campagnes",
    ),
    Endpoint(
        "POST", _C + "/{campaign_id:id}/resume", _steer("resume"), "Reprendre",
        Action.CAMPAIGNS_STEER, "campagnes",
    ),
    Endpoint(
        "POST", _C + "/{campaign_id:id}/stop", _steer("stop"), "Arrêter", Action.CAMPAIGNS_STEER,
        "campagnes",
    ),
    Endpoint(
        "PATCH", _C + "/{campaign_id:id}/pacing", change_pacing,
        "Changer le mode de rythme et le taux d'abandon maximal (3 % au plus)",
        Action.CAMPAIGNS_STEER, "campagnes", body=PacingChange,
    ),
    Endpoint(
        "POST", PREFIX + "/registers/import", import_register,
        "Importer le registre (CSV ou XLSX ; dry_run=true pour simuler)", Action.REGISTER_IMPORT,
        "registre", upload=True, created=True,
    ),
    Endpoint(
        "GET", PREFIX + "/agents", list_agents, "Liste des agents", Action.AGENTS_VIEW, "agents"
    ),
    Endpoint(
        "POST", PREFIX + "/agents", add_agent, "Créer un agent et son compte SIP",
        Action.AGENTS_MANAGE, "agents", body=AgentCreate, created=True,
    ),
    Endpoint(
        "POST", PREFIX + "/agents/{username}/sip-reset", agent_sip_reset,
        "Nouveaux identifiants SIP (affichés une fois)", Action.AGENTS_MANAGE, "agents",
        body=SipReset,
    ),
    Endpoint(
        "POST", PREFIX + "/agents/{username}/logout", agent_logout,
        "Déconnecter l'agent (moteur d'appels et sessions web)", Action.AGENT_LOGOUT, "agents",
    ),
    Endpoint(
        "GET", PREFIX + "/accounts", list_accounts, "Comptes de tous les rôles",
        Action.ACCOUNTS_MANAGE, "comptes",
    ),
    Endpoint(
        "PUT", PREFIX + "/accounts/{account_id:id}/role", account_role,
        "Changer le rôle d'un compte (ses sessions web se ferment)", Action.ACCOUNTS_MANAGE,
        "comptes", body=AccountRoleChange,
    ),
    Endpoint(
        "POST", PREFIX + "/accounts/{account_id:id}/password", account_password,
        "Réinitialiser le mot de passe d'un compte (ses sessions web se ferment)",
        Action.ACCOUNTS_MANAGE, "comptes", body=PasswordReset,
    ),
    Endpoint(
        "POST", PREFIX + "/accounts/{account_id:id}/deactivate", account_deactivate,
        "Désactiver un compte (jamais le dernier administrateur actif)",
        Action.ACCOUNTS_MANAGE, "comptes",
    ),
    Endpoint(
        "POST", PREFIX + "/accounts/{account_id:id}/reactivate", account_reactivate,
        "Réactiver un compte désactivé", Action.ACCOUNTS_MANAGE, "comptes",
    ),
    Endpoint(
        "GET", PREFIX + "/teams", list_teams, "Équipes d'intervention", Action.TEAMS_VIEW,
        "équipes",
    ),
    Endpoint(
        "POST", PREFIX + "/teams", add_team, "Créer une équipe", Action.TEAMS_MANAGE, "équipes",
        body=TeamCreate, created=True,
    ),
    Endpoint(
        "PUT", PREFIX + "/teams/{team_id:id}/members", set_members,
        "Fixer les membres de l'équipe", Action.TEAMS_MANAGE, "équipes", body=TeamMembers,
    ),
    Endpoint(
        "GET", PREFIX + "/persons/{person_id:id}", person_export,
        "Tout ce qui est conservé sur une personne (droit d'accès ; consultation journalisée)",
        Action.PERSON_RIGHTS, "personnes",
    ),
    Endpoint(
        "PATCH", PREFIX + "/persons/{person_id:id}", person_correct,
        "Corriger les données de registre d'une personne (règles de l'import)",
        Action.PERSON_RIGHTS, "personnes", body=PersonCorrectionBody,
    ),
    Endpoint(
        "DELETE", PREFIX + "/persons/{person_id:id}", person_erase,
        "Effacer une personne (sauf ce que la loi impose de garder, listé dans la réponse)",
        Action.PERSON_RIGHTS, "personnes",
    ),
    Endpoint(
        "GET", PREFIX + "/audit", audit_log, "Journal des modifications et consultations",
        Action.AUDIT_VIEW,
        "journal",
        query=(
            Query("actor", "qui (identifiant, api:<jeton>, cli:<utilisateur>)"),
            Query("action", "action, ou préfixe terminé par « . » (campaign.)"),
            Query("target", "cible (campaign:3, agent:dupont, team:2, person:12)"),
            Query("person", "les entrées sur cette personne (son numéro)"),
            Query("since", "depuis (ISO 8601 avec fuseau)", "date-time"),
            Query("until", "jusqu'à, exclu (ISO 8601 avec fuseau)", "date-time"),
            Query("limit", "nombre maximal d'entrées (1 à 1000, 200 par défaut)"),
        ),
    ),
    Endpoint(
        "GET", PREFIX + "/tokens", own_tokens,
        "Mes jetons d'API (jamais le jeton lui-même : numéro, nom, dates)", Open.LOGGED_IN,
        "jetons",
    ),
    Endpoint(
        "DELETE", PREFIX + "/tokens/{token_id:id}", revoke_own_token,
        "Révoquer un de mes jetons d'API", Open.LOGGED_IN, "jetons",
    ),
)  # fmt: skip


async def openapi_json(request: Request) -> Response:
    from dialer.web.openapi import document  # noqa: PLC0415 - openapi imports this module

    return ok(document(request.app.routes, ENDPOINTS))


ROUTES = [
    *(GuardedRoute(e.path, e.handler, rule=e.action, methods=[e.method]) for e in ENDPOINTS),
    GuardedRoute(PREFIX + "/openapi.json", openapi_json, rule=Open.PUBLIC, methods=["GET"]),
]
