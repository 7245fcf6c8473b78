"""Campaign templates: what a supervisor starts from when an alert arrives.

The templates are files (:mod:`dialer.campaigns.template_files`): the shipped ones
(heatwave, cold spell, epidemic, flood) and an administrator's own, so a new one needs no
code. This module holds what a template is and the catalog the service reads them from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from typing import Any

from dialer.core.campaigns import CampaignKind
from dialer.core.episodes import CAMPAIGN_KIND_OF, AlertKind
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows, OpeningInterval
from dialer.errors import NotFoundError
from dialer.settings import CycleSettings


@dataclass(frozen=True)
class CampaignTemplate:
    key: str
    title: str  # French, for screens
    #: the alert it answers (``dialer alert start --kind``): its campaign kind follows
    alert: AlertKind
    questionnaire_id: str
    pacing_mode: PacingMode = PacingMode.PROGRESSIVE
    answering_machine_detection: bool = False
    #: ``None``: the service's
    ring_timeout_s: int | None = None
    windows: CallingWindows = field(default_factory=CallingWindows)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    #: a campaign of its own kind (``kind:``, e.g. the volunteers' veille sociale), not
    #: one answering an alert: ``None``, the alert's
    campaign_kind: CampaignKind | None = None

    @property
    def kind(self) -> CampaignKind:
        return self.campaign_kind or CAMPAIGN_KIND_OF[self.alert]


@dataclass(frozen=True)
class TemplateCatalog:
    """The templates by key, in key order."""

    templates: Mapping[str, CampaignTemplate] = field(default_factory=dict)

    def __iter__(self) -> Iterator[CampaignTemplate]:
        return iter(self.templates[key] for key in sorted(self.templates))

    def __contains__(self, key: object) -> bool:
        return key in self.templates

    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.templates))

    def get(self, key: str) -> CampaignTemplate:
        """:class:`NotFoundError` naming the known keys when there is no such template."""
        try:
            return self.templates[key]
        except KeyError:
            known = ", ".join(self.keys())
            raise NotFoundError(f"template {key!r}: unknown (known: {known})") from None

    def for_alert(self, alert: AlertKind) -> CampaignTemplate | None:
        """The first template (in key order) answering ``alert``."""
        return next((t for t in self if t.alert is alert and t.campaign_kind is None), None)


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
