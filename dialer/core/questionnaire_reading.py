"""A questionnaire definition from its written form, every structural problem located.

The written form is the data of a definition file (see :mod:`dialer.questionnaire_files`
for the format): mappings, lists, text, numbers and booleans, as a YAML or JSON reader
gives them. :func:`read_questionnaire` checks the structure (kinds of values, required and
unknown keys: a misspelt ``show-if`` must not quietly show a question to everyone) and
reports every problem at once with its location (``("questions", 3, "type")``); when the
structure is sound it builds the :class:`~dialer.core.questionnaire.Questionnaire`, whose
own checks (:mod:`dialer.core.questionnaire_checks`) report the inconsistencies.
Conditions are read by :func:`dialer.core.questionnaire_conditions.read_condition`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from dialer.core.campaigns import CampaignKind
from dialer.core.questionnaire import (
    AlertRule,
    Choice,
    Condition,
    DefinitionProblem,
    EmergencyAnswer,
    InvalidQuestionnaireError,
    Location,
    Need,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevel,
    Weight,
)
from dialer.core.questionnaire_conditions import describe, read_condition

_TOP_KEYS = frozenset({"id", "version", "title", "kind", "guidance", "questions", "scoring"})
_QUESTION_KEYS = frozenset({"id", "text", "type", "choices", "weights", "required"})
_QUESTION_OPTIONAL = frozenset({"show_if", "need"})
# a dict keyed by str and bool: yes_no_weights keeps 1 and 0 out (1 == True)
_YES_NO_KEYS: dict[str | bool, bool] = {
    "oui": True,
    "yes": True,
    True: True,
    "non": False,
    "no": False,
    False: False,
}

_E = TypeVar("_E", QuestionType, CampaignKind, Need)


def read_questionnaire(data: object) -> Questionnaire:
    """The definition written as ``data``; :class:`InvalidQuestionnaireError` listing every
    problem (those of structure first: the consistency checks need a sound structure)."""
    reader = _Reader()
    build = reader.questionnaire(data)
    problems: tuple[DefinitionProblem, ...] = tuple(reader.problems)
    if build is not None and not problems:
        return build()
    if not problems:  # pragma: no cover - every failed part records why
        problems = (DefinitionProblem((), "invalid questionnaire"),)
    ident = data.get("id") if isinstance(data, Mapping) else None
    raise InvalidQuestionnaireError(ident if isinstance(ident, str) else "?", problems)


class _Reader:
    """Checks the structure and builds the model; every problem is collected.

    Returns zero-argument builders (the :class:`Questionnaire` constructor runs the
    consistency checks, which need the structure to be sound)."""

    def __init__(self) -> None:
        self.problems: list[DefinitionProblem] = []

    def fail(self, location: Location, reason: str) -> None:
        self.problems.append(DefinitionProblem(location, reason))

    # --- generic shapes --------------------------------------------------------------

    def mapping(
        self,
        node: Any,
        where: Location,
        what: str,
        *,
        required: frozenset[str] | tuple[str, ...],
        optional: frozenset[str] | tuple[str, ...] = (),
    ) -> Mapping[Any, Any] | None:
        if not isinstance(node, Mapping):
            self.fail(where, f"{what} must be a mapping (key: value), not {describe(node)}")
            return None
        allowed = set(required) | set(optional)
        for key in node:
            if key not in allowed:
                self.fail(
                    (*where, key) if isinstance(key, str) else where,
                    f"unknown key {key!r} in {what} (expected: {', '.join(sorted(allowed))})",
                )
        for key in sorted(set(required) - set(node)):
            self.fail(where, f"{what} lacks {key!r}")
        return node

    def sequence(self, node: Any, where: Location, what: str) -> list[Any] | None:
        if not isinstance(node, list):
            self.fail(where, f"{what} must be a list, not {describe(node)}")
            return None
        return node

    def string(self, node: Mapping[Any, Any], key: str, where: Location) -> str | None:
        if key not in node:
            return None
        value = node[key]
        if not isinstance(value, str):
            self.fail((*where, key), f"{key} must be text, not {describe(value)}")
            return None
        if not value.strip():
            self.fail((*where, key), f"{key} must not be empty")
            return None
        return str(value).strip()

    def number(self, value: Any, at: Location, what: str) -> Weight | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(at, f"{what} must be a number, not {describe(value)}")
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail(at, f"{what} must be a finite number, not {value}")
                return None
            return float(value)
        return int(value)

    def integer(self, value: Any, at: Location, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(at, f"{what} must be a whole number, not {describe(value)}")
            return None
        return int(value)

    def enum_value(self, enum: type[_E], value: Any, at: Location, what: str) -> _E | None:
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
        expected = ", ".join(member.value for member in enum)
        self.fail(at, f"unknown {what} {value!r} (expected one of: {expected})")
        return None

    # --- the definition --------------------------------------------------------------

    def questionnaire(self, root: Any) -> Callable[[], Questionnaire] | None:
        top = self.mapping(root, (), "a questionnaire", required=_TOP_KEYS)
        if top is None:
            return None
        ident = self.string(top, "id", ())
        version = (
            self.integer(top["version"], ("version",), "version") if "version" in top else None
        )
        title = self.string(top, "title", ())
        guidance = self.string(top, "guidance", ())
        kind = (
            self.enum_value(CampaignKind, top["kind"], ("kind",), "kind") if "kind" in top else None
        )
        questions: list[Question] = []
        if "questions" in top:
            items = self.sequence(top["questions"], ("questions",), "questions")
            for position, item in enumerate(items or ()):
                question = self.question(item, ("questions", position))
                if question is not None:
                    questions.append(question)
        scoring = self.scoring(top["scoring"]) if "scoring" in top else None
        if ident is None or version is None or title is None or guidance is None:
            return None
        if kind is None or scoring is None:
            return None
        levels, alerts, emergencies = scoring

        def build() -> Questionnaire:
            return Questionnaire(
                id=ident,
                version=version,
                title=title,
                kind=kind,
                guidance=guidance,
                questions=tuple(questions),
                risk_levels=levels,
                alerts=alerts,
                emergency_answers=emergencies,
            )

        return build

    def question(self, node: Any, where: Location) -> Question | None:
        item = self.mapping(
            node,
            where,
            "a question",
            required=("id", "text", "type"),
            optional=_QUESTION_KEYS | _QUESTION_OPTIONAL,
        )
        if item is None:
            return None
        ident = self.string(item, "id", where)
        text = self.string(item, "text", where)
        kind = (
            self.enum_value(QuestionType, item["type"], (*where, "type"), "question type")
            if "type" in item
            else None
        )
        required = True
        if "required" in item:
            if isinstance(item["required"], bool):
                required = item["required"]
            else:
                self.fail((*where, "required"), "required must be true or false")
        needs = self.needs(item, where)
        show_if = (
            self.condition(item["show_if"], (*where, "show_if")) if "show_if" in item else None
        )
        weights = self.question_weights(item, where, kind) if kind is not None else None
        if ident is None or text is None or kind is None or weights is None:
            return None
        if "show_if" in item and show_if is None:
            return None
        choices, yes_weight, no_weight, scale_weights, multiplier = weights
        return Question(
            id=ident,
            text=text,
            type=kind,
            choices=choices,
            yes_weight=yes_weight,
            no_weight=no_weight,
            scale_weights=scale_weights,
            scale_multiplier=multiplier,
            required=required,
            show_if=show_if,
            needs=needs,
        )

    def needs(self, item: Mapping[Any, Any], where: Location) -> frozenset[Need]:
        if "need" not in item:
            return frozenset()
        value = item["need"]
        at: Location = (*where, "need")
        if isinstance(value, list):
            found = [self.enum_value(Need, v, (*at, i), "need") for i, v in enumerate(value)]
            return frozenset(need for need in found if need is not None)
        need = self.enum_value(Need, value, at, "need")
        return frozenset() if need is None else frozenset({need})

    def question_weights(
        self, item: Mapping[Any, Any], where: Location, kind: QuestionType
    ) -> tuple[tuple[Choice, ...], Weight, Weight, tuple[Weight, ...], Weight | None] | None:
        """``(choices, yes_weight, no_weight, scale_weights, scale_multiplier)``."""
        choices_at: Location = (*where, "choices")
        weights_at: Location = (*where, "weights")
        if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            if "weights" in item:
                self.fail(weights_at, f"a {kind} question has no weights: each choice has one")
            if "choices" not in item:
                self.fail(where, f"a {kind} question lacks 'choices'")
                return None
            items = self.sequence(item["choices"], choices_at, "choices")
            if items is None:
                return None
            choices = [self.choice(c, (*choices_at, i)) for i, c in enumerate(items)]
            if any(choice is None for choice in choices):
                return None
            return tuple(c for c in choices if c is not None), 0, 0, (), None
        if "choices" in item:
            self.fail(choices_at, f"a {kind} question has no choices")
        if "weights" not in item:
            self.fail(where, f"a {kind} question lacks 'weights'")
            return None
        weights = item["weights"]
        if kind is QuestionType.YES_NO:
            return self.yes_no_weights(weights, weights_at)
        if isinstance(weights, list):
            found = [self.number(w, (*weights_at, i), "weight") for i, w in enumerate(weights)]
            if any(w is None for w in found):
                return None
            return (), 0, 0, tuple(w for w in found if w is not None), None
        ratio = self.mapping(
            weights,
            weights_at,
            "the weights of a scale_0_10 question (a list of 11, or {multiplier: N})",
            required=("multiplier",),
        )
        if ratio is None or "multiplier" not in ratio:
            return None
        multiplier = self.number(ratio["multiplier"], (*weights_at, "multiplier"), "multiplier")
        return None if multiplier is None else ((), 0, 0, (), multiplier)

    def yes_no_weights(
        self, weights: Any, at: Location
    ) -> tuple[tuple[Choice, ...], Weight, Weight, tuple[Weight, ...], Weight | None] | None:
        if not isinstance(weights, Mapping):
            self.fail(
                at,
                f"the weights of a yes_no question are {{oui: N, non: N}}, not {describe(weights)}",
            )
            return None
        found: dict[bool, Weight | None] = {}
        for key in weights:
            answer = _YES_NO_KEYS.get(key) if isinstance(key, str | bool) else None
            if answer is None:
                self.fail((*at, key), f"unknown key {key!r} in yes_no weights (expected oui, non)")
            elif answer in found:
                self.fail((*at, key), f"weight for {'oui' if answer else 'non'} given twice")
            else:
                found[answer] = self.number(weights[key], (*at, key), "weight")
        for answer, name in ((True, "oui"), (False, "non")):
            if answer not in found:
                self.fail(at, f"yes_no weights lack {name!r}")
        yes, no = found.get(True), found.get(False)
        if yes is None or no is None:
            return None
        return (), yes, no, (), None

    def choice(self, node: Any, where: Location) -> Choice | None:
        item = self.mapping(
            node, where, "a choice", required=("id", "label", "weight"), optional=("exclusive",)
        )
        if item is None:
            return None
        ident = self.string(item, "id", where)
        label = self.string(item, "label", where)
        weight = (
            self.number(item["weight"], (*where, "weight"), "weight") if "weight" in item else None
        )
        exclusive = item.get("exclusive", False)
        if not isinstance(exclusive, bool):
            self.fail((*where, "exclusive"), "exclusive must be true or false")
            return None
        if ident is None or label is None or weight is None:
            return None
        return Choice(id=ident, label=label, weight=weight, exclusive=exclusive)

    def scoring(
        self, node: Any
    ) -> tuple[tuple[RiskLevel, ...], tuple[AlertRule, ...], tuple[EmergencyAnswer, ...]] | None:
        where: Location = ("scoring",)
        scoring = self.mapping(
            node,
            where,
            "scoring",
            required=("risk_levels",),
            optional=("alerts", "emergency_answers"),
        )
        if scoring is None:
            return None
        levels: list[RiskLevel | None] = []
        if "risk_levels" in scoring:
            at: Location = (*where, "risk_levels")
            for i, item in enumerate(
                self.sequence(scoring["risk_levels"], at, "risk_levels") or ()
            ):
                levels.append(self.risk_level(item, (*at, i)))
        alerts: list[AlertRule | None] = []
        if "alerts" in scoring:
            at = (*where, "alerts")
            for i, item in enumerate(self.sequence(scoring["alerts"], at, "alerts") or ()):
                alerts.append(self.alert(item, (*at, i)))
        emergencies: list[EmergencyAnswer | None] = []
        if "emergency_answers" in scoring:
            at = (*where, "emergency_answers")
            items = self.sequence(scoring["emergency_answers"], at, "emergency_answers")
            for i, item in enumerate(items or ()):
                emergencies.append(self.emergency(item, (*at, i)))
        if None in levels or None in alerts or None in emergencies:
            return None
        return (
            tuple(level for level in levels if level is not None),
            tuple(alert for alert in alerts if alert is not None),
            tuple(emergency for emergency in emergencies if emergency is not None),
        )

    def risk_level(self, node: Any, where: Location) -> RiskLevel | None:
        item = self.mapping(node, where, "a risk level", required=("name", "min_score"))
        if item is None:
            return None
        name = self.string(item, "name", where)
        minimum = (
            self.number(item["min_score"], (*where, "min_score"), "min_score")
            if "min_score" in item
            else None
        )
        if name is None or minimum is None:
            return None
        return RiskLevel(name=name, min_score=minimum)

    def alert(self, node: Any, where: Location) -> AlertRule | None:
        item = self.mapping(
            node, where, "an alert", required=("when", "need", "priority", "message")
        )
        if item is None:
            return None
        when = self.condition(item["when"], (*where, "when")) if "when" in item else None
        need = (
            self.enum_value(Need, item["need"], (*where, "need"), "need")
            if "need" in item
            else None
        )
        priority = (
            self.integer(item["priority"], (*where, "priority"), "priority")
            if "priority" in item
            else None
        )
        message = self.string(item, "message", where)
        if when is None or need is None or priority is None or message is None:
            return None
        return AlertRule(when=when, need=need, priority=priority, message=message)

    def emergency(self, node: Any, where: Location) -> EmergencyAnswer | None:
        item = self.mapping(
            node,
            where,
            "an emergency answer",
            required=("when", "message", "agent_instructions"),
        )
        if item is None:
            return None
        when = self.condition(item["when"], (*where, "when")) if "when" in item else None
        message = self.string(item, "message", where)
        instructions = self.string(item, "agent_instructions", where)
        if when is None or message is None or instructions is None:
            return None
        return EmergencyAnswer(when=when, message=message, agent_instructions=instructions)

    def condition(self, node: Any, where: Location) -> Condition | None:
        return read_condition(node, where, self.fail)
