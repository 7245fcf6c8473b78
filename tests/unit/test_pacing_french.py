"""The pacer's explanation on the screens: French, from the decision's codes
(:func:`dialer.core.labels.pacing_text`), for every clause and every decision."""

from __future__ import annotations

from hypothesis import given, settings

from dialer.core.labels import PACING_CLAUSE_TEXTS, pacing_text
from dialer.core.pacing import PacingDecision, decide, decision
from dialer.core.pacing_reasons import ENGLISH, Clause, fact
from dialer.core.pacing_settings import PacingConfig
from dialer.core.pacing_statistics import PacingSnapshot
from tests.english_leaks import english_leaks
from tests.unit.test_pacing import PREDICTIVE, PROGRESSIVE, _config, ready, snap, snapshots


def test_every_clause_has_a_french_and_an_english_text() -> None:
    assert set(PACING_CLAUSE_TEXTS) == set(Clause) == set(ENGLISH)


def test_the_issue_s_example_is_french() -> None:
    plan = decide(snap(ready(0), dialing=(), recent_live_answers=145), PROGRESSIVE)
    assert plan.reason.startswith("0 free agents, 0 ringing, answer rate ")
    assert pacing_text(plan).startswith("0 agent disponible, 0 appel qui sonne, taux de décroché")
    assert pacing_text(plan).endswith("→ 0 appel à composer")


def test_a_predictive_decision_in_french() -> None:
    plan = decide(snap(ready(1)), PREDICTIVE)
    text = pacing_text(plan)
    assert text.startswith("1 agent disponible, 0 appel qui sonne, taux de décroché 31 %, ")
    assert "abandons du jour 0 sur 1 000 décrochés" in text
    assert f"pour les agents disponibles + {plan.dials - 1} par anticipation)" in text
    assert english_leaks(text) == []


def test_numbers_are_written_the_french_way() -> None:
    plan = decision(0, fact(Clause.AT_TARGET, 8, 1000, 0.0075), fact(Clause.DIAL, 0))
    assert pacing_text(plan) == (
        "abandons du jour 8 sur 1 000 décrochés : taux projeté à l'objectif de 0,75 %, "
        "un appel par agent disponible → 0 appel à composer"
    )


def test_a_decision_without_codes_says_how_many_calls() -> None:
    assert pacing_text(PacingDecision(3, "test pacer")) == "3 appels à composer"


@settings(max_examples=300, deadline=None)
@given(snapshots(), _config)
def test_no_decision_is_explained_in_english(
    snapshot: PacingSnapshot, config: PacingConfig
) -> None:
    plan = decide(snapshot, config)
    text = pacing_text(plan)
    assert english_leaks(text) == [], text
    assert "\n" not in text
