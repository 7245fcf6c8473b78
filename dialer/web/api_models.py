"""The REST API's request bodies (pydantic), and turning a validation failure into an
:class:`~dialer.errors.InputError` whose message names the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from starlette.requests import Request

from dialer.core.campaign_settings import (
    MAX_ATTEMPTS,
    MAX_CYCLE_LENGTH_H,
    MAX_DELAY_MIN,
    MAX_RING_TIMEOUT_S,
    MIN_RING_TIMEOUT_S,
)
from dialer.core.pacing_settings import (
    ABANDON_RATE_CEILING,
    MAX_LINES_PER_AGENT,
    MIN_LINES_PER_AGENT,
    PacingMode,
)
from dialer.core.resources import NeedKind
from dialer.errors import InputError
from dialer.reports.needs import period_bound

M = TypeVar("M", bound=BaseModel)
Q = TypeVar("Q", bound="Query")

#: a list's page: this many items by default, at most MAX_PAGE
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_OFFSET = 10**9


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CampaignCreate(Body):
    """A campaign from a template (``heatwave``, ``cold_spell``)."""

    template: str = Field(min_length=1, max_length=50, description="clé du modèle")
    name: str | None = Field(default=None, min_length=1, max_length=200)


class EpisodeStartBody(Body):
    """An alert episode: kind (heatwave, cold_spell, epidemic, flood, other), plan level
    (1 to 4), districts covered (empty: the whole city); the campaign template (default:
    the kind's) and the campaign's name are optional."""

    kind: str = Field(min_length=1, max_length=20, description="type d'alerte")
    level: int = Field(ge=1, le=4, description="niveau du plan")
    districts: list[str] = Field(default_factory=list, max_length=100)
    template: str | None = Field(default=None, min_length=1, max_length=50)
    name: str | None = Field(default=None, min_length=1, max_length=200)


class PacingChange(Body):
    """The pacing mode, the abandon cap (share of live answers, at most 3 %) and/or the lines
    per agent cap (calls in progress per agent logged in and not paused, 1 to 10)."""

    mode: PacingMode | None = None
    max_abandon_rate: float | None = Field(default=None, ge=0.0, le=ABANDON_RATE_CEILING)
    max_lines_per_agent: float | None = Field(
        default=None,
        ge=MIN_LINES_PER_AGENT,
        le=MAX_LINES_PER_AGENT,
        description="lignes en cours au plus par agent connecté et pas en pause",
    )


Interval = Annotated[str, Field(max_length=11, pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$")]
Intervals = Annotated[list[Interval], Field(max_length=12)]


#: the settings whose ``null`` means « the service's » (others: ``null`` is not given)
RESETTABLE_TO_SERVICE = frozenset({"ring_timeout_s"})


class CampaignSettingsChange(Body):
    """The campaign's settings to change (only those given change), with ``version``: the
    settings' version they were read at (a stale one: 409). Calling windows in local time,
    intervals ``HH:MM-HH:MM`` in order: ``week`` 7 lists (Monday first), ``holiday`` (public
    holidays), ``closed_dates`` (no call), ``open_dates`` (their own hours that day). Delays
    in minutes, the cycle length in hours (it applies from the next cycle).
    ``ring_timeout_s: null``: the service's ring timeout again."""

    version: int = Field(ge=1, le=10**9, description="version des réglages lue")
    week: list[Intervals] | None = Field(
        default=None, min_length=7, max_length=7, description="7 jours, lundi d'abord"
    )
    holiday: Intervals | None = None
    closed_dates: list[date] | None = Field(default=None, max_length=400)
    open_dates: dict[date, Intervals] | None = Field(default=None, max_length=400)
    max_attempts: int | None = Field(default=None, ge=1, le=MAX_ATTEMPTS)
    cycle_length_h: float | None = Field(default=None, gt=0, le=MAX_CYCLE_LENGTH_H)
    busy_delay_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    no_answer_delay_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    machine_delay_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    answered_delay_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    failure_delay_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    min_gap_between_attempts_min: float | None = Field(default=None, ge=0, le=MAX_DELAY_MIN)
    answering_machine_detection: bool | None = None
    caller_id: str | None = Field(
        default=None, max_length=21, pattern=r"^(\+?[0-9]{2,20})?$", description="vide : aucun"
    )
    ring_timeout_s: int | None = Field(
        default=None,
        ge=MIN_RING_TIMEOUT_S,
        le=MAX_RING_TIMEOUT_S,
        description="null : la durée du service",
    )
    questionnaire_version: int | None = Field(default=None, ge=1, le=10**6)

    def change(self) -> dict[str, Any]:
        """The settings given, under the flat names of
        :mod:`dialer.core.campaign_settings` (JSON values)."""
        given = self.model_dump(mode="json", exclude_unset=True, exclude={"version"})
        return {
            key: value
            for key, value in given.items()
            if value is not None or key in RESETTABLE_TO_SERVICE
        }


class AgentCreate(Body):
    username: str = Field(min_length=2, max_length=50)
    password: str = Field(min_length=12, max_length=200)
    remote: bool = False
    sip_endpoint: str | None = Field(default=None, max_length=100)


class SipReset(Body):
    remote: bool = False


class AccountRoleChange(Body):
    """An account's new role; ``team``: the team's name, for a team member only."""

    role: str = Field(min_length=1, max_length=20, description="nouveau rôle")
    team: str | None = Field(default=None, min_length=1, max_length=200)


class PasswordReset(Body):
    """A new password given by an administrator (the rule: 12 characters at least)."""

    password: str = Field(max_length=256, description="nouveau mot de passe")


class Contact(Body):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=30)


class TeamCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    districts: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    email: str | None = Field(default=None, max_length=320)
    webhook_url: str | None = Field(
        default=None, max_length=1000, pattern=r"^https?://", description="https:// public"
    )
    #: the webhook carries the alert's id and a link to it, no personal data
    webhook_link_only: bool = False
    is_default: bool = False
    contacts: list[Contact] = Field(default_factory=list)


class TeamMembers(Body):
    """Exactly the team's members (usernames of intervention team members' accounts)."""

    members: list[str]


class PersonCorrectionBody(Body):
    """The register fields to correct (only those given change; ``null`` or "" clears an
    optional one). The import's rules apply: name required, valid date, valid numbers."""

    last_name: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(default=None, max_length=20, description="JJ/MM/AAAA")
    address: str | None = Field(default=None, max_length=500)
    postcode: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=200)
    district: str | None = Field(default=None, max_length=100)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=30)
    phones: list[str] | None = Field(default=None, max_length=10, description="dans l'ordre")


# ---- query parameters ---------------------------------------------------------------------
class Query(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PageQuery(Query):
    """Which page of a list: ``limit`` items from rank ``offset``."""

    limit: int = Field(
        default=DEFAULT_PAGE,
        ge=1,
        le=MAX_PAGE,
        description=f"1 à {MAX_PAGE} ({DEFAULT_PAGE} par défaut)",
    )
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="rang du premier élément")


class ResourceQuery(PageQuery):
    """The directory of resources, for one kind of need."""

    need: NeedKind | None = Field(default=None, description="seulement pour ce besoin")


class AuditQuery(PageQuery):
    actor: str | None = Field(
        default=None,
        max_length=200,
        description="qui (identifiant, api:<jeton>, cli:<utilisateur>)",
    )
    action: str | None = Field(
        default=None, max_length=100, description="action, ou préfixe terminé par « . » (campaign.)"
    )
    target: str | None = Field(
        default=None,
        max_length=200,
        description="cible (campaign:3, agent:dupont, team:2, person:12)",
    )
    person: int | None = Field(
        default=None, ge=0, le=10**18 - 1, description="les entrées sur cette personne (son numéro)"
    )
    since: AwareDatetime | None = Field(default=None, description="depuis (ISO 8601 avec fuseau)")
    until: AwareDatetime | None = Field(
        default=None, description="jusqu'à, exclu (ISO 8601 avec fuseau)"
    )


class ReportQuery(Query):
    """Which cycle of the campaign a report covers."""

    cycle: int | None = Field(
        default=None, ge=1, le=10**18 - 1, description="le numéro du cycle ; absent : tous"
    )


class DashboardQuery(Query):
    """Which campaign the live dashboard shows."""

    campagne: int | None = Field(
        default=None,
        ge=0,
        le=10**18 - 1,
        description="le numéro d'une campagne en cours ou en pause (404 sinon) ; absent : "
        "la plus récente",
    )


class NeedsQuery(Query):
    """The period a needs analysis covers: local dates, both included."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    start: date | None = Field(
        default=None,
        alias="from",
        description="premier mois (AAAA-MM), ou son premier jour (AAAA-MM-JJ)",
    )
    end: date | None = Field(
        default=None,
        alias="to",
        description="dernier mois (AAAA-MM), ou son dernier jour (AAAA-MM-JJ)",
    )

    @field_validator("start", mode="before")
    @classmethod
    def _first_day(cls, value: object) -> object:
        return period_bound(value, last=False)

    @field_validator("end", mode="before")
    @classmethod
    def _last_day(cls, value: object) -> object:
        return period_bound(value, last=True)


class ResultsQuery(PageQuery):
    """Which cycle's per-person results (absent: every cycle), and which page of them."""

    cycle: int | None = Field(
        default=None, ge=1, le=10**18 - 1, description="le numéro du cycle ; absent : tous"
    )


