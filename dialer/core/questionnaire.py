"""Questionnaire definitions: the data model, skip logic, and answer validation.

A questionnaire is the closed-question script an agent reads to a called person. It is
written by the city (YAML files in ``ivr_scripts/questionnaires``, read by
:mod:`dialer.questionnaires`, which documents the file format) and versioned: answers
record the ``(id, version)`` they were given to.

Answers
    A mapping ``question id -> value``:

    ========================  ==========================================================
    ``yes_no``                ``True`` (oui) / ``False`` (non)
    ``single_choice``         the chosen choice's id (``str``)
    ``multiple_choice``       the ticked choices' ids: a ``frozenset`` (a set, tuple or
                              list is accepted and normalised); empty = none of them
    ``scale_0_10``            an ``int`` from 0 to 10
    any *optional* question   ``None``: asked, no answer given (declined, does not know)
    ========================  ==========================================================

    A question missing from the mapping has not been asked (yet).

Skip logic
    A question with ``show_if`` is *visible* only while its condition holds on the answers
    to the visible questions before it; a condition may only name earlier questions, so
    one pass in order decides visibility. The answers of hidden questions are kept by the
    caller (the person may change an earlier answer back) but never count: not for
    visibility, completeness, the score or alerts.

Conditions (``show_if``, and an alert's ``when``)
    :class:`AnswerEquals` (yes_no: ``oui``/``non`` or a bool; single_choice: a choice id;
    scale: an int), :class:`AnswerIncludes` (multiple_choice: a choice id ticked),
    :class:`AnswerAtLeast` / :class:`AnswerAtMost` (scale), :class:`AnyOf`, :class:`AllOf`,
    and, in alerts only, :class:`RiskLevelAtLeast`. A condition on a question that is
    unanswered, answered ``None`` or hidden is false.

Completeness
    A questionnaire is complete (a *contact utile*) when every visible required question
    has a non-``None`` answer.

A :class:`Questionnaire` validates itself when built and raises
:class:`InvalidQuestionnaireError` listing every problem, each with its location in the
definition's own terms (``questions[3].show_if.question``), which the YAML loader turns
into a file line. The functions here may therefore assume a consistent definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from dialer.core.campaigns import CampaignKind
from dialer.errors import InputError

#: a weight or a threshold, as written in the definition
Weight: TypeAlias = int | float
#: a validated answer value (see the module docstring)
AnswerValue: TypeAlias = bool | int | str | frozenset[str]
#: where a problem is, in the definition's field names: ``("questions", 3, "show_if")``
Location: TypeAlias = tuple[str | int, ...]

#: the number of points of a ``scale_0_10`` question (0 to 10)
SCALE_POINTS = 11
SCALE_MAX = SCALE_POINTS - 1
#: priorities of alerts: 1 is the highest
HIGHEST_PRIORITY = 1
LOWEST_PRIORITY = 4

YES_LABEL = "oui"
NO_LABEL = "non"
NO_ANSWER_LABEL = "sans réponse"
NONE_TICKED_LABEL = "aucun"

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_YES_WORDS = frozenset({"oui", "yes"})
_NO_WORDS = frozenset({"non", "no"})


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE_0_10 = "scale_0_10"


class Need(StrEnum):
    """The kind of need an answer reveals; it routes an alert to an intervention team."""

    #: on the call, right now: SAMU (15) or 112
    MEDICAL_EMERGENCY = "medical_emergency"
    #: health follow-up (doctor, nurse, symptoms to watch)
    MEDICAL = "medical"
    #: isolation, wish for a visit or a call
    SOCIAL = "social"
    #: shopping, meals, medicines delivery, clothes, blankets
    HOME_HELP = "home_help"
    #: the home itself: too hot or too cold, heating broken, unsafe heater
    HOUSING = "housing"


# --- conditions ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerEquals:
    """``{question: ID, equals: VALUE}``: yes_no (``oui``/``non``/bool), single_choice
    (a choice id) or scale (an int)."""

    question: str
    value: bool | int | str


@dataclass(frozen=True)
class AnswerIncludes:
    """``{question: ID, includes: CHOICE}``: a multiple_choice answer ticks ``choice``."""

    question: str
    choice: str


@dataclass(frozen=True)
class AnswerAtLeast:
    """``{question: ID, at_least: N}``: a scale answer is ``>= value``."""

    question: str
    value: int


@dataclass(frozen=True)
class AnswerAtMost:
    """``{question: ID, at_most: N}``: a scale answer is ``<= value``."""

    question: str
    value: int


@dataclass(frozen=True)
class AnyOf:
    """``{any_of: [CONDITION, ...]}``"""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf:
    """``{all_of: [CONDITION, ...]}``"""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class RiskLevelAtLeast:
    """``{risk_level_at_least: NAME}``: alerts only; the score reached level ``level``."""

    level: str


AnswerCondition: TypeAlias = AnswerEquals | AnswerIncludes | AnswerAtLeast | AnswerAtMost
Condition: TypeAlias = AnswerCondition | AnyOf | AllOf | RiskLevelAtLeast


# --- the definition ------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    weight: Weight


@dataclass(frozen=True)
class Question:
    """One closed question.

    Weights by type: ``yes_no`` uses ``yes_weight``/``no_weight``; single and multiple
    choice use each choice's weight (a multiple answer weighs the sum of its ticked
    choices); ``scale_0_10`` uses ``scale_weights`` (one per point, 0 to 10) or else
    ``scale_multiplier`` (weight = answer x multiplier).
    """

    id: str
    text: str
    type: QuestionType
    choices: tuple[Choice, ...] = ()
    yes_weight: Weight = 0
    no_weight: Weight = 0
    scale_weights: tuple[Weight, ...] = ()
    scale_multiplier: Weight | None = None
    required: bool = True
    show_if: Condition | None = None
    needs: frozenset[Need] = frozenset()

    def choice(self, choice_id: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.id == choice_id), None)


@dataclass(frozen=True)
class RiskLevel:
    """A level is reached from ``min_score`` (inclusive) up to the next level's."""

    name: str
    min_score: Weight


