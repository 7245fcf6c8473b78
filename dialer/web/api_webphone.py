"""The phone in the agent's page (WebRTC): ``GET /api/v1/agent/webphone`` gives the
logged-in agent, over their session, what the page's SIP library registers with (the
endpoint, the digest of its credentials, Asterisk's WebSocket, the ICE servers). Nothing
of it is ever written in a page's source; only an agent marked for the browser phone
(``dialer agents sip-reset NAME --browser``) gets an answer; a volunteer, once trained
(an untrained one is refused in French, as their line is)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.core.roles import Role
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.sip_accounts import SIP_REALM, SipAccountRepository
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.service import web
from dialer.web.sip import SipAccess
from dialer.web.volunteer_pages import refuse_untrained

#: the dialplan extension of the audio check (``[dialer-webphone]``: Echo())
ECHO_TEST_EXTENSION = "echo"


class IceServer(Answer):
    urls: str
    username: str | None = None
    credential: str | None = None


class WebphoneAccount(Answer):
    """Ce dont le téléphone de la page a besoin pour s'enregistrer."""

    uri: str = Field(description="l'adresse SIP de l'agent (sip:compte@domaine)")
    username: str = Field(description="le compte SIP (l'endpoint PJSIP)")
    realm: str
    ha1: str = Field(description="md5(compte:realm:mot de passe), jamais le mot de passe")
    websocket: str = Field(description="le WebSocket SIP d'Asterisk (wss:// en production)")
    ice_servers: list[IceServer]
    echo_test: str = Field(description="l'adresse du test audio (écho)")


def ice_servers(sip: SipAccess) -> list[dict[str, str]]:
    servers = []
    for url in sip.ice_servers:
        server = {"urls": url}
        if url.startswith(("turn:", "turns:")) and sip.turn_username:
            server |= {"username": sip.turn_username, "credential": sip.turn_password}
        servers.append(server)
    return servers


@described_by(WebphoneAccount)
async def webphone_account(request: Request) -> Response:
    """Les identifiants du téléphone dans la page de l'agent connecté (agent ; bénévole
    formé)."""
    user = await caller(request)
    service = web(request)
    if service.sip is None:
        raise ConflictError("la téléphonie par le navigateur n'est pas configurée")
    if user.role is Role.VOLUNTEER:
        await refuse_untrained(request, user.username)
    endpoint = await SipAccountRepository(service.sessions).browser_phone(user.username)
    if endpoint is None:
        raise NotFoundError("votre compte n'utilise pas le téléphone dans la page")
    domain = urlsplit(service.sip.webrtc_url).hostname or "localhost"
    return checked(  # never cached: every answer of the app is sent with no-store
        WebphoneAccount,
        {
            "uri": f"sip:{endpoint.username}@{domain}",
            "username": endpoint.username,
            "realm": SIP_REALM,
            "ha1": endpoint.md5_cred,
            "websocket": service.sip.webrtc_url,
            "ice_servers": ice_servers(service.sip),
            "echo_test": f"sip:{ECHO_TEST_EXTENSION}@{domain}",
        },
    )


async def uses_webphone(request: Request, username: str) -> bool:
    """Whether the agent's page holds their phone (the agent's screen asks at each load)."""
    service = web(request)
    if service.sip is None:
        return False
    return await SipAccountRepository(service.sessions).browser_phone(username) is not None


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/webphone", webphone_account, rule=Action.AGENT_DESK, methods=["GET"]
    ),
]
