"""Loading questionnaire definitions (YAML) with the file and line of every error.

The definitions live in one directory (``ivr_scripts/questionnaires``), one file each,
``*.yaml`` or ``*.yml``; several versions of one questionnaire may sit side by side (old
answers are shown with the version they were given to). The only I/O here is listing that
directory and reading its files. ruamel.yaml reads them (YAML 1.2: ``yes``/``no``/``oui``/
``non`` are plain words, only ``true``/``false`` are booleans) and keeps the line of every
node, so an invalid definition is refused with :class:`dialer.errors.InputError`, one line
per problem: ``path/to/file.yaml:LINE: reason``. Every problem of a file is reported at
once (structure first; the consistency checks of :mod:`dialer.core.questionnaire` run when
the structure is sound). Unknown keys are errors: a misspelt ``show-if`` must not quietly
show a question to everyone.

The format (French texts; ids: lower-case letters, digits and ``_``)::

    id: canicule                 # the questionnaire's id
    version: 3                   # a whole number >= 1; raise it on any change
    title: Veille canicule       # French
    kind: heatwave               # heatwave | cold_spell | epidemic | other
    guidance: |                  # for agents: introduction script, what to say
      Bonjour, ...
    questions:
      - id: vit_seul
        text: Vivez-vous seul(e) ?
        type: yes_no             # yes_no | single_choice | multiple_choice | scale_0_10
        weights: {oui: 2, non: 0}            # yes_no: both weights
        need: social             # optional: one need or a list (see Need)
        required: true           # optional, default true
      - id: visites
        text: Qui passe vous voir ?
        type: single_choice      # single_choice / multiple_choice: 2 choices or more
        choices:
          - {id: tous_les_jours, label: Tous les jours, weight: 0}
          - {id: jamais, label: Jamais, weight: 4}
        show_if: {question: vit_seul, equals: oui}   # skip logic, earlier questions only
      - id: froid
        text: De 0 à 10, avez-vous froid chez vous ?
        type: scale_0_10
        weights: [0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 4]   # one per point 0..10, or:
        # weights: {multiplier: 0.5}                 # weight = answer x multiplier
    scoring:                     # the score is the sum of the visible answers' weights
      risk_levels:               # thresholds strictly increasing
        - {name: faible, min_score: 0}
        - {name: élevé, min_score: 10}
      alerts:                    # optional
        - when: {risk_level_at_least: élevé}
          need: social           # medical | social | home_help | housing | medical_emergency
          priority: 2            # 1 (highest) .. 4; medical_emergency needs 1
          message: Visite à prévoir dans la journée.
      emergency_answers:         # optional: a medical emergency on the call right now
        - when: {question: malaise, equals: oui}
          message: Malaise en cours, secours appelés.      # the priority-1 alert's text
          agent_instructions: |                           # what the agent says and does
            Appelez le 15 ...

Conditions (``show_if``, ``when``), one form per mapping:

* ``{question: ID, equals: V}``: yes_no (``oui``/``non``), single_choice (a choice id),
  scale_0_10 (a number 0..10);
* ``{question: ID, includes: CHOICE}``: multiple_choice, that choice ticked;
* ``{question: ID, at_least: N}`` / ``{question: ID, at_most: N}``: scale_0_10;
* ``{any_of: [CONDITION, ...]}`` / ``{all_of: [CONDITION, ...]}``;
* ``{risk_level_at_least: NAME}``: in alerts only.

A ``show_if`` may only name questions that come before its own; an alert or an emergency
answer may name any question. See :mod:`dialer.core.questionnaire` for the meaning.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

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
    DefinitionProblem,
    EmergencyAnswer,
    InvalidQuestionnaireError,
    Location,
    Need,
    Question,
    Questionnaire,
    QuestionType,
    RiskLevel,
    RiskLevelAtLeast,
    Weight,
)
from dialer.errors import InputError, NotFoundError

SUFFIXES = (".yaml", ".yml")
#: the questionnaires shipped with the product (the city's own go in the same folder)
SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parents[1] / "ivr_scripts" / "questionnaires"

_TOP_KEYS = frozenset({"id", "version", "title", "kind", "guidance", "questions", "scoring"})
_QUESTION_KEYS = frozenset({"id", "text", "type", "choices", "weights", "required"})
_QUESTION_OPTIONAL = frozenset({"show_if", "need"})
# a dict keyed by str and bool: the isinstance check above keeps 1 and 0 out (1 == True)
_YES_NO_KEYS: dict[str | bool, bool] = {
    "oui": True,
    "yes": True,
    True: True,
    "non": False,
    "no": False,
    False: False,
}
_ANSWER_TESTS = ("equals", "includes", "at_least", "at_most")
_COMBINATIONS = ("any_of", "all_of", "risk_level_at_least")

_E = TypeVar("_E", QuestionType, CampaignKind, Need)


@dataclass(frozen=True)
class QuestionnaireCatalog:
    """The definitions of a directory, by ``(id, version)``."""

    definitions: Mapping[tuple[str, int], Questionnaire] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.definitions)

    def __iter__(self) -> Iterator[Questionnaire]:
        return iter(self.definitions.values())

    def get(self, questionnaire_id: str, version: int | None = None) -> Questionnaire:
        """Version ``version`` of ``questionnaire_id``, or its latest when ``None``;
        :class:`NotFoundError` when there is none."""
        if version is None:
            versions = [v for (i, v) in self.definitions if i == questionnaire_id]
            if not versions:
                raise NotFoundError(f"no questionnaire {questionnaire_id!r}")
            version = max(versions)
        found = self.definitions.get((questionnaire_id, version))
        if found is None:
            raise NotFoundError(f"no questionnaire {questionnaire_id!r} version {version}")
        return found

    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({i for (i, _) in self.definitions}))


def load_questionnaires(directory: Path) -> QuestionnaireCatalog:
    """Every ``*.yaml``/``*.yml`` definition of ``directory`` (not its subdirectories),
    in file-name order. :class:`InputError` on the first invalid file, or when two files
    define the same id and version; :class:`NotFoundError` when the directory is missing."""
    if not directory.is_dir():
        raise NotFoundError(f"{directory}: no such questionnaire directory")
    definitions: dict[tuple[str, int], Questionnaire] = {}
    sources: dict[tuple[str, int], Path] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        questionnaire = load_questionnaire(path)
        key = (questionnaire.id, questionnaire.version)
        if key in sources:
            raise InputError(
                f"{path}:{_version_line(path)}: questionnaire {key[0]!r} version {key[1]} "
                f"is already defined in {sources[key]}"
            )
        definitions[key] = questionnaire
        sources[key] = path
    return QuestionnaireCatalog(definitions)


def load_questionnaire(path: Path) -> Questionnaire:
    """The definition in the file ``path``; :class:`InputError` naming the file and line
    of every problem (:class:`NotFoundError` when it cannot be read)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotFoundError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text ({error.reason})") from error
    return parse_questionnaire(text, source=str(path))


