"""The campaign's settings page, ``/supervision/campagnes/{id}/reglages``: its calling
windows, retries, answering-machine detection, caller id, ring timeout, cycle length and
questionnaire version, shown to the staff and changed by supervisors and administrators.

The form posts the settings' flat names (:mod:`dialer.core.campaign_settings`) and the
version it was read at; the change goes through
:meth:`~dialer.campaigns.control.CampaignControl.change_settings`, as the API's does
(validated, audited old → new, taken up by the running campaign). A bad value re-shows the
form with the field named (422); a stale version says someone changed them meanwhile (409).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dialer.core.campaign_settings import EDITED_DELAYS
from dialer.core.labels import CAMPAIGN_SETTING_NAMES
from dialer.core.permissions import Action, allowed
from dialer.errors import ConflictError, InputError
from dialer.web.access import GuardedRoute
from dialer.web.failures import french_message
from dialer.web.service import authenticated, campaign_control, for_form, web

DAY_NAMES = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
NUMBERS = ("max_attempts", "cycle_length_h", *EDITED_DELAYS, "ring_timeout_s")
_SEPARATORS = re.compile(r"[,;\s]+")
_FIELD = re.compile(r"champ « ([a-z_]+)[^»]*»", re.IGNORECASE)


def _page_path(campaign_id: int) -> str:
    return f"/supervision/campagnes/{campaign_id}/reglages"


async def settings_page(
    request: Request, *, error: str | None = None, status: int = 200
) -> Response:
    user = await authenticated(request)
    control = campaign_control(request)
    view = await control.settings(request.path_params["campaign_id"])
    versions = sorted(
        q.version for q in web(request).questionnaires if q.id == view.questionnaire_id
    )
    return web(request).templates.TemplateResponse(
        request,
        "steering_settings.html",
        {
            "user": user,
            "view": view,
            "values": view.as_json(),
            "names": CAMPAIGN_SETTING_NAMES,
            "days": DAY_NAMES,
            "delays": EDITED_DELAYS,
            "versions": versions or [view.settings.questionnaire_version],
            "can_edit": allowed(user.role, Action.CAMPAIGN_SETTINGS),
            "error": error,
            "notice": request.query_params.get("fait"),
        },
        status_code=status,
    )


async def change_settings(request: Request) -> Response:
    user = await for_form(request)
    form = await request.form()
    fields = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    campaign_id = request.path_params["campaign_id"]
    try:
        version = _whole("version", fields.get("version", ""))
        view = await campaign_control(request).change_settings(
            campaign_id,
            form_change(fields),
            actor=user.username,
            version=version,
            questionnaires=web(request).questionnaires,
        )
    except InputError as exc:
        return await settings_page(request, error=_named(exc), status=422)
    except ConflictError as exc:
        return await settings_page(request, error=french_message(exc), status=409)
    notice = f"Réglages de « {view.name} » enregistrés (version {view.version})"
    return RedirectResponse(f"{_page_path(campaign_id)}?fait={quote(notice)}", status_code=303)


def form_change(fields: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a change under the flat names (every setting: the form shows
    them all; an empty ring timeout is the service's)."""
    change: dict[str, Any] = {
        "week": [_intervals(fields.get(f"week_{day}", "")) for day in range(7)],
        "holiday": _intervals(fields.get("holiday", "")),
        "closed_dates": [d for d in _SEPARATORS.split(fields.get("closed_dates", "")) if d],
        "open_dates": _open_dates(fields.get("open_dates", "")),
        "answering_machine_detection": fields.get("answering_machine_detection") == "oui",
        "caller_id": fields.get("caller_id", ""),
    }
    for name in NUMBERS:
        raw = fields.get(name, "").replace(",", ".")
        if raw:
            change[name] = _number(name, raw)
    if not fields.get("ring_timeout_s"):
        change["ring_timeout_s"] = None  # « vide : celle du service »
    raw_version = fields.get("questionnaire_version", "")
    if raw_version:
        change["questionnaire_version"] = _whole("questionnaire_version", raw_version)
    return change


def _intervals(text: str) -> list[str]:
    """``"09:00-12:00, 14:00-19:00"`` → the two intervals (empty: closed all day)."""
    return [part for part in _SEPARATORS.split(text) if part]


def _open_dates(text: str) -> dict[str, list[str]]:
    """One date a line, then its intervals: ``2026-08-15 10:00-12:00, 14:00-16:00``."""
    dates: dict[str, list[str]] = {}
    for line in text.splitlines():
        day, *intervals = _intervals(line)
        if day:
            dates[day] = intervals
    return dates


def _number(name: str, raw: str) -> int | float:
    try:
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    except ValueError:
        raise InputError(f"champ « {name} » : doit être un nombre") from None


def _whole(name: str, raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise InputError(f"champ « {name} » : doit être un nombre entier")
    return int(raw)


def _named(error: InputError) -> str:
    """The error with the field's French name (« Durée de sonnerie (s) » : ...)."""
    text = french_message(error)
    found = _FIELD.search(text)
    if found and found.group(1) in CAMPAIGN_SETTING_NAMES:
        label = CAMPAIGN_SETTING_NAMES[found.group(1)]
        text = text.replace(found.group(0), f"« {label[:1].upper()}{label[1:]} »")
    return text


ROUTES = [
    GuardedRoute(
        "/supervision/campagnes/{campaign_id:id}/reglages",
        settings_page,
        rule=Action.CAMPAIGNS_VIEW,
        methods=["GET"],
    ),
    GuardedRoute(
        "/supervision/campagnes/{campaign_id:id}/reglages",
        change_settings,
        rule=Action.CAMPAIGN_SETTINGS,
        methods=["POST"],
    ),
]
