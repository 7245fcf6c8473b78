"""The shipped questionnaire files, and broken definitions refused with file, line, reason."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dialer.core.campaigns import CampaignKind
from dialer.core.questionnaire import (
    InvalidQuestionnaireError,
    Need,
    Questionnaire,
    QuestionType,
    exact_weight,
    format_location,
)
from dialer.core.questionnaire_answers import visible_questions
from dialer.core.questionnaire_reading import read_questionnaire
from dialer.core.scoring import score
from dialer.errors import InputError, NotFoundError
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    QuestionnaireCatalog,
    load_questionnaire,
    load_questionnaires,
    parse_questionnaire,
)
from tests.questionnaire_walk import is_complete, next_question

IVR_SCRIPTS = SHIPPED_QUESTIONNAIRES.parent
QUESTIONNAIRES = IVR_SCRIPTS / "questionnaires"
MARK = "# <--"


@pytest.fixture(scope="module")
def catalog() -> QuestionnaireCatalog:
    return load_questionnaires(QUESTIONNAIRES)


@pytest.fixture(scope="module")
def canicule(catalog: QuestionnaireCatalog) -> Questionnaire:
    return catalog.get("canicule")


@pytest.fixture(scope="module")
def grand_froid(catalog: QuestionnaireCatalog) -> Questionnaire:
    return catalog.get("grand_froid")


def test_the_definitions_read_from_plain_data_too(catalog: QuestionnaireCatalog) -> None:
    """Reading a definition is pure (core): a file's plain data gives the same model."""
    for path in sorted(QUESTIONNAIRES.glob("*.yaml")):
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        built = read_questionnaire(data)
        assert built == catalog.get(built.id, built.version)
    with pytest.raises(InvalidQuestionnaireError) as raised:
        read_questionnaire({"id": "vide", "questions": "aucune"})
    assert [format_location(p.location) for p in raised.value.problems][-1] == "questions"


# --- the shipped files ---------------------------------------------------------------


def test_the_shipped_files_load(catalog: QuestionnaireCatalog) -> None:
    assert catalog.ids() == (
        "canicule",
        "epidemie",
        "grand_froid",
        "inondation",
        "proche",
        "veille_sociale",
    )
    assert catalog.get("canicule").kind is CampaignKind.HEATWAVE
    assert catalog.get("grand_froid", 1).kind is CampaignKind.COLD_SPELL
    assert len(catalog) == 6
    assert catalog.get("veille_sociale").kind is CampaignKind.VEILLE_SOCIALE
    assert catalog.get("proche").kind is CampaignKind.OTHER
    assert catalog.get("epidemie").kind is CampaignKind.EPIDEMIC
    with pytest.raises(NotFoundError):
        catalog.get("tsunami")
    with pytest.raises(NotFoundError):
        catalog.get("canicule", 99)


@pytest.mark.parametrize("name", ["canicule", "grand_froid"])
def test_shipped_definitions_follow_the_brief(catalog: QuestionnaireCatalog, name: str) -> None:
    q = catalog.get(name)
    assert 10 <= len(q.questions) <= 14
    assert sum(question.show_if is not None for question in q.questions) >= 2
    assert q.risk_level_names() == ("faible", "modéré", "élevé", "critique")
    assert q.emergency_answers
    for emergency in q.emergency_answers:
        assert re.search(r"\b(15|112)\b", emergency.agent_instructions)
        assert "ne raccrochez pas" in emergency.agent_instructions.lower()
    assert {rule.need for rule in q.alerts} >= {Need.MEDICAL, Need.SOCIAL, Need.HOME_HELP}
    for question in q.questions:
        assert question.needs, question.id
        # non-negative weights: answering more never lowers a score
        weights = [choice.weight for choice in question.choices] + [
            question.yes_weight,
            question.no_weight,
            *question.scale_weights,
        ]
        assert all(exact_weight(w) >= 0 for w in weights), question.id
    # the emergency question comes first, and always shows
    assert q.questions[0].show_if is None
    assert q.questions[0].id == "malaise_maintenant"


