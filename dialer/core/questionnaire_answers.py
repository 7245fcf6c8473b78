"""Answers to a questionnaire: validation, skip logic, completeness, weights and labels.

Answers
    A mapping ``question id -> value``:

    ========================  ==========================================================
    ``yes_no``                ``True`` (oui) / ``False`` (non)
    ``single_choice``         the chosen choice's id (``str``)
    ``multiple_choice``       the ticked choices' ids: a ``frozenset`` (a set, tuple or
                              list is accepted and normalised); empty = none of them;
                              a choice marked ``exclusive`` (the question's own « none
                              of these ») is ticked alone
    ``scale_0_10``            an ``int`` from 0 to 10
    any *optional* question   ``None``: asked, no answer given (declined, does not know)
    ========================  ==========================================================

    A question missing from the mapping has not been asked (yet).

Skip logic
    A question with ``show_if`` is *visible* only while its condition holds on the answers
    to the visible questions before it; a condition may only name earlier questions, so
    one pass in order decides visibility. The answers of hidden questions are kept by the
    caller (the person may change an earlier answer back) but never count: not for
    visibility, completeness, the score or alerts. This is the only implementation of the
    rule: the agent's screen shows the visible questions the server sends back.

Completeness
    A questionnaire is complete (a *contact utile*) when every visible required question
    has a non-``None`` answer.

The functions here assume a consistent definition (a built
:class:`~dialer.core.questionnaire.Questionnaire` is one).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from dialer.core.questionnaire import (
    SCALE_MAX,
    AnswerValue,
    Question,
    Questionnaire,
    QuestionType,
    exact_weight,
    scale_value,
)
from dialer.core.questionnaire_conditions import match_condition
from dialer.errors import InputError

YES_LABEL = "oui"
NO_LABEL = "non"
NO_ANSWER_LABEL = "sans réponse"
NONE_TICKED_LABEL = "aucun"


def validate_answer(question: Question, value: object) -> AnswerValue | None:
    """``value`` as a valid answer to ``question`` (a multiple answer as a frozenset).

    ``None`` (asked, not answered) is accepted for optional questions only. Raises
    :class:`InputError` naming the question otherwise.
    """

    def refuse(reason: str) -> InputError:
        return InputError(f"question {question.id!r}: {reason}, not {value!r}")

    if value is None:
        if question.required:
            raise refuse("a required question needs an answer")
        return None
    match question.type:
        case QuestionType.YES_NO:
            if not isinstance(value, bool):
                raise refuse("a yes_no answer is True or False")
            return value
        case QuestionType.SCALE_0_10:
            scale = scale_value(value)
            if scale is None:
                raise refuse(f"a scale_0_10 answer is a whole number from 0 to {SCALE_MAX}")
            return scale
        case QuestionType.SINGLE_CHOICE:
            if not isinstance(value, str) or question.choice(value) is None:
                raise refuse(f"the answer is one choice id of {_choice_ids(question)}")
            return value
        case QuestionType.MULTIPLE_CHOICE:
            return _multiple_answer(question, value)
    raise AssertionError(question.type)  # pragma: no cover


def _multiple_answer(question: Question, value: object) -> frozenset[str]:
    if not isinstance(value, frozenset | set | tuple | list):
        raise InputError(
            f"question {question.id!r}: a multiple_choice answer is a set of choice ids, "
            f"not {value!r}"
        )
    items = list(value)
    for item in items:
        if not isinstance(item, str) or question.choice(item) is None:
            raise InputError(
                f"question {question.id!r}: {item!r} is not a choice id of {_choice_ids(question)}"
            )
    if len(set(items)) != len(items):
        raise InputError(f"question {question.id!r}: a choice is given twice in {value!r}")
    alone = question.none_choice
    if alone is not None and alone.id in items and len(items) > 1:
        raise InputError(
            f"question {question.id!r}: « {alone.label} » ({alone.id!r}) is ticked alone, "
            f"not with other choices: {value!r}"
        )
    return frozenset(items)


def _choice_ids(question: Question) -> str:
    return "(" + ", ".join(choice.id for choice in question.choices) + ")"


def validate_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> dict[str, AnswerValue | None]:
    """Every answer validated and normalised, in questionnaire order. Answers of hidden
    questions are kept (and checked); an unknown question id raises :class:`InputError`."""
    for question_id in answers:
        if questionnaire.position(question_id) is None:
            raise InputError(
                f"questionnaire {questionnaire.id!r} v{questionnaire.version} "
                f"has no question {question_id!r}"
            )
    return {
        question.id: validate_answer(question, answers[question.id])
        for question in questionnaire.questions
        if question.id in answers
    }


def visibility(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[tuple[Question, ...], dict[str, AnswerValue | None]]:
    """The visible questions, and the validated answers that count (those of visible
    questions, ``None`` included), both in questionnaire order."""
    valid = validate_answers(questionnaire, answers)
    visible: list[Question] = []
    effective: dict[str, AnswerValue | None] = {}
    for question in questionnaire.questions:
        if question.show_if is None or match_condition(question.show_if, questionnaire, effective):
            visible.append(question)
            if question.id in valid:
                effective[question.id] = valid[question.id]
    return tuple(visible), effective


def visible_questions(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[Question, ...]:
    """The questions to ask given ``answers`` so far, in order (answered ones included)."""
    return visibility(questionnaire, answers)[0]


def effective_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> dict[str, AnswerValue | None]:
    """The answers that count: those of visible questions, validated, in order (an
    optional question answered ``None`` included)."""
    return visibility(questionnaire, answers)[1]


def missing_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[Question, ...]:
    """The visible required questions without an answer."""
    visible, effective = visibility(questionnaire, answers)
    return tuple(
        question for question in visible if question.required and effective.get(question.id) is None
    )


def answer_weight(question: Question, value: AnswerValue | None) -> Decimal:
    """The weight of a *valid* answer to ``question``, exactly (``None`` weighs 0)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        return exact_weight(question.yes_weight if value else question.no_weight)
    if isinstance(value, int):
        if question.scale_multiplier is not None:
            return value * exact_weight(question.scale_multiplier)
        return exact_weight(question.scale_weights[value])
    if isinstance(value, str):
        choice = question.choice(value)
        return Decimal(0) if choice is None else exact_weight(choice.weight)
    return sum(
        (exact_weight(choice.weight) for choice in question.choices if choice.id in value),
        Decimal(0),
    )


def answer_label(question: Question, value: AnswerValue | None) -> str:
    """The French label of a *valid* answer, as shown to agents and intervention teams."""
    if value is None:
        return NO_ANSWER_LABEL
    if isinstance(value, bool):
        return YES_LABEL if value else NO_LABEL
    if isinstance(value, int):
        return f"{value}/{SCALE_MAX}"
    if isinstance(value, str):
        choice = question.choice(value)
        return value if choice is None else choice.label
    labels = [choice.label for choice in question.choices if choice.id in value]
    return ", ".join(labels) if labels else NONE_TICKED_LABEL
