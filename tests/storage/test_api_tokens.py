"""API tokens' expiry and their owner's list and revocation, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.core.roles import Role
from dialer.errors import InputError, NotFoundError
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.api_tokens import ApiTokenRepository, token_json
from dialer.storage.database import transaction
from tests.storage.conftest import NOW

pytestmark = pytest.mark.asyncio


async def test_tokens_expire_and_owners_see_and_revoke_only_their_own(
    sessions: SessionFactory,
) -> None:
    async with transaction(sessions) as session:
        for name in ("ana", "bea"):
            session.add(
                Account(username=name, password_hash="x", role=Role.AGENT, active=True,
                        created_at=NOW)
            )  # fmt: skip
    tokens = ApiTokenRepository(sessions)
    week = timedelta(days=7)
    old, old_token = await tokens.create(
        name="ancien", username="ana", created_by="t", now=NOW, lifetime=week
    )
    new, _ = await tokens.create(
        name="récent", username="ana", created_by="t", now=NOW + timedelta(hours=1), lifetime=week
    )
    other, _ = await tokens.create(
        name="autre", username="bea", created_by="t", now=NOW, lifetime=week
    )
    with pytest.raises(InputError, match="entre 1 et 366 jours"):
        await tokens.create(
            name="x", username="ana", created_by="t", now=NOW, lifetime=timedelta(days=367)
        )
    assert await tokens.owner(old_token, now=NOW + week - timedelta(seconds=1)) is not None
    assert await tokens.owner(old_token, now=NOW + week) is None
    assert [t.name for t in await tokens.list_own("ana")] == ["récent", "ancien"]
    with pytest.raises(NotFoundError, match=f"jeton {other.id} inconnu"):
        await tokens.revoke_own(other.id, username="ana", now=NOW)
    with pytest.raises(NotFoundError):
        await tokens.revoke_own(2**63, username="ana", now=NOW)
    revoked = await tokens.revoke_own(new.id, username="ana", now=NOW)
    shown = token_json(revoked, NOW)
    assert (shown["revoked_at"], shown["valid"]) == (NOW.isoformat(), False)
    assert "token_digest" not in shown
    assert token_json(old, NOW)["valid"] is True
    assert [t.revoked_at for t in await tokens.list_own("bea")] == [None]
