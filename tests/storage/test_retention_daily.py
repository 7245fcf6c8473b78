"""The service's daily purge (:class:`DailyPurge`, started by ``running_service``): it
sleeps until ``retention.purge_hour_utc`` on its clock, purges, and sleeps until the next
day; a fake clock moves it on without waiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.core.roles import Role
from dialer.retention.daily import SERVICE_ACTOR, DailyPurge
from dialer.retention.purge import RetentionPurge
from dialer.settings import RetentionSettings, Settings
from dialer.storage import SessionFactory, create_engine, create_session_factory
from dialer.storage.account_rows import Account, WebSession
from dialer.storage.audit import AuditLog
from dialer.storage.database import transaction
from dialer.testing import Clock

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


async def _open_session(sessions: SessionFactory, token: str, at: datetime) -> None:
    async with transaction(sessions) as session:
        account = await session.scalar(select(Account).where(Account.username == "agent"))
        if account is None:
            account = Account(
                username="agent",
                password_hash="x",
                role=Role.AGENT,
                team_id=None,
                sip_endpoint=None,
                active=True,
                created_at=at,
            )
            session.add(account)
            await session.flush()
        session.add(
            WebSession(
                token_digest=token,
                account_id=account.id,
                created_at=at,
                last_seen_at=at,
                expires_at=at + timedelta(days=30),  # a session kept alive by its browser
            )
        )


async def _sessions_left(sessions: SessionFactory) -> set[str]:
    async with transaction(sessions) as session:
        return set(await session.scalars(select(WebSession.token_digest)))


async def _touch(sessions: SessionFactory, token: str, at: datetime) -> None:
    async with transaction(sessions) as session:
        record = await session.get(WebSession, token)
        assert record is not None
        record.last_seen_at = at


@pytest.mark.asyncio
async def test_the_daily_purge_runs_at_its_hour_every_day(sessions: SessionFactory) -> None:
    clock = Clock(START)
    settings = Settings(retention=RetentionSettings(purge_hour_utc=3, web_sessions_h=12))
    daily = DailyPurge(
        RetentionPurge.from_settings(sessions, settings),
        hour_utc=settings.retention.purge_hour_utc,
        clock=clock,
        sleep=clock.sleep,
    )
    # one browser active all along since 14:00, one opened at 23:00
    await _open_session(sessions, "a" * 64, START)
    await _open_session(sessions, "b" * 64, START + timedelta(hours=9))
    await daily.start()
    try:
        await clock.wait_for_sleepers()
        clock.advance(hours=12, minutes=59)  # 02:59: not yet
        await _touch(sessions, "a" * 64, clock())
        await _touch(sessions, "b" * 64, clock())
        await asyncio.sleep(0)
        assert daily.runs == 0
        assert await _sessions_left(sessions) == {"a" * 64, "b" * 64}

        clock.advance(minutes=1)  # 03:00
        await clock.wait_for_sleepers()
        assert daily.runs == 1
        # open for 13 hours: past the 12-hour retention of web sessions, though active
        assert await _sessions_left(sessions) == {"b" * 64}
        entries = await AuditLog(sessions).search()
        assert [(e.actor, e.action) for e in entries] == [(SERVICE_ACTOR, "retention.purge")]
        assert entries[0].details["web_sessions"]["deleted"] == 1

        clock.advance(hours=23, minutes=59)  # the next day, 02:59
        await asyncio.sleep(0)
        assert daily.runs == 1
        clock.advance(minutes=1)
        await clock.wait_for_sleepers()
        assert daily.runs == 2
        assert await _sessions_left(sessions) == set()  # idle since yesterday 02:59
        assert daily.statistics() == {"running": True, "runs": 2, "failures": 0}
    finally:
        await daily.stop()
    assert daily.statistics()["running"] is False


@pytest.mark.asyncio
async def test_a_failed_purge_is_counted_and_tried_again_the_next_day(tmp_path: Path) -> None:
    clock = Clock(START)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'not-migrated.db'}")  # no tables
    daily = DailyPurge(
        RetentionPurge.from_settings(create_session_factory(engine), Settings()),
        hour_utc=2,
        clock=clock,
        sleep=clock.sleep,
    )
    await daily.start()
    try:
        await clock.wait_for_sleepers()
        clock.advance(hours=12)
        await clock.wait_for_sleepers()
        assert (daily.runs, daily.failures) == (0, 1)
        assert daily.statistics()["running"] is True  # the loop lives on, for tomorrow
    finally:
        await daily.stop()
        await engine.dispose()
