"""The agents' (and volunteers') screen gives every answer box an id, « r-QUESTION-CHOICE »,
that its label points at; a multiple-choice question that declares no « none » choice of
its own also gets the screen's « Aucun de ceux-ci » box. Its id must never be a choice's:
the veille-sociale questionnaire has a choice ``aucun`` (« Rien de particulier »), and the
two boxes shared ``r-besoins-aucun`` (found on the rig: the label of one ticked the other;
since, « Rien de particulier » is declared ``exclusive`` and the screen adds no box of its
own there: ``tests/unit/test_exclusive_choice.py``, ``tests/browser/test_none_box.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import dialer
from dialer.core.questionnaire import QuestionType
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires

AGENT_JS = Path(dialer.__file__).parent / "web" / "static" / "agent.js"
NONE_OPTION = re.compile(r'option\(question, "checkbox", "", "Aucun de ceux-ci", "([^"]+)"\)')


def test_the_none_box_never_takes_a_choices_id() -> None:
    found = NONE_OPTION.findall(AGENT_JS.read_text(encoding="utf-8"))
    assert len(found) == 1, "the screen's « Aucun de ceux-ci » box moved: update this test"
    suffix = found[0]
    # choice ids are lower-case letters, digits and _ (questionnaire_checks): a « - » in
    # the suffix keeps it apart from every questionnaire, not only the shipped ones
    assert "-" in suffix
    catalogue = load_questionnaires(SHIPPED_QUESTIONNAIRES)
    veille = catalogue.get("veille_sociale")
    besoins = next(q for q in veille.questions if q.id == "besoins")
    assert "aucun" in {c.id for c in besoins.choices}  # the case that collided
    for questionnaire in catalogue:
        for question in questionnaire.questions:
            if question.type is QuestionType.MULTIPLE_CHOICE:
                assert suffix not in {c.id for c in question.choices}
