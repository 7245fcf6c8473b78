"""The per-person results of a cycle or an episode, exported: CSV and XLSX from the report
pages (session) and the API (token or session), and JSON pages on the API. Supervisors and
operations staff only (:data:`~dialer.core.permissions.Action.RESULTS_EXPORT`); every
export is written to the audit log first: who, when, which campaign or episode and cycle,
which format, how many rows."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from dialer.core.permissions import Action
from dialer.reports.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from dialer.reports.person_results import PersonResult
from dialer.reports.result_exports import PersonResults, ResultExport
from dialer.web.access import GuardedRoute, actor_of
from dialer.web.api_models import ReportQuery, ResultsQuery, parse_query
from dialer.web.api_report_responses import PersonResultsPage
from dialer.web.api_responses import checked
from dialer.web.openapi import described_by, described_file
from dialer.web.read_log import record_read
from dialer.web.service import web


def _results(request: Request) -> PersonResults:
    service = web(request)
    return PersonResults(service.sessions, catalog=service.questionnaires, zone=service.zone)


async def _campaign(request: Request) -> tuple[ResultExport, str, dict[str, Any]]:
    """The campaign's export (its cycle, or all), its audit target and details."""
    campaign: int = request.path_params["campaign"]
    cycle = parse_query(ReportQuery, request.query_params).cycle
    export = await _results(request).for_campaign(campaign, cycle)
    return export, f"campaign:{campaign}", {"cycle": str(cycle) if cycle else "tous"}


async def _episode(request: Request) -> tuple[ResultExport, str, dict[str, Any]]:
    """The episode's export (every cycle of its campaign), its audit target and details."""
    episode: int = request.path_params["episode"]
    export = await _results(request).for_episode(episode)
    return export, f"episode:{episode}", {"campaign": export.scope.campaign_id}


async def _record(
    request: Request, target: str, details: dict[str, Any], fmt: str, rows: int
) -> None:
    await record_read(
        request,
        actor=await actor_of(request),
        action=f"export.{fmt}",
        target=target,
        details={"table": "resultats", **details, "format": fmt, "rows": rows},
    )


