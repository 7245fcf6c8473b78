"""What every ``dialer`` command takes from its context: the settings loaded once by the
root group, the migrated database of those settings, and who runs the command (for the
audit log)."""

from __future__ import annotations

import getpass
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import click

from dialer.settings import Settings
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory, migrated_database


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("settings not loaded")
    return settings


def database(settings: Settings) -> AbstractAsyncContextManager[SessionFactory]:
    """The migrated database of the settings (SQLite file by default; offline commands,
    on the server)."""
    return migrated_database(settings.database_address())


def cli_actor() -> str:
    """Who runs a command on the server itself, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:inconnu"


async def record_cli_change(
    settings: Settings,
    action: str,
    target: str,
    details: dict[str, Any],
    *,
    person_id: int | None = None,
) -> None:
    """An audit entry for a change (or a reading, an export) made by a command directly
    in the database; its route is the command (``cli: dialer report export``)."""
    async with database(settings) as sessions:
        await AuditLog(sessions).record(
            actor=cli_actor(),
            action=action,
            target=target,
            at=datetime.now(UTC),
            details=details,
            person_id=person_id,
            route=cli_route(),
        )


def cli_route() -> str:
    """The command being run, without its options (``cli: dialer report export``)."""
    ctx = click.get_current_context(silent=True)
    return f"cli: {ctx.command_path}" if ctx is not None else "cli"
