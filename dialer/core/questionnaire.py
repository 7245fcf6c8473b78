"""Questionnaire definitions: the data model.

A questionnaire is the closed-question script an agent reads to a called person. It is
written by the city (YAML files, the shipped ones in ``dialer/ivr_scripts/questionnaires``, read by
:mod:`dialer.questionnaire_files`, which documents the file format) and versioned: answers
record the ``(id, version)`` they were given to.

Conditions (``show_if``, and an alert's ``when``)
    :class:`AnswerEquals` (yes_no: ``oui``/``non`` or a bool; single_choice: a choice id;
    scale: an int), :class:`AnswerIncludes` (multiple_choice: a choice id ticked),
    :class:`AnswerAtLeast` / :class:`AnswerAtMost` (scale), :class:`AnyOf`, :class:`AllOf`,
    and, in alerts only, :class:`RiskLevelAtLeast`. A condition on a question that is
    unanswered, answered ``None`` or hidden is false.

A :class:`Questionnaire` validates itself when built and raises
:class:`InvalidQuestionnaireError` listing every problem, each with its location in the
definition's own terms (``questions[3].show_if.question``), which the YAML loader turns
into a file line. The functions of the other questionnaire modules may therefore assume a
consistent definition:

* :mod:`dialer.core.questionnaire_reading`: a definition from its written form (the data
  of a YAML file), every structural problem with its location;
* :mod:`dialer.core.questionnaire_conditions`: the conditions' one walker (read, checked),
  and whether a condition holds on answers;
* :mod:`dialer.core.questionnaire_checks`: the consistency of a built definition;
* :mod:`dialer.core.questionnaire_answers`: answers, skip logic, completeness, weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from dialer.core.campaigns import CampaignKind
from dialer.errors import InputError

#: a weight or a threshold, as written in the definition
Weight: TypeAlias = int | float
#: a validated answer value (see :mod:`dialer.core.questionnaire_answers`)
AnswerValue: TypeAlias = bool | int | str | frozenset[str]
#: where a problem is, in the definition's field names: ``("questions", 3, "show_if")``
Location: TypeAlias = tuple[str | int, ...]

#: the number of points of a ``scale_0_10`` question (0 to 10)
SCALE_POINTS = 11
SCALE_MAX = SCALE_POINTS - 1
#: priorities of alerts: 1 is the highest
HIGHEST_PRIORITY = 1
LOWEST_PRIORITY = 4


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
    #: a multiple_choice question's own « none of these » (« Rien de particulier »): ticked
    #: alone, never with another choice; the screen then adds no generic « none » box
    exclusive: bool = False


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

    @property
    def none_choice(self) -> Choice | None:
        """The choice the question declares as its « none of these » (``exclusive``)."""
        return next((choice for choice in self.choices if choice.exclusive), None)

    @property
    def generic_none_box(self) -> bool:
        """Does the screen add its own « Aucun de ceux-ci » box (an empty answer)? For a
        multiple_choice question that declares no « none » choice of its own: one « none »
        on the screen, never two."""
        return self.type is QuestionType.MULTIPLE_CHOICE and self.none_choice is None


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
        # the checks read this model: imported here, where the model is complete
        from dialer.core.questionnaire_checks import definition_problems  # noqa: PLC0415

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


def exact_weight(weight: Weight) -> Decimal:
    """Exact decimal of a weight as written (``0.1`` is one tenth, not a binary float)."""
    return Decimal(weight) if isinstance(weight, int) else Decimal(repr(float(weight)))


def scale_value(value: object) -> int | None:
    """``value`` as a point of a ``scale_0_10`` question, or ``None`` when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= SCALE_MAX else None
