"""The needs analysis of a veille-sociale campaign, downloaded: from the report page
(``/rapports/<campagne>/besoins.csv|xlsx|pdf?from=&to=``) and the API
(``/api/v1/reports/<campagne>/needs.csv|xlsx|pdf``). Only supervisors and operations
(``Action.RESULTS_EXPORT``); every download is written to the audit log before its first
byte. Building and rendering run in worker threads."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.reports.needs import checked_period
from dialer.reports.needs_files import MEDIA_TYPES, NeedsAnalysis, file_name, rendered
from dialer.web.access import GuardedRoute, actor_of
from dialer.web.api_models import NeedsQuery, parse_query
from dialer.web.openapi import described_file
from dialer.web.read_log import record_read
from dialer.web.service import web

MIN_CELL_STATE = "needs_min_cell"
DEFAULT_MIN_CELL = 5


def configure_needs(app: Starlette, *, min_cell: int) -> None:
    """Publish no count under ``min_cell`` (``[reports] needs_min_cell``)."""
    setattr(app.state, MIN_CELL_STATE, min_cell)


async def _download(request: Request, fmt: str) -> Response:
    service = web(request)
    campaign: int = request.path_params["campaign"]
    query = parse_query(NeedsQuery, request.query_params)
    period = checked_period(query.start, query.end)
    threshold = getattr(request.app.state, MIN_CELL_STATE, DEFAULT_MIN_CELL)
    analysis = NeedsAnalysis(service.sessions, threshold=threshold, zone=service.zone)
    report = await analysis.build(campaign, period, now=service.clock())
    await record_read(
        request,
        actor=await actor_of(request),
        action=f"export.{fmt}",
        target=f"campaign:{campaign}",
        details={
            "table": "besoins",
            "from": period.start.isoformat() if period.start else "",
            "to": period.end.isoformat() if period.end else "",
            "format": fmt,
            "min_cell": threshold,
        },
    )
    content = await rendered(report, fmt)
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{file_name(report, fmt)}"'},
    )


async def needs_csv(request: Request) -> Response:
    return await _download(request, "csv")


async def needs_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")


async def needs_pdf(request: Request) -> Response:
    return await _download(request, "pdf")


@described_file(MEDIA_TYPES["csv"], NeedsQuery)
async def api_needs_csv(request: Request) -> Response:
    """Analyse des besoins d'une campagne de la veille sociale en CSV (« ; », UTF-8 avec
    BOM) : agrégats anonymes, petites cases masquées (superviseur, opérations)."""
    return await _download(request, "csv")


@described_file(MEDIA_TYPES["xlsx"], NeedsQuery)
async def api_needs_xlsx(request: Request) -> Response:
    """Analyse des besoins d'une campagne de la veille sociale en XLSX (superviseur,
    opérations)."""
    return await _download(request, "xlsx")


@described_file(MEDIA_TYPES["pdf"], NeedsQuery)
async def api_needs_pdf(request: Request) -> Response:
    """Analyse des besoins d'une campagne de la veille sociale en PDF, avec ses
    graphiques (superviseur, opérations)."""
    return await _download(request, "pdf")


def _route(path: str, handler: Any) -> GuardedRoute:
    return GuardedRoute(path, handler, rule=Action.RESULTS_EXPORT, methods=["GET"])


ROUTES = [
    _route("/rapports/{campaign:id}/besoins.csv", needs_csv),
    _route("/rapports/{campaign:id}/besoins.xlsx", needs_xlsx),
    _route("/rapports/{campaign:id}/besoins.pdf", needs_pdf),
    _route("/api/v1/reports/{campaign:id}/needs.csv", api_needs_csv),
    _route("/api/v1/reports/{campaign:id}/needs.xlsx", api_needs_xlsx),
    _route("/api/v1/reports/{campaign:id}/needs.pdf", api_needs_pdf),
]
