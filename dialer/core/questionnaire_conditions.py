"""Questionnaire conditions: their one walker (read from the written form, checked against
the definition), and whether a condition holds on answers.

A condition is written as a mapping, one form per mapping (see
:mod:`dialer.questionnaire_files` for the file format)::

    {question: ID, equals: V}      {question: ID, includes: CHOICE}
    {question: ID, at_least: N}    {question: ID, at_most: N}
    {any_of: [CONDITION, ...]}     {all_of: [CONDITION, ...]}
    {risk_level_at_least: NAME}    (alerts only)

:func:`read_condition` is the only code that reads and checks them. It reads the written form
(a file's data, checking its structure) and, given a :class:`ConditionScope`, checks its
meaning against the definition (the questions it names, their types, the risk levels).
A condition built in Python is walked the same way: each model node is taken in its
written form (:func:`written_form`), so the definition check and the file loader share
every rule and every location (``questions[3].show_if.any_of[0].equals``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dialer.core.questionnaire import (
    SCALE_MAX,
    AllOf,
    AnswerAtLeast,
    AnswerAtMost,
    AnswerCondition,
    AnswerEquals,
    AnswerIncludes,
    AnswerValue,
    AnyOf,
    Condition,
    Location,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevelAtLeast,
    scale_value,
)

#: the tests of a condition on one question's answer
ANSWER_TESTS = ("equals", "includes", "at_least", "at_most")
#: the other forms: combinations, and the risk level (alerts only)
COMBINATIONS = ("any_of", "all_of", "risk_level_at_least")

_YES_WORDS = frozenset({"oui", "yes"})
_NO_WORDS = frozenset({"non", "no"})

#: ``fail(location, reason)``: how the walker reports a problem
Report = Callable[[Location, str], None]


@dataclass(frozen=True)
class ConditionScope:
    """What a condition may name, for the meaning checks.

    ``context`` is what owns it (``show_if``, ``alert``, ``emergency answer``: only alerts
    may use a risk level); ``before`` is the position of the question owning a
    ``show_if`` (it may only name earlier questions)."""

    questionnaire: Questionnaire
    context: str
    before: int | None = None


def written_form(node: object) -> object:
    """A model condition as written (its parts stay models, walked in their turn); any
    other value as it is."""
    match node:
        case AnyOf(conditions):
            return {"any_of": list(conditions)}
        case AllOf(conditions):
            return {"all_of": list(conditions)}
        case RiskLevelAtLeast(level):
            return {"risk_level_at_least": level}
        case AnswerEquals(question, value):
            return {"question": question, "equals": value}
        case AnswerIncludes(question, choice):
            return {"question": question, "includes": choice}
        case AnswerAtLeast(question, value):
            return {"question": question, "at_least": value}
        case AnswerAtMost(question, value):
            return {"question": question, "at_most": value}
    return node


def read_condition(
    node: object, where: Location, fail: Report, scope: ConditionScope | None = None
) -> Condition | None:
    """The condition written at ``where`` (a model condition is taken in its written form),
    or ``None`` when its structure is wrong; every problem is reported through ``fail``,
    those of meaning only when a ``scope`` is given."""
    node = written_form(node)
    if not isinstance(node, Mapping):
        fail(where, f"a condition must be a mapping, not {describe(node)}")
        return None
    if "question" in node:
        return _answer_condition(node, where, fail, scope)
    forms = [key for key in COMBINATIONS if key in node]
    if len(forms) != 1 or len(node) != 1:
        fail(
            where,
            "a condition is one of {question: ID, equals|includes|at_least|at_most: V}, "
            "{any_of: [...]}, {all_of: [...]}, {risk_level_at_least: LEVEL}; "
            f"found keys {', '.join(map(str, node))}",
        )
        return None
    form = forms[0]
    at: Location = (*where, form)
    if form == "risk_level_at_least":
        level = node[form]
        if not isinstance(level, str):
            fail(at, f"risk_level_at_least names a risk level, not {describe(level)}")
            return None
        if scope is not None:
            _check_risk_level(str(level), at, fail, scope)
        return RiskLevelAtLeast(str(level))
    items = node[form]
    if not isinstance(items, list):
        fail(at, f"{form} must be a list, not {describe(items)}")
        return None
    if scope is not None and not items:
        fail(at, f"{form} needs at least one condition")
    inner = [read_condition(c, (*at, i), fail, scope) for i, c in enumerate(items)]
    if any(c is None for c in inner):
        return None
    conditions = tuple(c for c in inner if c is not None)
    return AnyOf(conditions) if form == "any_of" else AllOf(conditions)


def _check_risk_level(level: str, at: Location, fail: Report, scope: ConditionScope) -> None:
    if scope.context != "alert":
        fail(at, f"{scope.context} conditions cannot use risk_level_at_least (only alerts can)")
        return
    names = scope.questionnaire.risk_level_names()
    if level not in names:
        fail(at, f"unknown risk level {level!r} (levels: {', '.join(names)})")


def _answer_condition(
    node: Mapping[Any, Any], where: Location, fail: Report, scope: ConditionScope | None
) -> Condition | None:
    tests = [key for key in ANSWER_TESTS if key in node]
    others = [key for key in node if key != "question" and key not in ANSWER_TESTS]
    for key in others:
        fail(
            (*where, key) if isinstance(key, str) else where,
            f"unknown key {key!r} in a condition (expected question and one of "
            f"{', '.join(ANSWER_TESTS)})",
        )
    if len(tests) != 1:
        fail(where, f"a condition on a question needs exactly one of {', '.join(ANSWER_TESTS)}")
        return None
    question_id = node["question"]
    if not isinstance(question_id, str):
        fail((*where, "question"), f"question must be a question id, not {describe(question_id)}")
        return None
    if others:
        return None
    condition = _answer_test(str(question_id), tests[0], node[tests[0]], where, fail)
    if condition is not None and scope is not None:
        _check_answer_condition(condition, where, fail, scope)
    return condition


def _answer_test(
    question_id: str, test: str, value: object, where: Location, fail: Report
) -> AnswerCondition | None:
    at: Location = (*where, test)
    if test == "equals":
        if isinstance(value, bool):
            return AnswerEquals(question_id, value)
        if isinstance(value, int | str):
            return AnswerEquals(question_id, int(value) if isinstance(value, int) else str(value))
        fail(at, f"equals needs oui/non, a choice id or a number, not {describe(value)}")
        return None
    if test == "includes":
        if isinstance(value, str):
            return AnswerIncludes(question_id, str(value))
        fail(at, f"includes needs a choice id, not {describe(value)}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fail(at, f"{test} must be a whole number, not {describe(value)}")
        return None
    return (AnswerAtLeast if test == "at_least" else AnswerAtMost)(question_id, int(value))


def _check_answer_condition(
    condition: AnswerCondition, where: Location, fail: Report, scope: ConditionScope
) -> None:
    questionnaire, before = scope.questionnaire, scope.before
    position = questionnaire.position(condition.question)
    at_question: Location = (*where, "question")
    if position is None:
        fail(at_question, f"{scope.context} refers to unknown question {condition.question!r}")
        return
    if before is not None and position >= before:
        fail(
            at_question,
            f"show_if refers to question {condition.question!r}, "
            + (
                "its own question"
                if position == before
                else f"which comes later (questions[{position}])"
            )
            + "; a show_if may only use earlier questions",
        )
        return
    question = questionnaire.questions[position]
    kind = question.type
    match condition:
        case AnswerEquals(value=value):
            at: Location = (*where, "equals")
            if kind is QuestionType.MULTIPLE_CHOICE:
                fail(at, f"question {question.id!r} is multiple_choice: use includes, not equals")
            elif expected_value(question, value) is None:
                fail(at, _bad_value(question, value))
        case AnswerIncludes(choice=choice):
            at = (*where, "includes")
            if kind is not QuestionType.MULTIPLE_CHOICE:
                fail(at, f"includes needs a multiple_choice question, {question.id!r} is {kind}")
            elif question.choice(choice) is None:
                fail(at, _bad_value(question, choice))
        case AnswerAtLeast(value=value) | AnswerAtMost(value=value):
            name = "at_least" if isinstance(condition, AnswerAtLeast) else "at_most"
            at = (*where, name)
            if kind is not QuestionType.SCALE_0_10:
                fail(at, f"{name} needs a scale_0_10 question, {question.id!r} is {kind}")
            elif scale_value(value) is None:
                fail(at, f"{name} must be a whole number from 0 to {SCALE_MAX}")


def _bad_value(question: Question, value: object) -> str:
    match question.type:
        case QuestionType.YES_NO:
            expected = "oui or non"
        case QuestionType.SCALE_0_10:
            expected = f"a whole number from 0 to {SCALE_MAX}"
        case _:
            expected = "one of " + ", ".join(choice.id for choice in question.choices)
    return f"{value!r} is not an answer of question {question.id!r} (expected {expected})"


def describe(value: object) -> str:
    """How a written value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {str(value)!r}"
    return f"a {type(value).__name__}"