@dataclass(frozen=True)
class AlertRule:
    when: Condition
    need: Need
    priority: int
    message: str


@dataclass(frozen=True)
class EmergencyAnswer:
    """Answers meaning a medical emergency on the call right now: the agent is shown
    ``agent_instructions`` and a priority-1 ``medical_emergency`` alert is raised."""

    when: Condition
    message: str
    agent_instructions: str


@dataclass(frozen=True)
class DefinitionProblem:
    """One reason a definition is invalid, where it is, and maybe where it clashes."""

    location: Location
    reason: str
    #: another place the problem involves (the first of two duplicate ids)
    related: Location | None = None

    def __str__(self) -> str:
        return f"{format_location(self.location)}: {self.reason}"


class InvalidQuestionnaireError(InputError):
    """A definition is inconsistent; ``problems`` lists every reason."""

    def __init__(self, questionnaire_id: str, problems: tuple[DefinitionProblem, ...]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"questionnaire {questionnaire_id!r} is invalid:\n{lines}")


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: str
    kind: CampaignKind
    #: French text for agents: introduction script, what to say
    guidance: str
    questions: tuple[Question, ...]
    #: in increasing ``min_score`` order; the first also takes any lower score
    risk_levels: tuple[RiskLevel, ...]
    alerts: tuple[AlertRule, ...] = ()
    emergency_answers: tuple[EmergencyAnswer, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for position, question in enumerate(self.questions):
            index.setdefault(question.id, position)
        object.__setattr__(self, "_index", index)
        problems = definition_problems(self)
        if problems:
            raise InvalidQuestionnaireError(self.id, problems)

    def question(self, question_id: str) -> Question:
        """The question ``question_id``; :class:`InputError` when there is none."""
        position = self._index.get(question_id)
        if position is None:
            raise InputError(f"questionnaire {self.id!r} has no question {question_id!r}")
        return self.questions[position]

    def position(self, question_id: str) -> int | None:
        """The question's index in :attr:`questions`, or ``None``."""
        return self._index.get(question_id)

    def risk_level_names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.risk_levels)


