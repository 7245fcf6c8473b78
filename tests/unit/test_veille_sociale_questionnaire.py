"""The shipped two-level questionnaire of the volunteer calls: the first, friendly level
(news, isolation, morale) is asked to everyone; a second-level question opens only when
its need is ticked; its domains are the directory of resources' kinds of need."""

from __future__ import annotations

from dialer.core.campaigns import CampaignKind
from dialer.core.questionnaire import Questionnaire
from dialer.core.questionnaire_answers import visible_questions
from dialer.core.resources import NEED_WORDS
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from tests.questionnaire_walk import is_complete

FIRST_LEVEL = ["nouvelles", "isolement", "moral", "danger_immediat", "besoins"]


def _questionnaire() -> Questionnaire:
    return load_questionnaires(SHIPPED_QUESTIONNAIRES).get("veille_sociale")


def test_only_the_first_level_is_asked_when_no_need_shows() -> None:
    questionnaire = _questionnaire()
    assert questionnaire.kind is CampaignKind.VEILLE_SOCIALE
    answers = {
        "nouvelles": "bien",
        "isolement": "souvent",
        "moral": 8,
        "danger_immediat": False,
        "besoins": ["aucun"],
    }
    shown = [q.id for q in visible_questions(questionnaire, answers)]
    assert shown == [*FIRST_LEVEL, "rappel_souhaite"]
    assert is_complete(questionnaire, answers)


def test_a_need_opens_its_second_level_questions_only() -> None:
    questionnaire = _questionnaire()
    answers = {
        "nouvelles": "pas_bien",
        "isolement": "rarement",
        "moral": 2,
        "danger_immediat": False,
        "besoins": ["alimentation", "logement"],
    }
    shown = [q.id for q in visible_questions(questionnaire, answers)]
    assert shown == [
        *FIRST_LEVEL,
        "alimentation_repas",
        "alimentation_aide",
        "logement_probleme",
        "rappel_souhaite",
    ]
    assert not is_complete(questionnaire, answers)  # the second level is to be answered


def test_its_domains_are_the_directory_s_kinds_of_need() -> None:
    besoins = next(q for q in _questionnaire().questions if q.id == "besoins")
    assert {choice.id for choice in besoins.choices} - {"aucun"} == set(NEED_WORDS)
