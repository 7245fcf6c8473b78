"""A household's consent to the volunteer calls (« veille sociale ») through the versioned
API: ``GET /api/v1/people/{external_id}/consent`` reads its history, ``POST
/api/v1/people/{external_id}/consent/withdraw`` withdraws it (idempotent: a household
with no consent running is left as it is), ``POST /api/v1/consents/import`` records the
city's file of consents (multipart field ``file``, or the CSV itself as ``text/csv``; all
or nothing, a 422 naming each refused ``file:line:field``). The same storage as ``dialer
consent`` and the supervisor's page (:mod:`dialer.storage.consents`), audited there."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.core.permissions import Action
from dialer.errors import InputError
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.consent_import import import_consent_upload, uploaded
from dialer.web.read_log import route_of
from dialer.web.service import steering

_EXTERNAL_ID_MAX = 100


class WithdrawalBody(Body):
    on_behalf_of: AgreedBy = Field(
        default=AgreedBy.PERSON, description="qui le demande : la personne ou un proche"
    )
    channel: ConsentChannel = Field(description="par quel canal le retrait a été demandé")


class ConsentEntry(Answer):
    agreed_by: str = Field(description="person ou relative")
    relative_name: str | None
    agreed_at: str
    channel: str = Field(description="phone, paper, online_form ou in_person")
    regular_calls: bool
    emergency_campaigns: bool
    collected_by: str
    recorded_by: str
    recorded_at: str
    withdrawn_at: str | None
    withdrawn_on_behalf_of: str | None
    withdrawal_channel: str | None
    withdrawal_recorded_by: str | None


class ConsentState(Answer):
    external_id: str
    regular_calls: bool = Field(description="un accord valide permet les appels réguliers")
    emergency_campaigns: bool = Field(description="un accord valide permet les campagnes d'urgence")
    changed: bool = Field(description="cette requête a retiré un accord en cours")
    consents: list[ConsentEntry] = Field(description="tous ses accords, les plus récents d'abord")


def consent_json(row: ConsentRow) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "agreed_by": row.agreed_by.value,
        "relative_name": row.relative_name,
        "agreed_at": row.agreed_at.isoformat(),
        "channel": row.channel.value,
        "regular_calls": row.regular_calls,
        "emergency_campaigns": row.emergency_campaigns,
        "collected_by": row.collected_by,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat(),
        "withdrawn_at": when(row.withdrawn_at),
        "withdrawn_on_behalf_of": row.withdrawn_on_behalf_of.value
        if row.withdrawn_on_behalf_of
        else None,
        "withdrawal_channel": row.withdrawal_channel.value if row.withdrawal_channel else None,
        "withdrawal_recorded_by": row.withdrawal_recorded_by,
    }


def _external_id(request: Request) -> str:
    external_id = str(request.path_params["external_id"])
    if not external_id.strip() or len(external_id) > _EXTERNAL_ID_MAX:
        raise InputError(f"champ « external_id » : de 1 à {_EXTERNAL_ID_MAX} caractères")
    return external_id


async def _state(request: Request, external_id: str, *, changed: bool) -> Response:
    ops = steering(request)
    history = await ConsentRegistry(ops.sessions).history(external_id)
    consents = [row.consent() for row in history]
    now = ops.clock()
    return ok(
        {
            "external_id": external_id,
            "regular_calls": may_be_called(consents, ConsentPurpose.REGULAR_CALLS, now),
            "emergency_campaigns": may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, now),
            "changed": changed,
            "consents": [consent_json(row) for row in history],
        }
    )


async def read_consent(request: Request) -> Response:
    await caller(request)
    return await _state(request, _external_id(request), changed=False)


async def withdraw_consent(request: Request) -> Response:
    who = await caller(request)
    external_id = _external_id(request)
    data: WithdrawalBody = await request_body(request, WithdrawalBody)
    ops = steering(request)
    changed = await ConsentRegistry(ops.sessions).withdraw(
        [WithdrawalRequest(external_id, data.on_behalf_of, data.channel)],
        actor=who.actor,
        now=ops.clock(),
        route=route_of(request),
    )
    return await _state(request, external_id, changed=changed > 0)


class ConsentImportAnswer(Answer):
    file: str = Field(description="le nom du fichier")
    read: int = Field(description="lignes lues")
    recorded: int = Field(description="accords enregistrés")
    known: int = Field(description="accords déjà enregistrés de la même façon (non réécrits)")
    skipped: list[str] = Field(
        description="lignes non enregistrées, le foyer ayant retiré son accord "
        "(« fichier:ligne:date_accord : accord du … déjà retiré le … : non réenregistré »)"
    )


async def import_consents(request: Request) -> Response:
    who = await caller(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        upload = await uploaded(request, "file")
        if upload is None:
            raise InputError("champ « file » : champ obligatoire (le fichier des accords)")
        filename, content = upload
    elif kind == "text/csv":
        filename, content = "accords.csv", await request.body()
    else:
        raise InputError(
            "champ « file » : envoyez le fichier des accords en multipart/form-data "
            "(champ file) ou en text/csv"
        )
    done = await import_consent_upload(
        steering(request),
        actor=who.actor,
        filename=filename,
        content=content,
        route=route_of(request),
    )
    return ok(
        {
            "file": done.file,
            "read": done.read,
            "recorded": done.recorded,
            "known": done.known,
            "skipped": list(done.skipped),
        },
        201,
    )


CONSENTS = Area("consents", Action.CONSENT_MANAGE, Action.CONSENT_MANAGE)
_PATH = API_PREFIX + "/people/{external_id}/consent"

ENDPOINTS: tuple[Endpoint, ...] = (
    CONSENTS(
        "GET", _PATH, read_consent,
        "Les accords d'un foyer aux appels des bénévoles (veille sociale), avec leurs retraits",
        ConsentState,
    ),
    CONSENTS(
        "POST", _PATH + "/withdraw", withdraw_consent,
        "Retirer l'accord du foyer : les bénévoles ne l'appellent plus jamais, et ce qui a "
        "été recueilli est purgé après la durée de conservation",
        ConsentState, body=WithdrawalBody,
    ),
    CONSENTS(
        "POST", API_PREFIX + "/consents/import", import_consents,
        "Importer le fichier des accords de la ville (CSV « ; », en multipart, champ file, "
        "ou en text/csv) : tout ou rien, chaque ligne refusée nommée fichier:ligne:champ",
        ConsentImportAnswer, created=True, csv_upload=True,
    ),
)  # fmt: skip
