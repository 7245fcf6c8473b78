"""A person's opposition (« ne plus appeler ») through the versioned API:
``PUT /api/v1/people/{external_id}/opposition`` records it (idempotent: a person already
opposed keeps their first opposition), ``DELETE`` lifts it (kept as history), ``GET`` reads
the person's holds. The same storage as the person's page and ``dialer persons oppose``
(:mod:`dialer.storage.holds`); every recording and lifting is audited there."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.holds import REASON_MAX_LENGTH, OnBehalfOf
from dialer.core.permissions import Action
from dialer.errors import InputError
from dialer.storage.hold_rows import PersonHold
from dialer.storage.holds import OppositionRequest, PersonHolds
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.read_log import route_of
from dialer.web.service import steering

_EXTERNAL_ID_MAX = 100


class OppositionBody(Body):
    reason: str = Field(min_length=1, max_length=REASON_MAX_LENGTH, description="motif")
    on_behalf_of: OnBehalfOf = Field(
        default=OnBehalfOf.PERSON, description="qui le demande : la personne ou un proche"
    )


class OppositionLiftBody(Body):
    reason: str = Field(min_length=1, max_length=REASON_MAX_LENGTH, description="motif")


class HoldEntry(Answer):
    kind: str = Field(description="opposition, deceased, moved ou hospitalised")
    on_behalf_of: str | None
    reason: str
    recorded_by: str
    recorded_at: str
    until: str | None
    call: str | None = Field(description="l'appel qui l'a constaté")
    lifted_at: str | None
    lifted_by: str | None
    lift_reason: str | None


class OppositionState(Answer):
    external_id: str
    opposed: bool = Field(description="une opposition en cours empêche tout appel")
    changed: bool = Field(description="cette requête a enregistré ou levé une opposition")
    holds: list[HoldEntry] = Field(description="toutes ses mentions, les plus récentes d'abord")


def hold_json(hold: PersonHold) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "kind": hold.kind.value,
        "on_behalf_of": hold.on_behalf_of.value if hold.on_behalf_of else None,
        "reason": hold.reason,
        "recorded_by": hold.recorded_by,
        "recorded_at": hold.recorded_at.isoformat(),
        "until": when(hold.until),
        "call": hold.attempt_id,
        "lifted_at": when(hold.lifted_at),
        "lifted_by": hold.lifted_by,
        "lift_reason": hold.lift_reason,
    }


def _external_id(request: Request) -> str:
    external_id = str(request.path_params["external_id"])
    if not external_id.strip() or len(external_id) > _EXTERNAL_ID_MAX:
        raise InputError(f"champ « external_id » : de 1 à {_EXTERNAL_ID_MAX} caractères")
    return external_id


async def _state(holds: PersonHolds, external_id: str, *, changed: bool) -> Response:
    history = await holds.history(external_id)
    opposed = any(h.kind.value == "opposition" and h.lifted_at is None for h in history)
    return ok(
        {
            "external_id": external_id,
            "opposed": opposed,
            "changed": changed,
            "holds": [hold_json(h) for h in history],
        }
    )


async def read_opposition(request: Request) -> Response:
    await caller(request)
    holds = PersonHolds(steering(request).sessions)
    return await _state(holds, _external_id(request), changed=False)


async def record_opposition(request: Request) -> Response:
    who = await caller(request)
    external_id = _external_id(request)
    data: OppositionBody = await request_body(request, OppositionBody)
    ops = steering(request)
    holds = PersonHolds(ops.sessions)
    before = await holds.history(external_id)
    recorded = await holds.oppose(
        [OppositionRequest(external_id, data.reason, data.on_behalf_of)],
        actor=who.actor,
        now=ops.clock(),
        route=route_of(request),
    )
    return await _state(holds, external_id, changed=recorded[0].id not in {h.id for h in before})


async def lift_opposition(request: Request) -> Response:
    who = await caller(request)
    external_id = _external_id(request)
    data: OppositionLiftBody = await request_body(request, OppositionLiftBody)
    ops = steering(request)
    holds = PersonHolds(ops.sessions)
    lifted = await holds.lift(
        external_id, reason=data.reason, actor=who.actor, now=ops.clock(), route=route_of(request)
    )
    return await _state(holds, external_id, changed=lifted is not None)


OPPOSITIONS = Area("oppositions", Action.OPPOSITION_MANAGE, Action.OPPOSITION_MANAGE)
_PATH = API_PREFIX + "/people/{external_id}/opposition"

ENDPOINTS: tuple[Endpoint, ...] = (
    OPPOSITIONS(
        "GET", _PATH, read_opposition,
        "L'opposition d'une personne et l'historique de ce qui l'exclut des appels",
        OppositionState,
    ),
    OPPOSITIONS(
        "PUT", _PATH, record_opposition,
        "Enregistrer l'opposition « ne plus appeler » (la personne ou un proche) : plus "
        "aucune campagne ne l'appelle, elle sort des files des cycles en cours",
        OppositionState, body=OppositionBody,
    ),
    OPPOSITIONS(
        "DELETE", _PATH, lift_opposition,
        "Lever l'opposition (gardée dans l'historique, avec qui, quand et pourquoi)",
        OppositionState, body=OppositionLiftBody,
    ),
)  # fmt: skip
