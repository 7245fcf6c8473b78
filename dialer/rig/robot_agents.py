"""Simulated agents that work through the same web interface a person uses.

A :class:`RobotAgent` does what an agent does at the screen, over HTTP and the screen's
WebSocket, with the same requests as ``static/agent.js``: it logs in with the login form
(and its CSRF double-submit cookie), opens the screen's WebSocket, connects its phone
(``POST /api/v1/agent/phone``), goes ready, and waits for screen pops. For each call it
plays the called person with a random *persona*, answers the questionnaire question by
question (the next one is the first visible unanswered one, as the server says after each
answer: skip logic is the server's), hangs up, writes a note during the wrap-up and submits
the sheet with a disposition, which ends the wrap-up; then it waits for the next call.

The personas and the answers they give are in :mod:`dialer.rig.robot_personas` (the
questionnaires are the catalogue in ``dialer/ivr_scripts/questionnaires``, as an agent knows the
script); the screen's requests and WebSocket in :mod:`dialer.rig.robot_screen`. A person who
hangs up before the end leaves an interrupted sheet. Every call records what the submitted
answers should raise (:class:`HandledCall`), so a test can compare it with what the server
stored.

With the rig's softphones (baresip) answering for them, robots make a whole campaign run
on the real Asterisk without anybody at a keyboard (the real-rig tests; a demo can do the
same).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from dialer.core.questionnaire import Questionnaire
from dialer.core.questionnaire_answers import visible_questions
from dialer.core.scoring import ScoreResult, score
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    QuestionnaireCatalog,
    load_questionnaires,
)
from dialer.rig.robot_personas import (
    Ending,
    JsonAnswer,
    Persona,
    PersonaSource,
    RandomPersonas,
    plan_answers,
)
from dialer.rig.robot_screen import AgentScreen, RobotAgentError

log = logging.getLogger(__name__)

QUESTIONNAIRES = SHIPPED_QUESTIONNAIRES
#: how long the robot waits for the engine to say a call it hung up has ended
END_TIMEOUT_S = 15.0
#: how long a robot keeps submitting a sheet the service answers 503 to, and its pause
RESCUE_S = 60.0
RETRY_PAUSE_S = 2.0
#: tries at a sheet the server still says open, before the robot leaves it to the server
LEFT_SHEET_TRIES = 5


# ---- what a robot did --------------------------------------------------------------------
@dataclass
class HandledCall:
    """One screen pop and what the robot did with it."""

    attempt_id: str
    person: str
    persona: Persona
    #: when the call message reached the robot (wall clock, UTC)
    popped_at: datetime
    #: from the server queuing the screen pop to the robot receiving it
    push_ms: float | None
    answers: dict[str, JsonAnswer] = field(default_factory=dict)
    disposition: str = ""
    #: the person hung up before the questionnaire was finished
    hung_up_early: bool = False
    #: the alerts the submitted answers raise, by the questionnaire's rules
    expected_alerts: int = 0
    expected_emergency: bool = False
    #: the server showed the emergency instructions
    emergency_shown: bool = False
    #: the server's answer to the submission
    risk_level: str = ""
    complete: bool = False
    submitted: bool = False


class RobotAgent:
    """One simulated agent at the web screen (see the module docstring). A subclass may
    change its home page (:attr:`HOME`), what it does once logged in, the answers it plans
    and what it does around the sheet's submission (the hooks below)."""

    #: where the login form leads the account
    HOME = "/agent"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        rng: random.Random,
        answer_delay_s: float = 0.3,
        wrap_up_s: float = 1.0,
        personas: PersonaSource | None = None,
        questionnaires: QuestionnaireCatalog | None = None,
        callback_after: timedelta = timedelta(hours=2),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.rng = rng
        self.answer_delay_s = answer_delay_s
        self.wrap_up_s = wrap_up_s
        self.personas = personas or RandomPersonas()
        self.questionnaires = questionnaires or load_questionnaires(QUESTIONNAIRES)
        self.callback_after = callback_after
        self.handled: list[HandledCall] = []
        self.errors: list[str] = []
        self._screen = AgentScreen(self.base_url, username, password, self.errors, self.HOME)
        self._reopened: set[str] = set()
        self._left_tries: Counter[str] = Counter()

    # ---- the shift ----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Log in, connect the phone, go ready and handle calls until ``stop`` is set; then
        finish the call in hand, pause, close the screen and log out."""
        async with self._screen.open():
            await self._logged_in()
            self._screen.state = await self._screen.post("/api/v1/agent/phone")
            await self._finish_reopened_sheet()
            # else a call resumed after a controller restart: its screen pop first
            if self._screen.state.get("state") in ("paused", "ready"):
                self._screen.state = await self._screen.post("/api/v1/agent/ready")
            while (call := await self._next_call(stop)) is not None:
                await self._handle(*call)

    async def _next_call(self, stop: asyncio.Event) -> tuple[dict[str, Any], float] | None:
        """The next screen pop; ``None`` once ``stop`` is set and the robot could pause
        (a call already reserved for it is handled first)."""
        screen = self._screen
        while True:
            screen.changed.clear()
            if not screen.calls.empty():
                return screen.calls.get_nowait()
            if not screen.offers.empty():
                await self._call_offered(screen.offers.get_nowait())
                continue
            if screen.failure is not None:
                raise screen.failure
            left = str(screen.state.get("attempt_id"))
            if screen.state.get("state") == "wrap_up" and self._left_tries[left] < LEFT_SHEET_TRIES:
                self._left_tries[left] += 1
                await self._finish_left_sheet()
                continue
            if stop.is_set():
                # the state as the server has it now (a released reservation is not pushed)
                screen.state = await screen.get("/api/v1/agent/state")
                state = screen.state.get("state")
                if state in ("paused", "logged_out"):
                    return None
                if state == "ready":
                    try:
                        screen.state = await screen.post("/api/v1/agent/pause", {"reason": "Pause"})
                        return None
                    except RobotAgentError as exc:
                        if exc.status != 409:  # 409: a call was reserved meanwhile
                            raise
            waiting = asyncio.ensure_future(stop.wait())
            changed = asyncio.ensure_future(self._screen.wait_changed(1.0))
            await asyncio.wait({waiting, changed}, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiting, changed):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _call_offered(self, attempt_id: str) -> None:
        """A person offered (preview, a reserved call-back): read the record, « Appeler »
        (the call pops when they answer; an offer withdrawn meanwhile is a 409)."""
        await self._pause(self.answer_delay_s)
        try:
            result = await self._screen.post("/api/v1/agent/offer/call")
        except RobotAgentError as exc:
            if exc.status != 409:
                raise
            log.info("%s: offer %s gone before the call: %s", self.username, attempt_id, exc)
            return
        if isinstance(result.get("state"), dict):
            self._screen.state = result["state"]

    async def _finish_reopened_sheet(self) -> None:
        """A controller restarted during this agent's wrap-up reopens the sheet when the
        phone is connected again: submit it (interrupted; the answers given before stay)
        before going ready, as an agent does before anything else."""
        state = self._screen.state
        if state.get("state") != "wrap_up" or not state.get("attempt_id"):
            return
        attempt_id = str(state["attempt_id"])
        self._reopened.add(attempt_id)
        result = await self._screen.post(
            f"/api/v1/agent/calls/{attempt_id}/sheet",
            {"disposition": "interrupted", "note": "Fiche reprise après une coupure du service."},
        )
        if isinstance(result.get("state"), dict):
            self._screen.state = result["state"]

    async def _finish_left_sheet(self) -> None:
        """The server still has this agent in wrap-up on a sheet the robot could not submit
        (the service did not answer): as an agent would, submit it again."""
        try:
            self._screen.state = await self._screen.get("/api/v1/agent/state")
            await self._finish_reopened_sheet()
        except RobotAgentError as exc:
            log.warning("%s: sheet left open, trying again: %s", self.username, exc)
            await asyncio.sleep(RETRY_PAUSE_S)

    # ---- hooks --------------------------------------------------------------------------
    async def _logged_in(self) -> None:
        """Once logged in, before the phone is connected: nothing for an agent."""

    def _plan(self, questionnaire: Questionnaire, persona: Persona) -> dict[str, JsonAnswer]:
        """What the person would answer to every question."""
        return plan_answers(questionnaire, persona.health, self.rng)

    async def _before_sheet(self, call: HandledCall) -> None:
        """In the wrap-up, before the sheet is submitted: nothing for an agent."""

    async def _after_sheet(self, call: HandledCall) -> None:
        """Once the sheet is submitted: nothing for an agent."""

    # ---- one call -----------------------------------------------------------------------
    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.rng.uniform(0.5, 1.5))

    async def _handle(self, message: dict[str, Any], at_ms: float) -> None:
        view: dict[str, Any] = message["view"]
        attempt_id = str(message["attempt_id"])
        if attempt_id in self._reopened:  # submitted at log-in already
            return
        sent = message.get("sent_at_ms")
        reference = view["questionnaire"]
        questionnaire = self.questionnaires.get(str(reference["id"]), int(reference["version"]))
        persona = self.personas.deal(self.rng)
        call = HandledCall(
            attempt_id=attempt_id,
            person=str(view["person"]["name"]),
            persona=persona,
            popped_at=datetime.fromtimestamp(at_ms / 1000, UTC),
            push_ms=at_ms - float(sent) if isinstance(sent, int | float) else None,
            answers=dict(view["sheet"]["answers"]),
        )
        self.handled.append(call)
        try:
            await self._talk(call, questionnaire)
            await self._wrap_up(call, questionnaire)
        except RobotAgentError as exc:
            self.errors.append(str(exc))
            log.warning("%s", exc)
            await self._rescue(call, questionnaire)

    async def _talk(self, call: HandledCall, questionnaire: Questionnaire) -> None:
        """Greet the person, ask the questions the persona lets the agent ask, hang up."""
        plan = self._plan(questionnaire, call.persona)
        match call.persona.ending:
            case Ending.COMPLETE:
                budget = len(questionnaire.questions)
            case Ending.CALLBACK:
                budget = self.rng.randint(0, 3)
            case Ending.REFUSED:
                budget = 0
        visible = [q.id for q in visible_questions(questionnaire, call.answers)]
        missing = [q for q in visible if q not in call.answers]
        await self._pause(self.answer_delay_s)  # introduction
        for _ in range(budget):
            question_id = next((q for q in visible if q not in call.answers), None)
            if question_id is None or call.attempt_id in self._screen.ended:
                break
            await self._pause(self.answer_delay_s)  # the question read, the person answers
            if call.attempt_id in self._screen.ended:
                break
            value = plan[question_id]
            outcome = await self._screen.post(
                f"/api/v1/agent/calls/{call.attempt_id}/answers",
                {"question_id": question_id, "value": value, "cleared": False},
            )
            call.answers[question_id] = value
            visible = [str(q) for q in outcome["visible"]]
            missing = [str(q) for q in outcome["missing"]]
            if outcome.get("emergency"):
                call.emergency_shown = True
        finished = not missing or call.persona.ending is not Ending.COMPLETE
        call.hung_up_early = call.attempt_id in self._screen.ended and not finished
        if call.attempt_id not in self._screen.ended:
            await self._pause(self.answer_delay_s)  # goodbye
            self._screen.state = await self._screen.post("/api/v1/agent/hang-up")
        if not await self._ended(call.attempt_id):
            raise RobotAgentError(f"{self.username}: call {call.attempt_id} never ended")

    async def _ended(self, attempt_id: str) -> bool:
        """Wait (at most :data:`END_TIMEOUT_S`) for the screen to say the call ended."""
        deadline = time.monotonic() + END_TIMEOUT_S
        while True:
            self._screen.changed.clear()
            if attempt_id in self._screen.ended:
                return True
            if time.monotonic() > deadline:
                return False
            await self._screen.wait_changed(0.5)

    async def _wrap_up(self, call: HandledCall, questionnaire: Questionnaire) -> None:
        """Write the note and submit the sheet: the wrap-up ends, the robot is ready."""
        await self._pause(self.wrap_up_s)
        callback_at: str | None = None
        note = ""
        if call.hung_up_early:
            disposition = "interrupted"
            note = "La personne a raccroché avant la fin du questionnaire."
        elif call.persona.ending is Ending.REFUSED:
            disposition = "refused"
            note = "Ne souhaite pas répondre aux questions."
        elif call.persona.ending is Ending.CALLBACK:
            disposition = "callback"
            due = datetime.now(UTC) + self.callback_after
            callback_at = due.isoformat(timespec="seconds")
            note = "Demande à être rappelée plus tard."
        else:
            disposition = "complete"
        if note:
            await self._screen.post(f"/api/v1/agent/calls/{call.attempt_id}/note", {"note": note})
        await self._before_sheet(call)
        sheet = f"/api/v1/agent/calls/{call.attempt_id}/sheet"
        try:
            result = await self._screen.post(
                sheet, {"disposition": disposition, "note": note, "callback_at": callback_at}
            )
        except RobotAgentError as exc:
            if disposition != "callback" or exc.status != HTTPStatus.UNPROCESSABLE_ENTITY:
                raise
            # no attempt left in the cycle: the callback would never be placed; the agent
            # says so in the note and ends the call as interrupted
            disposition, note = "interrupted", f"{note} Plus d'appel possible dans ce cycle."
            result = await self._screen.post(sheet, {"disposition": disposition, "note": note})
        self._record(call, questionnaire, disposition, result)
        await self._after_sheet(call)

    def _record(
        self,
        call: HandledCall,
        questionnaire: Questionnaire,
        disposition: str,
        result: dict[str, Any],
    ) -> None:
        expected: ScoreResult = score(questionnaire, call.answers)
        call.disposition = disposition
        call.expected_alerts = len(expected.triggered)
        call.expected_emergency = expected.emergency is not None
        call.risk_level = str(result.get("risk_level", ""))
        call.complete = bool(result.get("complete"))
        call.submitted = True
        if isinstance(result.get("state"), dict):
            self._screen.state = result["state"]
        if result.get("wrap_up") != "done":
            self.errors.append(
                f"{self.username}: wrap-up of {call.attempt_id} not ended: {result.get('wrap_up')}"
            )

    async def _rescue(self, call: HandledCall, questionnaire: Questionnaire) -> None:
        """After a failed step: hang up and submit the sheet as interrupted, trying again
        while the service answers « réessayez » (503) or not at all, as an agent would."""
        with contextlib.suppress(RobotAgentError):
            await self._screen.post("/api/v1/agent/hang-up")
            await self._ended(call.attempt_id)
        deadline = time.monotonic() + RESCUE_S
        while True:
            try:
                result = await self._screen.post(
                    f"/api/v1/agent/calls/{call.attempt_id}/sheet",
                    {"disposition": "interrupted", "note": "Incident pendant l'appel."},
                )
            except RobotAgentError as exc:
                if exc.status not in (None, 503) or time.monotonic() > deadline:
                    return
                if self._screen.failure is not None:
                    return  # the screen is gone: the sheet comes back at the next log-in
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            self._record(call, questionnaire, "interrupted", result)
            return

    # ---- statistics ---------------------------------------------------------------------
    def statistics(self) -> dict[str, object]:
        pushes = sorted(c.push_ms for c in self.handled if c.push_ms is not None)
        return {
            "agent": self.username,
            "calls_popped": len(self.handled),
            "questionnaires_completed": sum(1 for c in self.handled if c.disposition == "complete"),
            "dispositions": dict(Counter(c.disposition for c in self.handled if c.submitted)),
            "personas": dict(Counter(c.persona.health.value for c in self.handled)),
            "hung_up_early": sum(1 for c in self.handled if c.hung_up_early),
            "alerts_expected": sum(c.expected_alerts for c in self.handled if c.submitted),
            "emergencies_expected": sum(1 for c in self.handled if c.expected_emergency),
            "emergencies_shown": sum(1 for c in self.handled if c.emergency_shown),
            "push_ms_p50": round(pushes[len(pushes) // 2], 1) if pushes else None,
            "push_ms_max": round(pushes[-1], 1) if pushes else None,
            "errors": len(self.errors),
        }
