"""Each campaign paced on its own figures: with several campaigns at once (a city-wide
heatwave and a district's flood) the people of one answer more often, talk longer, or have
used more of the day's abandon budget than those of the other, so each campaign's pacer
reads its own answer rate, handling times and abandons, not the engine's as a whole.

A campaign that has placed too few calls yet has no figure worth pacing on: each group of
figures (answer rate, abandon budget, each duration) is the campaign's own once it rests
on enough observations, else the pooled one of the whole engine (:func:`campaign_figures`).

Pure: no I/O, the figures are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.core.pacing_statistics import DurationStats

#: recent dials settled (last 15 min) before a campaign's own answer rate is used
MIN_OWN_DIALS = 30
#: live answers today before a campaign's own abandon budget is used
MIN_OWN_LIVE_ANSWERS = 30
#: observations of a duration (talk, wrap-up, time to answer) before the campaign's own
MIN_OWN_SAMPLES = 10

#: the groups of figures, in the order they are shown
GROUPS = ("answer_rate", "abandons", "talk", "wrap_up", "time_to_answer")


@dataclass(frozen=True, slots=True)
class ActivityFigures:
    """What the pacer reads of the day's activity (one campaign's, or the engine's)."""

    live_answers_today: int = 0
    abandons_today: int = 0
    recent_dials: int = 0
    recent_live_answers: int = 0
    talk: DurationStats | None = None
    wrap_up: DurationStats | None = None
    time_to_answer: DurationStats | None = None

    @property
    def answer_rate(self) -> float | None:
        """Live answers per dial settled recently (``None``: no dial settled)."""
        return self.recent_live_answers / self.recent_dials if self.recent_dials else None

    @property
    def abandon_rate(self) -> float | None:
        """Abandons per live answer today (``None``: no live answer yet)."""
        return self.abandons_today / self.live_answers_today if self.live_answers_today else None


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    """The figures a campaign is paced on, and which groups (:data:`GROUPS`) are its own
    (the others are the engine's pooled ones, the campaign having too few calls yet)."""

    figures: ActivityFigures
    own: frozenset[str]


def campaign_figures(own: ActivityFigures, pooled: ActivityFigures) -> CampaignFigures:
    """``own`` (a campaign's figures) where each group rests on enough observations, else
    ``pooled`` (the whole engine's, which include the campaign's): a campaign that has
    just started is paced as the others until its own figures say something."""
    mine: set[str] = set()
    if own.recent_dials >= MIN_OWN_DIALS:
        mine.add("answer_rate")
    if own.live_answers_today >= MIN_OWN_LIVE_ANSWERS:
        mine.add("abandons")
    for name in ("talk", "wrap_up", "time_to_answer"):
        observed: DurationStats | None = getattr(own, name)
        if observed is not None and observed.count >= MIN_OWN_SAMPLES:
            mine.add(name)
    answers, budget = ("answer_rate" in mine, "abandons" in mine)
    return CampaignFigures(
        ActivityFigures(
            live_answers_today=(own if budget else pooled).live_answers_today,
            abandons_today=(own if budget else pooled).abandons_today,
            recent_dials=(own if answers else pooled).recent_dials,
            recent_live_answers=(own if answers else pooled).recent_live_answers,
            talk=own.talk if "talk" in mine else pooled.talk,
            wrap_up=own.wrap_up if "wrap_up" in mine else pooled.wrap_up,
            time_to_answer=own.time_to_answer
            if "time_to_answer" in mine
            else pooled.time_to_answer,
        ),
        frozenset(mine),
    )