def test_canicule_emergency(canicule: Questionnaire) -> None:
    result = score(canicule, {"malaise_maintenant": True})
    assert result.emergency is not None
    assert "15 (SAMU)" in result.emergency.agent_instructions
    assert result.risk_level == "critique"
    assert result.triggered[0].emergency
    assert result.triggered[0].because[0].answer_label == "oui"
    assert not result.complete


def answer_everything(q: Questionnaire, choose: dict[str, object]) -> dict[str, object]:
    """Follow the skip logic, answering from ``choose`` or the first (lowest) option."""
    answers: dict[str, object] = {}
    while (question := next_question(q, answers)) is not None:
        if question.id in choose:
            answers[question.id] = choose[question.id]
        elif question.type is QuestionType.YES_NO:
            answers[question.id] = question.yes_weight < question.no_weight
        elif question.type is QuestionType.SINGLE_CHOICE:
            answers[question.id] = min(question.choices, key=lambda c: c.weight).id
        elif question.type is QuestionType.MULTIPLE_CHOICE:
            answers[question.id] = frozenset()
        else:
            answers[question.id] = 0
    return answers


def test_a_person_doing_well_is_a_complete_low_risk_contact(canicule: Questionnaire) -> None:
    answers = answer_everything(canicule, {})
    assert is_complete(canicule, answers)
    result = score(canicule, answers)
    assert (result.score, result.risk_level, result.triggered) == (0, "faible", ())
    assert result.complete


def test_canicule_isolated_person_in_a_hot_home(canicule: Questionnaire) -> None:
    answers = answer_everything(
        canicule,
        {
            "temperature_logement": "tres_chaud",
            "rafraichir": False,
            "piece_fraiche": False,
            "vit_seul": True,
            "visites": "jamais",
        },
    )
    assert "rafraichir" in answers
    assert "visites" in answers
    result = score(canicule, answers)
    assert result.score == 4 + 3 + 2 + 2 + 4
    assert result.risk_level == "élevé"
    assert [alert.need for alert in result.triggered] == [Need.SOCIAL, Need.HOUSING, Need.SOCIAL]
    housing = result.triggered[1]
    assert [r.question_id for r in housing.because] == ["temperature_logement", "piece_fraiche"]


def test_canicule_skip_logic(canicule: Questionnaire) -> None:
    shown = {q.id for q in visible_questions(canicule, {"temperature_logement": "supportable"})}
    assert "rafraichir" not in shown
    assert "visites" not in shown
    assert "medicaments_suffisants" not in shown
    shown = {q.id for q in visible_questions(canicule, {"temperature_logement": "chaud"})}
    assert "rafraichir" in shown


def test_grand_froid_carbon_monoxide(grand_froid: Questionnaire) -> None:
    result = score(grand_froid, {"chauffage_appoint": True, "maux_de_tete": True})
    assert result.emergency is not None
    assert "monoxyde de carbone" in result.emergency.agent_instructions.lower()
    assert "18" in result.emergency.agent_instructions
    # without the heater the question is not asked, and a stale answer does not count
    assert score(grand_froid, {"chauffage_appoint": False, "maux_de_tete": True}).emergency is None


def test_grand_froid_cold_home(grand_froid: Questionnaire) -> None:
    result = score(grand_froid, {"froid_logement": 7})
    assert result.score == 2
    assert [alert.need for alert in result.triggered] == [Need.HOUSING]
    assert result.triggered[0].because[0].answer_label == "7/10"


def test_the_information_prompt_has_its_placeholders() -> None:
    text = (IVR_SCRIPTS / "prompts" / "information_fr.txt").read_text(encoding="utf-8")
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    assert fields == {"service", "numero_rappel"}
    filled = text.format(service="CCAS de Testville", numero_rappel="01 23 45 67 89")
    assert "cellule de veille de la Ville" in filled
    assert "vous rappellera dans quelques minutes" in filled
    assert filled.count("01 23 45 67 89") == 2


# --- broken definitions --------------------------------------------------------------

