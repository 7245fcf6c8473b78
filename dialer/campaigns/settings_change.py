"""A campaign's settings as stored, and a supervisor's change to them.

:func:`stored_settings` reads the campaign's columns; :func:`settings_columns` writes them
back; :func:`checked_change` validates a change (field by field, then the questionnaire
version against the questionnaires the service knows). The change itself is made by
:meth:`dialer.campaigns.control.CampaignControl.change_settings`, serialised with the other
steering operations, compare-and-set on ``campaigns.settings_version`` (a stale edit is a
409), audited with the old and new values, and taken up by the running dialing at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dialer.campaigns.rules import (
    policy_from_json,
    policy_to_json,
    windows_from_json,
    windows_to_json,
)
from dialer.core.campaign_settings import CampaignSettings, changed_settings, settings_json
from dialer.errors import InputError, NotFoundError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage.models import Campaign


@dataclass(frozen=True)
class SettingsView:
    """A campaign's settings as the API and the pages show them."""

    campaign_id: int
    name: str
    questionnaire_id: str
    version: int
    settings: CampaignSettings
    #: the service's ring timeout, used when the campaign sets none
    default_ring_timeout_s: int

    @classmethod
    def of(cls, campaign: Campaign, default_ring_timeout_s: int) -> SettingsView:
        return cls(
            campaign.id,
            campaign.name,
            campaign.questionnaire_id,
            campaign.settings_version,
            stored_settings(campaign),
            default_ring_timeout_s,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "name": self.name,
            "questionnaire_id": self.questionnaire_id,
            "version": self.version,
            "default_ring_timeout_s": self.default_ring_timeout_s,
            **settings_json(self.settings),
            "timezone": str(self.settings.windows.timezone),
        }


def stored_settings(campaign: Campaign) -> CampaignSettings:
    version = campaign.questionnaire_version.strip()
    return CampaignSettings(
        windows=windows_from_json(campaign.calling_windows),
        policy=policy_from_json(campaign.retry_policy),
        answering_machine_detection=campaign.answering_machine_detection,
        caller_id=campaign.caller_id,
        ring_timeout_s=campaign.ring_timeout_s,
        questionnaire_version=int(version) if version.isdigit() else 1,
    )


def settings_columns(settings: CampaignSettings) -> dict[str, Any]:
    """The ``campaigns`` columns that hold ``settings``."""
    return {
        "calling_windows": windows_to_json(settings.windows),
        "retry_policy": policy_to_json(settings.policy),
        "answering_machine_detection": settings.answering_machine_detection,
        "caller_id": settings.caller_id,
        "ring_timeout_s": settings.ring_timeout_s,
        "questionnaire_version": str(settings.questionnaire_version),
    }


def checked_change(
    campaign: Campaign,
    change: Mapping[str, Any],
    questionnaires: QuestionnaireCatalog | None,
) -> CampaignSettings:
    """The campaign's settings with ``change``; :class:`InputError` naming the bad field
    (a questionnaire version the service does not have among them)."""
    after = changed_settings(stored_settings(campaign), change)
    if questionnaires is not None and "questionnaire_version" in change:
        try:
            questionnaires.get(campaign.questionnaire_id, after.questionnaire_version)
        except NotFoundError:
            known = sorted(q.version for q in questionnaires if q.id == campaign.questionnaire_id)
            raise InputError(
                f"champ « questionnaire_version » : le questionnaire "
                f"« {campaign.questionnaire_id} » n'a pas de version "
                f"{after.questionnaire_version} (versions connues : "
                f"{', '.join(map(str, known)) or 'aucune'})"
            ) from None
    return after
