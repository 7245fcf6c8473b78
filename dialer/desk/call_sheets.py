"""The agent's call sheet: answers saved one by one, live skip logic and emergencies, and
the submission (score, risk level, alerts, callback).

Only the agent the call is joined to may touch its sheet, and only while the call is
theirs (on call or in wrap-up): anything else is "no such call" (404), so an agent cannot
even learn that another call exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialer.alerts.raising import AlertRaiser
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition, person_result
from dialer.core.callbacks import callback_problem
from dialer.core.orientations import result_with_follow_up
from dialer.core.questionnaire_answers import validate_answer
from dialer.core.relatives import relative_call_result
from dialer.core.scoring import score
from dialer.desk.attempts_left import attempts_left_on
from dialer.desk.call_view import CallContext, CallViews
from dialer.desk.port import AgentDesk, seat_of
from dialer.desk.questionnaire_json import answer_json, progress_json
from dialer.desk.withdrawn_consent import refuse_after_withdrawal
from dialer.errors import InputError, NotFoundError
from dialer.register.phones import PhoneError, normalise_phone
from dialer.storage.answers import CallSheetRepository, SheetSubmission
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.callbacks import CallbackRepository
from dialer.storage.database import SessionFactory
from dialer.storage.orientations import OrientationBook
from dialer.storage.relatives import add_preferred_number

CURRENT_CALL_STATES = (AgentState.ON_CALL, AgentState.WRAP_UP)


def is_current_call(desk: AgentDesk | None, agent: str, attempt_id: str) -> bool:
    seat = seat_of(desk, agent)
    return seat is not None and seat.attempt_id == attempt_id and seat.state in CURRENT_CALL_STATES


def check_current_call(desk: AgentDesk | None, agent: str, attempt_id: str) -> None:
    """:class:`NotFoundError` unless ``attempt_id`` is ``agent``'s call now (on call or in
    its wrap-up): another call, even one they made earlier, is "no such call"."""
    if not is_current_call(desk, agent, attempt_id):
        raise NotFoundError("appel inconnu, ou qui n'est pas votre appel en cours")


@dataclass(frozen=True)
class SubmitResult:
    score: int | float
    risk_level: str
    complete: bool
    alerts: int
    #: what the engine (and the campaign's planner) is told when the wrap-up ends
    person_result: CycleResult | None


class CallSheets:
    def __init__(
        self,
        sessions: SessionFactory,
        views: CallViews,
        raiser: AlertRaiser,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._sheets = CallSheetRepository(sessions)
        self._callbacks = CallbackRepository(sessions)
        self.views = views
        self.raiser = raiser
        self._clock = clock

    def check_current(self, desk: AgentDesk | None, agent: str, attempt_id: str) -> None:
        check_current_call(desk, agent, attempt_id)

    async def _open(self, agent: str, attempt_id: str) -> tuple[CallContext, CallSheet]:
        context = await self.views.current(agent, attempt_id)
        sheet = await self._sheets.open(
            attempt_id=attempt_id,
            person_id=context.person.id,
            cycle_id=context.attempt.cycle_id,
            agent=agent,
            questionnaire_id=context.questionnaire.id,
            questionnaire_version=context.questionnaire.version,
            now=self._clock(),
        )
        return context, sheet

    async def answer(
        self, agent: str, attempt_id: str, question_id: str, value: Any, *, cleared: bool = False
    ) -> dict[str, Any]:
        """Save one answer (or clear it) and tell the screen what follows: the visible
        questions, what is missing, and the emergency instructions when an answer means a
        medical emergency (its priority-1 alert is raised at once)."""
        context, sheet = await self._open(agent, attempt_id)
        questionnaire = context.questionnaire
        if questionnaire.position(question_id) is None:
            raise InputError(f"question {question_id!r} inconnue dans ce questionnaire")
        question = questionnaire.question(question_id)
        now = self._clock()
        if cleared:
            await self._sheets.forget_answer(sheet.id, question_id, now=now)
        else:
            try:
                valid = validate_answer(question, value)
            except InputError:
                alone = question.none_choice
                why = (
                    f" : « {alone.label} » se coche seul"
                    if alone is not None
                    and isinstance(value, list | tuple | set | frozenset)
                    and alone.id in value
                    and len(value) > 1
                    else ""
                )
                raise InputError(
                    f"réponse invalide à la question « {question.text} »{why}"
                ) from None
            await self._sheets.save_answer(sheet.id, question_id, answer_json(valid), now=now)
        answers = await self._sheets.answers(sheet.id)
        result = score(questionnaire, answers)
        if result.emergency is not None:
            await self.raiser.raise_now(
                sheet.id,
                [alert for alert in result.triggered if alert.emergency],
                district=context.person.district,
                raised_by=agent,
            )
        return progress_json(questionnaire, answers, result)

    async def save_note(self, agent: str, attempt_id: str, note: str) -> None:
        _, sheet = await self._open(agent, attempt_id)
        await self._sheets.save_note(sheet.id, note[:10_000], now=self._clock())

    async def submit(
        self,
        agent: str,
        attempt_id: str,
        *,
        disposition: Disposition,
        note: str,
        callback_at: datetime | None,
        new_number: str | None = None,
    ) -> SubmitResult:
        """Close the sheet: score, risk level and alerts stored together; a callback
        scheduled when asked for. A relative's call (kind ``RELATIVE``) is never a useful
        contact; its answers give the person's result, and ``new_number`` (a better number
        the relative gave) goes first among the person's numbers, to be tried at once."""
        context, sheet = await self._open(agent, attempt_id)
        now = self._clock()
        answers = await self._sheets.answers(sheet.id)
        result = score(context.questionnaire, answers)
        relative = context.attempt.kind is AttemptKind.RELATIVE
        added = None
        if new_number is not None and new_number.strip():
            if not relative:
                raise InputError("nouveau_numero : seulement lors de l'appel au proche")
            try:
                added = normalise_phone(new_number.strip()[:40]).e164
            except PhoneError as exc:
                raise InputError(f"nouveau_numero : {exc.reason}") from None
        if disposition is Disposition.COMPLETE and not result.complete:
            raise InputError(
                f"questionnaire incomplet : {len(result.missing)} question(s) obligatoire(s) "
                "sans réponse ; choisissez une autre issue ou complétez-le"
            )
        if disposition is Disposition.CALLBACK:
            await refuse_after_withdrawal(self._sessions, context, "champ « disposition »", now=now)
            if callback_at is None:
                raise InputError("indiquez la date et l'heure du rappel")
            problem = callback_problem(
                callback_at,
                now=now,
                deadline=context.cycle_deadline,
                attempts_left=await attempts_left_on(self._sessions, context),
            )
            if problem is not None:
                raise InputError(problem)
            await self._callbacks.schedule(
                person_id=context.person.id,
                cycle_id=context.attempt.cycle_id,
                due_at=callback_at,
                number=context.attempt.number,
                agent=agent,
                note=note[:10_000],
                now=now,
            )
        submission = SheetSubmission(
            disposition=disposition,
            note=note[:10_000],
            callback_at=callback_at if disposition is Disposition.CALLBACK else None,
            score=float(result.score),
            risk_level=result.risk_level,
            complete=result.complete and not relative,
        )
        if added is not None:
            await add_preferred_number(self._sessions, context.person.id, added)
        raised = await self.raiser.submit(
            sheet.id,
            submission,
            result.triggered,
            district=context.person.district,
            raised_by=agent,
        )
        return SubmitResult(
            score=result.score,
            risk_level=result.risk_level,
            complete=result.complete and not relative,
            alerts=len(raised),
            person_result=(
                relative_call_result(disposition, answers, new_number=added is not None)
                if relative
                else result_with_follow_up(
                    person_result(disposition),
                    follow_up_pending=await OrientationBook(self._sessions).follow_up_pending(
                        attempt_id
                    ),
                )
            ),
        )

    async def history(self, agent: str) -> list[CallSheet]:
        return await self._sheets.for_agent(agent)
