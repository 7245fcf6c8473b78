"""Walking a questionnaire as an agent would, question by question (the tests' view of the
server's visibility rule; the screen asks the server for its progress instead)."""

from __future__ import annotations

from collections.abc import Mapping

from dialer.core.questionnaire import Question, Questionnaire
from dialer.core.questionnaire_answers import missing_answers, visibility


def next_question(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Question | None:
    """The first visible question not answered yet (``None`` counts as answered for an
    optional question: it was asked); ``None`` when there is none left."""
    visible, _ = visibility(questionnaire, answers)
    return next((question for question in visible if question.id not in answers), None)


def is_complete(questionnaire: Questionnaire, answers: Mapping[str, object]) -> bool:
    """Every visible required question is answered: the call is a *contact utile*."""
    return not missing_answers(questionnaire, answers)
