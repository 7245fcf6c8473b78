"""Scoring a questionnaire's answers: score, risk level, alerts, emergency instructions.

* The **score** is the sum of the weights of the answers to *visible* questions (see
  :mod:`dialer.core.questionnaire`); hidden questions, unanswered questions and ``None``
  answers weigh nothing. Weights are added exactly as decimals (``0.1 + 0.2`` is ``0.3``),
  so a score lands on a threshold exactly; :attr:`ScoreResult.score` is an ``int`` when
  whole, else a ``float``.
* The **risk level** is the last level whose ``min_score`` the score reaches (the first
  level when it reaches none, e.g. with negative weights).
* **Alerts**: every alert rule whose condition holds, and every emergency answer given
  (as a priority-1 ``medical_emergency`` alert carrying its agent instructions), ordered
  by priority, emergencies first, then definition order. Each keeps *why*: the answers
  its condition used and, for a rule on the risk level, every answer that added weight.
* **Emergency**: the instructions of the first emergency answer given, in definition
  order (list the most serious first); the others stay on their alerts.

Partial answers (a call ended mid-questionnaire) are scored all the same;
:attr:`ScoreResult.complete` and :attr:`ScoreResult.missing` say what is lacking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from dialer.core.questionnaire import (
    HIGHEST_PRIORITY,
    AnswerValue,
    Need,
    Questionnaire,
    exact_weight,
)
from dialer.core.questionnaire_answers import (
    answer_label,
    answer_weight,
    missing_answers,
    visibility,
)
from dialer.core.questionnaire_conditions import Match, match_condition


@dataclass(frozen=True)
class AnswerReason:
    """One answer that explains an alert."""

    question_id: str
    question_text: str
    answer_label: str
    weight: int | float


@dataclass(frozen=True)
class TriggeredAlert:
    need: Need
    #: 1 (highest) to 4
    priority: int
    #: French text for the intervention team
    message: str
    #: the answers that triggered it, in questionnaire order
    because: tuple[AnswerReason, ...]
    #: the level reached, when the rule is on the risk level
    risk_level: str | None = None
    #: set for an emergency answer: what the agent says and does on the call
    agent_instructions: str | None = None

    @property
    def emergency(self) -> bool:
        return self.agent_instructions is not None


@dataclass(frozen=True)
class EmergencyInstructions:
    """Shown to the agent at once: a medical emergency on the call right now."""

    agent_instructions: str
    message: str
    because: tuple[AnswerReason, ...]


@dataclass(frozen=True)
class ScoreResult:
    questionnaire_id: str
    questionnaire_version: int
    score: int | float
    risk_level: str
    triggered: tuple[TriggeredAlert, ...]
    emergency: EmergencyInstructions | None
    #: every visible required question is answered (a *contact utile*)
    complete: bool
    #: ids of the visible required questions still unanswered
    missing: tuple[str, ...]
    #: the needs of the questions whose answer added weight
    needs: frozenset[Need]


def score(questionnaire: Questionnaire, answers: Mapping[str, object]) -> ScoreResult:
    """Score ``answers`` (validated: :class:`dialer.errors.InputError` on an unknown
    question or an invalid value). See the module docstring."""
    _, effective = visibility(questionnaire, answers)
    weights = {
        question_id: answer_weight(questionnaire.question(question_id), value)
        for question_id, value in effective.items()
    }
    total = sum(weights.values(), Decimal(0))
    level = risk_level_for(questionnaire, total)
    contributing = tuple(question_id for question_id, weight in weights.items() if weight > 0)

    def reasons(question_ids: tuple[str, ...]) -> tuple[AnswerReason, ...]:
        wanted = set(question_ids)
        return tuple(
            _reason(questionnaire, question_id, effective[question_id], weights[question_id])
            for question_id in effective
            if question_id in wanted
        )

    def because(match: Match) -> tuple[AnswerReason, ...]:
        return reasons(match.questions + (contributing if match.by_risk_level else ()))

    emergencies: list[TriggeredAlert] = []
    shown: EmergencyInstructions | None = None
    for emergency in questionnaire.emergency_answers:
        match = match_condition(emergency.when, questionnaire, effective)
        if match is None:
            continue
        emergencies.append(
            TriggeredAlert(
                need=Need.MEDICAL_EMERGENCY,
                priority=HIGHEST_PRIORITY,
                message=emergency.message,
                because=because(match),
                agent_instructions=emergency.agent_instructions,
            )
        )
        if shown is None:
            shown = EmergencyInstructions(
                agent_instructions=emergency.agent_instructions,
                message=emergency.message,
                because=because(match),
            )
    alerts: list[TriggeredAlert] = []
    for rule in questionnaire.alerts:
        match = match_condition(rule.when, questionnaire, effective, risk_level=level)
        if match is not None:
            alerts.append(
                TriggeredAlert(
                    need=rule.need,
                    priority=rule.priority,
                    message=rule.message,
                    because=because(match),
                    risk_level=level if match.by_risk_level else None,
                )
            )
    # sorted() is stable: emergencies first, then definition order, within a priority
    triggered = tuple(sorted([*emergencies, *alerts], key=lambda alert: alert.priority))
    missing = tuple(question.id for question in missing_answers(questionnaire, answers))
    return ScoreResult(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        score=_number(total),
        risk_level=level,
        triggered=triggered,
        emergency=shown,
        complete=not missing,
        missing=missing,
        needs=frozenset(
            need
            for question_id in contributing
            for need in questionnaire.question(question_id).needs
        ),
    )


def risk_level_for(questionnaire: Questionnaire, total: Decimal | int | float) -> str:
    """The name of the level ``total`` reaches (the first level below every threshold)."""
    exact = total if isinstance(total, Decimal) else exact_weight(total)
    reached = questionnaire.risk_levels[0].name
    for level in questionnaire.risk_levels:
        if exact >= exact_weight(level.min_score):
            reached = level.name
    return reached


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _reason(
    questionnaire: Questionnaire, question_id: str, value: AnswerValue | None, weight: Decimal
) -> AnswerReason:
    question = questionnaire.question(question_id)
    return AnswerReason(
        question_id=question.id,
        question_text=question.text,
        answer_label=answer_label(question, value),
        weight=_number(weight),
    )
