"""A multiple-choice question may declare its own « none of these » choice (``exclusive:
true``, the veille-sociale « besoins »' « Rien de particulier »): ticked alone, never with
another choice; the screen then adds no generic « Aucun de ceux-ci » box (one « none »
on the screen); the score and the needs analysis count that household as one without a
need."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.attempts import Disposition
from dialer.core.orientations import needs_answered
from dialer.core.questionnaire import QuestionType
from dialer.core.questionnaire_answers import validate_answer
from dialer.core.scoring import score
from dialer.core.windows import PARIS
from dialer.desk.questionnaire_json import questionnaire_json
from dialer.errors import InputError
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    load_questionnaires,
    parse_questionnaire,
)
from dialer.reports.needs import Period, compute_needs
from dialer.storage.needs_rows import MemberFacts, NeedsRows, SheetFacts

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _definition(choices: str, kind: str = "multiple_choice") -> str:
    return f"""\
id: essai
version: 1
title: Essai
kind: other
guidance: Bonjour.
questions:
  - id: aides
    text: Quelles aides recevez-vous ?
    type: {kind}
    choices:
{choices}
scoring:
  risk_levels:
    - {{name: faible, min_score: 0}}
"""


GOOD = """\
      - {id: aucune, label: Aucune, weight: 2, exclusive: true}
      - {id: portage, label: Portage des repas, weight: 0}
      - {id: menage, label: Aide ménagère, weight: 1}
"""


def test_a_declared_none_is_ticked_alone_and_replaces_the_screen_s_box() -> None:
    questionnaire = parse_questionnaire(_definition(GOOD), source="essai.yaml")
    question = questionnaire.questions[0]
    assert question.none_choice is not None
    assert question.none_choice.id == "aucune"
    assert not question.generic_none_box
    assert validate_answer(question, ["aucune"]) == frozenset({"aucune"})
    assert validate_answer(question, ["portage", "menage"]) == frozenset({"portage", "menage"})
    with pytest.raises(InputError, match=r"« Aucune » .* is ticked alone"):
        validate_answer(question, ["aucune", "portage"])
    assert score(questionnaire, {"aides": ["aucune"]}).score == 2
    shown = questionnaire_json(questionnaire)["questions"][0]
    assert shown["none_box"] is False
    assert [c["exclusive"] for c in shown["choices"]] == [True, False, False]


def test_without_a_declared_none_the_screen_adds_its_own_box() -> None:
    plain = GOOD.replace(", exclusive: true", "")
    question = parse_questionnaire(_definition(plain), source="essai.yaml").questions[0]
    assert question.none_choice is None
    assert question.generic_none_box
    assert validate_answer(question, ["aucune", "portage"]) == frozenset({"aucune", "portage"})
    assert validate_answer(question, []) == frozenset()  # the screen's « Aucun de ceux-ci »


def test_an_exclusive_choice_is_checked_where_it_is_written() -> None:
    two = GOOD.replace("weight: 1}", "weight: 1, exclusive: true}")
    # each problem at its file's line: the second exclusive choice, line 13
    with pytest.raises(
        InputError, match=r"essai\.yaml:13: .*one exclusive choice at most \(first at line 11\)"
    ):
        parse_questionnaire(_definition(two), source="essai.yaml")
    single = _definition(GOOD, kind="single_choice")
    with pytest.raises(InputError, match=r"essai\.yaml:11: only a multiple_choice question"):
        parse_questionnaire(single, source="essai.yaml")
    with pytest.raises(InputError, match=r"essai\.yaml:11: exclusive must be true or false"):
        parse_questionnaire(
            _definition(GOOD.replace("exclusive: true", "exclusive: oui")), source="essai.yaml"
        )


def test_the_shipped_questionnaires_show_one_none_per_question() -> None:
    catalogue = load_questionnaires(SHIPPED_QUESTIONNAIRES)
    besoins = next(q for q in catalogue.get("veille_sociale").questions if q.id == "besoins")
    assert besoins.none_choice is not None
    assert (besoins.none_choice.id, besoins.none_choice.label) == ("aucun", "Rien de particulier")
    assert not besoins.generic_none_box
    for questionnaire in catalogue:
        for question in questionnaire.questions:
            if question.type is QuestionType.MULTIPLE_CHOICE:
                assert question.generic_none_box == (question.none_choice is None)


def test_rien_de_particulier_is_a_household_without_a_need() -> None:
    veille = load_questionnaires(SHIPPED_QUESTIONNAIRES).get("veille_sociale")
    first_level = {"nouvelles": "bien", "isolement": "souvent", "moral": 8}
    fine = {**first_level, "danger_immediat": False, "besoins": ["aucun"]}
    assert needs_answered(fine) == ()
    with_need = {**fine, "besoins": ["alimentation"]}
    assert score(veille, fine).score < score(veille, with_need).score
    rows = NeedsRows(
        campaign_id=1,
        campaign_name="Veille",
        members=tuple(
            MemberFacts(person, 1, "Nord", AT, (Disposition.COMPLETE,)) for person in (1, 2)
        ),
        sheets=(
            SheetFacts(1, "Nord", AT, {"besoins": ["aucun"]}),
            SheetFacts(2, "Nord", AT, {"besoins": ["alimentation"]}),
        ),
        orientations=(),
        follow_ups=(),
    )
    report = compute_needs(rows, period=Period(), threshold=1, zone=PARIS, now=AT)
    by_area = next(t for t in report.tables if t.key == "besoins_quartier").published
    assert by_area.total == 1  # only the household with a need
    reached = next(t for t in report.tables if t.key == "joignabilite").published
    assert reached.cells[0] == (2,)  # both households reached
