"""Questionnaires and answers as JSON, for the agent's screen.

The screen does not evaluate skip logic or emergency answers: the server's rule
(:mod:`dialer.core.questionnaire_answers`) is the only one. The view of a call carries the
progress of its sheet (:func:`progress_json`), and each saved answer returns it again: the
visible questions, the missing ones, and the emergency instructions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialer.core.questionnaire import AnswerValue, Questionnaire, QuestionType
from dialer.core.questionnaire_answers import answer_label, validate_answers, visible_questions
from dialer.core.scoring import ScoreResult
from dialer.errors import InputError

TYPE_HINTS: dict[QuestionType, str] = {
    QuestionType.YES_NO: "Oui ou non",
    QuestionType.SINGLE_CHOICE: "Une seule réponse",
    QuestionType.MULTIPLE_CHOICE: "Plusieurs réponses possibles",
    QuestionType.SCALE_0_10: "Échelle de 0 à 10",
}


def questionnaire_json(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "id": questionnaire.id,
        "version": questionnaire.version,
        "title": questionnaire.title,
        "guidance": questionnaire.guidance,
        "questions": [
            {
                "id": question.id,
                "text": question.text,
                "type": question.type.value,
                "hint": TYPE_HINTS[question.type],
                "required": question.required,
                "choices": [
                    {"id": c.id, "label": c.label, "exclusive": c.exclusive}
                    for c in question.choices
                ],
                "none_box": question.generic_none_box,
            }
            for question in questionnaire.questions
        ],
    }


def progress_json(
    questionnaire: Questionnaire, answers: Mapping[str, Any], result: ScoreResult
) -> dict[str, Any]:
    """Where a sheet stands after its ``answers`` (``result`` is their score): the visible
    questions, the required ones still missing, and the emergency instructions when an
    answer means a medical emergency."""
    emergency = result.emergency
    return {
        "visible": [q.id for q in visible_questions(questionnaire, answers)],
        "missing": list(result.missing),
        "complete": result.complete,
        "emergency": (
            None
            if emergency is None
            else {"agent_instructions": emergency.agent_instructions, "message": emergency.message}
        ),
    }


def answer_json(value: AnswerValue | None) -> Any:
    """A validated answer as JSON (a multiple answer as a sorted list)."""
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def labelled_answers(
    questionnaire: Questionnaire | None, answers: Mapping[str, Any]
) -> list[dict[str, str]]:
    """``[{question, answer}]`` in questionnaire order, in French; raw values when the
    questionnaire version is no longer known."""
    if questionnaire is None:
        return [{"question": key, "answer": str(value)} for key, value in answers.items()]
    known = {
        key: value for key, value in answers.items() if questionnaire.position(key) is not None
    }
    try:
        valid = validate_answers(questionnaire, known)
    except InputError:  # saved one by one, each valid: should not happen
        valid = {}
    return [
        {"question": question.text, "answer": answer_label(question, valid[question.id])}
        for question in questionnaire.questions
        if question.id in valid
    ]
