"""Simulated agents that work through the same web interface a person uses.

A :class:`RobotAgent` does what an agent does at the screen, over HTTP and the screen's
WebSocket, with the same requests as ``static/agent.js``: it logs in with the login form
(and its CSRF double-submit cookie), opens the screen's WebSocket, connects its phone
(``POST /api/agent/telephone``), goes ready, and waits for screen pops. For each call it
plays the called person with a random *persona*, answers the questionnaire question by
question (the next one is the first visible unanswered one, as the server says after each
answer: skip logic is the server's), hangs up, writes a note during the wrap-up and submits
the sheet with a disposition, which ends the wrap-up; then it waits for the next call.

Personas (:class:`Persona`): most people are fine (no alert), about 15 % give answers that
raise alerts, about 3 % describe a medical emergency; some refuse to answer or ask to be
called back instead of completing. A person who hangs up before the end leaves an
interrupted sheet. Which answers are fine or risky is read from the questionnaire's own
weights and rules (the catalogue in ``ivr_scripts/questionnaires``, as an agent knows the
script), and every call records what the submitted answers should raise
(:class:`HandledCall`), so a test can compare it with what the server stored.

With the rig's softphones (baresip) answering for them, robots make a whole campaign run
on the real Asterisk without anybody at a keyboard (the real-rig tests; a demo can do the
same).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from dialer.core.questionnaire import Question, Questionnaire, QuestionType
from dialer.core.questionnaire_answers import answer_weight, validate_answer, visible_questions
from dialer.core.scoring import ScoreResult, score
from dialer.errors import DialerError
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    QuestionnaireCatalog,
    load_questionnaires,
)

log = logging.getLogger(__name__)

QUESTIONNAIRES = SHIPPED_QUESTIONNAIRES
SESSION_COOKIE = "dialer_session"
#: the screen pings its WebSocket every 25 s (the server closes a socket silent for 90 s)
PING_EVERY_S = 25.0
#: how long the robot waits for the engine to say a call it hung up has ended
END_TIMEOUT_S = 15.0
#: a JSON answer as the screen sends it: bool, choice id, list of choice ids, int, or null
JsonAnswer = bool | int | str | list[str] | None


class RobotAgentError(DialerError):
    """The web service refused or failed a robot's request, or closed its screen."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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


class PersonaDeck:
    """A shuffled deck of personas shared by several robots (so a short run still meets
    every kind of person); random draws once it is empty."""

    def __init__(
        self,
        cards: Sequence[Persona],
        rng: random.Random,
        then: PersonaSource | None = None,
    ) -> None:
        self._cards = list(cards)
        rng.shuffle(self._cards)
        self._then = then or RandomPersonas()

    def deal(self, rng: random.Random) -> Persona:
        if self._cards:
            return self._cards.pop()
        return self._then.deal(rng)

    def __len__(self) -> int:
        return len(self._cards)


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


class _Page(HTMLParser):
    """The hidden inputs and ``<meta>`` tags of a page (CSRF tokens)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in values:
            self.inputs[values["name"]] = values.get("value", "")
        elif tag == "meta" and "name" in values:
            self.meta[values["name"]] = values.get("content", "")


@dataclass
class _Screen:
    """What the robot's screen knows, as the WebSocket tells it."""

    state: dict[str, Any] = field(default_factory=dict)
    calls: asyncio.Queue[tuple[dict[str, Any], float]] = field(default_factory=asyncio.Queue)
    ended: set[str] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    failure: RobotAgentError | None = None


def _ms() -> float:
    return time.time() * 1000


