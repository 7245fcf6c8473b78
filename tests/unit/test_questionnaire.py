"""Questionnaire definitions: consistency checks, skip logic, answers, completeness."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.core.campaigns import CampaignKind
from dialer.core.questionnaire import (
    AlertRule,
    AllOf,
    AnswerAtLeast,
    AnswerAtMost,
    AnswerEquals,
    AnswerIncludes,
    AnyOf,
    Choice,
    Condition,
    EmergencyAnswer,
    InvalidQuestionnaireError,
    Location,
    Need,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevel,
    RiskLevelAtLeast,
    format_location,
)
from dialer.core.questionnaire_answers import (
    answer_label,
    answer_weight,
    effective_answers,
    missing_answers,
    validate_answer,
    validate_answers,
    visible_questions,
)
from dialer.core.questionnaire_conditions import (
    ConditionScope,
    condition_questions,
    match_condition,
    read_condition,
    written_form,
)
from dialer.errors import InputError
from tests.questionnaire_walk import is_complete, next_question

YES_NO = QuestionType.YES_NO
SINGLE = QuestionType.SINGLE_CHOICE
MULTIPLE = QuestionType.MULTIPLE_CHOICE
SCALE = QuestionType.SCALE_0_10


def yes_no(
    ident: str,
    yes: float = 1,
    no: float = 0,
    *,
    show_if: Condition | None = None,
    required: bool = True,
) -> Question:
    return Question(
        id=ident,
        text=f"Question {ident} ?",
        type=YES_NO,
        yes_weight=yes,
        no_weight=no,
        show_if=show_if,
        required=required,
    )


def single(ident: str, *choices: tuple[str, float], show_if: Condition | None = None) -> Question:
    return Question(
        id=ident,
        text=f"Question {ident} ?",
        type=SINGLE,
        choices=tuple(Choice(c, c.capitalize(), w) for c, w in choices),
        show_if=show_if,
    )


VIT_SEUL = yes_no("vit_seul", 2, 0)
VISITES = single(
    "visites",
    ("tous_les_jours", 0),
    ("rarement", 3),
    ("jamais", 4),
    show_if=AnswerEquals("vit_seul", "oui"),
)
SIGNES = Question(
    id="signes",
    text="Quels signes ?",
    type=MULTIPLE,
    choices=(Choice("fievre", "Fièvre", 4), Choice("crampes", "Crampes", 2)),
    needs=frozenset({Need.MEDICAL}),
)
FROID = Question(id="froid", text="De 0 à 10 ?", type=SCALE, scale_multiplier=0.5)
TRAITEMENT = yes_no("traitement", 1, 0)
MEDICAMENTS = yes_no("medicaments", 0, 3, show_if=AnswerEquals("traitement", True))
AIDE = yes_no(
    "aide",
    3,
    0,
    show_if=AnyOf((AnswerIncludes("signes", "fievre"), AnswerAtLeast("froid", 7))),
)
SOUHAIT = yes_no("souhait", 1, 0, required=False)

LEVELS = (
    RiskLevel("faible", 0),
    RiskLevel("modéré", 5),
    RiskLevel("élevé", 10),
    RiskLevel("critique", 18),
)


def questionnaire(*questions: Question, **changes: object) -> Questionnaire:
    fields: dict[str, object] = {
        "id": "essai",
        "version": 1,
        "title": "Essai",
        "kind": CampaignKind.HEATWAVE,
        "guidance": "Bonjour.",
        "questions": questions,
        "risk_levels": LEVELS,
    }
    fields.update(changes)
    return Questionnaire(**fields)  # type: ignore[arg-type]


DEMO = questionnaire(VIT_SEUL, VISITES, SIGNES, FROID, TRAITEMENT, MEDICAMENTS, AIDE, SOUHAIT)


def ids(questions: tuple[Question, ...]) -> list[str]:
    return [question.id for question in questions]


# --- skip logic ----------------------------------------------------------------------


def test_with_no_answers_only_unconditional_questions_are_visible() -> None:
    assert ids(visible_questions(DEMO, {})) == [
        "vit_seul",
        "signes",
        "froid",
        "traitement",
        "souhait",
    ]


@pytest.mark.parametrize(
    ("answers", "shown", "hidden"),
    [
        ({"vit_seul": True}, {"visites"}, set()),
        ({"vit_seul": False}, set(), {"visites"}),
        ({"traitement": True}, {"medicaments"}, set()),
        ({"traitement": False}, set(), {"medicaments"}),
        ({"signes": frozenset({"fievre"})}, {"aide"}, set()),
        ({"signes": frozenset({"crampes"})}, set(), {"aide"}),
        ({"signes": frozenset()}, set(), {"aide"}),
        ({"froid": 7}, {"aide"}, set()),
        ({"froid": 6}, set(), {"aide"}),
        ({"froid": 10, "signes": ("fievre",)}, {"aide"}, set()),
    ],
)
def test_show_if(answers: Mapping[str, object], shown: set[str], hidden: set[str]) -> None:
    visible = set(ids(visible_questions(DEMO, answers)))
    assert shown <= visible
    assert not hidden & visible


def test_a_question_shown_by_a_hidden_answer_stays_hidden() -> None:
    chain = questionnaire(
        yes_no("a"),
        yes_no("b", show_if=AnswerEquals("a", "oui")),
        yes_no("c", show_if=AnswerEquals("b", "oui")),
    )
    # b was answered oui, then a changed to non: b is hidden, so c is hidden too
    answers = {"a": False, "b": True}
    assert ids(visible_questions(chain, answers)) == ["a"]
    assert effective_answers(chain, answers) == {"a": False}
    assert ids(visible_questions(chain, {"a": True, "b": True})) == ["a", "b", "c"]


def test_all_of_and_at_most() -> None:
    q = questionnaire(
        yes_no("seul"),
        Question(id="moral", text="Moral ?", type=SCALE, scale_weights=(1,) * 11),
        yes_no("appel", show_if=AllOf((AnswerEquals("seul", True), AnswerAtMost("moral", 3)))),
    )
    assert "appel" in ids(visible_questions(q, {"seul": True, "moral": 3}))
    assert "appel" not in ids(visible_questions(q, {"seul": True, "moral": 4}))
    assert "appel" not in ids(visible_questions(q, {"seul": False, "moral": 0}))
    assert "appel" not in ids(visible_questions(q, {"seul": True}))


def test_next_question_follows_skip_logic() -> None:
    answers: dict[str, object] = {}
    asked = []
    script = {
        "vit_seul": False,
        "signes": frozenset({"crampes"}),
        "froid": 2,
        "traitement": True,
        "medicaments": True,
        "souhait": None,
    }
    while (question := next_question(DEMO, answers)) is not None:
        asked.append(question.id)
        answers[question.id] = script[question.id]
    assert asked == ["vit_seul", "signes", "froid", "traitement", "medicaments", "souhait"]
    assert is_complete(DEMO, answers)


def test_next_question_returns_the_first_unanswered_visible_question() -> None:
    assert next_question(DEMO, {}) == VIT_SEUL
    assert next_question(DEMO, {"vit_seul": True}) == VISITES
    assert next_question(DEMO, {"vit_seul": False}) == SIGNES
    # an earlier question skipped by the agent comes back first
    assert next_question(DEMO, {"signes": frozenset(), "froid": 1}) == VIT_SEUL


def test_condition_questions_lists_every_named_question() -> None:
    condition = AllOf(
        (AnyOf((AnswerEquals("a", 1), RiskLevelAtLeast("élevé"))), AnswerIncludes("b", "x"))
    )
    assert list(condition_questions(condition)) == ["a", "b"]


def test_match_condition_says_why() -> None:
    answers = effective_answers(DEMO, {"signes": {"fievre"}, "froid": 8})
    condition = AnyOf((AnswerIncludes("signes", "fievre"), AnswerAtLeast("froid", 7)))
    found = match_condition(condition, DEMO, answers)
    assert found is not None
    assert found.questions == ("signes", "froid")
    assert not found.by_risk_level
    assert match_condition(RiskLevelAtLeast("élevé"), DEMO, answers) is None
    reached = match_condition(RiskLevelAtLeast("élevé"), DEMO, answers, risk_level="critique")
    assert reached is not None
    assert reached.by_risk_level
    assert match_condition(RiskLevelAtLeast("élevé"), DEMO, answers, risk_level="modéré") is None


# --- answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        (VIT_SEUL, True, True),
        (VIT_SEUL, False, False),
        (VISITES, "jamais", "jamais"),
        (SIGNES, frozenset({"fievre"}), frozenset({"fievre"})),
        (SIGNES, ("fievre", "crampes"), frozenset({"fievre", "crampes"})),
        (SIGNES, ["crampes"], frozenset({"crampes"})),
        (SIGNES, set(), frozenset()),
        (FROID, 0, 0),
        (FROID, 10, 10),
        (SOUHAIT, None, None),
    ],
)
def test_valid_answers(question: Question, value: object, expected: object) -> None:
    assert validate_answer(question, value) == expected


@pytest.mark.parametrize(
    ("question", "value", "reason"),
    [
        (VIT_SEUL, 1, "True or False"),
        (VIT_SEUL, "oui", "True or False"),
        (VIT_SEUL, None, "required"),
        (VISITES, "souvent", "one choice id of (tous_les_jours, rarement, jamais)"),
        (VISITES, 1, "one choice id"),
        (VISITES, frozenset({"jamais"}), "one choice id"),
        (SIGNES, "fievre", "set of choice ids"),
        (SIGNES, frozenset({"toux"}), "'toux' is not a choice id"),
        (SIGNES, ("fievre", "fievre"), "given twice"),
        (SIGNES, (1,), "1 is not a choice id"),
        (FROID, 11, "0 to 10"),
        (FROID, -1, "0 to 10"),
        (FROID, True, "0 to 10"),
        (FROID, 5.0, "0 to 10"),
    ],
)
def test_invalid_answers_name_the_question(question: Question, value: object, reason: str) -> None:
    with pytest.raises(InputError, match=f"question '{question.id}'") as raised:
        validate_answer(question, value)
    assert reason in str(raised.value)


def test_validate_answers_refuses_unknown_questions() -> None:
    with pytest.raises(InputError, match="has no question 'age'"):
        validate_answers(DEMO, {"vit_seul": True, "age": 80})


def test_validate_answers_checks_hidden_answers_too() -> None:
    with pytest.raises(InputError, match="question 'visites'"):
        visible_questions(DEMO, {"vit_seul": False, "visites": "souvent"})


def test_answers_are_returned_in_questionnaire_order() -> None:
    valid = validate_answers(DEMO, {"froid": 3, "vit_seul": True, "signes": ["fievre"]})
    assert list(valid) == ["vit_seul", "signes", "froid"]
    assert valid["signes"] == frozenset({"fievre"})


@pytest.mark.parametrize(
    ("question", "value", "label", "weight"),
    [
        (VIT_SEUL, True, "oui", "2"),
        (VIT_SEUL, False, "non", "0"),
        (VISITES, "jamais", "Jamais", "4"),
        (SIGNES, frozenset({"crampes", "fievre"}), "Fièvre, Crampes", "6"),
        (SIGNES, frozenset(), "aucun", "0"),
        (FROID, 7, "7/10", "3.5"),
        (SOUHAIT, None, "sans réponse", "0"),
    ],
)
def test_labels_and_weights(question: Question, value: object, label: str, weight: str) -> None:
    valid = validate_answer(question, value)
    assert answer_label(question, valid) == label
    assert str(answer_weight(question, valid).normalize()) == weight


# --- completeness --------------------------------------------------------------------


def test_completeness_counts_visible_required_questions_only() -> None:
    answers: dict[str, object] = {
        "vit_seul": False,
        "signes": frozenset(),
        "froid": 2,
        "traitement": False,
    }
    # visites, medicaments and aide are hidden; souhait is optional
    assert is_complete(DEMO, answers)
    answers["vit_seul"] = True
    assert not is_complete(DEMO, answers)
    assert ids(missing_answers(DEMO, answers)) == ["visites"]
    answers["visites"] = "rarement"
    assert is_complete(DEMO, answers)


def test_an_empty_answer_set_is_incomplete() -> None:
    assert not is_complete(DEMO, {})
    assert ids(missing_answers(DEMO, {})) == ["vit_seul", "signes", "froid", "traitement"]


def test_a_questionnaire_of_optional_questions_is_complete_at_once() -> None:
    assert is_complete(questionnaire(SOUHAIT), {})


@given(st.dictionaries(st.sampled_from(["vit_seul", "traitement"]), st.booleans()))
def test_completeness_agrees_with_next_question_when_all_required(
    answers: dict[str, bool],
) -> None:
    q = questionnaire(VIT_SEUL, TRAITEMENT, MEDICAMENTS)
    assert is_complete(q, answers) == (next_question(q, answers) is None)


# --- consistency of a definition -----------------------------------------------------


def problems_of(**changes: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidQuestionnaireError) as raised:
        questionnaire(*changes.pop("questions", DEMO.questions), **changes)  # type: ignore[misc]
    return [(format_location(p.location), p.reason) for p in raised.value.problems]


def test_the_demo_questionnaire_is_valid() -> None:
    assert DEMO.question("froid") == FROID
    assert DEMO.position("froid") == 3
    with pytest.raises(InputError, match="no question 'age'"):
        DEMO.question("age")


def test_duplicate_question_ids() -> None:
    problems = problems_of(
        questions=(VIT_SEUL, TRAITEMENT, dataclasses.replace(SIGNES, id="vit_seul"))
    )
    assert problems == [
        ("questions[2].id", "duplicate question id 'vit_seul' (already used by questions[0])")
    ]


@pytest.mark.parametrize(
    ("show_if", "location", "reason"),
    [
        (AnswerEquals("age", 1), "questions[1].show_if.question", "unknown question 'age'"),
        (AnswerEquals("c", True), "questions[1].show_if.question", "comes later (questions[2])"),
        (AnswerEquals("b", True), "questions[1].show_if.question", "its own question"),
        (
            AnyOf((AnswerEquals("a", True), AnswerEquals("c", True))),
            "questions[1].show_if.any_of[1].question",
            "comes later",
        ),
        (AnyOf(()), "questions[1].show_if.any_of", "at least one condition"),
        (RiskLevelAtLeast("élevé"), "questions[1].show_if.risk_level_at_least", "only alerts"),
        (AnswerEquals("a", "peut-être"), "questions[1].show_if.equals", "expected oui or non"),
        (AnswerEquals("a", 1), "questions[1].show_if.equals", "not an answer of question 'a'"),
        (AnswerIncludes("a", "oui"), "questions[1].show_if.includes", "multiple_choice"),
        (AnswerAtLeast("a", 3), "questions[1].show_if.at_least", "scale_0_10"),
    ],
)
def test_bad_show_if(show_if: Condition, location: str, reason: str) -> None:
    problems = problems_of(questions=(yes_no("a"), yes_no("b", show_if=show_if), yes_no("c")))
    assert len(problems) == 1
    assert problems[0][0] == location
    assert reason in problems[0][1]


def walk(node: object, scope: ConditionScope | None) -> tuple[object, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []

    def fail(location: Location, reason: str) -> None:
        problems.append((format_location(location), reason))

    return read_condition(node, ("show_if",), fail, scope), problems


@pytest.mark.parametrize(
    "condition",
    [
        AnswerEquals("vit_seul", "oui"),
        AnswerEquals("visites", "parfois"),
        AnswerEquals("medicaments", True),
        AnyOf((AnswerIncludes("signes", "toux"), AllOf((AnswerAtLeast("froid", 11),)))),
        AllOf(()),
        RiskLevelAtLeast("critique"),
        AnswerAtMost("vit_seul", 3),
    ],
)
def test_one_walker_reads_the_written_form_and_checks_a_model_alike(condition: Condition) -> None:
    """The file loader reads the written form, the definition check walks the model: the
    same walker, so the same condition and the same problems at the same places."""
    scope = ConditionScope(DEMO, "show_if", before=DEMO.position("medicaments"))

    def written(node: object) -> object:  # as a file's data: plain mappings and lists
        form = written_form(node)
        if isinstance(form, dict):
            return {
                key: [written(c) for c in value] if isinstance(value, list) else value
                for key, value in form.items()
            }
        return form

    from_model, model_problems = walk(condition, scope)
    from_data, data_problems = walk(written(condition), scope)
    assert from_model == from_data == condition
    assert model_problems == data_problems
    assert walk(written(condition), None) == (condition, [])  # the structure alone is sound


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        (["a"], ("show_if", "a condition must be a mapping, not a list")),
        ({"any_of": {"a": 1}}, ("show_if.any_of", "any_of must be a list, not a mapping")),
        ({"question": "a", "at_least": 1.5}, ("show_if.at_least", "at_least must be a whole")),
        ({"question": "a", "equals": None}, ("show_if.equals", "equals needs oui/non")),
    ],
)
def test_the_walker_refuses_a_broken_written_form(node: object, problem: tuple[str, str]) -> None:
    condition, problems = walk(node, None)
    assert condition is None
    assert [(where, reason[: len(problem[1])]) for where, reason in problems] == [problem]


def test_conditions_check_answers_against_the_question_type() -> None:
    scale = Question(id="s", text="S ?", type=SCALE, scale_multiplier=1)
    problems = problems_of(
        questions=(
            VIT_SEUL,
            VISITES,
            SIGNES,
            scale,
            yes_no("q1", show_if=AnswerEquals("visites", "parfois")),
            yes_no("q2", show_if=AnswerEquals("signes", "fievre")),
            yes_no("q3", show_if=AnswerIncludes("signes", "toux")),
            yes_no("q4", show_if=AnswerAtLeast("s", 11)),
            yes_no("q5", show_if=AnswerEquals("s", 11)),
            yes_no("q6", show_if=AnswerEquals("s", 10)),
            yes_no("q7", show_if=AnswerEquals("vit_seul", "non")),
        )
    )
    assert [location for location, _ in problems] == [
        "questions[4].show_if.equals",
        "questions[5].show_if.equals",
        "questions[6].show_if.includes",
        "questions[7].show_if.at_least",
        "questions[8].show_if.equals",
    ]
    assert "expected one of tous_les_jours, rarement, jamais" in problems[0][1]
    assert "use includes" in problems[1][1]


@pytest.mark.parametrize(
    ("question", "location", "reason"),
    [
        (dataclasses.replace(VIT_SEUL, id="Vit seul"), "questions[0].id", "invalid question id"),
        (dataclasses.replace(VIT_SEUL, text="  "), "questions[0].text", "must not be empty"),
        (
            dataclasses.replace(VISITES, choices=VISITES.choices[:1], show_if=None),
            "questions[0].choices",
            "at least 2 choices",
        ),
        (
            dataclasses.replace(SIGNES, choices=(Choice("a", "A", 1), Choice("a", "B", 1))),
            "questions[0].choices[1].id",
            "duplicate choice id 'a'",
        ),
        (
            dataclasses.replace(SIGNES, choices=(Choice("a", "", 1), Choice("b", "B", 1))),
            "questions[0].choices[0].label",
            "must not be empty",
        ),
        (
            dataclasses.replace(
                SIGNES, choices=(Choice("a", "A", float("nan")), Choice("b", "B", 1))
            ),
            "questions[0].choices[0].weight",
            "finite",
        ),
        (
            Question(id="s", text="S ?", type=SCALE, scale_weights=(1,) * 10),
            "questions[0].weights",
            "needs 11 weights",
        ),
        (
            Question(id="s", text="S ?", type=SCALE, scale_weights=(1,) * 11, scale_multiplier=2),
            "questions[0].weights",
            "not both",
        ),
        (
            dataclasses.replace(VIT_SEUL, choices=(Choice("a", "A", 1),)),
            "questions[0].choices",
            "has no choices",
        ),
        (
            dataclasses.replace(VIT_SEUL, scale_multiplier=1),
            "questions[0].weights",
            "no scale weights",
        ),
        (
            dataclasses.replace(VIT_SEUL, yes_weight=float("inf")),
            "questions[0].weights.oui",
            "finite",
        ),
    ],
)
def test_bad_questions(question: Question, location: str, reason: str) -> None:
    problems = problems_of(questions=(question,))
    assert len(problems) == 1
    assert problems[0][0] == location
    assert reason in problems[0][1]


@pytest.mark.parametrize(
    ("changes", "location", "reason"),
    [
        ({"id": "Canicule 2025"}, "id", "invalid id"),
        ({"version": 0}, "version", "whole number >= 1"),
        ({"title": ""}, "title", "must not be empty"),
        ({"guidance": " \n"}, "guidance", "must not be empty"),
        ({"questions": ()}, "questions", "at least one question"),
        ({"risk_levels": ()}, "scoring.risk_levels", "at least one risk level"),
        (
            {"risk_levels": (RiskLevel("faible", 0), RiskLevel("élevé", 10), RiskLevel("x", 10))},
            "scoring.risk_levels[2].min_score",
            "thresholds must increase",
        ),
        (
            {"risk_levels": (RiskLevel("faible", 5), RiskLevel("élevé", 4.5))},
            "scoring.risk_levels[1].min_score",
            "min_score 4.5 of 'élevé' is not above 5 of 'faible'",
        ),
        (
            {"risk_levels": (RiskLevel("faible", 0), RiskLevel("faible", 1))},
            "scoring.risk_levels[1].name",
            "duplicate risk level 'faible'",
        ),
        (
            {"alerts": (AlertRule(RiskLevelAtLeast("grave"), Need.SOCIAL, 2, "M"),)},
            "scoring.alerts[0].when.risk_level_at_least",
            "unknown risk level 'grave' (levels: faible, modéré, élevé, critique)",
        ),
        (
            {"alerts": (AlertRule(AnswerEquals("age", 1), Need.SOCIAL, 2, "M"),)},
            "scoring.alerts[0].when.question",
            "alert refers to unknown question 'age'",
        ),
        (
            {"alerts": (AlertRule(AnswerEquals("visites", "parfois"), Need.SOCIAL, 2, "M"),)},
            "scoring.alerts[0].when.equals",
            "'parfois' is not an answer of question 'visites'",
        ),
        (
            {"alerts": (AlertRule(AnswerEquals("vit_seul", True), Need.SOCIAL, 5, "M"),)},
            "scoring.alerts[0].priority",
            "priority must be 1 (highest) to 4",
        ),
        (
            {"alerts": (AlertRule(AnswerEquals("vit_seul", True), Need.SOCIAL, 2, ""),)},
            "scoring.alerts[0].message",
            "must not be empty",
        ),
        (
            {
                "alerts": (
                    AlertRule(AnswerEquals("vit_seul", True), Need.MEDICAL_EMERGENCY, 2, "M"),
                )
            },
            "scoring.alerts[0].priority",
            "medical_emergency alert must have priority 1",
        ),
        (
            {"emergency_answers": (EmergencyAnswer(AnswerEquals("vit_seul", True), "M", " "),)},
            "scoring.emergency_answers[0].agent_instructions",
            "must not be empty",
        ),
        (
            {"emergency_answers": (EmergencyAnswer(RiskLevelAtLeast("élevé"), "M", "15"),)},
            "scoring.emergency_answers[0].when.risk_level_at_least",
            "emergency answer conditions cannot use risk_level_at_least",
        ),
    ],
)
def test_bad_definitions(changes: dict[str, object], location: str, reason: str) -> None:
    problems = problems_of(**changes)
    assert len(problems) == 1, problems
    assert problems[0][0] == location
    assert reason in problems[0][1]


def test_every_problem_is_listed() -> None:
    with pytest.raises(InvalidQuestionnaireError) as raised:
        questionnaire(
            yes_no("a", show_if=AnswerEquals("b", True)),
            yes_no("b"),
            yes_no("a"),
            title="",
        )
    message = str(raised.value)
    assert message.splitlines() == [
        "questionnaire 'essai' is invalid:",
        "  title: title must not be empty",
        "  questions[0].show_if.question: show_if refers to question 'b', which comes later "
        "(questions[1]); a show_if may only use earlier questions",
        "  questions[2].id: duplicate question id 'a' (already used by questions[0])",
    ]
    assert isinstance(raised.value, InputError)


def test_alerts_may_refer_to_any_question() -> None:
    q = questionnaire(
        yes_no("a"),
        yes_no("b"),
        alerts=(
            AlertRule(
                AllOf((AnswerEquals("b", "oui"), AnswerEquals("a", "non"))), Need.SOCIAL, 3, "M"
            ),
        ),
    )
    assert len(q.alerts) == 1


@pytest.mark.parametrize(
    ("location", "text"),
    [
        ((), "(top level)"),
        (("id",), "id"),
        (
            ("questions", 3, "show_if", "any_of", 0, "question"),
            "questions[3].show_if.any_of[0].question",
        ),
    ],
)
def test_format_location(location: tuple[str | int, ...], text: str) -> None:
    assert format_location(location) == text
