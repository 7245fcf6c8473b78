"""The audit log and API tokens: stored by migration 0006 as the models say."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.core.roles import Role
from dialer.errors import ConflictError, NotFoundError
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import transaction
from dialer.storage.models import Base
from tests.storage.conftest import NOW


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    wanted = {"audit_log", "api_tokens", "campaigns"}
    return [
        d
        for d in compare_metadata(context, Base.metadata)
        if isinstance(d, tuple) and any(name in str(d) for name in wanted)
    ]


@pytest.mark.asyncio
async def test_migration_0006_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


@pytest.mark.asyncio
async def test_migration_0007_gives_every_campaign_three_lines_per_agent(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"]: col for col in inspect(c).get_columns("campaigns")}
        )
    column = columns["max_lines_per_agent"]
    assert column["nullable"] is False
    assert "3" in str(column["default"])


@pytest.mark.asyncio
async def test_the_audit_log_records_and_filters(sessions: SessionFactory) -> None:
    log = AuditLog(sessions)
    await log.record(actor="dupont", action="campaign.start", target="campaign:1", at=NOW)
    await log.record(
        actor="api:script",
        action="agent.logout",
        target="agent:x",
        at=NOW + timedelta(minutes=1),
        details={"was": "ready"},
    )
    entries = await log.search()
    assert [e.action for e in entries] == ["agent.logout", "campaign.start"]
    assert entries[0].details == {"was": "ready"}
    assert entries[0].at == NOW + timedelta(minutes=1)
    assert [e.actor for e in await log.search(AuditFilter(action="campaign."))] == ["dupont"]
    assert await log.search(AuditFilter(since=NOW + timedelta(minutes=2))) == []
    assert await log.count() == 2


@pytest.mark.asyncio
async def test_api_tokens_store_only_a_digest_and_can_be_revoked(
    sessions: SessionFactory,
) -> None:
    async with transaction(sessions) as session:
        session.add(
            Account(
                username="sup", password_hash="x", role=Role.SUPERVISOR, active=True, created_at=NOW
            )
        )
    tokens = ApiTokenRepository(sessions)
    record, token = await tokens.create(
        name="script", username="sup", created_by="cli:root", now=NOW, lifetime=timedelta(days=90)
    )
    assert token.startswith("dlr_")
    assert token not in record.token_digest
    owner = await tokens.owner(token, now=NOW)
    assert owner is not None
    assert (owner.token_name, owner.account.username) == ("script", "sup")
    assert await tokens.owner(token + "x", now=NOW) is None
    with pytest.raises(ConflictError):
        await tokens.create(
            name="script",
            username="sup",
            created_by="cli:root",
            now=NOW,
            lifetime=timedelta(days=90),
        )
    with pytest.raises(NotFoundError):
        await tokens.create(
            name="other",
            username="nobody",
            created_by="cli:root",
            now=NOW,
            lifetime=timedelta(days=90),
        )
    await tokens.revoke("script", now=NOW)
    assert await tokens.owner(token, now=NOW) is None
    [(listed, username)] = await tokens.list_all()
    assert (listed.name, username, listed.revoked_at) == ("script", "sup", NOW)
