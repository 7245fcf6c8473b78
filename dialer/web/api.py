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

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dialer.campaigns.episodes import EpisodeStart
from dialer.core.labels import KEPT_AFTER_ERASURE
from dialer.core.permissions import Action
from dialer.desk.operations import (
    import_register_upload,
)
from dialer.errors import InputError
from dialer.register.correction import check_correction
from dialer.storage.api_tokens import token_json
from dialer.storage.audit import AuditFilter
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.storage.person_data import Actor, PersonData
from dialer.web.access import API_PREFIX, GuardedRoute, Open, caller
from dialer.web.api_accounts import (
    account_deactivate,
    account_password,
    account_reactivate,
    account_role,
    add_agent,
    add_team,
    agent_logout,
    agent_sip_reset,
    list_accounts,
    list_agents,
    list_teams,
    set_members,
)
from dialer.web.api_agent_campaigns import ENDPOINTS as AGENT_CAMPAIGN_ENDPOINTS
from dialer.web.api_consent import ENDPOINTS as CONSENT_ENDPOINTS
from dialer.web.api_docs import docs_page
from dialer.web.api_endpoints import Area, Endpoint, answering
from dialer.web.api_models import (
    AccountRoleChange,
    AgentCreate,
    AuditQuery,
    CampaignCreate,
    CampaignSettingsChange,
    EpisodeStartBody,
    PacingChange,
    PageQuery,
    PasswordReset,
    PersonCorrectionBody,
    SipReset,
    TeamCreate,
    TeamMembers,
    parse_query,
    request_body,
)
from dialer.web.api_opposition import ENDPOINTS as OPPOSITION_ENDPOINTS
from dialer.web.api_people import ENDPOINTS as PEOPLE_ENDPOINTS
from dialer.web.api_plans import ENDPOINTS as PLAN_ENDPOINTS
from dialer.web.api_resources import ENDPOINTS as RESOURCE_ENDPOINTS
from dialer.web.api_responses import (
    AccountAnswer,
    AccountDeactivated,
    AccountPage,
    AgentLogout,
    AgentPage,
    ApiToken,
    ApiTokenPage,
    AuditPage,
    Campaign,
    CampaignPage,
    CampaignSettings,
    EpisodeEnded,
    EpisodePage,
    EpisodeStarted,
    PersonCorrected,
    PersonDocument,
    PersonErased,
    RegisterImport,
    SipCredentials,
    Team,
    TeamPage,
    TemplatePage,
    ok,
    page_of,
    paged,
)
from dialer.web.api_selection import ENDPOINTS as SELECTION_ENDPOINTS
from dialer.web.api_settings import campaign_settings, change_campaign_settings
from dialer.web.api_volunteer_desk import ENDPOINTS as VOLUNTEER_DESK_ENDPOINTS
from dialer.web.api_volunteers import ENDPOINTS as VOLUNTEER_ENDPOINTS
from dialer.web.read_log import route_of
from dialer.web.service import campaign_control, episode_control, steering

PREFIX = API_PREFIX