def parse_questionnaire(text: str, *, source: str) -> Questionnaire:
    """The definition in the YAML ``text``; ``source`` (the file name) starts each error."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except YAMLError as error:
        raise InputError(
            f"{source}:{_yaml_error_line(error, text)}: {_yaml_reason(error)}"
        ) from error
    if root is None:
        raise InputError(f"{source}:1: the file holds no questionnaire (it is empty)")
    parser = _Parser()
    build = parser.questionnaire(root)
    problems: tuple[DefinitionProblem, ...] = tuple(parser.problems)
    if build is not None and not problems:
        try:
            return build()
        except InvalidQuestionnaireError as error:
            problems = error.problems
    if not problems:  # pragma: no cover - every failed part records why
        problems = (DefinitionProblem((), "invalid questionnaire"),)
    raise InputError(_report(source, root, problems))


def _report(source: str, root: object, problems: tuple[DefinitionProblem, ...]) -> str:
    lines = []
    for problem in problems:
        reason = problem.reason
        if problem.related is not None:
            reason += f" (first at line {line_of(root, problem.related)})"
        lines.append((line_of(root, problem.location), reason))
    lines.sort(key=lambda item: item[0])
    return "\n".join(f"{source}:{line}: {reason}" for line, reason in lines)


def line_of(root: object, location: Location) -> int:
    """The 1-based line of the node at ``location`` in a ruamel tree: a mapping entry's
    key line, a sequence item's line; the deepest existing node's when it does not exist
    (a missing key: the line of the mapping that lacks it)."""
    line: int = getattr(getattr(root, "lc", None), "line", 0) or 0
    node = root
    for step in location:
        try:
            if isinstance(node, CommentedMap) and not isinstance(step, int) and step in node:
                line = node.lc.key(step)[0]
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and step < len(node):
                line = node.lc.item(step)[0]
                node = node[step]
            else:
                break
        except (KeyError, IndexError, TypeError):  # a key brought in by a `<<` merge
            break
    return line + 1


def _version_line(path: Path) -> int:
    try:
        root = YAML(typ="rt", pure=True).load(path.read_text(encoding="utf-8-sig"))
    except (OSError, YAMLError):
        return 1
    return line_of(root, ("version",))


def _yaml_error_line(error: YAMLError, text: str) -> int:
    if isinstance(error, MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        if mark is not None:
            return int(mark.line) + 1
    position = getattr(error, "position", None)  # a ReaderError: a forbidden character
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return 1


def _yaml_reason(error: YAMLError) -> str:
    if isinstance(error, MarkedYAMLError):
        parts = [str(part) for part in (error.context, error.problem) if part]
    else:
        parts = [line for line in str(error).strip().splitlines() if line.strip()][-1:]
    return "invalid YAML: " + (", ".join(parts) or type(error).__name__)


class _Parser:
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
    ) -> CommentedMap | None:
        if not isinstance(node, CommentedMap):
            self.fail(where, f"{what} must be a mapping (key: value), not {_kind(node)}")
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

    def sequence(self, node: Any, where: Location, what: str) -> CommentedSeq | None:
        if not isinstance(node, CommentedSeq):
            self.fail(where, f"{what} must be a list, not {_kind(node)}")
            return None
        return node

    def string(self, node: CommentedMap, key: str, where: Location) -> str | None:
        if key not in node:
            return None
        value = node[key]
        if not isinstance(value, str):
            self.fail((*where, key), f"{key} must be text, not {_kind(value)}")
            return None
        if not value.strip():
            self.fail((*where, key), f"{key} must not be empty")
            return None
        return str(value).strip()

    def number(self, value: Any, at: Location, what: str) -> Weight | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(at, f"{what} must be a number, not {_kind(value)}")
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail(at, f"{what} must be a finite number, not {value}")
                return None
            return float(value)
        return int(value)

    def integer(self, value: Any, at: Location, what: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(at, f"{what} must be a whole number, not {_kind(value)}")
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

    def needs(self, item: CommentedMap, where: Location) -> frozenset[Need]:
        if "need" not in item:
            return frozenset()
        value = item["need"]
        at: Location = (*where, "need")
        if isinstance(value, CommentedSeq):
            found = [self.enum_value(Need, v, (*at, i), "need") for i, v in enumerate(value)]
            return frozenset(need for need in found if need is not None)
        need = self.enum_value(Need, value, at, "need")
        return frozenset() if need is None else frozenset({need})

    def question_weights(
        self, item: CommentedMap, where: Location, kind: QuestionType
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
        if isinstance(weights, CommentedSeq):
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
        if not isinstance(weights, CommentedMap):
            self.fail(
                at, f"the weights of a yes_no question are {{oui: N, non: N}}, not {_kind(weights)}"
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
        item = self.mapping(node, where, "a choice", required=("id", "label", "weight"))
        if item is None:
            return None
        ident = self.string(item, "id", where)
        label = self.string(item, "label", where)
        weight = (
            self.number(item["weight"], (*where, "weight"), "weight") if "weight" in item else None
        )
        if ident is None or label is None or weight is None:
            return None
        return Choice(id=ident, label=label, weight=weight)

    def condition(self, node: Any, where: Location) -> Condition | None:
        if not isinstance(node, CommentedMap):
            self.fail(where, f"a condition must be a mapping, not {_kind(node)}")
            return None
        if "question" in node:
            return self.answer_condition(node, where)
        forms = [key for key in _COMBINATIONS if key in node]
        if len(forms) != 1 or len(node) != 1:
            self.fail(
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
                self.fail(at, f"risk_level_at_least names a risk level, not {_kind(level)}")
                return None
            return RiskLevelAtLeast(str(level))
        items = self.sequence(node[form], at, form)
        if items is None:
            return None
        inner = [self.condition(c, (*at, i)) for i, c in enumerate(items)]
        if any(c is None for c in inner):
            return None
        conditions = tuple(c for c in inner if c is not None)
        return AnyOf(conditions) if form == "any_of" else AllOf(conditions)

    def answer_condition(self, node: CommentedMap, where: Location) -> Condition | None:
        tests = [key for key in _ANSWER_TESTS if key in node]
        others = [key for key in node if key != "question" and key not in _ANSWER_TESTS]
        for key in others:
            self.fail(
                (*where, key) if isinstance(key, str) else where,
                f"unknown key {key!r} in a condition (expected question and one of "
                f"{', '.join(_ANSWER_TESTS)})",
            )
        if len(tests) != 1:
            self.fail(
                where,
                f"a condition on a question needs exactly one of {', '.join(_ANSWER_TESTS)}",
            )
            return None
        question = node["question"]
        if not isinstance(question, str):
            self.fail(
                (*where, "question"), f"question must be a question id, not {_kind(question)}"
            )
            return None
        if others:
            return None
        test = tests[0]
        value = node[test]
        at: Location = (*where, test)
        if test == "equals":
            if isinstance(value, bool | int | str):
                return AnswerEquals(
                    str(question), value if isinstance(value, bool) else _plain(value)
                )
            self.fail(at, f"equals needs oui/non, a choice id or a number, not {_kind(value)}")
            return None
        if test == "includes":
            if isinstance(value, str):
                return AnswerIncludes(str(question), str(value))
            self.fail(at, f"includes needs a choice id, not {_kind(value)}")
            return None
        bound = self.integer(value, at, test)
        if bound is None:
            return None
        return (AnswerAtLeast if test == "at_least" else AnswerAtMost)(str(question), bound)

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


def _plain(value: int | str) -> int | str:
    """A ruamel scalar (``ScalarInt``, ``LiteralScalarString``...) as a plain value."""
    return int(value) if isinstance(value, int) else str(value)


def _kind(value: object) -> str:
    """How a YAML value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, CommentedMap):
        return "a mapping"
    if isinstance(value, CommentedSeq):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {str(value)!r}"
    return f"a {type(value).__name__}"