VALID = """\
id: essai
version: 1
title: Essai
kind: heatwave
guidance: Bonjour.
questions:
  - id: vit_seul
    text: Vivez-vous seul(e) ?
    type: yes_no
    weights: {oui: 2, non: 0}
  - id: visites
    text: Qui passe vous voir ?
    type: single_choice
    show_if: {question: vit_seul, equals: oui}
    choices:
      - {id: souvent, label: Souvent, weight: 0}
      - {id: jamais, label: Jamais, weight: 4}
  - id: signes
    text: Quels signes ?
    type: multiple_choice
    choices:
      - {id: fievre, label: Fièvre, weight: 4}
      - {id: crampes, label: Crampes, weight: 2}
  - id: froid
    text: Avez-vous froid, de 0 à 10 ?
    type: scale_0_10
    weights: {multiplier: 0.5}
  - id: malaise
    text: Malaise en ce moment ?
    type: yes_no
    weights: {oui: 20, non: 0}
scoring:
  risk_levels:
    - {name: faible, min_score: 0}
    - {name: modéré, min_score: 5}
    - {name: élevé, min_score: 10}
  alerts:
    - when: {question: visites, equals: jamais}
      need: social
      priority: 3
      message: Aucune visite.
    - when: {risk_level_at_least: élevé}
      need: social
      priority: 2
      message: Risque élevé.
  emergency_answers:
    - when: {question: malaise, equals: oui}
      message: Malaise en cours.
      agent_instructions: Appelez le 15 et restez en ligne.
"""


