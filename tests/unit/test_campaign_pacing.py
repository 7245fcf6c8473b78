"""Each campaign paced on its own figures (issue 17: « paced against its own agents »):
the rule that takes a campaign's own answer rate, abandon budget and durations once they
rest on enough calls, and the pooled ones before."""

from __future__ import annotations

import pytest

from dialer.core.campaign_pacing import (
    MIN_OWN_DIALS,
    MIN_OWN_LIVE_ANSWERS,
    MIN_OWN_SAMPLES,
    ActivityFigures,
    campaign_figures,
)
from dialer.core.labels import campaign_figures_text
from dialer.core.pacing_statistics import DurationStats

POOLED = ActivityFigures(
    live_answers_today=200,
    abandons_today=4,
    recent_dials=100,
    recent_live_answers=50,
    talk=DurationStats(120.0, 0.5, 300),
    wrap_up=DurationStats(30.0, 0.4, 300),
    time_to_answer=DurationStats(12.0, 0.3, 300),
)


def test_a_campaign_with_too_few_calls_is_paced_on_the_pooled_figures() -> None:
    own = ActivityFigures(live_answers_today=2, recent_dials=3, recent_live_answers=3,
                          talk=DurationStats(400.0, 0.1, 2))  # fmt: skip
    seen = campaign_figures(own, POOLED)
    assert seen.figures == POOLED
    assert seen.own == frozenset()
    assert campaign_figures_text(seen) == (
        "décroché 50,0 % (ensemble), abandons 2,0 % (ensemble), conversation 120 s (ensemble)"
    )


def test_a_campaign_with_enough_calls_is_paced_on_its_own() -> None:
    own = ActivityFigures(
        live_answers_today=MIN_OWN_LIVE_ANSWERS,
        abandons_today=3,
        recent_dials=MIN_OWN_DIALS,
        recent_live_answers=3,
        talk=DurationStats(300.0, 0.2, MIN_OWN_SAMPLES),
        wrap_up=DurationStats(60.0, 0.2, MIN_OWN_SAMPLES - 1),  # not yet
    )
    seen = campaign_figures(own, POOLED)
    assert seen.own == {"answer_rate", "abandons", "talk"}
    assert seen.figures.answer_rate == pytest.approx(0.1)
    assert seen.figures.abandon_rate == pytest.approx(0.1)
    assert seen.figures.talk == own.talk
    assert seen.figures.wrap_up == POOLED.wrap_up
    assert seen.figures.time_to_answer == POOLED.time_to_answer


@pytest.mark.parametrize(
    ("dials", "live_answers", "own"),
    [
        (MIN_OWN_DIALS - 1, MIN_OWN_LIVE_ANSWERS - 1, set()),
        (MIN_OWN_DIALS, MIN_OWN_LIVE_ANSWERS - 1, {"answer_rate"}),
        (MIN_OWN_DIALS - 1, MIN_OWN_LIVE_ANSWERS, {"abandons"}),
    ],
)
def test_each_group_switches_on_its_own_count(dials: int, live_answers: int, own: set[str]) -> None:
    mine = ActivityFigures(live_answers_today=live_answers, recent_dials=dials)
    seen = campaign_figures(mine, POOLED)
    assert seen.own == own
    assert seen.figures.recent_dials == (dials if "answer_rate" in own else POOLED.recent_dials)
    assert seen.figures.live_answers_today == (
        live_answers if "abandons" in own else POOLED.live_answers_today
    )


def test_no_figure_at_all_is_said_plainly() -> None:
    seen = campaign_figures(ActivityFigures(), ActivityFigures())
    assert campaign_figures_text(seen) == "décroché – (ensemble), abandons – (ensemble)"
