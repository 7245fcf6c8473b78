"""The phone in the agent's page (issue #20): the page gets its credentials from the API
over the agent's session, never from its source; only agents marked for the browser phone
get them, and the page's security policy lets it reach Asterisk's WebSocket only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from dialer.alerts.dispatcher import AlertDispatcher
from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import SessionFactory
from dialer.storage.sip_accounts import SipAccountRepository, md5_cred
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from dialer.web.app import create_app, screens_of
from dialer.web.sip import SipAccess
from tests.web.conftest import client_for, log_in
from tests.web.support import PASSWORD, SECRET_KEY, FakeDesk, World, fast_passwords

pytestmark = pytest.mark.asyncio

SIP = SipAccess(
    host="sip.ville.test",
    webrtc_url="wss://sip.ville.test/ws",
    ice_servers=("stun:stun.ville.test:3478", "turn:turn.ville.test:3478"),
    turn_username="veille",
    turn_password="secret-turn-2026",
)


def app_with(
    sip: SipAccess | None,
    sessions: SessionFactory,
    desk: FakeDesk,
    catalog: QuestionnaireCatalog,
    clock: Clock,
    dispatcher: AlertDispatcher,
) -> Starlette:
    application = create_app(
        sessions=sessions,
        engine=desk,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        dispatcher=dispatcher,
        secure_cookies=False,
        passwords=fast_passwords(),
        sip=sip,
    )
    desk.screens = screens_of(application)
    return application


@pytest_asyncio.fixture
async def http(
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    catalog: QuestionnaireCatalog,
    clock: Clock,
    dispatcher: AlertDispatcher,
) -> AsyncIterator[httpx.AsyncClient]:
    assert world.jeanne_id
    async with client_for(app_with(SIP, sessions, desk, catalog, clock, dispatcher)) as client:
        yield client


async def test_a_browser_agent_gets_its_phone_over_its_session_and_never_in_the_page(
    http: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    endpoint, password = await SipAccountRepository(sessions).reset(
        "agent1", remote=False, browser=True, now=datetime.now(UTC)
    )
    await log_in(http, "agent1")
    page = await http.get("/agent")
    assert page.status_code == 200
    assert 'id="telephone-page"' in page.text
    assert '<script src="/static/vendor/jssip.min.js"></script>' in page.text
    assert '<script src="/static/webphone.js"></script>' in page.text
    digest = md5_cred(endpoint, password)
    assert digest not in page.text
    assert password not in page.text
    policy = page.headers["content-security-policy"]
    assert "connect-src 'self' wss://sip.ville.test;" in policy
    assert "script-src 'self';" in policy  # still no inline script, no other origin

    answer = await http.get("/api/v1/agent/webphone")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "uri": "sip:agent-1001@sip.ville.test",
        "username": "agent-1001",
        "realm": "asterisk",
        "ha1": digest,
        "websocket": "wss://sip.ville.test/ws",
        "ice_servers": [
            {"urls": "stun:stun.ville.test:3478"},
            {
                "urls": "turn:turn.ville.test:3478",
                "username": "veille",
                "credential": "secret-turn-2026",
            },
        ],
        "echo_test": "sip:echo@sip.ville.test",
    }
    script = await http.get("/static/webphone.js")
    assert script.status_code == 200
    assert digest not in script.text
    vendor = await http.get("/static/vendor/jssip.min.js")  # built by `make web-vendor`
    assert vendor.status_code == 200
    assert "JsSIP" in vendor.text


async def test_other_agents_and_other_roles_get_no_phone_credentials(
    http: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    await SipAccountRepository(sessions).reset(
        "agent1", remote=False, browser=True, now=datetime.now(UTC)
    )
    assert (await http.get("/api/v1/agent/webphone")).status_code == 401  # no session
    await log_in(http, "agent2")  # a softphone agent
    refused = await http.get("/api/v1/agent/webphone")
    assert refused.status_code == 404
    assert refused.json()["erreur"] == "Votre compte n'utilise pas le téléphone dans la page."
    page = await http.get("/agent")
    assert 'id="telephone-page"' not in page.text
    assert "jssip" not in page.text
    http.cookies.clear()
    await log_in(http, "superviseur")
    assert (await http.get("/api/v1/agent/webphone")).status_code == 403


async def test_without_browser_telephony_configured_the_answer_says_so(
    sessions: SessionFactory,
    world: World,
    desk: FakeDesk,
    catalog: QuestionnaireCatalog,
    clock: Clock,
    dispatcher: AlertDispatcher,
) -> None:
    assert world.jeanne_id
    await SipAccountRepository(sessions).reset(
        "agent1", remote=False, browser=True, now=datetime.now(UTC)
    )
    async with client_for(app_with(None, sessions, desk, catalog, clock, dispatcher)) as client:
        await log_in(client, "agent1")
        refused = await client.get("/api/v1/agent/webphone")
        assert refused.status_code == 409
        assert "navigateur n'est pas configurée" in refused.json()["erreur"]
        page = await client.get("/agent")
        assert 'id="telephone-page"' not in page.text
        assert "connect-src 'self';" in page.headers["content-security-policy"]


async def test_a_volunteer_gets_the_phone_in_the_page_once_trained(
    http: httpx.AsyncClient, sessions: SessionFactory, clock: Clock
) -> None:
    """A volunteer may use the browser phone (issue 21): until their training is recorded
    the page gets no credentials (403, the desk's French reason, shown in the phone's
    panel), then it gets their own endpoint's."""
    await create_account(
        sessions, "benevole.ana", PASSWORD, Role.VOLUNTEER, sip_endpoint="benevole-2001",
        passwords=fast_passwords(),
    )  # fmt: skip
    endpoint, password = await SipAccountRepository(sessions).reset(
        "benevole.ana", remote=False, browser=True, now=datetime.now(UTC)
    )
    await log_in(http, "benevole.ana")
    page = await http.get("/agent")
    assert 'id="telephone-page"' in page.text  # where the page says why there is no phone
    refused = await http.get("/api/v1/agent/webphone")
    assert refused.status_code == 403
    assert "formation de bénévole n'est pas enregistrée" in refused.json()["erreur"]
    assert md5_cred(endpoint, password) not in refused.text

    await VolunteerRoster(sessions).train(
        "benevole.ana", trained_by="superviseur", trained_on=date(2026, 6, 1), actor="t",
        now=clock(),
    )  # fmt: skip
    answer = await http.get("/api/v1/agent/webphone")
    assert answer.status_code == 200
    assert answer.json()["username"] == "benevole-2001"
    assert answer.json()["ha1"] == md5_cred(endpoint, password)
