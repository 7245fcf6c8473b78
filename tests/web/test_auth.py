"""Accounts, login, sessions (idle and absolute expiry), CSRF and role checks."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account, WebSession
from dialer.storage.database import transaction
from dialer.testing import Clock
from tests.web.conftest import LOGIN_CSRF, log_in
from tests.web.support import PASSWORD, World, fast_passwords

pytestmark = pytest.mark.asyncio


async def test_create_account_hashes_the_password_and_checks_its_inputs(
    sessions: SessionFactory, world: World
) -> None:
    account = await create_account(
        sessions,
        "Agent3",
        "un mot de passe assez long",
        "agent",
        sip_endpoint="agent-1003",
        passwords=fast_passwords(),
    )
    assert account.username == "agent3"
    assert account.password_hash.startswith("$argon2id$")
    assert "assez long" not in account.password_hash
    with pytest.raises(ConflictError, match="existe déjà"):
        await create_account(sessions, "agent3", PASSWORD, Role.AGENT, passwords=fast_passwords())
    with pytest.raises(InputError, match="12 caractères"):
        await create_account(sessions, "agent4", "court", Role.AGENT, passwords=fast_passwords())
    with pytest.raises(InputError, match="rattaché à une équipe"):
        await create_account(sessions, "m1", PASSWORD, Role.TEAM_MEMBER, passwords=fast_passwords())
    with pytest.raises(NotFoundError):
        await create_account(
            sessions, "m1", PASSWORD, Role.TEAM_MEMBER, "Inconnue", passwords=fast_passwords()
        )
    with pytest.raises(InputError, match="rôle"):
        await create_account(sessions, "m2", PASSWORD, "chef", passwords=fast_passwords())


async def test_login_sends_each_role_to_its_screen(client: httpx.AsyncClient) -> None:
    await log_in(client, "agent1")
    assert (await client.get("/")).headers["location"] == "/agent"
    client.cookies.clear()
    await log_in(client, "membre.nord")
    assert (await client.get("/")).headers["location"] == "/alertes"


async def test_a_wrong_password_is_refused_in_french(client: httpx.AsyncClient) -> None:
    page = await client.get("/connexion")
    token = LOGIN_CSRF.search(page.text)
    assert token is not None
    response = await client.post(
        "/connexion",
        data={"identifiant": "agent1", "mot_de_passe": "pas le bon", "csrf": token.group(1)},
    )
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in response.text
    assert "dialer_session" not in response.cookies


async def test_login_needs_its_csrf_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/connexion", data={"identifiant": "agent1", "mot_de_passe": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403


async def test_the_session_token_is_never_stored(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    await log_in(client, "agent1")
    token = client.cookies["dialer_session"]
    async with transaction(sessions) as session:
        digests = list(await session.scalars(select(WebSession.token_digest)))
    assert len(digests) == 1
    assert token not in digests[0]
    assert len(digests[0]) == 64


async def test_a_session_expires_after_30_idle_minutes(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await log_in(client, "agent1")
    clock.advance(minutes=29)
    assert (await client.get("/agent")).status_code == 200
    clock.advance(minutes=29)  # active 29 min ago: still fine
    assert (await client.get("/agent")).status_code == 200
    clock.advance(minutes=31)
    response = await client.get("/agent")
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suite=/agent&expiree=1"
    assert (await client.get("/api/v1/agent/state")).status_code == 401


async def test_a_session_ends_8_hours_after_login_even_when_active(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await log_in(client, "agent1")
    for _ in range(16):
        clock.advance(minutes=29)
        assert (await client.get("/api/v1/agent/state")).status_code == 200
    clock.advance(minutes=30)  # 8 h 14 min after login
    assert (await client.get("/api/v1/agent/state")).status_code == 401


async def test_sessions_left_to_expire_are_deleted_at_the_next_login(
    client: httpx.AsyncClient, sessions: SessionFactory, clock: Clock
) -> None:
    await log_in(client, "agent1")  # never logs out, never comes back
    client.cookies.clear()
    clock.advance(minutes=20)
    await log_in(client, "superviseur")  # will sit idle past the 30 minutes
    client.cookies.clear()
    clock.advance(minutes=15)  # agent1's session: 35 idle minutes; the supervisor's: 15

    async def usernames() -> list[str]:
        async with transaction(sessions) as session:
            rows = await session.scalars(
                select(Account.username)
                .join(WebSession, WebSession.account_id == Account.id)
                .order_by(Account.username)
            )
            return list(rows)

    assert await usernames() == ["agent1", "superviseur"]
    await log_in(client, "membre.nord")
    assert await usernames() == ["membre.nord", "superviseur"]
    client.cookies.clear()
    clock.advance(hours=9)  # past the 8-hour lifetime too
    await log_in(client, "agent1")
    assert await usernames() == ["agent1"]


async def test_logging_out_ends_the_session(client: httpx.AsyncClient) -> None:
    csrf = await log_in(client, "agent1")
    response = await client.post("/deconnexion", data={"csrf": csrf})
    assert response.status_code == 303
    assert (await client.get("/api/v1/agent/state")).status_code == 401


async def test_state_changes_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    csrf = await log_in(client, "agent1")
    refused = await client.post("/api/v1/agent/phone")
    assert refused.status_code == 403
    assert refused.json() == {"erreur": "Jeton de sécurité (CSRF) absent ou invalide."}
    forged = await client.post("/api/v1/agent/phone", headers={"X-CSRF-Token": "x" * 64})
    assert forged.status_code == 403
    assert (await client.post("/deconnexion", data={"csrf": "wrong"})).status_code == 403
    accepted = await client.post("/api/v1/agent/phone", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200


async def test_each_role_reaches_only_its_pages(client: httpx.AsyncClient) -> None:
    await log_in(client, "agent1")
    assert (await client.get("/alertes")).status_code == 403
    assert (await client.get("/supervision")).status_code == 403
    assert (await client.get("/admin")).status_code == 403
    client.cookies.clear()
    await log_in(client, "membre.nord")
    forbidden = await client.get("/agent")
    assert forbidden.status_code == 403
    assert "accessible avec votre rôle" in forbidden.text
    assert (await client.get("/api/v1/agent/state")).status_code == 403
    client.cookies.clear()
    await log_in(client, "superviseur")
    assert (await client.get("/supervision")).status_code == 200
    assert (await client.get("/admin")).status_code == 403


async def test_pages_come_with_security_headers(client: httpx.AsyncClient) -> None:
    await log_in(client, "agent1")
    response = await client.get("/agent")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


async def test_an_administrator_creates_and_deactivates_accounts(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    csrf = await log_in(client, "admin")
    created = await client.post(
        "/admin/comptes",
        data={
            "csrf": csrf,
            "identifiant": "agent9",
            "mot_de_passe": "encore un long mot de passe",
            "role": "agent",
            "equipe": "",
            "sip": "agent-1009",
        },
    )
    assert created.status_code == 303
    refused = await client.post(
        "/admin/comptes",
        data={"csrf": csrf, "identifiant": "agent10", "mot_de_passe": "court", "role": "agent"},
    )
    assert refused.status_code == 422
    assert "12 caractères" in refused.text
    async with transaction(sessions) as session:
        account = await session.scalar(select(Account).where(Account.username == "agent9"))
    assert account is not None
    assert account.sip_endpoint == "agent-1009"
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await log_in(other, "agent9", "encore un long mot de passe")
        response = await client.post(f"/admin/comptes/{account.id}/desactiver", data={"csrf": csrf})
        assert response.status_code == 303
        assert (await other.get("/api/v1/agent/state")).status_code == 401
