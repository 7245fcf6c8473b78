"""Per-person results of a cycle or an episode (pure): for each person of each cycle, the
sheet that counts, its answers under their questions' labels (of the questionnaire version
the sheet used), score, risk level, disposition, the cycle's result, the alerts raised and
their handling; as a row of cells (CSV, XLSX) or as a :class:`PersonResult` (the API).

The sheet that counts: the last submitted complete one, else the last submitted, else the
last opened. The columns are known before the first row (:func:`result_columns`): one per
question of every questionnaire version the cycles' sheets used (a question whose text
is the same in two versions is one column), plus « Autres réponses » for sheets of a
version the catalogue no longer has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.core.labels import (
    ALERT_OPEN_TEXT,
    CYCLE_RESULT_LABELS,
    DISPOSITION_LABELS,
    NEED_LABELS,
    NO_RESULT_YET,
    RESULT_HEADERS,
    RESULT_TRAILING_HEADERS,
)
from dialer.core.questionnaire import Need, Questionnaire
from dialer.core.questionnaire_answers import answer_label, validate_answer
from dialer.errors import DialerError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.reports.tables import Cell, local_time
from dialer.storage.person_results import (
    PersonResultRows,
    ResultAlert,
    ResultScope,
    ResultSheet,
)

#: a question's column: (questionnaire id, question id, question text)
ColumnKey = tuple[str, str, str]


@dataclass(frozen=True)
class ResultColumns:
    headers: tuple[str, ...]
    #: where each question's answer goes (an index into the row)
    questions: dict[ColumnKey, int]
    #: the questionnaires known to the catalogue, by ``(id, version)``
    known: dict[tuple[str, int], Questionnaire]


@dataclass(frozen=True)
class LabelledAnswer:
    question_id: str
    question: str
    answer: str


@dataclass(frozen=True)
class PersonResult:
    rows: PersonResultRows
    sheet: ResultSheet | None
    answers: tuple[LabelledAnswer, ...]
    #: answers of a questionnaire version the catalogue does not have: ``id = value``
    others: tuple[str, ...]

    @property
    def result_text(self) -> str:
        result = self.rows.result
        return CYCLE_RESULT_LABELS[result] if result is not None else NO_RESULT_YET

    @property
    def disposition_text(self) -> str:
        disposition = self.sheet.disposition if self.sheet else None
        return DISPOSITION_LABELS[disposition] if disposition is not None else ""


def result_columns(scope: ResultScope, catalog: QuestionnaireCatalog | None) -> ResultColumns:
    known: dict[tuple[str, int], Questionnaire] = {}
    for questionnaire_id, version in scope.questionnaires:
        if catalog is None:
            break
        try:
            known[(questionnaire_id, version)] = catalog.get(questionnaire_id, version)
        except DialerError:
            continue
    keys: list[ColumnKey] = []
    for questionnaire in known.values():
        for question in questionnaire.questions:
            key = (questionnaire.id, question.id, question.text)
            if key not in keys:
                keys.append(key)
    texts = [text for _, _, text in keys]
    headers: list[str] = []
    for questionnaire_id, question_id, text in keys:
        header = text if texts.count(text) == 1 else f"{text} ({questionnaire_id}, {question_id})"
        headers.append(header)
    first = len(RESULT_HEADERS)
    return ResultColumns(
        headers=(*RESULT_HEADERS, *headers, *RESULT_TRAILING_HEADERS),
        questions={key: first + index for index, key in enumerate(keys)},
        known=known,
    )


def counting_sheet(sheets: tuple[ResultSheet, ...]) -> ResultSheet | None:
    """The last submitted complete sheet, else the last submitted, else the last."""
    submitted = [s for s in sheets if s.submitted_at is not None]
    complete = [s for s in submitted if s.complete]
    for candidates in (complete, submitted, list(sheets)):
        if candidates:
            return candidates[-1]
    return None


def _label(questionnaire: Questionnaire, question_id: str, value: object) -> str:
    question = questionnaire.question(question_id)
    try:
        return answer_label(question, validate_answer(question, value))
    except DialerError:
        return str(value)


def person_result(rows: PersonResultRows, columns: ResultColumns) -> PersonResult:
    sheet = counting_sheet(rows.sheets)
    answers: list[LabelledAnswer] = []
    others: list[str] = []
    if sheet is not None:
        questionnaire = columns.known.get((sheet.questionnaire_id, sheet.questionnaire_version))
        for question_id, value in sheet.answers.items():
            if questionnaire is None or questionnaire.position(question_id) is None:
                others.append(f"{question_id} = {value}")
                continue
            text = questionnaire.question(question_id).text
            answers.append(
                LabelledAnswer(question_id, text, _label(questionnaire, question_id, value))
            )
        if questionnaire is not None:
            answers.sort(key=lambda a: questionnaire.position(a.question_id) or 0)
    return PersonResult(rows, sheet, tuple(answers), tuple(others))


def need_text(need: str) -> str:
    try:
        return NEED_LABELS[Need(need)]
    except ValueError:
        return need


def alert_handling_text(alert: ResultAlert, zone: ZoneInfo) -> str:
    """« n° 12, priorité 2, Aide à domicile, Équipe Nord, levée le … : acquittée le … par
    … (note) » or « … : ouverte (escalade 1) »."""
    head = (
        f"n° {alert.id}, priorité {alert.priority}, {need_text(alert.need)}, "
        f"{alert.team or 'aucune équipe'}, levée le {local_time(alert.raised_at, zone)}"
    )
    if alert.acknowledged_at is None:
        handling = ALERT_OPEN_TEXT
        if alert.escalation_level:
            handling += f" (escalade {alert.escalation_level})"
    else:
        handling = (
            f"acquittée le {local_time(alert.acknowledged_at, zone)} "
            f"par {alert.acknowledged_by or '?'}"
        )
        if alert.note.strip():
            handling += f" ({alert.note.strip()})"
    return f"{head} : {handling}"


def result_cells(result: PersonResult, columns: ResultColumns, zone: ZoneInfo) -> list[Cell]:
    """The person's row, in the order of ``columns.headers``."""
    rows, sheet = result.rows, result.sheet
    submitted: datetime | None = sheet.submitted_at if sheet else None
    cells: list[Cell] = [
        rows.cycle_number,
        rows.external_id,
        rows.last_name,
        rows.first_name,
        rows.district or "",
        rows.dialled,
        result.result_text,
        result.disposition_text,
        sheet.agent if sheet else "",
        submitted,
        f"{sheet.questionnaire_id} v{sheet.questionnaire_version}" if sheet else "",
        ("oui" if sheet.complete else "non") if sheet else "",
        sheet.score if sheet else None,
        (sheet.risk_level or "") if sheet else "",
    ]
    cells += [""] * (len(columns.headers) - len(cells))
    if sheet is not None:
        for answer in result.answers:
            key = (sheet.questionnaire_id, answer.question_id, answer.question)
            index = columns.questions.get(key)
            if index is not None:
                cells[index] = answer.answer
    trailing = len(columns.headers) - len(RESULT_TRAILING_HEADERS)
    cells[trailing] = " | ".join(result.others)
    cells[trailing + 1] = len(rows.alerts)
    cells[trailing + 2] = " | ".join(alert_handling_text(a, zone) for a in rows.alerts)
    return cells