#: every request body, by name (the OpenAPI document's components)
BODIES: tuple[type[BaseModel], ...] = (
    CampaignCreate,
    EpisodeStartBody,
    PacingChange,
    CampaignSettingsChange,
    AgentCreate,
    SipReset,
    AccountRoleChange,
    PasswordReset,
    Contact,
    TeamCreate,
    TeamMembers,
    PersonCorrectionBody,
)


#: a JSON request body: at most this many bytes, and this many nested levels (the API's
#: bodies need 3; a deeper one is refused before it can exhaust the parser's stack)
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16


def read_json(raw: bytes) -> Any:
    """The decoded JSON body; :class:`InputError` naming the body when it is not JSON, is
    larger than :data:`MAX_JSON_BYTES` or nested deeper than :data:`MAX_JSON_DEPTH`."""
    if len(raw) > MAX_JSON_BYTES:
        raise InputError(f"corps de la requête : {MAX_JSON_BYTES} octets au plus")
    try:
        data = json.loads(raw or b"{}")
    except RecursionError:
        raise _too_deep() from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("corps de la requête : JSON invalide") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise _too_deep()
    return data


def _too_deep() -> InputError:
    return InputError(f"corps de la requête : {MAX_JSON_DEPTH} niveaux d'imbrication au plus")


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (a scalar: 0), without recursion; stops past the limit."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending and deepest <= MAX_JSON_DEPTH:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            pending.extend((child, level + 1) for child in item)
    return deepest


def parse_query(model: type[Q], params: Mapping[str, str]) -> Q:
    """The query string as ``model`` (an empty value is an absent one); :class:`InputError`
    naming the parameter otherwise."""
    try:
        return model.model_validate({k: v for k, v in params.items() if v != ""})
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


async def request_body(request: Request, model: type[M]) -> M:
    """The request's body as ``model``; :class:`InputError` naming the field otherwise."""
    return parse_body(model, await request.body())


def parse_body(model: type[M], raw: bytes) -> M:
    """The body as ``model``; :class:`InputError` naming the field otherwise."""
    data = read_json(raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """``field: problem`` for the first error (the others follow, separated by ``;``)."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "corps"
        parts.append(f"champ « {where} » : {_french(error)}")
    return "; ".join(parts)


def _french(error: Any) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    messages = {
        "missing": "champ obligatoire",
        "extra_forbidden": "champ inconnu",
        "string_too_short": f"au moins {context.get('min_length')} caractère(s)",
        "too_short": f"au moins {context.get('min_length')} éléments",
        "greater_than": f"doit valoir plus de {context.get('gt')}",
        "dict_type": "doit être un objet",
        "date_parsing": "date AAAA-MM-JJ attendue",
        "date_from_datetime_parsing": "date AAAA-MM-JJ attendue",
        "date_type": "date AAAA-MM-JJ attendue",
        "string_too_long": f"au plus {context.get('max_length')} caractères",
        "less_than_equal": f"doit valoir au plus {context.get('le')}",
        "greater_than_equal": f"doit valoir au moins {context.get('ge')}",
        "enum": f"valeur inconnue (choisir parmi : {context.get('expected')})",
        "string_pattern_mismatch": "format invalide",
        "bool_parsing": "doit valoir true ou false",
        "bool_type": "doit valoir true ou false",
        "float_parsing": "doit être un nombre",
        "float_type": "doit être un nombre",
        "string_type": "doit être une chaîne",
        "list_type": "doit être une liste",
        "int_parsing": "doit être un nombre entier",
        "int_type": "doit être un nombre entier",
        "too_long": f"au plus {context.get('max_length')} éléments",
        "model_type": "doit être un objet",
        "timezone_aware": "précisez le fuseau (ex. +02:00 ou Z)",
        "datetime_parsing": "date ISO 8601 attendue (ex. 2026-07-13T09:00:00+00:00)",
        "datetime_from_date_parsing": "date ISO 8601 attendue (ex. 2026-07-13T09:00:00+00:00)",
        "datetime_type": "date ISO 8601 attendue (ex. 2026-07-13T09:00:00+00:00)",
    }
    return messages.get(kind, str(error.get("msg", "valeur invalide")))
