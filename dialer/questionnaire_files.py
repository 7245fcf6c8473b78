"""Questionnaire definition files (YAML): loading them, with the file and line of every error.

The definitions live in one directory (``dialer/ivr_scripts/questionnaires`` for
the shipped ones), one file each,
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
    kind: heatwave               # heatwave | cold_spell | epidemic | veille_sociale | other
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
      - id: aides
        text: Quelles aides recevez-vous ?
        type: multiple_choice
        choices:                 # a multiple_choice question may declare its own « none »:
          - {id: aucune, label: Aucune, weight: 2, exclusive: true}  # ticked alone; the
          - {id: portage, label: Portage des repas, weight: 0}     # screen then adds no
          - {id: aide_menagere, label: Aide ménagère, weight: 0}   # « Aucun de ceux-ci »
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
answer may name any question. See :mod:`dialer.core.questionnaire_conditions` and
:mod:`dialer.core.questionnaire_answers` for the meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from dialer.core.questionnaire import (
    DefinitionProblem,
    InvalidQuestionnaireError,
    Location,
    Questionnaire,
)
from dialer.core.questionnaire_reading import read_questionnaire
from dialer.errors import InputError, NotFoundError

SUFFIXES = (".yaml", ".yml")
#: the questionnaires shipped with the product (the city's own go in the same folder)
SHIPPED_QUESTIONNAIRES = Path(str(resources.files("dialer") / "ivr_scripts" / "questionnaires"))


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
    return parse_questionnaire(file_text(path), source=str(path))


def file_text(path: Path) -> str:
    """The UTF-8 text of a definition file (questionnaire, campaign template);
    :class:`NotFoundError` when it cannot be read, :class:`InputError` with the line of the
    first byte that is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotFoundError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text ({error.reason})") from error


def yaml_root(text: str, *, source: str, holds: str) -> object:
    """The YAML ``text``'s tree, every node with its line (for :func:`line_of`);
    :class:`InputError` ``source:LINE: reason`` when it is not YAML or is empty (``holds``:
    what the file should hold, for that message)."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except YAMLError as error:
        raise InputError(
            f"{source}:{_yaml_error_line(error, text)}: {_yaml_reason(error)}"
        ) from error
    if root is None:
        raise InputError(f"{source}:1: the file holds no {holds} (it is empty)")
    return root


def parse_questionnaire(text: str, *, source: str) -> Questionnaire:
    """The definition in the YAML ``text``; ``source`` (the file name) starts each error."""
    root = yaml_root(text, source=source, holds="questionnaire")
    try:
        return read_questionnaire(root)
    except InvalidQuestionnaireError as error:
        raise InputError(_report(source, root, error.problems)) from error


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
