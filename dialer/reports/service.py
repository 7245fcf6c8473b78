"""One call builds a whole report: its rows, the figures, the billing and its reconciliation
with the attempt ledger."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dialer.core.billing import (
    Bill,
    CompletedSheet,
    LedgerCall,
    PriceGrid,
    Reconciliation,
    SetupTier,
    compute_bill,
    reconcile,
    setup_tier,
    skip_rule_count,
)
from dialer.core.windows import PARIS
from dialer.errors import DialerError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.reports.figures import Figures, call_timings, compute_figures
from dialer.reports.price_grid import load_price_grid
from dialer.storage.billing_periods import PeriodTotals
from dialer.storage.database import SessionFactory
from dialer.storage.report_rows import ReportRows, ReportRowsRepository


@dataclass(frozen=True)
class Complexity:
    questionnaire: str
    questions: int
    skip_rules: int
    tier: SetupTier


@dataclass(frozen=True)
class Billing:
    reconciliation: Reconciliation
    bill: Bill
    #: None when the questionnaire is not in the catalogue (no set-up line then)
    complexity: Complexity | None
    #: set-up is billed on the whole campaign's report only
    setup_billed: bool
    #: the totals kept of the report's cycles whose ledger was purged (retention)
    kept: tuple[PeriodTotals, ...] = ()

    @property
    def billed_contacts(self) -> int:
        """Contacts billed: reconciled from the ledger, plus those of purged cycles."""
        return self.reconciliation.billed_count + sum(p.billed_contacts for p in self.kept)


@dataclass(frozen=True)
class Report:
    rows: ReportRows
    figures: Figures
    billing: Billing
    generated_at: datetime
    zone: ZoneInfo

    @property
    def scope(self) -> str:
        """« Campagne … — cycle 2 » or « … — tous les cycles »."""
        if self.rows.all_cycles:
            cycles = "tous les cycles"
        else:
            cycles = f"cycle {self.rows.cycles[0].number}"
        return f"{self.rows.campaign.name} — {cycles}"

    @property
    def file_stem(self) -> str:
        cycle = "tous-cycles" if self.rows.all_cycles else f"cycle-{self.rows.cycles[0].number}"
        return f"rapport-campagne-{self.rows.campaign.id}-{cycle}"


def complexity_of(
    rows: ReportRows, catalog: QuestionnaireCatalog | None, grid: PriceGrid
) -> Complexity | None:
    if catalog is None:
        return None
    campaign = rows.campaign
    try:
        version = int(campaign.questionnaire_version)
    except ValueError:
        return None
    try:
        questionnaire = catalog.get(campaign.questionnaire_id, version)
    except DialerError:
        return None
    questions = len(questionnaire.questions)
    skips = skip_rule_count(questionnaire)
    return Complexity(
        f"{questionnaire.id} v{questionnaire.version}",
        questions,
        skips,
        setup_tier(grid, questions, skips),
    )


def billing_for(
    rows: ReportRows, figures: Figures, grid: PriceGrid, catalog: QuestionnaireCatalog | None
) -> Billing:
    sheets = [
        CompletedSheet(s.id, s.attempt_id, s.person_id, s.cycle_id, s.agent, s.submitted_at)
        for s in rows.sheets
        if s.complete and s.submitted_at is not None
    ]
    calls = [
        LedgerCall(a.id, a.person_id, a.cycle_id, a.bridged_at is not None) for a in rows.attempts
    ]
    reconciliation = reconcile(sheets, calls)
    complexity = complexity_of(rows, catalog, grid)
    setup_billed = rows.all_cycles and complexity is not None
    dmt = figures.dmt_overall
    mean_handling_s = dmt.mean_handling_s if dmt.calls else None
    kept = rows.billing_periods
    if kept:
        # the purged cycles' totals join the rows' own (the same sum as statistics.fmean)
        handled = [t.handling_s for t in call_timings(rows) if t.handled]
        calls_handled = len(handled) + sum(p.handled_calls for p in kept)
        total = math.fsum([*handled, *(p.handling_total_s for p in kept)])
        mean_handling_s = total / calls_handled if calls_handled else None
    bill = compute_bill(
        grid,
        contacts=reconciliation.billed_count + sum(p.billed_contacts for p in kept),
        earlier_contacts=rows.earlier_useful_contacts,
        mean_handling_s=mean_handling_s,
        setup=complexity.tier if setup_billed and complexity else None,
    )
    return Billing(reconciliation, bill, complexity, setup_billed, kept)


def period_totals(report: Report, cycle_id: int) -> PeriodTotals:
    """The billing totals of a one-cycle report, kept when its ledger is purged."""
    rows = report.rows
    handled = [t.handling_s for t in call_timings(rows) if t.handled]
    useful = {(s.cycle_id, s.person_id) for s in rows.sheets if s.complete and s.submitted_at}
    return PeriodTotals(
        cycle_id=cycle_id,
        billed_contacts=report.billing.reconciliation.billed_count,
        useful_contacts=len(useful),
        handled_calls=len(handled),
        handling_total_s=math.fsum(handled),
    )


class ReportBuilder:
    """Builds reports from the database. ``price_grid_file`` None: the shipped grid."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        catalog: QuestionnaireCatalog | None,
        price_grid_file: Path | None = None,
        zone: ZoneInfo = PARIS,
    ) -> None:
        self.repository = ReportRowsRepository(sessions)
        self.catalog = catalog
        self.price_grid_file = price_grid_file
        self.zone = zone

    async def build(self, campaign_id: int, cycle: int | None, *, now: datetime) -> Report:
        """The report of one cycle (its number) or of every cycle (``cycle`` None). The
        figures are computed in a worker thread: the event loop keeps dialling."""
        grid = load_price_grid(self.price_grid_file)
        rows = await self.repository.load(campaign_id, cycle)
        return await asyncio.to_thread(assemble, rows, grid, self.catalog, now, self.zone)


def assemble(
    rows: ReportRows,
    grid: PriceGrid,
    catalog: QuestionnaireCatalog | None,
    now: datetime,
    zone: ZoneInfo = PARIS,
) -> Report:
    """The report of rows already loaded (pure)."""
    figures = compute_figures(rows, zone)
    return Report(
        rows=rows,
        figures=figures,
        billing=billing_for(rows, figures, grid, catalog),
        generated_at=now,
        zone=zone,
    )