def _attachment(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


async def _csv(request: Request, opened: tuple[ResultExport, str, dict[str, Any]]) -> Response:
    export, target, details = opened
    await _record(request, target, details, "csv", export.row_count)
    return StreamingResponse(
        export.csv_chunks(),
        media_type=CSV_MEDIA_TYPE,
        headers=_attachment(f"{export.file_stem}.csv"),
    )


async def _xlsx(request: Request, opened: tuple[ResultExport, str, dict[str, Any]]) -> Response:
    export, target, details = opened
    await _record(request, target, details, "xlsx", export.row_count)
    content = await export.xlsx()
    return Response(
        content, media_type=XLSX_MEDIA_TYPE, headers=_attachment(f"{export.file_stem}.xlsx")
    )


async def results_csv(request: Request) -> Response:
    """Résultats par personne en CSV (« ; », UTF-8 avec BOM ; superviseur, opérations)."""
    return await _csv(request, await _campaign(request))


async def results_xlsx(request: Request) -> Response:
    """Résultats par personne en classeur XLSX (superviseur, opérations)."""
    return await _xlsx(request, await _campaign(request))


async def episode_results_csv(request: Request) -> Response:
    """Résultats par personne d'un épisode en CSV (superviseur, opérations)."""
    return await _csv(request, await _episode(request))


async def episode_results_xlsx(request: Request) -> Response:
    """Résultats par personne d'un épisode en XLSX (superviseur, opérations)."""
    return await _xlsx(request, await _episode(request))


def result_json(result: PersonResult) -> dict[str, Any]:
    rows, sheet = result.rows, result.sheet
    return {
        "cycle": rows.cycle_number,
        "external_id": rows.external_id,
        "last_name": rows.last_name,
        "first_name": rows.first_name,
        "district": rows.district,
        "dialled": rows.dialled,
        "result": rows.result.value if rows.result else None,
        "disposition": sheet.disposition.value if sheet and sheet.disposition else None,
        "agent": sheet.agent if sheet else None,
        "submitted_at": sheet.submitted_at.isoformat() if sheet and sheet.submitted_at else None,
        "questionnaire": f"{sheet.questionnaire_id} v{sheet.questionnaire_version}"
        if sheet
        else None,
        "complete": sheet.complete if sheet else None,
        "score": sheet.score if sheet else None,
        "risk_level": sheet.risk_level if sheet else None,
        "answers": [
            {"question_id": a.question_id, "question": a.question, "answer": a.answer}
            for a in result.answers
        ],
        "other_answers": list(result.others),
        "alerts": [
            {
                "id": a.id,
                "priority": a.priority,
                "need": a.need,
                "team": a.team,
                "raised_at": a.raised_at.isoformat(),
                "escalation_level": a.escalation_level,
                "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
                "acknowledged_by": a.acknowledged_by,
                "note": a.note,
            }
            for a in rows.alerts
        ],
    }


@described_by(PersonResultsPage, ResultsQuery)
async def api_results(request: Request) -> Response:
    """Résultats par personne d'une campagne (paramètre ``cycle`` : un cycle, sinon tous),
    par pages : réponses avec le libellé des questions, score, niveau de risque,
    qualification, alertes et leur suivi (superviseur, opérations)."""
    asked = parse_query(ResultsQuery, request.query_params)
    campaign: int = request.path_params["campaign"]
    export = await _results(request).for_campaign(campaign, asked.cycle)
    items: list[dict[str, Any]] = []
    async for batch in export.results(asked.offset, asked.limit):
        items += [result_json(result) for result in batch]
    details = {"cycle": str(asked.cycle) if asked.cycle else "tous", "offset": asked.offset}
    await _record(request, f"campaign:{campaign}", details, "json", len(items))
    more = asked.offset + asked.limit < export.row_count
    return checked(
        PersonResultsPage,
        {
            "campaign": {"id": campaign, "name": export.scope.campaign_name},
            "cycle": asked.cycle,
            "total": export.row_count,
            "items": items,
            "limit": asked.limit,
            "offset": asked.offset,
            "next_offset": asked.offset + asked.limit if more else None,
        },
    )


@described_file(CSV_MEDIA_TYPE, ReportQuery)
async def api_results_csv(request: Request) -> Response:
    """Résultats par personne d'une campagne en CSV (paramètre ``cycle`` : un cycle, sinon
    tous ; superviseur, opérations)."""
    return await results_csv(request)


@described_file(XLSX_MEDIA_TYPE, ReportQuery)
async def api_results_xlsx(request: Request) -> Response:
    """Résultats par personne d'une campagne en XLSX (paramètre ``cycle`` : un cycle, sinon
    tous ; superviseur, opérations)."""
    return await results_xlsx(request)


@described_file(CSV_MEDIA_TYPE)
async def api_episode_results_csv(request: Request) -> Response:
    """Résultats par personne de tous les cycles d'un épisode d'alerte, en CSV (superviseur,
    opérations)."""
    return await episode_results_csv(request)


@described_file(XLSX_MEDIA_TYPE)
async def api_episode_results_xlsx(request: Request) -> Response:
    """Résultats par personne de tous les cycles d'un épisode d'alerte, en XLSX
    (superviseur, opérations)."""
    return await episode_results_xlsx(request)


def _route(path: str, handler: Any) -> GuardedRoute:
    return GuardedRoute(path, handler, rule=Action.RESULTS_EXPORT, methods=["GET"])


ROUTES = [
    _route("/rapports/{campaign:id}/resultats.csv", results_csv),
    _route("/rapports/{campaign:id}/resultats.xlsx", results_xlsx),
    _route("/rapports/episodes/{episode:id}/resultats.csv", episode_results_csv),
    _route("/rapports/episodes/{episode:id}/resultats.xlsx", episode_results_xlsx),
    _route("/api/v1/reports/{campaign:id}/results", api_results),
    _route("/api/v1/reports/{campaign:id}/results.csv", api_results_csv),
    _route("/api/v1/reports/{campaign:id}/results.xlsx", api_results_xlsx),
    _route("/api/v1/reports/episodes/{episode:id}/results.csv", api_episode_results_csv),
    _route("/api/v1/reports/episodes/{episode:id}/results.xlsx", api_episode_results_xlsx),
]
