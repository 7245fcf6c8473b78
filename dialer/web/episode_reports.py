"""An alert episode's report: the page (each cycle, the whole episode, the never-reached
people of every cycle, the billing whose volume bands run across the cycles), each table
as CSV and the workbook as XLSX. Ending an episode links here."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action, allowed
from dialer.core.seat_time import conversion_rate, seat_hours
from dialer.errors import NotFoundError
from dialer.reports.episodes import CycleLine, EpisodeReport, EpisodeReports, episode_tables
from dialer.reports.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_bytes, xlsx_bytes
from dialer.web.access import GuardedRoute, actor_of
from dialer.web.api_report_responses import EpisodeFigures
from dialer.web.api_responses import checked
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.reports import PRICE_GRID_STATE, tables_cell
from dialer.web.service import web


async def _episode_report(request: Request) -> EpisodeReport:
    service = web(request)
    reports = EpisodeReports(
        service.sessions,
        catalog=service.questionnaires,
        price_grid_file=getattr(request.app.state, PRICE_GRID_STATE, None),
    )
    return await reports.build(request.path_params["episode"], now=service.clock())


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def episode_report_page(request: Request) -> Response:
    result = await _episode_report(request)
    service = web(request)
    shown = [t for t in episode_tables(result) if t.key != "contacts_factures"]
    return service.templates.TemplateResponse(
        request,
        "episode_report.html",
        {
            "user": request.state.user,
            "can_export_results": allowed(request.state.user.role, Action.RESULTS_EXPORT),
            "result": result,
            "tables": shown,
            "cell": lambda value: tables_cell(value, result.report),
        },
    )


async def episode_table_csv(request: Request) -> Response:
    result = await _episode_report(request)
    key = request.path_params["table"]
    table = next((t for t in episode_tables(result) if t.key == key), None)
    if table is None:
        raise NotFoundError(f"tableau « {key[:40]} » inconnu")
    content = csv_bytes(table, result.report.zone)
    return _download(content, CSV_MEDIA_TYPE, f"{result.file_stem}-{table.key}.csv")


async def episode_workbook(request: Request) -> Response:
    result = await _episode_report(request)
    content = await asyncio.to_thread(xlsx_bytes, episode_tables(result), result.report.zone)
    return _download(content, XLSX_MEDIA_TYPE, f"{result.file_stem}.xlsx")


def cycle_json(line: CycleLine) -> dict[str, Any]:
    return {
        "cycle": line.number,
        "started_at": line.started_at.isoformat(),
        "closed_at": line.ended_at.isoformat() if line.ended_at else None,
        "register": line.register,
        "attempted": line.attempted,
        "reached": line.reached,
        "useful_contacts": line.useful_contacts,
        "never_reached": line.never_reached,
        "billed": line.billed,
        "contacts_amount": str(line.contacts_amount),
        "seat_hours": seat_hours(line.seat_seconds),
        "dmt_mean_s": round(line.dmt_mean_s, 1),
        "conversion_rate": round(line.conversion_rate, 4),
    }


def episode_json(result: EpisodeReport) -> dict[str, Any]:
    lines = result.cycles
    whole = result.report
    useful = sum(line.useful_contacts for line in lines)
    attempted = sum(line.attempted for line in lines)
    return {
        "episode": result.episode.id,
        "campaign": {"id": whole.rows.campaign.id, "name": whole.rows.campaign.name},
        "generated_at": whole.generated_at.isoformat(),
        "cycles": [cycle_json(line) for line in lines],
        "whole": {
            "cycle": None,
            "started_at": result.episode.started_at.isoformat(),
            "closed_at": result.episode.ended_at.isoformat() if result.episode.ended_at else None,
            "register": sum(line.register for line in lines),
            "attempted": attempted,
            "reached": sum(line.reached for line in lines),
            "useful_contacts": whole.figures.useful_contacts,
            "never_reached": len(whole.figures.follow_up),
            "billed": whole.billing.reconciliation.billed_count,
            "contacts_amount": str(whole.billing.bill.contacts_amount),
            "seat_hours": seat_hours(sum(line.seat_seconds for line in lines)),
            "dmt_mean_s": round(whole.figures.dmt_overall.mean_handling_s, 1),
            "conversion_rate": round(conversion_rate(useful, attempted), 4),
        },
    }


@described_by(EpisodeFigures)
async def api_episode_report(request: Request) -> Response:
    """Rapport d'un épisode d'alerte : chaque cycle et l'épisode entier (registre, appelées,
    jointes, contacts utiles, facturés, heures-siège, DMT, taux de conversion ; superviseur,
    opérations, administrateur)."""
    result = await _episode_report(request)
    await record_read(
        request,
        actor=await actor_of(request),
        action="export.json",
        target=f"episode:{result.episode.id}",
        details={"table": "rapport"},
    )
    return checked(EpisodeFigures, episode_json(result))


ROUTES = [
    GuardedRoute(
        "/api/v1/reports/episodes/{episode:id}",
        api_episode_report,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/episodes/{episode:id}",
        episode_report_page,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/episodes/{episode:id}/rapport.xlsx",
        episode_workbook,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/rapports/episodes/{episode:id}/tableaux/{table}.csv",
        episode_table_csv,
        rule=Action.REPORTS_VIEW,
        methods=["GET"],
    ),
]
