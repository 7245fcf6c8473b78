"""An alert episode's report: the page (each cycle, the whole episode, the never-reached
people of every cycle, the billing whose volume bands run across the cycles), each table
as CSV and the workbook as XLSX. Ending an episode links here."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action, allowed
from dialer.errors import NotFoundError
from dialer.reports.episodes import EpisodeReport, EpisodeReports, episode_tables
from dialer.reports.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_bytes, xlsx_bytes
from dialer.web.access import GuardedRoute
from dialer.web.reports import PRICE_GRID_STATE, tables_cell
from dialer.web.service import authenticated, web


async def _episode_report(request: Request) -> EpisodeReport:
    await authenticated(request)
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


ROUTES = [
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
