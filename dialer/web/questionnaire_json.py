"""Questionnaires and answers as JSON, for the agent's screen.

The screen evaluates skip logic and emergency answers itself, at once, with the same
rules as :mod:`dialer.core.questionnaire` (``static/questionnaire.js``); the server checks
every answer again and is the authority on submission.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialer.core.questionnaire import (
    AllOf,
    AnswerAtLeast,
    AnswerAtMost,
    AnswerEquals,
    AnswerIncludes,
    AnswerValue,
    AnyOf,
    Condition,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevelAtLeast,
)
from dialer.core.questionnaire_answers import answer_label, validate_answers
from dialer.errors import InputError

TYPE_HINTS: dict[QuestionType, str] = {
    QuestionType.YES_NO: "Oui ou non",
    QuestionType.SINGLE_CHOICE: "Une seule réponse",
    QuestionType.MULTIPLE_CHOICE: "Plusieurs réponses possibles",
    QuestionType.SCALE_0_10: "Échelle de 0 à 10",
}


def condition_json(condition: Condition, questionnaire: Questionnaire) -> dict[str, Any]:
    match condition:
        case AnyOf(conditions) | AllOf(conditions):
            op = "any_of" if isinstance(condition, AnyOf) else "all_of"
            return {"op": op, "conditions": [condition_json(c, questionnaire) for c in conditions]}
        case RiskLevelAtLeast(level):
            return {"op": "risk_level_at_least", "level": level}
        case AnswerEquals(question=question_id, value=value):
            question = questionnaire.question(question_id)
            return {
                "op": "equals",
                "question": question_id,
                "value": _equals_value(question, value),
            }
        case AnswerIncludes(question=question_id, choice=choice):
            return {"op": "includes", "question": question_id, "choice": choice}
        case AnswerAtLeast(question=question_id, value=value):
            return {"op": "at_least", "question": question_id, "value": value}
        case AnswerAtMost(question=question_id, value=value):
            return {"op": "at_most", "question": question_id, "value": value}
    raise AssertionError(condition)  # pragma: no cover


def _equals_value(question: Question, value: bool | int | str) -> bool | int | str:
    if question.type is QuestionType.YES_NO and isinstance(value, str):
        return value.strip().lower() in ("oui", "yes")
    return value


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
                "choices": [{"id": c.id, "label": c.label} for c in question.choices],
                "show_if": (
                    condition_json(question.show_if, questionnaire)
                    if question.show_if is not None
                    else None
                ),
            }
            for question in questionnaire.questions
        ],
        "emergencies": [
            {
                "when": condition_json(emergency.when, questionnaire),
                "message": emergency.message,
                "agent_instructions": emergency.agent_instructions,
            }
            for emergency in questionnaire.emergency_answers
        ],
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
