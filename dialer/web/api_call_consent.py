"""The household's withdrawal of its consent from the caller's screen, in the versioned
API: ``POST /api/v1/agent/calls/{attempt_id}/consent/withdraw`` (a veille-sociale call
of the caller's own; who asked, what is withdrawn, the confirmation). The same storage as
the API's and the supervisor's withdrawal (:mod:`dialer.desk.consent_withdrawal`),
audited there (``consent.withdrawn``)."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.consent import AgreedBy, ConsentPurpose
from dialer.core.permissions import Action
from dialer.desk.consent_withdrawal import CallConsentWithdrawal, WithdrawalOnCall
from dialer.errors import InputError
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import route_of
from dialer.web.service import web


class CallWithdrawalBody(Body):
    """Ce que le foyer demande au téléphone."""

    on_behalf_of: AgreedBy = Field(
        description="qui le demande : la personne (person) ou son proche ou représentant (relative)"
    )
    regular_calls: bool = Field(True, description="retirer l'accord aux appels réguliers")
    emergency_campaigns: bool = Field(
        False, description="retirer aussi l'accord aux campagnes d'urgence (canicule…)"
    )
    confirmed: bool = Field(False, description="le retrait a été confirmé (doit valoir true)")


class ConsentAfterWithdrawal(Answer):
    """Ce que les accords du foyer permettent encore."""

    changed: bool = Field(description="cette demande a retiré un accord en cours")
    regular_calls: bool = Field(description="les bénévoles peuvent encore l'appeler")
    emergency_campaigns: bool = Field(description="il reste dans les campagnes d'urgence")


def asked(body: CallWithdrawalBody) -> WithdrawalOnCall:
    """The withdrawal asked; :class:`InputError` naming the field when it says nothing."""
    if not body.confirmed:
        raise InputError("champ « confirmed » : confirmez le retrait de l'accord")
    purposes = frozenset(
        purpose
        for purpose, ticked in (
            (ConsentPurpose.REGULAR_CALLS, body.regular_calls),
            (ConsentPurpose.EMERGENCY_CAMPAIGNS, body.emergency_campaigns),
        )
        if ticked
    )
    if not purposes:
        raise InputError(
            "champ « regular_calls » : cochez ce que le foyer retire (appels réguliers, "
            "campagnes d'urgence)"
        )
    return WithdrawalOnCall(body.on_behalf_of, purposes)


@described_by(ConsentAfterWithdrawal, body=CallWithdrawalBody)
async def withdraw_on_call(request: Request) -> Response:
    """Retirer l'accord du foyer au téléphone, pendant ou juste après votre appel de la
    veille sociale : plus aucun appel des bénévoles (rappels et suivis annulés), et les
    campagnes d'urgence seulement si le foyer le demande aussi ; journalisé (agent,
    bénévole)."""
    user = await caller(request)
    body = await request_body(request, CallWithdrawalBody)
    service = web(request)
    left = await CallConsentWithdrawal(
        service.sessions, service.sheets.views, service.desk, clock=service.clock
    ).withdraw(
        user.username,
        request.path_params["attempt_id"],
        asked(body),
        route=route_of(request),
    )
    return checked(
        ConsentAfterWithdrawal,
        {
            "changed": left.changed,
            "regular_calls": left.regular_calls,
            "emergency_campaigns": left.emergency_campaigns,
        },
    )


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/consent/withdraw",
        withdraw_on_call,
        rule=Action.AGENT_DESK,
        methods=["POST"],
    ),
]