def line_number(text: str, snippet: str) -> int:
    """The 1-based number of the only line of ``text`` containing ``snippet``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(found) == 1, (snippet, found)
    return found[0]


def broken(*edits: tuple[str, str]) -> str:
    text = VALID
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def errors(path: Path) -> list[tuple[int, str]]:
    """The (line, reason) pairs of the error loading ``path``; each names the file."""
    with pytest.raises(InputError) as raised:
        load_questionnaire(path)
    found = []
    for line in str(raised.value).splitlines():
        match = re.fullmatch(rf"{re.escape(str(path))}:(\d+): (.+)", line)
        assert match, f"not FILE:LINE: reason: {line!r}"
        found.append((int(match[1]), match[2]))
    return found


def test_the_valid_template_loads(tmp_path: Path) -> None:
    path = tmp_path / "essai.yaml"
    path.write_text(VALID, encoding="utf-8")
    q = load_questionnaire(path)
    assert (q.id, q.version, len(q.questions)) == ("essai", 1, 5)
    assert q.questions[3].scale_multiplier == 0.5
    assert q == parse_questionnaire(VALID, source="essai.yaml")


BROKEN = {
    "unknown question type": (
        [("    type: multiple_choice", f"    type: choix_multiples  {MARK}")],
        "unknown question type 'choix_multiples' (expected one of: yes_no, single_choice, "
        "multiple_choice, scale_0_10)",
    ),
    "unknown kind": (
        [("kind: heatwave", f"kind: canicule  {MARK}")],
        "unknown kind 'canicule'",
    ),
    "version not a number": (
        [("version: 1", f"version: un  {MARK}")],
        "version must be a whole number, not the text 'un'",
    ),
    "version zero": (
        [("version: 1", f"version: 0  {MARK}")],
        "version must be a whole number >= 1",
    ),
    "missing top-level key": (
        [("guidance: Bonjour.\n", ""), ("id: essai", f"id: essai  {MARK}")],
        "a questionnaire lacks 'guidance'",
    ),
    "unknown key": (
        [
            (
                "    show_if: {question: vit_seul, equals: oui}",
                f"    show-if: {{question: vit_seul, equals: oui}}  {MARK}",
            )
        ],
        "unknown key 'show-if' in a question",
    ),
    "duplicate question id": (
        [("  - id: froid", f"  - id: signes  {MARK}")],
        f"duplicate question id 'signes' (already used by questions[2]) "
        f"(first at line {line_number(VALID, '  - id: signes')})",
    ),
    "invalid question id": (
        [("  - id: froid", f"  - id: Froid chez vous  {MARK}")],
        "invalid question id 'Froid chez vous'",
    ),
    "missing text": (
        [("  - id: froid\n    text: Avez-vous froid, de 0 à 10 ?\n", f"  - id: froid  {MARK}\n")],
        "a question lacks 'text'",
    ),
    "empty text": (
        [("    text: Quels signes ?", f'    text: ""  {MARK}')],
        "text must not be empty",
    ),
    "text not text": (
        [("    text: Quels signes ?", f"    text: [a, b]  {MARK}")],
        "text must be text, not a list",
    ),
    "required not a boolean": (
        [("    text: Quels signes ?", f"    text: Quels signes ?\n    required: yes  {MARK}")],
        "required must be true or false",
    ),
    "choice without weight": (
        [
            (
                "      - {id: jamais, label: Jamais, weight: 4}",
                f"      - {{id: jamais, label: Jamais}}  {MARK}",
            )
        ],
        "a choice lacks 'weight'",
    ),
    "choice weight not a number": (
        [("label: Jamais, weight: 4}", f"label: Jamais, weight: beaucoup}}  {MARK}")],
        "weight must be a number, not the text 'beaucoup'",
    ),
    "duplicate choice id": (
        [
            (
                "      - {id: crampes, label: Crampes, weight: 2}",
                f"      - {{id: fievre, label: Crampes, weight: 2}}  {MARK}",
            )
        ],
        "duplicate choice id 'fievre' in question 'signes'",
    ),
    "a single choice": (
        [
            ("      - {id: crampes, label: Crampes, weight: 2}\n", ""),
            (
                "    type: multiple_choice\n    choices:",
                f"    type: multiple_choice\n    choices:  {MARK}",
            ),
        ],
        "a multiple_choice question needs at least 2 choices",
    ),
    "choice question with weights": (
        [
            (
                "    type: multiple_choice",
                f"    type: multiple_choice\n    weights: {{oui: 1, non: 0}}  {MARK}",
            )
        ],
        "a multiple_choice question has no weights: each choice has one",
    ),
    "yes_no weight missing": (
        [("    weights: {oui: 20, non: 0}", f"    weights: {{oui: 20}}  {MARK}")],
        "yes_no weights lack 'non'",
    ),
    "yes_no unknown weight key": (
        [
            (
                "    weights: {oui: 20, non: 0}",
                f"    weights: {{oui: 20, non: 0, peut_etre: 1}}  {MARK}",
            )
        ],
        "unknown key 'peut_etre' in yes_no weights",
    ),
    "yes_no without weights": (
        [
            ("    type: yes_no\n    weights: {oui: 20, non: 0}\n", "    type: yes_no\n"),
            ("  - id: malaise", f"  - id: malaise  {MARK}"),
        ],
        "a yes_no question lacks 'weights'",
    ),
    "yes_no with choices": (
        [
            (
                "    weights: {oui: 20, non: 0}",
                f"    weights: {{oui: 20, non: 0}}\n    choices: []  {MARK}",
            )
        ],
        "a yes_no question has no choices",
    ),
    "scale with 10 weights": (
        [
            (
                "    weights: {multiplier: 0.5}",
                f"    weights: [0, 0, 0, 0, 1, 1, 2, 2, 3, 4]  {MARK}",
            )
        ],
        "a scale_0_10 question needs 11 weights (points 0 to 10) or a multiplier, got 10 weights",
    ),
    "scale multiplier not finite": (
        [("    weights: {multiplier: 0.5}", f"    weights:\n      multiplier: .nan  {MARK}")],
        "multiplier must be a finite number, not nan",
    ),
    "show_if on a later question": (
        [
            (
                "    show_if: {question: vit_seul, equals: oui}",
                f"    show_if:\n      equals: oui\n      question: malaise  {MARK}",
            )
        ],
        "show_if refers to question 'malaise', which comes later (questions[4]); "
        "a show_if may only use earlier questions",
    ),
    "show_if on its own question": (
        [("{question: vit_seul, equals: oui}", f"{{question: visites, equals: jamais}}  {MARK}")],
        "show_if refers to question 'visites', its own question",
    ),
    "show_if on an unknown question": (
        [("{question: vit_seul, equals: oui}", f"{{question: vit_seule, equals: oui}}  {MARK}")],
        "show_if refers to unknown question 'vit_seule'",
    ),
    "show_if nested later question": (
        [
            (
                "    show_if: {question: vit_seul, equals: oui}",
                "    show_if:\n      any_of:\n        - {question: vit_seul, equals: oui}\n"
                f"        - {{question: signes, includes: fievre}}  {MARK}",
            )
        ],
        "show_if refers to question 'signes', which comes later",
    ),
    "show_if unknown answer": (
        [
            (
                "{question: vit_seul, equals: oui}",
                f"{{question: vit_seul, equals: peut_etre}}  {MARK}",
            )
        ],
        "'peut_etre' is not an answer of question 'vit_seul' (expected oui or non)",
    ),
    "show_if on the risk level": (
        [("{question: vit_seul, equals: oui}", f"{{risk_level_at_least: élevé}}  {MARK}")],
        "show_if conditions cannot use risk_level_at_least (only alerts can)",
    ),
    "condition with two tests": (
        [
            (
                "{question: vit_seul, equals: oui}",
                f"{{question: vit_seul, equals: oui, at_least: 2}}  {MARK}",
            )
        ],
        "a condition on a question needs exactly one of equals, includes, at_least, at_most",
    ),
    "condition of an unknown form": (
        [("{question: vit_seul, equals: oui}", f"{{one_of: []}}  {MARK}")],
        "a condition is one of",
    ),
    "thresholds not increasing": (
        [("    - {name: élevé, min_score: 10}", f"    - {{name: élevé, min_score: 5}}  {MARK}")],
        "thresholds must increase: min_score 5 of 'élevé' is not above 5 of 'modéré'",
    ),
    "risk level without threshold": (
        [("    - {name: élevé, min_score: 10}", f"    - {{name: élevé}}  {MARK}")],
        "a risk level lacks 'min_score'",
    ),
    "alert on an unknown question": (
        [("{question: visites, equals: jamais}", f"{{question: visite, equals: jamais}}  {MARK}")],
        "alert refers to unknown question 'visite'",
    ),
    "alert on an unknown answer": (
        [("{question: visites, equals: jamais}", f"{{question: visites, equals: aucune}}  {MARK}")],
        "'aucune' is not an answer of question 'visites' (expected one of souvent, jamais)",
    ),
    "alert on an unknown choice of a block condition": (
        [
            (
                "    - when: {question: visites, equals: jamais}",
                "    - when:\n        all_of:\n          - {question: vit_seul, equals: oui}\n"
                f"          - {{question: signes, includes: toux}}  {MARK}",
            )
        ],
        "'toux' is not an answer of question 'signes'",
    ),
    "alert on an unknown risk level": (
        [("{risk_level_at_least: élevé}", f"{{risk_level_at_least: grave}}  {MARK}")],
        "unknown risk level 'grave' (levels: faible, modéré, élevé)",
    ),
    "alert with an unknown need": (
        [
            (
                "      need: social\n      priority: 3",
                f"      need: sociale  {MARK}\n      priority: 3",
            )
        ],
        "unknown need 'sociale' (expected one of: medical_emergency, medical, social, "
        "home_help, housing)",
    ),
    "alert priority out of range": (
        [("      priority: 3", f"      priority: 5  {MARK}")],
        "priority must be 1 (highest) to 4, not 5",
    ),
    "medical emergency alert of low priority": (
        [
            (
                "      need: social\n      priority: 3",
                f"      need: medical_emergency\n      priority: 3  {MARK}",
            )
        ],
        "a medical_emergency alert must have priority 1",
    ),
    "emergency without instructions": (
        [
            ("      agent_instructions: Appelez le 15 et restez en ligne.\n", ""),
            (
                "    - when: {question: malaise, equals: oui}",
                f"    - when: {{question: malaise, equals: oui}}  {MARK}",
            ),
        ],
        "an emergency answer lacks 'agent_instructions'",
    ),
    "emergency on the risk level": (
        [("{question: malaise, equals: oui}", f"{{risk_level_at_least: élevé}}  {MARK}")],
        "emergency answer conditions cannot use risk_level_at_least",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_definitions_name_file_line_and_reason(tmp_path: Path, case: str) -> None:
    edits, reason = BROKEN[case]
    text = broken(*edits)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    found = errors(path)
    assert len(found) == 1, found
    line, message = found[0]
    assert line == line_number(text, MARK)
    assert reason in message


def test_every_structural_problem_is_reported(tmp_path: Path) -> None:
    text = broken(
        ("kind: heatwave", "kind: canicule"),
        ("    type: multiple_choice", "    type: choix_multiples"),
        ("      priority: 3", "      priority: haute"),
    )
    path = tmp_path / "three.yaml"
    path.write_text(text, encoding="utf-8")
    assert [line for line, _ in errors(path)] == [4, 20, 40]


def test_every_consistency_problem_is_reported(tmp_path: Path) -> None:
    text = broken(
        ("  - id: froid", "  - id: signes"),
        ("{question: visites, equals: jamais}", "{question: visite, equals: jamais}"),
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    assert [(line, reason[:30]) for line, reason in errors(path)] == [
        (24, "duplicate question id 'signes'"),
        (38, "alert refers to unknown questi"),
    ]


# --- YAML errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        # a French space before a colon makes a second mapping
        (
            "id: essai\nversion: 1\ntitle: Bonjour : ça va ?\n",
            3,
            "mapping values are not allowed here",
        ),
        ("id: essai\nversion: 1\nid: autre\n", 3, 'found duplicate key "id"'),
        ("id: essai\nquestions:\n  - id: a\n\ttext: b\n", 4, "found character '\\t'"),
        ("id: essai\nquestions:\n  - id: a\n    text: 'b\n", 5, "found unexpected end of stream"),
        ("id: essai\nquestions: [a, b\nscoring: 1\n", 3, "expected ',' or ']'"),
    ],
)
def test_yaml_syntax_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text(text, encoding="utf-8")
    found = errors(path)
    assert len(found) == 1
    assert found[0][0] == line
    assert found[0][1].startswith("invalid YAML: ")
    assert reason in found[0][1]


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# rien\n", encoding="utf-8")
    assert errors(path) == [(1, "the file holds no questionnaire (it is empty)")]


def test_a_list_at_the_top(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("\n- id: essai\n", encoding="utf-8")
    assert errors(path) == [(2, "a questionnaire must be a mapping (key: value), not a list")]


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace("Quels signes", "Quels sympt\xf4mes").encode("latin-1"))
    (found,) = errors(path)
    assert found[0] == line_number(VALID, "Quels signes")
    assert found[1].startswith("not UTF-8 text")


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_questionnaire(path).id == "essai"


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"absent\.yaml"):
        load_questionnaire(tmp_path / "absent.yaml")


# --- directories ---------------------------------------------------------------------


def test_a_directory_holds_several_versions(tmp_path: Path) -> None:
    (tmp_path / "essai-v1.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "essai-v2.yml").write_text(VALID.replace("version: 1", "version: 2"), "utf-8")
    (tmp_path / "notes.txt").write_text("pas un questionnaire", encoding="utf-8")
    catalog = load_questionnaires(tmp_path)
    assert len(catalog) == 2
    assert catalog.get("essai").version == 2
    assert catalog.get("essai", 1).version == 1
    assert [q.version for q in catalog] == [1, 2]


def test_two_files_with_the_same_version_are_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(VALID, encoding="utf-8")
    second.write_text("# copie\n" + VALID, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_questionnaires(tmp_path)
    assert str(raised.value) == (
        f"{second}:3: questionnaire 'essai' version 1 is already defined in {first}"
    )


def test_a_broken_file_in_a_directory_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    bad = tmp_path / "b.yaml"
    bad.write_text(VALID.replace("kind: heatwave", "kind: canicule"), encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{re.escape(str(bad))}:4: unknown kind"):
        load_questionnaires(tmp_path)


def test_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such questionnaire directory"):
        load_questionnaires(tmp_path / "absent")
