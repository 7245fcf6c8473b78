"""Campaign templates: what a supervisor starts from when an alert arrives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from typing import Any

from dialer.core.campaigns import CampaignKind
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.errors import NotFoundError
from dialer.settings import CycleSettings


@dataclass(frozen=True)
class CampaignTemplate:
    key: str
    title: str  # French, for screens
    kind: CampaignKind
    questionnaire_id: str
    pacing_mode: PacingMode = PacingMode.PROGRESSIVE
    answering_machine_detection: bool = False
    windows: CallingWindows = field(default_factory=CallingWindows)
    policy: RetryPolicy = field(default_factory=RetryPolicy)


TEMPLATES: dict[str, CampaignTemplate] = {
    template.key: template
    for template in (
        CampaignTemplate("heatwave", "Canicule", CampaignKind.HEATWAVE, "canicule"),
        CampaignTemplate("cold_spell", "Grand froid", CampaignKind.COLD_SPELL, "grand_froid"),
    )
}


def template(key: str) -> CampaignTemplate:
    try:
        return TEMPLATES[key]
    except KeyError:
        known = ", ".join(sorted(TEMPLATES))
        raise NotFoundError(f"template {key!r}: unknown (known: {known})") from None


#: every day, all day: the calling windows of ``cycles.all_day_windows`` (rig, demo)
ALL_DAY = (OpeningInterval(time(0, 0), time(23, 59, 59)),)


def with_cycle_settings(template: CampaignTemplate, cycles: CycleSettings) -> CampaignTemplate:
    """``template`` with the cycle length, retry delays and windows the settings set (the
    template's own where a setting is unset)."""
    minutes = {
        "cycle_length": cycles.length_min,
        "busy_delay": cycles.busy_delay_min,
        "no_answer_delay": cycles.no_answer_delay_min,
        "machine_delay": cycles.machine_delay_min,
        "answered_delay": cycles.answered_delay_min,
        "failure_delay": cycles.failure_delay_min,
        "min_gap_between_attempts": cycles.min_gap_min,
        "time_of_day_spread": cycles.time_of_day_spread_min,
        "ring_allowance": cycles.ring_allowance_min,
        "abandon_callback_within": cycles.abandon_callback_within_min,
        "callback_grace": cycles.callback_grace_min,
        "relative_before_deadline": cycles.relative_before_deadline_min,
        "relative_retry_gap": cycles.relative_retry_gap_min,
    }
    changes: dict[str, Any] = {
        name: timedelta(minutes=value) for name, value in minutes.items() if value is not None
    }
    if cycles.max_attempts is not None:
        changes["max_attempts"] = cycles.max_attempts
    if cycles.relative_calls_per_cycle is not None:
        changes["relative_calls_per_cycle"] = cycles.relative_calls_per_cycle
    adjusted = replace(template, policy=replace(template.policy, **changes))
    if cycles.all_day_windows:
        adjusted = replace(
            adjusted,
            windows=CallingWindows(
                week=(ALL_DAY,) * 7, holiday=ALL_DAY, timezone=template.windows.timezone
            ),
        )
    return adjusted
