"""Who a robot agent finds at the end of the line, and what that person answers.

Personas (:class:`Persona`): most people are fine (no alert), about 15 % give answers that
raise alerts, about 3 % describe a medical emergency; some refuse to answer or ask to be
called back instead of completing. Which answers are fine or risky is read from the
questionnaire's own weights and rules (as an agent knows the script): :func:`plan_answers`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from dialer.core.questionnaire import Question, Questionnaire, QuestionType
from dialer.core.questionnaire_answers import answer_weight, validate_answer
from dialer.core.scoring import score

#: a JSON answer as the screen sends it: bool, choice id, list of choice ids, int, or null
JsonAnswer = bool | int | str | list[str] | None


# ---- personas ----------------------------------------------------------------------------
class Health(StrEnum):
    FINE = "fine"  # no answer raises an alert
    AT_RISK = "at_risk"  # some answers raise alerts, none is an emergency
    EMERGENCY = "emergency"  # describes a medical emergency on the call


class Ending(StrEnum):
    COMPLETE = "complete"  # answers every question
    REFUSED = "refused"  # refuses to answer
    CALLBACK = "callback"  # answers a few questions, then asks to be called back


@dataclass(frozen=True)
class Persona:
    health: Health
    ending: Ending


REALISTIC_HEALTH: Mapping[Health, float] = {
    Health.FINE: 0.82,
    Health.AT_RISK: 0.15,
    Health.EMERGENCY: 0.03,
}
REALISTIC_ENDINGS: Mapping[Ending, float] = {
    Ending.COMPLETE: 0.85,
    Ending.REFUSED: 0.08,
    Ending.CALLBACK: 0.07,
}


class PersonaSource(Protocol):
    """Who the robot finds at the end of the line, call after call."""

    def deal(self, rng: random.Random) -> Persona: ...


class RandomPersonas:
    """Independent draws with the given shares (default: realistic). A person in an
    emergency always goes through the questionnaire (the agent stays on the line)."""

    def __init__(
        self,
        health: Mapping[Health, float] = REALISTIC_HEALTH,
        endings: Mapping[Ending, float] = REALISTIC_ENDINGS,
    ) -> None:
        self.health = dict(health)
        self.endings = dict(endings)

    def deal(self, rng: random.Random) -> Persona:
        health = rng.choices(list(self.health), weights=list(self.health.values()))[0]
        if health is Health.EMERGENCY:
            return Persona(health, Ending.COMPLETE)
        ending = rng.choices(list(self.endings), weights=list(self.endings.values()))[0]
        return Persona(health, ending)


# ---- answers -----------------------------------------------------------------------------
def candidate_answers(question: Question) -> list[JsonAnswer]:
    """The answers a person may give to ``question``, as the screen sends them."""
    options: list[JsonAnswer]
    match question.type:
        case QuestionType.YES_NO:
            options = [True, False]
        case QuestionType.SINGLE_CHOICE:
            options = [choice.id for choice in question.choices]
        case QuestionType.MULTIPLE_CHOICE:
            options = [[], *([choice.id] for choice in question.choices)]
            heaviest = sorted(question.choices, key=lambda c: c.weight, reverse=True)[:2]
            if len(heaviest) == 2:
                options.append(sorted(choice.id for choice in heaviest))
        case QuestionType.SCALE_0_10:
            options = list(range(11))
    if not question.required and question.type is not QuestionType.MULTIPLE_CHOICE:
        options.append(None)
    return options


def _weight(question: Question, value: JsonAnswer) -> float:
    return float(answer_weight(question, validate_answer(question, value)))


def _lightest(question: Question, rng: random.Random) -> JsonAnswer:
    options = [o for o in candidate_answers(question) if o is not None]
    least = min(_weight(question, o) for o in options)
    return rng.choice([o for o in options if _weight(question, o) == least])


def _heaviest(question: Question, rng: random.Random) -> JsonAnswer:
    options = [o for o in candidate_answers(question) if o is not None]
    most = max(_weight(question, o) for o in options)
    return rng.choice([o for o in options if _weight(question, o) == most])


def _fine_plan(questionnaire: Questionnaire, rng: random.Random) -> dict[str, JsonAnswer]:
    """Mostly the lightest answers, some ordinary small worries; never an alert."""
    for _ in range(50):
        plan: dict[str, JsonAnswer] = {}
        for question in questionnaire.questions:
            if rng.random() < 0.75:
                plan[question.id] = _lightest(question, rng)
            else:
                plan[question.id] = rng.choice(candidate_answers(question))
        if not score(questionnaire, plan).triggered:
            return plan
    return {q.id: _lightest(q, rng) for q in questionnaire.questions}


def _at_risk_plan(questionnaire: Questionnaire, rng: random.Random) -> dict[str, JsonAnswer]:
    """A fine person but for one to three worrying answers: alerts, no emergency."""
    for _ in range(50):
        plan = _fine_plan(questionnaire, rng)
        for question in rng.sample(list(questionnaire.questions), rng.randint(1, 3)):
            before = plan[question.id]
            plan[question.id] = _heaviest(question, rng)
            if score(questionnaire, plan).emergency is not None:
                plan[question.id] = before
        result = score(questionnaire, plan)
        if result.triggered and result.emergency is None:
            return plan
    return _fine_plan(questionnaire, rng)


def _emergency_plan(questionnaire: Questionnaire, rng: random.Random) -> dict[str, JsonAnswer]:
    """The first answer that means an emergency on the call, on top of a fine or at-risk
    person."""
    plan = (
        _at_risk_plan(questionnaire, rng) if rng.random() < 0.5 else _fine_plan(questionnaire, rng)
    )
    for question in questionnaire.questions:
        for value in candidate_answers(question):
            trial = {**plan, question.id: value}
            if score(questionnaire, trial).emergency is not None:
                return trial
    return plan


def plan_answers(
    questionnaire: Questionnaire, health: Health, rng: random.Random
) -> dict[str, JsonAnswer]:
    """What a person of ``health`` would answer to every question of ``questionnaire``
    (the robot asks only the visible ones)."""
    match health:
        case Health.FINE:
            return _fine_plan(questionnaire, rng)
        case Health.AT_RISK:
            return _at_risk_plan(questionnaire, rng)
        case Health.EMERGENCY:
            return _emergency_plan(questionnaire, rng)
