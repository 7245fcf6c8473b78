"""Campaign and cycle reports: the list, the report page, the CSV/XLSX/PDF downloads and
the JSON API (``/api/v1/reports/...``). Supervisors, operations staff and administrators.

The price grid is the shipped one unless :func:`configure_reports` names another
(``dialer serve`` passes ``settings.billing.price_grid_file``).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.labels import ALERT_KIND_LABELS, ISSUE_LABELS
from dialer.core.permissions import Action, allowed
from dialer.core.seat_time import seat_hours
from dialer.errors import NotFoundError
from dialer.reports import tables
from dialer.reports.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    csv_bytes,
    csv_cell,
    xlsx_bytes,
)
from dialer.reports.register_changes import file_name, register_changes_csv
from dialer.reports.service import Report, ReportBuilder
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.report_rows import ReportRowsRepository
from dialer.web.access import GuardedRoute, actor_of
from dialer.web.api_models import PageQuery, ReportQuery, parse_query
from dialer.web.api_report_responses import ReportBilling, ReportFigures
from dialer.web.api_responses import CampaignCyclesPage, checked, page_of, paged
from dialer.web.needs_reports import DEFAULT_MIN_CELL, configure_needs
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read, route_of
from dialer.web.service import authenticated, web

PRICE_GRID_STATE = "report_price_grid_file"


def configure_reports(
    app: Starlette, *, price_grid_file: Path | None, needs_min_cell: int = DEFAULT_MIN_CELL
) -> None:
    """Use ``price_grid_file`` (None: the shipped grid) for the reports' billing, and
    publish no count of the needs analysis under ``needs_min_cell``."""
    setattr(app.state, PRICE_GRID_STATE, price_grid_file)
    configure_needs(app, min_cell=needs_min_cell)


def _cycle(request: Request) -> int | None:
    return parse_query(ReportQuery, request.query_params).cycle


async def _report(request: Request, action: str, **details: str) -> Report:
    """The report the request asks for; its reading (``read.report``, ``export.pdf``...)
    is written to the audit log first: report pages and files list people by name."""
    actor = await actor_of(request)
    service = web(request)
    builder = ReportBuilder(
        service.sessions,
        catalog=service.questionnaires,
        price_grid_file=getattr(request.app.state, PRICE_GRID_STATE, None),
        zone=service.zone,
    )
    campaign: int = request.path_params["campaign"]
    cycle = _cycle(request)
    report = await builder.build(campaign, cycle, now=service.clock())
    await record_read(
        request,
        actor=actor,
        action=action,
        target=f"campaign:{campaign}",
        details={**details, "cycle": str(cycle) if cycle else "tous"},
    )
    return report


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _suffix(report: Report) -> str:
    return "" if report.rows.all_cycles else f"?cycle={report.rows.cycles[0].number}"


# ---- pages ------------------------------------------------------------------------------
async def reports_page(request: Request) -> Response:
    user = await authenticated(request)
    service = web(request)
    campaigns = await ReportRowsRepository(service.sessions).campaigns()
    episodes = [e for e in await EpisodeRepository(service.sessions).list_all() if e.campaign_id]
    return service.templates.TemplateResponse(
        request,
        "reports.html",
        {
            "user": user,
            "campaigns": campaigns,
            "episodes": episodes,
            "kind_labels": ALERT_KIND_LABELS,
            "can_export_results": allowed(user.role, Action.RESULTS_EXPORT),
        },
    )


async def report_page(request: Request) -> Response:
    report = await _report(request, "read.report")
    service = web(request)
    shown = [t for t in tables.all_tables(report) if t.key != "contacts_factures"]
    return service.templates.TemplateResponse(
        request,
        "report.html",
        {
            "user": request.state.user,
            "can_export_results": allowed(request.state.user.role, Action.RESULTS_EXPORT),
            "report": report,
            "tables": shown,
            "suffix": _suffix(report),
            "billed": report.billing.reconciliation.billed_count,
            "cell": lambda value: tables_cell(value, report),
            "register_changes": allowed(request.state.user.role, Action.REGISTER_CHANGES_EXPORT),
        },
    )


def tables_cell(value: tables.Cell, report: Report) -> str:
    """A cell as the page shows it (the same text as the CSV export; Jinja2 escapes it)."""
    if isinstance(value, str):
        return value
    return csv_cell(value, report.zone)


# ---- downloads --------------------------------------------------------------------------
def _table(report: Report, request: Request) -> tables.Table:
    key = request.path_params["table"]
    found = tables.table(report, key)
    if found is None:
        raise NotFoundError(f"tableau « {key[:40]} » inconnu")
    return found


async def table_csv(request: Request) -> Response:
    report = await _report(request, "export.csv", table=request.path_params["table"][:40])
    table = _table(report, request)
    return _download(
        csv_bytes(table, report.zone), CSV_MEDIA_TYPE, f"{report.file_stem}-{table.key}.csv"
    )


async def table_xlsx(request: Request) -> Response:
    report = await _report(request, "export.xlsx", table=request.path_params["table"][:40])
    table = _table(report, request)
    content = await asyncio.to_thread(xlsx_bytes, [table], report.zone)
    return _download(content, XLSX_MEDIA_TYPE, f"{report.file_stem}-{table.key}.xlsx")


async def workbook_xlsx(request: Request) -> Response:
    report = await _report(request, "export.xlsx", table="tous")
    content = await asyncio.to_thread(xlsx_bytes, tables.all_tables(report), report.zone)
    return _download(content, XLSX_MEDIA_TYPE, f"{report.file_stem}.xlsx")


async def register_changes(request: Request) -> Response:
    """The cycle's changes for the register's owner (CSV), audited with who and which cycle."""
    campaign, number = request.path_params["campaign"], request.path_params["cycle"]
    content = await register_changes_csv(
        web(request).sessions,
        campaign,
        number,
        actor=await actor_of(request),
        route=route_of(request),
        now=web(request).clock(),
    )
    return _download(content, CSV_MEDIA_TYPE, file_name(campaign, number))


async def report_pdf(request: Request) -> Response:
    report = await _report(request, "export.pdf")
    from dialer.reports.pdf import render_pdf  # noqa: PLC0415 - matplotlib loads on first use

    content = await asyncio.to_thread(render_pdf, report)
    return _download(content, "application/pdf", f"{report.file_stem}.pdf")


# ---- JSON -------------------------------------------------------------------------------
def json_value(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def table_json(table: tables.Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "headers": list(table.headers),
        "rows": [[json_value(cell) for cell in row] for row in table.rows],
    }


@described_by(CampaignCyclesPage, PageQuery)
async def api_campaigns(request: Request) -> Response:
    """Rapports : les campagnes et leurs cycles (superviseur, opérations, administrateur)."""
    asked = page_of(request)
    campaigns = await ReportRowsRepository(web(request).sessions).campaigns()
    return paged(
        [
            {
                "id": c.campaign.id,
                "name": c.campaign.name,
                "state": c.campaign.state,
                "cycles": [
                    {
                        "number": cycle.number,
                        "started_at": cycle.started_at.isoformat(),
                        "deadline": cycle.deadline.isoformat(),
                        "closed_at": cycle.closed_at.isoformat() if cycle.closed_at else None,
                    }
                    for cycle in c.cycles
                ],
            }
            for c in campaigns
        ],
        asked,
    )


def figures_json(report: Report) -> dict[str, Any]:
    f = report.figures
    return {
        "campaign": {"id": report.rows.campaign.id, "name": report.rows.campaign.name},
        "cycle": None if report.rows.all_cycles else report.rows.cycles[0].number,
        "generated_at": report.generated_at.isoformat(),
        "register": f.register,
        "dialled": f.dialled,
        "answered": f.answered,
        "reached": f.reached,
        "useful_contacts": f.useful_contacts,
        "outcomes": {
            (line.outcome.value if line.outcome else "pending"): line.count for line in f.outcomes
        },
        "attempts_per_person": {b.label: b.people for b in f.attempts_per_person},
        "by_hour": [
            {"hour": h.hour, "attempts": h.attempts, "answered": h.answered} for h in f.by_hour
        ],
        "dmt": {
            "calls": f.dmt_overall.calls,
            "mean_s": f.dmt_overall.mean_handling_s,
            "p50_s": f.dmt_overall.median_handling_s,
            "p90_s": f.dmt_overall.p90_handling_s,
            "histogram": list(f.dmt_histogram),
            "by_agent": [
                {
                    "agent": a.agent,
                    "calls": a.calls,
                    "mean_s": a.mean_s,
                    "p50_s": a.p50_s,
                    "p90_s": a.p90_s,
                    "histogram": list(a.histogram),
                }
                for a in f.dmt_by_agent
            ],
        },
        "funnel": {step.key: step.count for step in f.funnel},
        "never_reached": len(f.follow_up),
        "seat_hours": seat_hours(f.seat_seconds),
        "people_called": f.people_called,
        "conversion_rate": round(f.conversion_rate, 4),
        "tables": {t.key: table_json(t) for t in tables.all_tables(report)},
    }


def billing_json(report: Report) -> dict[str, Any]:
    billing = report.billing
    bill = billing.bill
    rec = billing.reconciliation
    return {
        "currency": bill.currency,
        "contacts": rec.billed_count,
        "lines": [
            {
                "label": line.label,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in (*bill.contact_lines, *((bill.setup_line,) if bill.setup_line else ()))
        ],
        "contacts_amount": str(bill.contacts_amount),
        "mean_handling_s": bill.mean_handling_s,
        "dmt_percent": str(bill.dmt_percent),
        "dmt_amount": str(bill.dmt_amount),
        "setup_amount": str(bill.setup_amount),
        "total_excluding_vat": str(bill.total_excluding_vat),
        "vat_amount": str(bill.vat_amount),
        "total_including_vat": str(bill.total_including_vat),
        "reconciliation": {
            "balanced": rec.balanced,
            "billed": rec.billed_count,
            "ledger_completed_attempts": rec.ledger_completed_attempts,
            "issues": [
                {
                    "kind": issue.kind.value,
                    "label": ISSUE_LABELS[issue.kind],
                    "sheet_id": issue.sheet_id,
                    "attempt_id": issue.attempt_id,
                }
                for issue in rec.issues
            ],
        },
        "billed_contacts": [
            {
                "attempt_id": c.attempt_id,
                "sheet_id": c.sheet_id,
                "person_id": c.person_id,
                "cycle_id": c.cycle_id,
                "agent": c.agent,
                "submitted_at": c.submitted_at.isoformat(),
            }
            for c in rec.billed
        ],
    }


@described_by(ReportFigures, ReportQuery)
async def api_report(request: Request) -> Response:
    """Rapport d'une campagne (paramètre ``cycle`` : un cycle, sinon tous) : chiffres,
    issues, tentatives par personne, réponse par heure, DMT, entonnoir et tous les tableaux
    (superviseur, opérations, administrateur)."""
    report = await _report(request, "export.json", table="rapport")
    return checked(ReportFigures, figures_json(report))


@described_by(ReportBilling, ReportQuery)
async def api_billing(request: Request) -> Response:
    """Facturation d'une campagne (paramètre ``cycle`` : un cycle, sinon tous) : lignes,
    part DMT, mise en place, rapprochement avec le registre des appels et contacts facturés
    avec leur appel (superviseur, opérations, administrateur)."""
    report = await _report(request, "export.json", table="facturation")
    return checked(ReportBilling, billing_json(report))


ROUTES = [
    GuardedRoute("/rapports", reports_page, rule=Action.REPORTS_VIEW, methods=["GET"]),
    GuardedRoute("/rapports/{campaign:id}", report_page, rule=Action.REPORTS_VIEW, methods=["GET"]),
    GuardedRoute(
        "/rapports/{campaign:id}/rapport.pdf",
        report_pdf,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/{campaign:id}/rapport.xlsx",
        workbook_xlsx,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/{campaign:id}/tableaux/{table}.csv",
        table_csv,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/{campaign:id}/tableaux/{table}.xlsx",
        table_xlsx,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/{campaign:id}/cycles/{cycle:id}/changements-registre.csv",
        register_changes,
        rule=Action.REGISTER_CHANGES_EXPORT,
        methods=["GET"],
    ),
    GuardedRoute("/api/v1/reports", api_campaigns, rule=Action.REPORTS_VIEW, methods=["GET"]),
    GuardedRoute(
        "/api/v1/reports/{campaign:id}", api_report, rule=Action.REPORTS_VIEW, methods=["GET"]
    ),
    GuardedRoute(
        "/api/v1/reports/{campaign:id}/billing",
        api_billing,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
]
