"""Transfers on the web: the numbers offered for the agent's call and the transfer under way
(``GET /api/v1/agent/transfer``), a transfer started (``POST``: warm or conference), and
the agent's steps (``POST /api/v1/agent/transfer/join|leave|cancel``). Agents only (the
permission table); the service behind is :class:`dialer.desk.transfers.Transfers`."""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from dialer.core.labels import TRANSFER_KIND_LABELS, TRANSFER_STATE_LABELS
from dialer.core.permissions import Action
from dialer.core.transfers import TransferKind
from dialer.desk.transfer_ledger import Transfer
from dialer.desk.transfers import Transfers
from dialer.errors import ConflictError, InputError
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_models import request_body
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import route_of


def configure_transfers(app: Starlette, transfers: Transfers) -> None:
    """Attach the service's :class:`Transfers` (with the telephony node) to the app."""
    app.state.transfers = transfers


def transfers_of(connection: HTTPConnection) -> Transfers:
    """The app's :class:`Transfers`: without telephony (no ``dialer serve``), a transfer is
    refused with a French reason."""
    service: Transfers | None = getattr(connection.app.state, "transfers", None)
    if service is None:
        raise ConflictError("la téléphonie n'est pas active : lancez « dialer serve »")
    return service


class TransferTargetView(Answer):
    label: str
    number: str


class TransferView(Answer):
    id: str
    attempt_id: str = Field(description="l'appel transféré")
    number: str
    kind: str = Field(description="warm (accompagné) ou conference (à trois)")
    kind_label: str
    state: str = Field(description="calling, consulting, conference, handed_over")
    state_label: str


class TransferChoices(Answer):
    offered: list[TransferTargetView]
    free_numbers: bool = Field(description="l'agent peut aussi saisir un autre numéro")
    current: TransferView | None


class TransferAsked(BaseModel):
    number: str = Field(max_length=32, description="un numéro proposé (ou libre si permis)")
    kind: str = Field(description="warm ou conference")


def _view(transfer: Transfer) -> dict[str, object]:
    return {
        "id": transfer.transfer_id,
        "attempt_id": transfer.attempt_id,
        "number": transfer.number,
        "kind": transfer.kind.value,
        "kind_label": TRANSFER_KIND_LABELS[transfer.kind],
        "state": transfer.state.value,
        "state_label": TRANSFER_STATE_LABELS[transfer.state],
    }


@described_by(TransferChoices)
async def transfer_choices(request: Request) -> Response:
    """Les numéros proposés pour transférer l'appel en cours, et le transfert en cours
    (agent)."""
    user = await caller(request)
    service = transfers_of(request)
    offered = await service.offered(user.username)
    current = service.current(user.username)
    body = {
        "offered": [{"label": t.label, "number": t.number} for t in offered],
        "free_numbers": service.free_numbers,
        "current": _view(current) if current is not None else None,
    }
    return checked(TransferChoices, body)


@described_by(TransferView, body=TransferAsked)
async def start_transfer(request: Request) -> Response:
    """Transférer l'appel en cours : accompagné (warm : vous parlez d'abord au tiers, la
    personne patiente) ou en conférence à trois (agent ; journalisé)."""
    user = await caller(request)
    asked = await request_body(request, TransferAsked)
    try:
        kind = TransferKind(asked.kind)
    except ValueError:
        raise InputError(
            f"champ « kind » : {asked.kind[:20]!r} inconnu (warm ou conference)"
        ) from None
    transfer = await transfers_of(request).begin(
        user.username, asked.number, kind, route=route_of(request)
    )
    return checked(TransferView, _view(transfer), 201)


@described_by(TransferView)
async def transfer_step(request: Request) -> Response:
    """Une étape du transfert : join (la personne rejoint le tiers et vous), leave (vous
    quittez l'appel, la personne reste avec le tiers), cancel (vous reprenez la personne,
    le tiers est raccroché)."""
    user = await caller(request)
    service = transfers_of(request)
    route = route_of(request)
    step = request.path_params["step"]
    if step == "join":
        transfer = await service.join(user.username, route=route)
    elif step == "leave":
        transfer = await service.leave(user.username, route=route)
    elif step == "cancel":
        transfer = await service.cancel(user.username, route=route)
    else:
        raise InputError(f"étape {step[:20]!r} inconnue (join, leave ou cancel)")
    return checked(TransferView, _view(transfer))


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/transfer", transfer_choices, rule=Action.CALL_TRANSFER, methods=["GET"]
    ),
    GuardedRoute(
        "/api/v1/agent/transfer", start_transfer, rule=Action.CALL_TRANSFER, methods=["POST"]
    ),
    GuardedRoute(
        "/api/v1/agent/transfer/{step}",
        transfer_step,
        rule=Action.CALL_TRANSFER,
        methods=["POST"],
    ),
]