def format_location(location: Location) -> str:
    """``("questions", 3, "show_if")`` -> ``"questions[3].show_if"``."""
    text = ""
    for step in location:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "(top level)"


# --- validation of a definition ------------------------------------------------------


def definition_problems(questionnaire: Questionnaire) -> tuple[DefinitionProblem, ...]:
    """Every inconsistency of ``questionnaire``, in definition order (empty when valid)."""
    return tuple(_DefinitionChecker(questionnaire).run())


class _DefinitionChecker:
    def __init__(self, questionnaire: Questionnaire) -> None:
        self.q = questionnaire
        self.problems: list[DefinitionProblem] = []

    def add(self, location: Location, reason: str, related: Location | None = None) -> None:
        self.problems.append(DefinitionProblem(location, reason, related))

    def run(self) -> list[DefinitionProblem]:
        q = self.q
        if not _ID.match(q.id):
            self.add(("id",), f"invalid id {q.id!r}: {_ID_RULE}")
        if isinstance(q.version, bool) or not isinstance(q.version, int) or q.version < 1:
            self.add(("version",), f"version must be a whole number >= 1, not {q.version!r}")
        self.text(("title",), q.title, "title")
        self.text(("guidance",), q.guidance, "guidance")
        if not q.questions:
            self.add(("questions",), "a questionnaire needs at least one question")
        first_at: dict[str, int] = {}
        for position, question in enumerate(q.questions):
            where: Location = ("questions", position)
            if question.id in first_at:
                first = first_at[question.id]
                self.add(
                    (*where, "id"),
                    f"duplicate question id {question.id!r} (already used by questions[{first}])",
                    ("questions", first, "id"),
                )
            else:
                first_at[question.id] = position
            self.question(where, position, question)
        self.risk_levels()
        for position, rule in enumerate(q.alerts):
            where = ("scoring", "alerts", position)
            self.condition((*where, "when"), rule.when, context="alert")
            if not HIGHEST_PRIORITY <= rule.priority <= LOWEST_PRIORITY:
                self.add(
                    (*where, "priority"),
                    f"priority must be {HIGHEST_PRIORITY} (highest) to {LOWEST_PRIORITY}, "
                    f"not {rule.priority!r}",
                )
            elif rule.need is Need.MEDICAL_EMERGENCY and rule.priority != HIGHEST_PRIORITY:
                self.add(
                    (*where, "priority"),
                    "a medical_emergency alert must have priority 1 "
                    "(or be listed under emergency_answers)",
                )
            self.text((*where, "message"), rule.message, "message")
        for position, emergency in enumerate(q.emergency_answers):
            where = ("scoring", "emergency_answers", position)
            self.condition((*where, "when"), emergency.when, context="emergency answer")
            self.text((*where, "message"), emergency.message, "message")
            self.text(
                (*where, "agent_instructions"), emergency.agent_instructions, "agent_instructions"
            )
        return self.problems

    def text(self, location: Location, value: str, name: str) -> None:
        if not value.strip():
            self.add(location, f"{name} must not be empty")

    def weight(self, location: Location, value: Weight) -> None:
        if isinstance(value, bool) or not math.isfinite(value):
            self.add(location, f"weight must be a finite number, not {value!r}")

    def question(self, where: Location, position: int, question: Question) -> None:
        if not _ID.match(question.id):
            self.add((*where, "id"), f"invalid question id {question.id!r}: {_ID_RULE}")
        self.text((*where, "text"), question.text, "text")
        kind = question.type
        if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            self.choices(where, question)
        elif question.choices:
            self.add((*where, "choices"), f"a {kind} question has no choices")
        if kind is QuestionType.YES_NO:
            self.weight((*where, "weights", "oui"), question.yes_weight)
            self.weight((*where, "weights", "non"), question.no_weight)
        if kind is QuestionType.SCALE_0_10:
            if question.scale_multiplier is not None:
                if question.scale_weights:
                    self.add(
                        (*where, "weights"),
                        "give either a weight per point or a multiplier, not both",
                    )
                self.weight((*where, "weights", "multiplier"), question.scale_multiplier)
            elif len(question.scale_weights) != SCALE_POINTS:
                self.add(
                    (*where, "weights"),
                    f"a scale_0_10 question needs {SCALE_POINTS} weights (points 0 to 10) "
                    f"or a multiplier, got {len(question.scale_weights)} weights",
                )
            for point, value in enumerate(question.scale_weights):
                self.weight((*where, "weights", point), value)
        elif question.scale_weights or question.scale_multiplier is not None:
            self.add((*where, "weights"), f"a {kind} question has no scale weights")
        if question.show_if is not None:
            self.condition(
                (*where, "show_if"), question.show_if, context="show_if", before=position
            )

    def choices(self, where: Location, question: Question) -> None:
        if len(question.choices) < 2:
            self.add((*where, "choices"), f"a {question.type} question needs at least 2 choices")
        first_at: dict[str, int] = {}
        for position, choice in enumerate(question.choices):
            at: Location = (*where, "choices", position)
            if not _ID.match(choice.id):
                self.add((*at, "id"), f"invalid choice id {choice.id!r}: {_ID_RULE}")
            if choice.id in first_at:
                self.add(
                    (*at, "id"),
                    f"duplicate choice id {choice.id!r} in question {question.id!r}",
                    (*where, "choices", first_at[choice.id], "id"),
                )
            else:
                first_at[choice.id] = position
            self.text((*at, "label"), choice.label, "label")
            self.weight((*at, "weight"), choice.weight)

    def risk_levels(self) -> None:
        levels = self.q.risk_levels
        where: Location = ("scoring", "risk_levels")
        if not levels:
            self.add(where, "at least one risk level is needed")
        seen: set[str] = set()
        for position, level in enumerate(levels):
            at: Location = (*where, position)
            if not level.name.strip():
                self.add((*at, "name"), "name must not be empty")
            elif level.name in seen:
                self.add((*at, "name"), f"duplicate risk level {level.name!r}")
            seen.add(level.name)
            self.weight((*at, "min_score"), level.min_score)
            if position and exact_weight(level.min_score) <= exact_weight(
                levels[position - 1].min_score
            ):
                previous = levels[position - 1]
                self.add(
                    (*at, "min_score"),
                    f"thresholds must increase: min_score {level.min_score} of {level.name!r} "
                    f"is not above {previous.min_score} of {previous.name!r}",
                )

    def condition(
        self, where: Location, condition: Condition, *, context: str, before: int | None = None
    ) -> None:
        """``before``: the position of the question owning a show_if (only earlier ones)."""
        match condition:
            case AnyOf(conditions) | AllOf(conditions):
                name = "any_of" if isinstance(condition, AnyOf) else "all_of"
                if not conditions:
                    self.add((*where, name), f"{name} needs at least one condition")
                for position, inner in enumerate(conditions):
                    self.condition((*where, name, position), inner, context=context, before=before)
            case RiskLevelAtLeast(level):
                if context != "alert":
                    self.add(
                        (*where, "risk_level_at_least"),
                        f"{context} conditions cannot use risk_level_at_least (only alerts can)",
                    )
                elif level not in self.q.risk_level_names():
                    known = ", ".join(self.q.risk_level_names())
                    self.add(
                        (*where, "risk_level_at_least"),
                        f"unknown risk level {level!r} (levels: {known})",
                    )
            case _:
                self.answer_condition(where, condition, context=context, before=before)

    def answer_condition(
        self, where: Location, condition: AnswerCondition, *, context: str, before: int | None
    ) -> None:
        position = self.q.position(condition.question)
        if position is None:
            self.add(
                (*where, "question"),
                f"{context} refers to unknown question {condition.question!r}",
            )
            return
        if before is not None and position >= before:
            self.add(
                (*where, "question"),
                f"show_if refers to question {condition.question!r}, "
                + (
                    "its own question"
                    if position == before
                    else f"which comes later (questions[{position}])"
                )
                + "; a show_if may only use earlier questions",
            )
            return
        question = self.q.questions[position]
        kind = question.type
        match condition:
            case AnswerEquals(value=value):
                at: Location = (*where, "equals")
                if kind is QuestionType.MULTIPLE_CHOICE:
                    self.add(
                        at,
                        f"question {question.id!r} is multiple_choice: use includes, not equals",
                    )
                elif _expected_value(question, value) is None:
                    self.add(at, _bad_value(question, value))
            case AnswerIncludes(choice=choice):
                at = (*where, "includes")
                if kind is not QuestionType.MULTIPLE_CHOICE:
                    self.add(
                        at, f"includes needs a multiple_choice question, {question.id!r} is {kind}"
                    )
                elif question.choice(choice) is None:
                    self.add(at, _bad_value(question, choice))
            case AnswerAtLeast(value=value) | AnswerAtMost(value=value):
                name = "at_least" if isinstance(condition, AnswerAtLeast) else "at_most"
                at = (*where, name)
                if kind is not QuestionType.SCALE_0_10:
                    self.add(at, f"{name} needs a scale_0_10 question, {question.id!r} is {kind}")
                elif _scale_value(value) is None:
                    self.add(at, f"{name} must be a whole number from 0 to {SCALE_MAX}")