# ---- campaigns --------------------------------------------------------------------------
async def list_campaigns(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    return paged([view.as_json() for view in await campaign_control(request).list()], asked)


async def get_campaign(request: Request) -> Response:
    await caller(request)
    return ok((await campaign_control(request).view(request.path_params["campaign_id"])).as_json())


async def create_campaign(request: Request) -> Response:
    who = await caller(request)
    data: CampaignCreate = await request_body(request, CampaignCreate)
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
    data: CampaignCreate = await request_body(request, CampaignCreate)
    start = await episode_control(request).start_from_alert(
        data.template, actor=who.actor, name=data.name
    )
    return _episode_started(start)


# ---- alert episodes ---------------------------------------------------------------------
async def list_episodes(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    return paged([episode.as_json() for episode in await episode_control(request).all()], asked)


async def start_episode(request: Request) -> Response:
    who = await caller(request)
    data: EpisodeStartBody = await request_body(request, EpisodeStartBody)
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
    data: PacingChange = await request_body(request, PacingChange)
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
        list_name = form.get("list") or DEFAULT_LIST
        if not isinstance(list_name, str):
            raise InputError("champ « list » : le nom de la liste, pas un fichier")
        filename, content = upload.filename, await upload.read()
        mapping_content = await mapping.read() if isinstance(mapping, UploadFile) else None
    report = await import_register_upload(
        steering(request),
        actor=who.actor,
        filename=filename,
        content=content,
        mapping=mapping_content,
        dry_run=dry_run in ("true", "1", "oui"),
        list_name=list_name,
    )
    return ok(report, 200 if report["dry_run"] else 201)


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
    data: PersonCorrectionBody = await request_body(request, PersonCorrectionBody)
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
def audit_filter(request: Request) -> AuditFilter:
    """The query's filter, one entry more than the page (to tell whether another follows)."""
    query = parse_query(AuditQuery, request.query_params)
    return AuditFilter(
        actor=query.actor or None,
        action=query.action or None,
        target=query.target or None,
        person_id=query.person,
        since=query.since,
        until=query.until,
        limit=query.limit + 1,
        offset=query.offset,
    )


async def audit_log(request: Request) -> Response:
    await caller(request)
    wanted = audit_filter(request)
    entries = await steering(request).audit.search(wanted)
    asked = PageQuery(limit=wanted.limit - 1, offset=wanted.offset)
    return paged(
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
            for e in entries[: asked.limit]
        ],
        asked,
        more=len(entries) > asked.limit,
    )


async def templates(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    return paged(
        [
            {"key": t.key, "title": t.title, "kind": t.kind.value, "alert": t.alert.value}
            for t in campaign_control(request).templates
        ],
        asked,
    )


# ---- one's own API tokens ---------------------------------------------------------------
async def own_tokens(request: Request) -> Response:
    who = await caller(request)
    asked = page_of(request)
    ops = steering(request)
    now = ops.clock()
    return paged([token_json(r, now) for r in await ops.tokens.list_own(who.username)], asked)


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
CAMPAIGNS = Area("campagnes", Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_STEER)
EPISODES = Area("alertes", Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_STEER)
AGENTS = Area("agents", Action.AGENTS_VIEW, Action.AGENTS_MANAGE)
ACCOUNTS = Area("comptes", Action.ACCOUNTS_MANAGE, Action.ACCOUNTS_MANAGE)
TEAMS = Area("équipes", Action.TEAMS_VIEW, Action.TEAMS_MANAGE)
PERSONS = Area("personnes", Action.PERSON_RIGHTS, Action.PERSON_RIGHTS)
AUDIT = Area("journal", Action.AUDIT_VIEW, Action.AUDIT_VIEW)
TOKENS = Area("jetons", Open.LOGGED_IN, Open.LOGGED_IN)

_C = PREFIX + "/campaigns"
_E = PREFIX + "/episodes"
_ONE = _C + "/{campaign_id:id}"
_ACCOUNT = PREFIX + "/accounts/{account_id:id}"
_PERSON = PREFIX + "/persons/{person_id:id}"
#: the campaign's steps: path's last part, summary
STEPS = (
    ("start", "Démarrer (ouvre un cycle si besoin)"),
    ("pause", "Mettre en pause (les appels en cours continuent)"),
    ("resume", "Reprendre"),
    ("stop", "Arrêter"),
)
ENDPOINTS: tuple[Endpoint, ...] = (
    CAMPAIGNS.listing(PREFIX + "/templates", templates, "Modèles de campagne", TemplatePage),
    CAMPAIGNS.listing(_C, list_campaigns, "Liste des campagnes", CampaignPage),
    CAMPAIGNS(
        "POST", _C, create_campaign, "Créer une campagne depuis un modèle", Campaign,
        body=CampaignCreate, created=True,
    ),
    CAMPAIGNS(
        "POST", _C + "/start-from-alert", start_from_alert,
        "Démarrer depuis l'alerte : campagne, cycle, registre et premiers appels en une action",
        EpisodeStarted, body=CampaignCreate, created=True,
    ),
    *PLAN_ENDPOINTS,
    EPISODES.listing(_E, list_episodes, "Épisodes d'alerte, les plus récents d'abord", EpisodePage),
    EPISODES(
        "POST", _E, start_episode,
        "Déclencher un épisode d'alerte : sa campagne, son premier cycle et les premiers "
        "appels ; le service ouvre ensuite un cycle à chaque échéance",
        EpisodeStarted, body=EpisodeStartBody, created=True,
    ),
    EPISODES(
        "POST", _E + "/{episode_id:id}/end", end_episode,
        "Terminer l'épisode : plus de nouvel appel, les appels en cours finissent, le cycle "
        "est clos", EpisodeEnded,
    ),
    CAMPAIGNS("GET", _ONE, get_campaign, "Une campagne", Campaign),
    *(CAMPAIGNS("POST", f"{_ONE}/{step}", _steer(step), text, Campaign) for step, text in STEPS),
    CAMPAIGNS(
        "PATCH", _ONE + "/pacing", change_pacing,
        "Changer le mode de rythme et le taux d'abandon maximal (3 % au plus)", Campaign,
        body=PacingChange,
    ),
    CAMPAIGNS(
        "GET", _ONE + "/settings", campaign_settings,
        "Les réglages d'une campagne (plages d'appel, rappels, AMD, numéro présenté...)",
        CampaignSettings,
    ),
    CAMPAIGNS(
        "PATCH", _ONE + "/settings", change_campaign_settings,
        "Changer les réglages d'une campagne (pris en compte aux prochains appels ; 409 si "
        "la version lue est dépassée)", CampaignSettings, body=CampaignSettingsChange,
        rule=Action.CAMPAIGN_SETTINGS,
    ),
    Endpoint(
        "POST", PREFIX + "/registers/import", import_register,
        "Importer le registre (CSV ou XLSX ; dry_run=true pour simuler)", Action.REGISTER_IMPORT,
        "registre", RegisterImport, upload=True, created=True,
    ),
    *PEOPLE_ENDPOINTS,
    *SELECTION_ENDPOINTS,
    AGENTS.listing(PREFIX + "/agents", list_agents, "Liste des agents", AgentPage),
    AGENTS(
        "POST", PREFIX + "/agents", add_agent, "Créer un agent et son compte SIP",
        SipCredentials, body=AgentCreate, created=True,
    ),
    AGENTS(
        "POST", PREFIX + "/agents/{username}/sip-reset", agent_sip_reset,
        "Nouveaux identifiants SIP (affichés une fois)", SipCredentials, body=SipReset,
    ),
    AGENTS(
        "POST", PREFIX + "/agents/{username}/logout", agent_logout,
        "Déconnecter l'agent (moteur d'appels et sessions web)", AgentLogout,
        rule=Action.AGENT_LOGOUT,
    ),
    *AGENT_CAMPAIGN_ENDPOINTS,
    ACCOUNTS.listing(PREFIX + "/accounts", list_accounts, "Comptes de tous les rôles", AccountPage),
    ACCOUNTS(
        "PUT", _ACCOUNT + "/role", account_role,
        "Changer le rôle d'un compte (ses sessions web se ferment)", AccountAnswer,
        body=AccountRoleChange,
    ),
    ACCOUNTS(
        "POST", _ACCOUNT + "/password", account_password,
        "Réinitialiser le mot de passe d'un compte (ses sessions web se ferment)", AccountAnswer,
        body=PasswordReset,
    ),
    ACCOUNTS(
        "POST", _ACCOUNT + "/deactivate", account_deactivate,
        "Désactiver un compte (jamais le dernier administrateur actif)", AccountDeactivated,
    ),
    ACCOUNTS(
        "POST", _ACCOUNT + "/reactivate", account_reactivate, "Réactiver un compte désactivé",
        AccountAnswer,
    ),
    TEAMS.listing(PREFIX + "/teams", list_teams, "Équipes d'intervention", TeamPage),
    TEAMS(
        "POST", PREFIX + "/teams", add_team, "Créer une équipe", Team, body=TeamCreate,
        created=True,
    ),
    TEAMS(
        "PUT", PREFIX + "/teams/{team_id:id}/members", set_members,
        "Fixer les membres de l'équipe", Team, body=TeamMembers,
    ),
    PERSONS(
        "GET", _PERSON, person_export,
        "Tout ce qui est conservé sur une personne (droit d'accès ; consultation journalisée)",
        PersonDocument,
    ),
    PERSONS(
        "PATCH", _PERSON, person_correct,
        "Corriger les données de registre d'une personne (règles de l'import)", PersonCorrected,
        body=PersonCorrectionBody,
    ),
    PERSONS(
        "DELETE", _PERSON, person_erase,
        "Effacer une personne (sauf ce que la loi impose de garder, listé dans la réponse)",
        PersonErased,
    ),
    AUDIT.listing(
        PREFIX + "/audit", audit_log,
        "Journal des modifications et consultations, les plus récentes d'abord", AuditPage,
        query=AuditQuery,
    ),
    TOKENS.listing(
        PREFIX + "/tokens", own_tokens,
        "Mes jetons d'API (jamais le jeton lui-même : numéro, nom, dates)", ApiTokenPage,
    ),
    TOKENS(
        "DELETE", PREFIX + "/tokens/{token_id:id}", revoke_own_token,
        "Révoquer un de mes jetons d'API", ApiToken,
    ),
    *OPPOSITION_ENDPOINTS,
    *CONSENT_ENDPOINTS,
    *VOLUNTEER_ENDPOINTS,
    *VOLUNTEER_DESK_ENDPOINTS,
    *RESOURCE_ENDPOINTS,
)  # fmt: skip


async def openapi_json(request: Request) -> Response:
    from dialer.web.openapi import document  # noqa: PLC0415 - openapi imports this module

    return ok(document(request.app.routes, ENDPOINTS))


ROUTES = [
    *(GuardedRoute(e.path, answering(e), rule=e.action, methods=[e.method]) for e in ENDPOINTS),
    GuardedRoute(PREFIX + "/openapi.json", openapi_json, rule=Open.PUBLIC, methods=["GET"]),
    GuardedRoute(PREFIX + "/docs", docs_page, rule=Open.PUBLIC, methods=["GET"]),
]
