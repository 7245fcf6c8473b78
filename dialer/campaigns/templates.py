"""Campaign templates: what a supervisor starts from when an alert arrives."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.core.campaigns import CampaignKind
from dialer.core.pacing_settings import PacingMode
from dialer.core.planning import RetryPolicy
from dialer.core.windows import CallingWindows
from dialer.errors import NotFoundError


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