_ID_RULE = "use lower-case letters, digits and _, starting with a letter"


def _bad_value(question: Question, value: object) -> str:
    match question.type:
        case QuestionType.YES_NO:
            expected = "oui or non"
        case QuestionType.SCALE_0_10:
            expected = f"a whole number from 0 to {SCALE_MAX}"
        case _:
            expected = "one of " + ", ".join(choice.id for choice in question.choices)
    return f"{value!r} is not an answer of question {question.id!r} (expected {expected})"


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


def _scale_value(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= SCALE_MAX else None


def _expected_value(question: Question, value: object) -> AnswerValue | None:
    """A condition's ``equals`` value as the answer it matches, or ``None`` if impossible."""
    match question.type:
        case QuestionType.YES_NO:
            return _yes_no_value(value)
        case QuestionType.SCALE_0_10:
            return _scale_value(value)
        case QuestionType.SINGLE_CHOICE:
            if isinstance(value, str) and question.choice(value) is not None:
                return value
            return None
        case _:
            return None


# --- answers -------------------------------------------------------------------------


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
            scale = _scale_value(value)
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


def next_question(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Question | None:
    """The first visible question not answered yet (``None`` counts as answered for an
    optional question: it was asked); ``None`` when there is none left."""
    visible, _ = visibility(questionnaire, answers)
    return next((question for question in visible if question.id not in answers), None)


def missing_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[Question, ...]:
    """The visible required questions without an answer."""
    visible, effective = visibility(questionnaire, answers)
    return tuple(
        question for question in visible if question.required and effective.get(question.id) is None
    )


def is_complete(questionnaire: Questionnaire, answers: Mapping[str, object]) -> bool:
    """Every visible required question is answered: the call is a *contact utile*."""
    return not missing_answers(questionnaire, answers)


# --- weights, labels, conditions -----------------------------------------------------


def exact_weight(weight: Weight) -> Decimal:
    """Exact decimal of a weight as written (``0.1`` is one tenth, not a binary float)."""
    return Decimal(weight) if isinstance(weight, int) else Decimal(repr(float(weight)))


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
    :func:`effective_answers`) and, if so, why; ``None`` when it does not hold.

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
            wanted = _expected_value(question, expected)
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
