"""Each cycle's register changes, for the register's owner: who was found deceased, moved
or hospitalised by which call, and who asked never to be called again (CSV, ``;``, BOM,
dates in local time). The same file from the cycle's report page and from
``dialer report register-changes``; each download is audited with who, when and which
cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.core.labels import HOLD_KIND_LABELS
from dialer.reports.exports import csv_bytes
from dialer.reports.tables import Table
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.holds import PersonHolds, RegisterChange

PARIS = ZoneInfo("Europe/Paris")
HEADERS = (
    "Identifiant",
    "Nom",
    "Prénom",
    "Changement",
    "Constaté le",
    "Jusqu'au",
    "Appel",
    "Enregistré par",
    "Motif",
)


def register_changes_table(changes: Sequence[RegisterChange]) -> Table:
    return Table(
        key="changements_registre",
        title="Changements pour le registre",
        headers=HEADERS,
        rows=tuple(
            (
                change.external_id,
                change.last_name,
                change.first_name,
                HOLD_KIND_LABELS[change.kind],
                change.recorded_at,
                change.until,
                change.attempt_id or "",
                change.recorded_by,
                change.reason,
            )
            for change in changes
        ),
    )


def file_name(campaign_id: int, number: int) -> str:
    return f"changements_registre_campagne{campaign_id}_cycle{number}.csv"


async def register_changes_csv(
    sessions: SessionFactory,
    campaign_id: int,
    number: int,
    *,
    actor: str,
    route: str,
    now: datetime,
    zone: ZoneInfo = PARIS,
) -> bytes:
    """The cycle's register changes as CSV bytes; the download is audited.
    :class:`~dialer.errors.NotFoundError` for an unknown cycle."""
    changes = await PersonHolds(sessions).register_changes(campaign_id, number)
    await AuditLog(sessions).record(
        actor=actor,
        action="export.register_changes",
        target=f"campaign:{campaign_id}",
        at=now,
        details={"cycle": number, "lines": len(changes)},
        route=route,
    )
    return csv_bytes(register_changes_table(changes), zone)
