"""The REST API's answers, typed (pydantic): the OpenAPI document's response schemas
(:mod:`dialer.web.openapi`) are these models' JSON schemas, and the API's tests check
every answer against its model (an undeclared field fails them).

Lists come in one envelope, :class:`Page`: ``items``, the ``limit`` and ``offset`` asked
for, and ``next_offset`` (``null`` on the last page)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from dialer.dashboard.live import Snapshot
from dialer.web.api_models import PageQuery, parse_query

T = TypeVar("T")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Answer, Generic[T]):
    """Une page d'une liste."""

    items: list[T]
    limit: int = Field(description="nombre maximal d'éléments de la page")
    offset: int = Field(description="rang du premier élément (0 : le début)")
    next_offset: int | None = Field(description="offset de la page suivante ; null : fin")


def page_of(request: Request) -> PageQuery:
    """The page a list request asks for (``limit``, ``offset``)."""
    return parse_query(PageQuery, request.query_params)


def paged(items: Sequence[Any], asked: PageQuery, *, more: bool | None = None) -> JSONResponse:
    """The envelope of one page (:class:`Page`): ``items`` is the
    whole list, sliced here, unless ``more`` says whether a page follows (already sliced)."""
    if more is None:
        more = len(items) > asked.offset + asked.limit
        items = items[asked.offset : asked.offset + asked.limit]
    return JSONResponse(
        {
            "items": list(items),
            "limit": asked.limit,
            "offset": asked.offset,
            "next_offset": asked.offset + asked.limit if more else None,
        }
    )


def ok(data: Any, status: int = 200) -> JSONResponse:
    """An answer of the endpoint table (:data:`dialer.web.api.ENDPOINTS`), whose routes
    check it against the endpoint's model."""
    return JSONResponse(data, status_code=status)


def checked(model: type[BaseModel], data: Any, status: int = 200) -> JSONResponse:
    """The answer ``data``, checked against its model first: the OpenAPI document shows
    that model, so an answer that strays from it is a bug (an error 500), never a silent
    change of the API."""
    model.model_validate(data)
    return JSONResponse(data, status_code=status)


class Template(Answer):
    key: str
    title: str
    kind: str = Field(description="type de campagne")
    alert: str = Field(description="type d'alerte auquel il répond")


class CycleRef(Answer):
    id: int
    number: int | None
    deadline: datetime | None = Field(description="échéance du cycle")


class Campaign(Answer):
    id: int
    name: str
    kind: str
    state: str = Field(description="draft, running, paused, stopped...")
    pacing_mode: str
    max_abandon_rate: float
    max_lines_per_agent: float
    caller_id: str | None
    questionnaire_id: str
    created_at: datetime
    attached: bool = Field(description="la campagne est celle du moteur d'appels")
    cycle: CycleRef | None = Field(description="le cycle ouvert")


class CampaignSettings(Answer):
    """A campaign's settings (calling windows in local time, delays in minutes, the cycle
    length in hours) and their ``version`` (to send back with a change)."""

    campaign_id: int
    name: str
    questionnaire_id: str
    version: int = Field(description="version des réglages (à renvoyer pour les modifier)")
    default_ring_timeout_s: int = Field(
        description="sonnerie du service, si la campagne n'en a pas"
    )
    week: list[list[str]] = Field(description="7 jours, lundi d'abord : plages HH:MM-HH:MM")
    holiday: list[str] = Field(description="jours fériés")
    closed_dates: list[str]
    open_dates: dict[str, list[str]]
    timezone: str
    max_attempts: int
    cycle_length_h: float
    busy_delay_min: float
    no_answer_delay_min: float
    machine_delay_min: float
    answered_delay_min: float
    failure_delay_min: float
    min_gap_between_attempts_min: float
    answering_machine_detection: bool
    caller_id: str
    ring_timeout_s: int | None = Field(description="null : celle du service")
    questionnaire_version: int


class Episode(Answer):
    id: int
    kind: str
    level: int
    districts: list[str]
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    ended_by: str | None
    campaign_id: int | None
    active: bool


class EpisodeEnded(Episode):
    report_url: str = Field(description="le rapport de l'épisode (page)")


class EpisodeStarted(Answer):
    episode: Episode
    campaign: Campaign
    people: int = Field(description="personnes inscrites au cycle")
    first_due: datetime
    first_dials: int = Field(description="appels lancés tout de suite")
    plan: str = Field(description="le calcul du rythme")


class ImportIssue(Answer):
    kind: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


class RegisterImport(Answer):
    file: str
    list_name: str = Field(description="la liste nommée sous laquelle le fichier est importé")
    dry_run: bool
    summary: str
    read: int
    added: int
    changed: int
    unchanged: int
    removed: int
    merged_duplicates: int
    shared_numbers: int
    rejected: int
    ignored_columns: list[str]
    issues: list[ImportIssue] = Field(description="les 200 premiers problèmes")
    issues_total: int


class Agent(Answer):
    username: str
    sip_endpoint: str | None
    active: bool
    state: str = Field(description="état dans le moteur d'appels (logged_out sans moteur)")
    created_at: datetime


