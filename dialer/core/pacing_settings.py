"""Pacing settings: the modes and a campaign's :class:`PacingConfig`, with the abandon
cap's limits (how they are used: :mod:`dialer.core.pacing`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from dialer.core.campaigns import CampaignKind
from dialer.core.pacing_statistics import DurationStats
from dialer.errors import InputError

#: Ofcom (UK) and FTC (US) ceiling on abandoned calls: 3 % of live answers. Never exceeded.
ABANDON_RATE_CEILING = 0.03
#: this project's default cap: the people called are old, ill or disabled
DEFAULT_MAX_ABANDON_RATE = 0.01
#: default dial level cap: lines in use per agent logged in and not paused
DEFAULT_MAX_LINES_PER_AGENT = 3.0
#: bounds of ``max_lines_per_agent``
MIN_LINES_PER_AGENT = 1.0
MAX_LINES_PER_AGENT = 10.0


class PacingMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


def mode_refusal(mode: PacingMode, kind: CampaignKind | None) -> str | None:
    """Why ``mode`` is refused for a campaign of ``kind`` (``None``: allowed): a
    veille-sociale campaign is preview only (each household offered to its volunteer
    before the dial, never an automatic join that would bypass its assignment)."""
    if kind is CampaignKind.VEILLE_SOCIALE and mode is not PacingMode.PREVIEW:
        return (
            "une campagne de veille sociale est composée en aperçu seulement (preview : "
            "chaque foyer est proposé à son bénévole avant l'appel)"
        )
    return None


def mode_for_kind(
    mode: PacingMode, kind: CampaignKind | None, *, field: str = "mode"
) -> PacingMode:
    """``mode``, allowed for a campaign of ``kind`` (:func:`mode_refusal`);
    :class:`InputError` naming ``field`` otherwise."""
    if (refusal := mode_refusal(mode, kind)) is not None:
        raise InputError(f"champ « {field} » : {refusal}")
    return mode


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """A campaign's pacing settings. ``max_abandon_rate`` is a share of today's live answers
    (0.01 = 1 %), never above :data:`ABANDON_RATE_CEILING`. ``max_lines_per_agent``: the
    calls in progress (dialing or ringing, answered waiting, connected) never exceed this
    many per agent logged in and not paused (between :data:`MIN_LINES_PER_AGENT` and
    :data:`MAX_LINES_PER_AGENT`)."""

    mode: PacingMode = PacingMode.PROGRESSIVE
    max_abandon_rate: float = DEFAULT_MAX_ABANDON_RATE
    max_lines_per_agent: float = DEFAULT_MAX_LINES_PER_AGENT
    #: the day aims at this share of the cap (the rest is margin for bad luck)
    target_share: float = 0.75
    #: the largest probability that one added line ends in an abandon
    max_line_risk: float = 0.03
    #: predictive only while this many more abandons keep today's rate within the cap
    spare_abandons: int = 2
    #: largest probability that the calls in flight abandon more people than today's cap
    #: can still take (several abandons at once would pass it)
    burst_probability: float = 0.05
    #: no dial when the window closes within ring timeout + this margin
    close_margin: timedelta = timedelta(seconds=5)
    #: an agent freed this long after the answer still takes the person in time (the
    #: dialplan allows ~1.5 s of the 2 s; counted short on purpose)
    join_grace: timedelta = timedelta(seconds=1)
    budget_horizon: timedelta = timedelta(minutes=15)
    #: predictive needs this many known outcomes in the recent window first
    min_recent_dials: int = 30
    answer_rate_prior: float = 0.5
    answer_rate_prior_weight: float = 10.0
    #: standard errors added to the estimated answer rate when sizing the risk
    answer_rate_confidence: float = 1.0
    #: spacing of the check points between now and the ring timeout, seconds
    checkpoint_step: float = 3.0
    #: prior summaries, blended with the observed ones (weight ``prior_weight`` observations)
    prior_talk: DurationStats = field(default=DurationStats(240.0, 1.0))
    prior_wrap_up: DurationStats = field(default=DurationStats(60.0, 1.0))
    prior_time_to_answer: DurationStats = field(default=DurationStats(12.0, 0.6))
    prior_weight: float = 10.0

    def __post_init__(self) -> None:
        rate = self.max_abandon_rate
        if not (0.0 <= rate <= ABANDON_RATE_CEILING):
            raise InputError(
                f"max_abandon_rate must be between 0 and {ABANDON_RATE_CEILING} "
                f"({ABANDON_RATE_CEILING:.0%} of live answers), got {rate}"
            )
        per_agent = self.max_lines_per_agent
        if not (MIN_LINES_PER_AGENT <= per_agent <= MAX_LINES_PER_AGENT):
            raise InputError(
                f"max_lines_per_agent must be between {MIN_LINES_PER_AGENT:g} and "
                f"{MAX_LINES_PER_AGENT:g}, got {per_agent}"
            )
        # (name, lowest, highest, lowest allowed itself)
        ranges: tuple[tuple[str, float, float, bool], ...] = (
            ("target_share", 0.0, 1.0, False),
            ("burst_probability", 0.0, 1.0, False),
            ("max_line_risk", 0.0, 1.0, True),
            ("answer_rate_prior", 0.0, 1.0, False),
            ("answer_rate_prior_weight", 0.0, math.inf, False),
            ("prior_weight", 0.0, math.inf, False),
            ("answer_rate_confidence", 0.0, math.inf, True),
            ("checkpoint_step", 0.0, math.inf, False),
            ("spare_abandons", 1, math.inf, True),
            ("min_recent_dials", 0, math.inf, True),
        )
        for name, low, high, closed in ranges:
            value = getattr(self, name)
            if not (low <= value <= high) or (value == low and not closed):
                raise InputError(f"{name} must be {'>=' if closed else '>'} {low}, <= {high}")
        for name in ("close_margin", "join_grace"):
            if getattr(self, name) < timedelta(0):
                raise InputError(f"{name} must be >= 0")
        if self.budget_horizon <= timedelta(0):
            raise InputError("budget_horizon must be > 0")
