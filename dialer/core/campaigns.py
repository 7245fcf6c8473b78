"""A campaign's vocabulary: what it is about (its questionnaire is for the same kind) and
where it stands."""

from __future__ import annotations

from enum import StrEnum


class CampaignKind(StrEnum):
    """The event a campaign (and its questionnaire) is about."""

    HEATWAVE = "heatwave"
    COLD_SPELL = "cold_spell"
    EPIDEMIC = "epidemic"
    #: the volunteers' regular calls to isolated households who agreed (issue 21)
    VEILLE_SOCIALE = "veille_sociale"
    OTHER = "other"


def enrols_only_consenting(kind: CampaignKind | None) -> bool:
    """Whether a campaign of ``kind`` enrols and calls only the people with a valid consent
    to regular calls (:mod:`dialer.core.consent`): the volunteers' veille sociale."""
    return kind is CampaignKind.VEILLE_SOCIALE


class CampaignState(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