class SipCredentials(Answer):
    """Affichés une fois : le mot de passe SIP n'est pas conservé en clair."""

    username: str
    sip_endpoint: str
    sip_password: str


class AccountAnswer(Answer):
    id: int
    username: str
    role: str = Field(description="administrator, supervisor, agent, operations ou team")
    team_id: int | None
    active: bool


class AccountDeactivated(Answer):
    username: str
    role: str
    was: str = Field(description="l'état de l'agent dans le moteur avant (logged_out sinon)")
    web_sessions_ended: int


class AgentLogout(Answer):
    username: str
    was: str = Field(description="l'état de l'agent avant")
    web_sessions_ended: int


class TeamContact(Answer):
    name: str
    email: str | None
    phone: str | None


class Team(Answer):
    id: int
    name: str
    districts: list[str]
    needs: list[str]
    email: str | None
    webhook_url: str | None
    webhook_link_only: bool
    is_default: bool
    contacts: list[TeamContact]
    members: list[str]
    webhook_secret: str | None = Field(
        default=None, description="à la création seulement, jamais ensuite"
    )


class PersonDocument(Answer):
    """Tout ce qui est conservé sur la personne (droit d'accès) : une ligne par
    enregistrement, toutes ses colonnes."""

    format: str = Field(description="version du format de l'export")
    exported_at: datetime
    person: dict[str, Any]
    phones: list[dict[str, Any]]
    cycles: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    call_sheets: list[dict[str, Any]]
    cycle_results: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    visit_requests: list[dict[str, Any]]
    callbacks: list[dict[str, Any]]
    orientations: list[dict[str, Any]] = Field(
        description="les orientations vers l'annuaire des ressources (veille sociale)"
    )
    follow_ups: list[dict[str, Any]] = Field(description="les appels de suivi programmés")
    volunteer_debriefs: list[dict[str, Any]] = Field(
        description="les bilans d'appel des bénévoles (veille sociale)"
    )
    household_assignments: list[dict[str, Any]] = Field(
        description="le bénévole à qui le foyer est confié, par campagne (veille sociale)"
    )
    inbound_notes: list[dict[str, Any]] = Field(
        description="les notes des agents sur qui a appelé à son sujet (appels reçus)"
    )
    help_requests: list[dict[str, Any]] = Field(
        description="les demandes d'aide faites pendant ses appels, avec la réponse du coordinateur"
    )
    consents: list[dict[str, Any]] = Field(
        description="ses accords aux appels des bénévoles (veille sociale) et leurs retraits"
    )
    audit: list[dict[str, Any]] = Field(description="le journal des actions sur la personne")


class PersonCorrected(Answer):
    id: int
    corrected: list[str] = Field(description="les champs changés")


class PersonErased(Answer):
    id: int
    erased: dict[str, int] = Field(description="ce qui a été effacé, par type de données")
    kept: list[str] = Field(description="ce que la loi impose de garder")


class AuditEntry(Answer):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    person: int | None
    route: str | None
    details: dict[str, Any]


class ApiToken(Answer):
    """Jamais le jeton lui-même."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    valid: bool


class CycleSpan(Answer):
    number: int
    started_at: datetime
    deadline: datetime
    closed_at: datetime | None


class CampaignCycles(Answer):
    id: int
    name: str
    state: str
    cycles: list[CycleSpan]


class CampaignCyclesPage(Page[CampaignCycles]):
    pass


class TemplatePage(Page[Template]):
    pass


class CampaignPage(Page[Campaign]):
    pass


class EpisodePage(Page[Episode]):
    pass


class AccountPage(Page[AccountAnswer]):
    pass


class AgentPage(Page[Agent]):
    pass


class TeamPage(Page[Team]):
    pass


class AuditPage(Page[AuditEntry]):
    pass


class ApiTokenPage(Page[ApiToken]):
    pass


class AlertsSummary(Answer):
    open: int = Field(description="alertes ouvertes")
    newest: int = Field(description="numéro de l'alerte la plus récente (0 : aucune)")


class ScreenStatistics(Answer):
    """Les écrans des agents : messages poussés, préparations des fiches."""

    reserved: int
    offered: int
    joined: int
    unknown_callers: int = Field(description="appels de numéros inconnus annoncés")
    ended: int
    pushed: int
    dropped: int
    screens_open: int
    agents_connected: int
    prepare_failures: int
    prepare_ms_p50: float | None
    prepare_ms_max: float | None


class AlertDelivery(Answer):
    """L'envoi des alertes et des listes aux équipes."""

    runs: int
    lists_published: int
    visits_requested: int
    sent: int
    failed_tries: int
    escalated: int
    escalation_lists_exhausted: int
    run_errors: int
    outbox_pending: int
    running: bool
    last_error: str | None
    channels: list[str]


class Statistics(Answer):
    """Les statistiques du moteur, des écrans et de l'envoi des alertes."""

    engine: dict[str, Any] | None = Field(
        description="le moteur d'appels (rythme, latences, nœuds) ; null sans téléphonie"
    )
    screens: ScreenStatistics
    alerts: AlertDelivery | None


class Dashboard(RootModel[Snapshot]):
    """Le tableau de bord en direct : chiffres du moteur, de la campagne et du jour."""
