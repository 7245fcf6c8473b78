"""The consistency of a questionnaire definition, every problem with its location.

:class:`~dialer.core.questionnaire.Questionnaire` runs these checks when built: ids,
texts, weights, choices, risk levels, alert priorities; the conditions are walked by
:func:`dialer.core.questionnaire_conditions.read_condition` with the definition as scope.
"""

from __future__ import annotations

import math
import re

from dialer.core.questionnaire import (
    HIGHEST_PRIORITY,
    LOWEST_PRIORITY,
    SCALE_POINTS,
    Condition,
    DefinitionProblem,
    Location,
    Need,
    Question,
    Questionnaire,
    QuestionType,
    Weight,
    exact_weight,
)
from dialer.core.questionnaire_conditions import ConditionScope, read_condition

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_ID_RULE = "use lower-case letters, digits and _, starting with a letter"


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
        self.exclusive(where, question)

    def exclusive(self, where: Location, question: Question) -> None:
        """At most one « none of these » choice, in a multiple_choice question only."""
        marked = [i for i, choice in enumerate(question.choices) if choice.exclusive]
        if marked and question.type is not QuestionType.MULTIPLE_CHOICE:
            self.add(
                (*where, "choices", marked[0], "exclusive"),
                "only a multiple_choice question has an exclusive choice",
            )
        for position in marked[1:]:
            self.add(
                (*where, "choices", position, "exclusive"),
                f"question {question.id!r} has one exclusive choice at most",
                (*where, "choices", marked[0], "exclusive"),
            )

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
        scope = ConditionScope(self.q, context, before)
        read_condition(condition, where, self.add, scope)


# --- what a checked definition holds (``dialer questionnaire check``) ---------------------
def score_range(questionnaire: Questionnaire) -> tuple[Weight, Weight]:
    """The lowest and highest score the answers can give (each question on its own: a
    question that may be hidden or left out also counts for 0)."""
    low: Weight = 0
    high: Weight = 0
    for question in questionnaire.questions:
        weights = _answer_weights(question)
        if question.show_if is not None or not question.required:
            weights.append(0)
        low += min(weights)
        high += max(weights)
    return low, high


def _answer_weights(question: Question) -> list[Weight]:
    """The weights one answer to ``question`` can have (a multiple choice: its extremes)."""
    match question.type:
        case QuestionType.YES_NO:
            return [question.yes_weight, question.no_weight]
        case QuestionType.SINGLE_CHOICE:
            return [choice.weight for choice in question.choices] or [0]
        case QuestionType.MULTIPLE_CHOICE:
            weights = [choice.weight for choice in question.choices if not choice.exclusive]
            extremes = [sum(w for w in weights if w < 0), sum(w for w in weights if w > 0)]
            alone = question.none_choice
            return extremes if alone is None else [*extremes, alone.weight]
        case _:
            if question.scale_weights:
                return list(question.scale_weights)
            multiplier = question.scale_multiplier or 0
            return [0, multiplier * (SCALE_POINTS - 1)]
