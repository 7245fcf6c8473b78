"""Scoring: score, risk levels at their thresholds, alerts and why, emergencies, partial
answers; properties: monotonic score, hidden questions never count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.campaigns import CampaignKind
from dialer.core.questionnaire import (
    AlertRule,
    AllOf,
    AnswerAtLeast,
    AnswerEquals,
    AnswerIncludes,
    AnyOf,
    Choice,
    Condition,
    EmergencyAnswer,
    Need,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevel,
    RiskLevelAtLeast,
)
from dialer.core.questionnaire_answers import effective_answers, visible_questions
from dialer.core.scoring import AnswerReason, ScoreResult, TriggeredAlert, risk_level_for, score
from dialer.errors import InputError
from tests.questionnaire_walk import next_question

LEVELS = (
    RiskLevel("faible", 0),
    RiskLevel("modéré", 5),
    RiskLevel("élevé", 10),
    RiskLevel("critique", 18),
)


def build(
    *questions: Question,
    levels: tuple[RiskLevel, ...] = LEVELS,
    alerts: tuple[AlertRule, ...] = (),
    emergencies: tuple[EmergencyAnswer, ...] = (),
) -> Questionnaire:
    return Questionnaire(
        id="essai",
        version=2,
        title="Essai",
        kind=CampaignKind.HEATWAVE,
        guidance="Bonjour.",
        questions=questions,
        risk_levels=levels,
        alerts=alerts,
        emergency_answers=emergencies,
    )


def yes_no(
    ident: str,
    yes: float,
    no: float = 0,
    *,
    show_if: Condition | None = None,
    required: bool = True,
    needs: frozenset[Need] = frozenset(),
) -> Question:
    return Question(
        id=ident,
        text=f"Question {ident} ?",
        type=QuestionType.YES_NO,
        yes_weight=yes,
        no_weight=no,
        show_if=show_if,
        required=required,
        needs=needs,
    )


def scale(ident: str, multiplier: float = 1) -> Question:
    return Question(
        id=ident, text=f"Note {ident} ?", type=QuestionType.SCALE_0_10, scale_multiplier=multiplier
    )


MALAISE = yes_no("malaise", 20, needs=frozenset({Need.MEDICAL_EMERGENCY}))
VIT_SEUL = yes_no("vit_seul", 2, needs=frozenset({Need.SOCIAL}))
VISITES = Question(
    id="visites",
    text="Qui passe vous voir ?",
    type=QuestionType.SINGLE_CHOICE,
    choices=(Choice("souvent", "Souvent", 0), Choice("jamais", "Jamais", 4)),
    show_if=AnswerEquals("vit_seul", "oui"),
    needs=frozenset({Need.SOCIAL}),
)
SIGNES = Question(
    id="signes",
    text="Quels signes ?",
    type=QuestionType.MULTIPLE_CHOICE,
    choices=(Choice("fievre", "Fièvre", 4), Choice("crampes", "Crampes", 2)),
    needs=frozenset({Need.MEDICAL}),
)
CHAUFFAGE = yes_no("chauffage", 2)
MAUX = yes_no("maux", 6, show_if=AnswerEquals("chauffage", True))
SOUHAIT = yes_no("souhait", 1, required=False)

ALERTS = (
    AlertRule(RiskLevelAtLeast("critique"), Need.MEDICAL, 1, "Risque critique."),
    AlertRule(RiskLevelAtLeast("élevé"), Need.SOCIAL, 2, "Risque élevé."),
    AlertRule(AnswerEquals("visites", "jamais"), Need.SOCIAL, 3, "Aucune visite."),
    AlertRule(
        AnyOf((AnswerIncludes("signes", "fievre"), AnswerEquals("malaise", "oui"))),
        Need.MEDICAL,
        2,
        "Signes de coup de chaleur.",
    ),
    AlertRule(AnswerEquals("souhait", True), Need.SOCIAL, 4, "Souhaite un rappel."),
)
EMERGENCIES = (
    EmergencyAnswer(AnswerEquals("malaise", "oui"), "Malaise en cours.", "Appelez le 15."),
    EmergencyAnswer(
        AllOf((AnswerEquals("chauffage", "oui"), AnswerEquals("maux", "oui"))),
        "Monoxyde de carbone ?",
        "Faites aérer, appelez le 18.",
    ),
)
DEMO = build(
    MALAISE,
    VIT_SEUL,
    VISITES,
    SIGNES,
    CHAUFFAGE,
    MAUX,
    SOUHAIT,
    alerts=ALERTS,
    emergencies=EMERGENCIES,
)


def messages(result: ScoreResult) -> list[str]:
    return [alert.message for alert in result.triggered]


# --- score and risk level ------------------------------------------------------------


def test_no_answers_scores_zero_and_is_incomplete() -> None:
    result = score(DEMO, {})
    assert result.score == 0
    assert result.risk_level == "faible"
    assert result.triggered == ()
    assert result.emergency is None
    assert not result.complete
    assert result.missing == ("malaise", "vit_seul", "signes", "chauffage")
    assert result.needs == frozenset()
    assert (result.questionnaire_id, result.questionnaire_version) == ("essai", 2)


def test_score_is_the_sum_of_the_answer_weights() -> None:
    result = score(
        DEMO,
        {
            "malaise": False,
            "vit_seul": True,
            "visites": "souvent",
            "signes": frozenset({"fievre", "crampes"}),
            "chauffage": False,
            "souhait": True,
        },
    )
    assert result.score == 2 + 0 + 4 + 2 + 0 + 1
    assert isinstance(result.score, int)
    assert result.risk_level == "modéré"
    assert result.complete
    assert result.missing == ()
    assert result.needs == frozenset({Need.SOCIAL, Need.MEDICAL})


TWO_SCALES = build(scale("a"), scale("b"))


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (0, 0, "faible"),
        (4, 0, "faible"),
        (5, 0, "modéré"),
        (9, 0, "modéré"),
        (10, 0, "élevé"),
        (9, 8, "élevé"),
        (9, 9, "critique"),
        (10, 10, "critique"),
    ],
)
def test_risk_levels_at_their_thresholds(a: int, b: int, level: str) -> None:
    result = score(TWO_SCALES, {"a": a, "b": b})
    assert result.score == a + b
    assert result.risk_level == level


def test_decimal_weights_reach_their_threshold_exactly() -> None:
    # in binary floating point 0.7 + 0.1 is 0.7999999999999999, below 0.8
    q = build(
        scale("a", 0.1),
        yes_no("b", 0.7),
        levels=(RiskLevel("faible", 0), RiskLevel("élevé", 0.8)),
    )
    result = score(q, {"a": 1, "b": True})
    assert result.score == 0.8
    assert result.risk_level == "élevé"
    assert score(q, {"a": 3}).score == 0.3


def test_a_score_below_every_threshold_is_the_first_level() -> None:
    q = build(yes_no("entoure", -3), levels=(RiskLevel("faible", 0), RiskLevel("élevé", 5)))
    result = score(q, {"entoure": True})
    assert result.score == -3
    assert result.risk_level == "faible"


def test_risk_level_for() -> None:
    assert risk_level_for(DEMO, 17.9) == "élevé"
    assert risk_level_for(DEMO, 18) == "critique"
    assert risk_level_for(DEMO, -1) == "faible"


# --- alerts --------------------------------------------------------------------------


def test_an_alert_from_a_single_answer_keeps_why() -> None:
    result = score(DEMO, {"vit_seul": True, "visites": "jamais"})
    assert result.score == 6
    assert result.triggered == (
        TriggeredAlert(
            need=Need.SOCIAL,
            priority=3,
            message="Aucune visite.",
            because=(AnswerReason("visites", "Qui passe vous voir ?", "Jamais", 4),),
        ),
    )


def test_an_alert_on_a_multiple_choice_answer() -> None:
    result = score(DEMO, {"signes": ("crampes", "fievre")})
    (alert,) = result.triggered
    assert alert.message == "Signes de coup de chaleur."
    assert alert.because == (AnswerReason("signes", "Quels signes ?", "Fièvre, Crampes", 6),)
    assert score(DEMO, {"signes": ("crampes",)}).triggered == ()


def test_an_alert_from_the_risk_level_names_every_answer_that_added_weight() -> None:
    result = score(
        DEMO,
        {
            "vit_seul": True,
            "visites": "jamais",
            "signes": {"crampes"},
            "chauffage": True,
            "maux": False,
        },
    )
    assert result.score == 10
    assert result.risk_level == "élevé"
    risk = next(alert for alert in result.triggered if alert.message == "Risque élevé.")
    assert risk.risk_level == "élevé"
    assert risk.need is Need.SOCIAL
    assert risk.priority == 2
    assert [(r.question_id, r.answer_label, r.weight) for r in risk.because] == [
        ("vit_seul", "oui", 2),
        ("visites", "Jamais", 4),
        ("signes", "Crampes", 2),
        ("chauffage", "oui", 2),
    ]
    assert "Risque critique." not in messages(result)


def test_alerts_are_ordered_by_priority_then_definition() -> None:
    result = score(
        DEMO,
        {
            "vit_seul": True,
            "visites": "jamais",
            "signes": {"fievre", "crampes"},
            "chauffage": True,
            "maux": True,
            "souhait": True,
        },
    )
    assert result.score == 2 + 4 + 6 + 2 + 6 + 1
    assert [(a.priority, a.message) for a in result.triggered] == [
        (1, "Monoxyde de carbone ?"),
        (1, "Risque critique."),
        (2, "Risque élevé."),
        (2, "Signes de coup de chaleur."),
        (3, "Aucune visite."),
        (4, "Souhaite un rappel."),
    ]


def test_alert_conditions_use_no_hidden_answer() -> None:
    # visites was answered jamais, then vit_seul changed to non: visites is hidden
    result = score(DEMO, {"vit_seul": False, "visites": "jamais"})
    assert result.score == 0
    assert result.triggered == ()


# --- emergencies ---------------------------------------------------------------------


def test_an_emergency_answer_gives_instructions_and_the_highest_alert() -> None:
    result = score(DEMO, {"malaise": True})
    assert result.emergency is not None
    assert result.emergency.agent_instructions == "Appelez le 15."
    assert result.emergency.message == "Malaise en cours."
    assert result.emergency.because == (AnswerReason("malaise", "Question malaise ?", "oui", 20),)
    first = result.triggered[0]
    assert first.emergency
    assert (first.need, first.priority) == (Need.MEDICAL_EMERGENCY, 1)
    assert first.agent_instructions == "Appelez le 15."
    assert first.because == result.emergency.because
    # the other rules on the same answer still trigger
    assert messages(result) == [
        "Malaise en cours.",
        "Risque critique.",
        "Risque élevé.",
        "Signes de coup de chaleur.",
    ]
    assert not result.complete


def test_the_first_emergency_in_definition_order_is_shown() -> None:
    result = score(DEMO, {"malaise": True, "chauffage": True, "maux": True})
    assert result.emergency is not None
    assert result.emergency.agent_instructions == "Appelez le 15."
    emergencies = [a for a in result.triggered if a.emergency]
    assert [a.agent_instructions for a in emergencies] == [
        "Appelez le 15.",
        "Faites aérer, appelez le 18.",
    ]
    assert [r.question_id for r in emergencies[1].because] == ["chauffage", "maux"]


def test_an_emergency_on_a_combination_of_answers() -> None:
    assert score(DEMO, {"chauffage": True, "maux": False}).emergency is None
    result = score(DEMO, {"chauffage": True, "maux": True})
    assert result.emergency is not None
    assert result.emergency.message == "Monoxyde de carbone ?"


def test_no_emergency_without_the_answer() -> None:
    assert score(DEMO, {"malaise": False}).emergency is None


# --- partial answers and validation --------------------------------------------------


def test_partial_answers_are_scored_and_marked_incomplete() -> None:
    # the call ended after three questions
    result = score(DEMO, {"malaise": False, "vit_seul": True, "visites": "jamais"})
    assert result.score == 6
    assert result.risk_level == "modéré"
    assert messages(result) == ["Aucune visite."]
    assert not result.complete
    assert result.missing == ("signes", "chauffage")


def test_an_optional_question_answered_none_weighs_nothing() -> None:
    answers = {"malaise": False, "vit_seul": False, "signes": (), "chauffage": False}
    result = score(DEMO, {**answers, "souhait": None})
    assert result.score == 0
    assert result.complete
    assert result == score(DEMO, answers)


def test_invalid_answers_are_refused() -> None:
    with pytest.raises(InputError, match="question 'malaise'"):
        score(DEMO, {"malaise": "oui"})
    with pytest.raises(InputError, match="no question 'age'"):
        score(DEMO, {"age": 80})


# --- properties ----------------------------------------------------------------------

QUESTION_TYPES = list(QuestionType)


# strategies are built once: building them inside a draw is slow
NON_NEGATIVE_WEIGHTS = st.integers(0, 10) | st.sampled_from([0.1, 0.25, 0.5, 1.5, 2.7])
ANY_WEIGHTS = st.integers(-10, 10) | st.sampled_from([-2.5, -0.1, 0.1, 0.5, 2.7])
SCALE_ANSWERS = st.integers(0, 10)
BOOLEANS = st.booleans()


@st.composite
def condition_on(draw: st.DrawFn, question: Question) -> Condition:
    match question.type:
        case QuestionType.YES_NO:
            return AnswerEquals(question.id, draw(st.booleans()))
        case QuestionType.SINGLE_CHOICE:
            return AnswerEquals(question.id, draw(st.sampled_from(question.choices)).id)
        case QuestionType.MULTIPLE_CHOICE:
            return AnswerIncludes(question.id, draw(st.sampled_from(question.choices)).id)
        case _:
            return AnswerAtLeast(question.id, draw(SCALE_ANSWERS))


@st.composite
def questionnaires(
    draw: st.DrawFn, *, non_negative: bool = True, skip_logic: bool = True
) -> Questionnaire:
    questions: list[Question] = []
    for position in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(QUESTION_TYPES))
        ident = f"q{position}"
        show_if = None
        if skip_logic and questions and draw(st.booleans()):
            show_if = draw(condition_on(draw(st.sampled_from(questions))))
        weight = NON_NEGATIVE_WEIGHTS if non_negative else ANY_WEIGHTS
        choices: tuple[Choice, ...] = ()
        if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            choice_weights = draw(st.lists(weight, min_size=2, max_size=4))
            choices = tuple(Choice(f"c{i}", f"Choix {i}", w) for i, w in enumerate(choice_weights))
        questions.append(
            Question(
                id=ident,
                text=f"Question {position} ?",
                type=kind,
                choices=choices,
                yes_weight=draw(weight),
                no_weight=draw(weight),
                scale_weights=tuple(draw(st.lists(weight, min_size=11, max_size=11)))
                if kind is QuestionType.SCALE_0_10
                else (),
                required=draw(st.booleans()),
                show_if=show_if,
            )
        )
    alerts = tuple(
        AlertRule(draw(condition_on(question)), Need.SOCIAL, draw(st.integers(1, 4)), "M")
        for question in questions
        if draw(st.booleans())
    )
    return build(
        *questions,
        levels=(RiskLevel("faible", 0), RiskLevel("élevé", 10)),
        alerts=(*alerts, AlertRule(RiskLevelAtLeast("élevé"), Need.SOCIAL, 2, "Risque.")),
    )


def answer_to(question: Question) -> st.SearchStrategy[object]:
    match question.type:
        case QuestionType.YES_NO:
            values: st.SearchStrategy[object] = BOOLEANS
        case QuestionType.SINGLE_CHOICE:
            values = st.sampled_from([choice.id for choice in question.choices])
        case QuestionType.MULTIPLE_CHOICE:
            values = st.frozensets(st.sampled_from([choice.id for choice in question.choices]))
        case _:
            values = SCALE_ANSWERS
    return values if question.required else values | st.none()


@settings(max_examples=200, deadline=None)
@given(questionnaires(), st.data())
def test_answering_in_order_never_lowers_the_score(q: Questionnaire, data: st.DataObject) -> None:
    """With non-negative weights, each answer given in the asking order adds weight."""
    answers: dict[str, object] = {}
    previous = score(q, answers)
    while (question := next_question(q, answers)) is not None:
        answers[question.id] = data.draw(answer_to(question))
        current = score(q, answers)
        assert current.score >= previous.score
        assert _level_index(q, current.risk_level) >= _level_index(q, previous.risk_level)
        previous = current
    assert previous.complete


@settings(max_examples=200, deadline=None)
@given(questionnaires(skip_logic=False), st.data())
def test_adding_answers_in_any_order_never_lowers_the_score(
    q: Questionnaire, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(q.questions))
    answers: dict[str, object] = {}
    previous = score(q, answers).score
    for question in order:
        answers[question.id] = data.draw(answer_to(question))
        current = score(q, answers).score
        assert current >= previous
        previous = current


@settings(max_examples=200, deadline=None)
@given(questionnaires(non_negative=False), st.data())
def test_hidden_questions_never_affect_the_result(q: Questionnaire, data: st.DataObject) -> None:
    answers = {
        question.id: data.draw(answer_to(question))
        for question in q.questions
        if data.draw(st.booleans())
    }
    result = score(q, answers)
    visible = {question.id for question in visible_questions(q, answers)}
    changed = dict(answers)
    for question in q.questions:
        if question.id not in visible:
            if data.draw(st.booleans()):
                changed[question.id] = data.draw(answer_to(question))
            else:
                changed.pop(question.id, None)
    assert score(q, changed) == result
    assert score(q, effective_answers(q, answers)) == result


def _level_index(q: Questionnaire, name: str) -> int:
    return q.risk_level_names().index(name)
