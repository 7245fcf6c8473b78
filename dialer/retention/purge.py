"""The purge: per kind of personal data, what is older than its retention goes (see
:mod:`dialer.storage.retention` for what each kind covers). Before a closed cycle's ledger
goes, its billing totals are computed by the reports' own rules and kept, so the bills of
every campaign stay the same. A purge that deletes is audited (``retention.purge``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.core.retention import DataKind, RetentionPolicy
from dialer.reports.service import ReportBuilder, period_totals
from dialer.settings import Settings
from dialer.storage.audit import AuditLog
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import SessionFactory
from dialer.storage.retention import Cutoffs, RetentionStore


@dataclass(frozen=True)
class PurgeReport:
    """Per kind, its cutoff and the rows that went (or would go, ``dry_run``)."""

    cutoffs: dict[DataKind, datetime]
    counts: dict[DataKind, int]
    dry_run: bool


def policy_of(settings: Settings) -> RetentionPolicy:
    retention = settings.retention
    return RetentionPolicy(
        answers_months=retention.answers_months,
        alerts_months=retention.alerts_months,
        never_reached_months=retention.never_reached_months,
        ledger_months=retention.ledger_months,
        audit_months=retention.audit_months,
        web_sessions=timedelta(hours=retention.web_sessions_h),
        withdrawn_consent_months=retention.withdrawn_consent_months,
    )


class RetentionPurge:
    def __init__(
        self,
        sessions: SessionFactory,
        policy: RetentionPolicy,
        *,
        session_idle: timedelta,
        audit: AuditLog | None = None,
    ) -> None:
        self._sessions = sessions
        self._store = RetentionStore(sessions)
        self._consents = ConsentRegistry(sessions)
        self._reports = ReportBuilder(sessions, catalog=None)
        self._audit = audit or AuditLog(sessions)
        self.policy = policy
        self.session_idle = session_idle

    @classmethod
    def from_settings(cls, sessions: SessionFactory, settings: Settings) -> RetentionPurge:
        return cls(
            sessions,
            policy_of(settings),
            session_idle=timedelta(minutes=settings.web.session_idle_min),
        )

    def cutoffs(self, now: datetime) -> Cutoffs:
        return Cutoffs(self.policy.cutoffs(now), now, now - self.session_idle)

    async def preview(self, now: datetime) -> PurgeReport:
        """What :meth:`run` would delete now; deletes nothing."""
        cutoffs = self.cutoffs(now)
        counts = await self._store.count(cutoffs)
        counts[DataKind.WITHDRAWN_CONSENT] = await self._consents.count_purgeable(
            cutoffs.before[DataKind.WITHDRAWN_CONSENT]
        )
        return PurgeReport(cutoffs.before, counts, dry_run=True)

    async def run(self, now: datetime, *, actor: str) -> PurgeReport:
        """Delete what is past its retention, kind by kind; one audit entry says how much."""
        cutoffs = self.cutoffs(now)
        before = cutoffs.before
        counts = {
            DataKind.ANSWERS: await self._store.purge_answers(before[DataKind.ANSWERS]),
            DataKind.ALERTS: await self._store.purge_alerts(before[DataKind.ALERTS]),
            DataKind.NEVER_REACHED: await self._store.purge_never_reached(
                before[DataKind.NEVER_REACHED]
            ),
            DataKind.LEDGER: await self._purge_ledger(before[DataKind.LEDGER], now),
            DataKind.AUDIT: await self._audit.purge_before(before[DataKind.AUDIT]),
            DataKind.WEB_SESSIONS: await self._store.purge_web_sessions(cutoffs),
            DataKind.WITHDRAWN_CONSENT: await self._consents.purge_withdrawn(
                before[DataKind.WITHDRAWN_CONSENT], now=now
            ),
        }
        await self._audit.record(
            actor=actor,
            action="retention.purge",
            target="retention",
            at=now,
            details={
                kind.value: {"before": before[kind].isoformat(), "deleted": counts[kind]}
                for kind in DataKind
            },
        )
        return PurgeReport(before, counts, dry_run=False)

    async def _purge_ledger(self, before: datetime, now: datetime) -> int:
        """Each closed cycle in turn: its billing totals kept, then its rows deleted."""
        deleted = 0
        for cycle in await self._store.closed_cycles(before):
            totals = None
            if not cycle.recorded:
                report = await self._reports.build(cycle.campaign_id, cycle.number, now=now)
                totals = period_totals(report, cycle.id)
            deleted += await self._store.purge_cycle_ledger(cycle.id, totals, now=now)
        return deleted
