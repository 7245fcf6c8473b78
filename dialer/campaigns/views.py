"""A campaign as the API and the pages show it (:meth:`CampaignControl.view
<dialer.campaigns.control.CampaignControl.view>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialer.core.campaigns import CampaignState
from dialer.core.labels import CAMPAIGN_STATE_LABELS
from dialer.core.pacing_settings import PacingMode
from dialer.storage.models import Campaign, Cycle


@dataclass(frozen=True)
class CampaignView:
    """A campaign as the API and the pages show it."""

    id: int
    name: str
    kind: str
    state: CampaignState
    pacing_mode: PacingMode
    max_abandon_rate: float
    max_lines_per_agent: float
    caller_id: str
    questionnaire_id: str
    created_at: datetime
    attached: bool
    cycle_id: int | None
    cycle_number: int | None
    cycle_deadline: datetime | None

    @classmethod
    def of(cls, campaign: Campaign, cycle: Cycle | None, *, attached: bool) -> CampaignView:
        return cls(
            id=campaign.id,
            name=campaign.name,
            kind=campaign.kind.value,
            state=campaign.state,
            pacing_mode=campaign.pacing_mode,
            max_abandon_rate=campaign.max_abandon_rate,
            max_lines_per_agent=campaign.max_lines_per_agent,
            caller_id=campaign.caller_id,
            questionnaire_id=campaign.questionnaire_id,
            created_at=campaign.created_at,
            attached=attached,
            cycle_id=cycle.id if cycle else None,
            cycle_number=cycle.number if cycle else None,
            cycle_deadline=cycle.deadline if cycle else None,
        )

    @property
    def state_label(self) -> str:
        return CAMPAIGN_STATE_LABELS[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "state": self.state.value,
            "pacing_mode": self.pacing_mode.value,
            "max_abandon_rate": self.max_abandon_rate,
            "max_lines_per_agent": self.max_lines_per_agent,
            "caller_id": self.caller_id,
            "questionnaire_id": self.questionnaire_id,
            "created_at": self.created_at.isoformat(),
            "attached": self.attached,
            "cycle": None
            if self.cycle_id is None
            else {
                "id": self.cycle_id,
                "number": self.cycle_number,
                "deadline": self.cycle_deadline.isoformat() if self.cycle_deadline else None,
            },
        }