def _yes_no_value(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES_WORDS:
            return True
        if word in _NO_WORDS:
            return False
    return None


def expected_value(question: Question, value: object) -> AnswerValue | None:
    """A condition's ``equals`` value as the answer it matches, or ``None`` if impossible."""
    match question.type:
        case QuestionType.YES_NO:
            return _yes_no_value(value)
        case QuestionType.SCALE_0_10:
            return scale_value(value)
        case QuestionType.SINGLE_CHOICE:
            if isinstance(value, str) and question.choice(value) is not None:
                return value
            return None
        case _:
            return None


# --- whether a condition holds ---------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """Why a condition holds: the questions whose answers made it true, and whether a
    :class:`RiskLevelAtLeast` took part."""

    questions: tuple[str, ...] = ()
    by_risk_level: bool = False

    def __add__(self, other: Match) -> Match:
        questions = self.questions + tuple(q for q in other.questions if q not in self.questions)
        return Match(questions, self.by_risk_level or other.by_risk_level)


def match_condition(
    condition: Condition,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue | None],
    *,
    risk_level: str | None = None,
) -> Match | None:
    """Whether ``condition`` holds on *effective, valid* ``answers`` (see
    :func:`dialer.core.questionnaire_answers.effective_answers`) and, if so, why; ``None``
    when it does not hold.

    ``risk_level`` is the level reached, for :class:`RiskLevelAtLeast` (false without it).
    :class:`AnyOf` keeps the reasons of every branch that holds.
    """
    match condition:
        case AnyOf(conditions):
            result: Match | None = None
            for inner in conditions:
                m = match_condition(inner, questionnaire, answers, risk_level=risk_level)
                if m is not None:
                    result = m if result is None else result + m
            return result
        case AllOf(conditions):
            total = Match()
            for inner in conditions:
                m = match_condition(inner, questionnaire, answers, risk_level=risk_level)
                if m is None:
                    return None
                total += m
            return total
        case RiskLevelAtLeast(level):
            names = questionnaire.risk_level_names()
            if risk_level is None or level not in names or risk_level not in names:
                return None
            reached = names.index(risk_level) >= names.index(level)
            return Match(by_risk_level=True) if reached else None
        case _:
            value = answers.get(condition.question)
            if value is None:
                return None
            question = questionnaire.question(condition.question)
            return Match((question.id,)) if _answer_holds(condition, question, value) else None


def _answer_holds(condition: AnswerCondition, question: Question, value: AnswerValue) -> bool:
    match condition:
        case AnswerEquals(value=expected):
            wanted = expected_value(question, expected)
            return wanted is not None and type(wanted) is type(value) and wanted == value
        case AnswerIncludes(choice=choice):
            return isinstance(value, frozenset) and choice in value
        case AnswerAtLeast(value=bound):
            return isinstance(value, int) and not isinstance(value, bool) and value >= bound
        case AnswerAtMost(value=bound):
            return isinstance(value, int) and not isinstance(value, bool) and value <= bound
    raise AssertionError(condition)  # pragma: no cover


def condition_questions(condition: Condition) -> Iterator[str]:
    """The ids of the questions a condition names, in order (repeats included)."""
    match condition:
        case AnyOf(conditions) | AllOf(conditions):
            for inner in conditions:
                yield from condition_questions(inner)
        case RiskLevelAtLeast():
            return
        case _:
            yield condition.question