class RobotAgent:
    """One simulated agent at the web screen (see the module docstring)."""

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
        self._password = password
        self.rng = rng
        self.answer_delay_s = answer_delay_s
        self.wrap_up_s = wrap_up_s
        self.personas = personas or RandomPersonas()
        self.questionnaires = questionnaires or load_questionnaires(QUESTIONNAIRES)
        self.callback_after = callback_after
        self.handled: list[HandledCall] = []
        self.errors: list[str] = []
        self._csrf = ""
        self._screen = _Screen()
        self._reopened: set[str] = set()

    # ---- the shift ----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Log in, connect the phone, go ready and handle calls until ``stop`` is set; then
        finish the call in hand, pause, close the screen and log out."""
        async with httpx.AsyncClient(
            base_url=self.base_url, follow_redirects=True, timeout=15.0, trust_env=False
        ) as http:
            await self._log_in(http)
            token = http.cookies.get(SESSION_COOKIE) or ""
            scheme = "wss" if self.base_url.startswith("https") else "ws"
            url = f"{scheme}://{urlsplit(self.base_url).netloc}/ws/agent"
            async with connect(
                url,
                origin=Origin(self.base_url),
                additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"},
                proxy=None,
            ) as socket:
                reader = asyncio.create_task(self._read(socket), name=f"{self.username}-screen")
                pinger = asyncio.create_task(self._ping(socket), name=f"{self.username}-ping")
                try:
                    self._set_state(await self._post(http, "/api/agent/telephone"))
                    await self._finish_reopened_sheet(http)
                    # else a call resumed after a controller restart: its screen pop first
                    if self._screen.state.get("state") in ("paused", "ready"):
                        self._set_state(await self._post(http, "/api/agent/disponible"))
                    while (call := await self._next_call(http, stop)) is not None:
                        await self._handle(http, *call)
                finally:
                    pinger.cancel()
                    reader.cancel()
                    for task in (pinger, reader):
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
            await self._log_out(http)

    async def _log_in(self, http: httpx.AsyncClient) -> None:
        form = await http.get("/connexion")
        csrf = _Page(form.text).inputs.get("csrf", "")
        page = await http.post(
            "/connexion",
            data={"identifiant": self.username, "mot_de_passe": self._password, "csrf": csrf},
        )
        if page.url.path != "/agent" or page.status_code != 200:
            raise RobotAgentError(
                f"{self.username}: login failed ({page.status_code} at {page.url.path})",
                page.status_code,
            )
        self._csrf = _Page(page.text).meta.get("csrf-token", "")

    async def _log_out(self, http: httpx.AsyncClient) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await http.post("/deconnexion", data={"csrf": self._csrf})

    async def _post(
        self, http: httpx.AsyncClient, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A script request as ``common.js`` sends it (JSON, ``X-CSRF-Token``)."""
        try:
            response = await http.post(path, json=body or {}, headers={"X-CSRF-Token": self._csrf})
        except httpx.HTTPError as exc:
            raise RobotAgentError(f"{self.username}: POST {path}: {exc}") from exc
        return self._json(response, f"POST {path}")

    async def _get(self, http: httpx.AsyncClient, path: str) -> dict[str, Any]:
        try:
            response = await http.get(path)
        except httpx.HTTPError as exc:
            raise RobotAgentError(f"{self.username}: GET {path}: {exc}") from exc
        return self._json(response, f"GET {path}")

    def _json(self, response: httpx.Response, request: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400 or not isinstance(data, dict):
            message = data.get("erreur") if isinstance(data, dict) else None
            raise RobotAgentError(
                f"{self.username}: {request}: {response.status_code} {message or ''}".strip(),
                response.status_code,
            )
        return data

    # ---- the screen's WebSocket ---------------------------------------------------------
    async def _read(self, socket: ClientConnection) -> None:
        screen = self._screen
        try:
            async for raw in socket:
                message = json.loads(raw)
                if not isinstance(message, dict):
                    continue
                if isinstance(message.get("state"), dict):
                    screen.state = message["state"]
                kind = message.get("type")
                if kind == "call":
                    screen.calls.put_nowait((message, _ms()))
                elif kind == "ended":
                    screen.ended.add(str(message.get("attempt_id")))
                elif kind == "call_failed":
                    self.errors.append(f"screen pop failed for {message.get('attempt_id')}")
                elif kind == "expired":
                    screen.failure = RobotAgentError(f"{self.username}: session expired")
                screen.changed.set()
        except ConnectionClosed as exc:
            screen.failure = RobotAgentError(f"{self.username}: screen closed: {exc}")
        if screen.failure is None:
            screen.failure = RobotAgentError(f"{self.username}: screen closed by the server")
        screen.changed.set()

    async def _ping(self, socket: ClientConnection) -> None:
        while True:
            await asyncio.sleep(PING_EVERY_S)
            with contextlib.suppress(ConnectionClosed):
                await socket.send("ping")

    def _set_state(self, state: dict[str, Any]) -> None:
        self._screen.state = state

    async def _changed(self, seconds: float) -> None:
        """Wait for a WebSocket message since the last ``changed.clear()``, at most
        ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._screen.changed.wait(), seconds)

    async def _next_call(
        self, http: httpx.AsyncClient, stop: asyncio.Event
    ) -> tuple[dict[str, Any], float] | None:
        """The next screen pop; ``None`` once ``stop`` is set and the robot could pause
        (a call already reserved for it is handled first)."""
        screen = self._screen
        while True:
            screen.changed.clear()
            if not screen.calls.empty():
                return screen.calls.get_nowait()
            if screen.failure is not None:
                raise screen.failure
            if stop.is_set():
                # the state as the server has it now (a released reservation is not pushed)
                self._set_state(await self._get(http, "/api/agent/etat"))
                state = screen.state.get("state")
                if state in ("paused", "logged_out"):
                    return None
                if state == "ready":
                    try:
                        self._set_state(
                            await self._post(http, "/api/agent/pause", {"reason": "Pause"})
                        )
                        return None
                    except RobotAgentError as exc:
                        if exc.status != 409:  # 409: a call was reserved meanwhile
                            raise
            waiting = asyncio.ensure_future(stop.wait())
            changed = asyncio.ensure_future(self._changed(1.0))
            await asyncio.wait({waiting, changed}, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiting, changed):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _finish_reopened_sheet(self, http: httpx.AsyncClient) -> None:
        """A controller restarted during this agent's wrap-up reopens the sheet when the
        phone is connected again: submit it (interrupted; the answers given before stay)
        before going ready, as an agent does before anything else."""
        state = self._screen.state
        if state.get("state") != "wrap_up" or not state.get("attempt_id"):
            return
        attempt_id = str(state["attempt_id"])
        self._reopened.add(attempt_id)
        result = await self._post(
            http,
            f"/api/appels/{attempt_id}/fiche",
            {"disposition": "interrupted", "note": "Fiche reprise après une coupure du service."},
        )
        if isinstance(result.get("state"), dict):
            self._set_state(result["state"])

    # ---- one call -----------------------------------------------------------------------
    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.rng.uniform(0.5, 1.5))

    async def _handle(self, http: httpx.AsyncClient, message: dict[str, Any], at_ms: float) -> None:
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
            await self._talk(http, call, questionnaire)
            await self._wrap_up(http, call, questionnaire)
        except RobotAgentError as exc:
            self.errors.append(str(exc))
            log.warning("%s", exc)
            await self._rescue(http, call, questionnaire)

    async def _talk(
        self, http: httpx.AsyncClient, call: HandledCall, questionnaire: Questionnaire
    ) -> None:
        """Greet the person, ask the questions the persona lets the agent ask, hang up."""
        plan = plan_answers(questionnaire, call.persona.health, self.rng)
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
            outcome = await self._post(
                http,
                f"/api/appels/{call.attempt_id}/reponses",
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
            self._set_state(await self._post(http, "/api/agent/raccrocher"))
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
            await self._changed(0.5)

    async def _wrap_up(
        self, http: httpx.AsyncClient, call: HandledCall, questionnaire: Questionnaire
    ) -> None:
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
            await self._post(http, f"/api/appels/{call.attempt_id}/note", {"note": note})
        result = await self._post(
            http,
            f"/api/appels/{call.attempt_id}/fiche",
            {"disposition": disposition, "note": note, "callback_at": callback_at},
        )
        self._record(call, questionnaire, disposition, result)

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
            self._set_state(result["state"])
        if result.get("wrap_up") != "done":
            self.errors.append(
                f"{self.username}: wrap-up of {call.attempt_id} not ended: {result.get('wrap_up')}"
            )

    async def _rescue(
        self, http: httpx.AsyncClient, call: HandledCall, questionnaire: Questionnaire
    ) -> None:
        """After a failed step: hang up and submit the sheet as interrupted, if possible."""
        with contextlib.suppress(RobotAgentError):
            await self._post(http, "/api/agent/raccrocher")
            await self._ended(call.attempt_id)
            result = await self._post(
                http,
                f"/api/appels/{call.attempt_id}/fiche",
                {"disposition": "interrupted", "note": "Incident pendant l'appel."},
            )
            self._record(call, questionnaire, "interrupted", result)

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
