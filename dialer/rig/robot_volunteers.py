"""Simulated volunteers of the veille sociale: a :class:`RobotAgent` logged in with the
volunteer role, on the same agent screen, doing what a volunteer does around a call.

A :class:`VolunteerRobot` lands on its desk (``/benevole``) after the login form and opens
it (``POST /api/v1/volunteer/desk``, « Prendre des appels »: refused while its training is
not recorded), then works as an agent does: connects the phone, goes ready, takes the
preview offers (« Appeler »), answers the two-level questionnaire. The households it finds
are fine (« rien de particulier ») or name one or two needs, which opens the second level.
In the wrap-up, for a household with needs it reads the « Orienter » panel
(``GET /api/v1/agent/calls/{id}/orientation``), orients it to the first resource offered
(information, hand-over or appointment) and, for every other household it orients,
schedules a follow-up call ``follow_up_after`` ahead (two days by default; the demo books
them within its run, which the product allows: a follow-up is any moment in the future
before the cycle's end). The service offers that follow-up to the same volunteer at its
time; the robot calls it like any offer and, seeing the household's earlier debrief on
the screen, knows it for a follow-up call: it asks how things went and neither orients
nor books another follow-up. After the sheet, it writes the debrief (some flagged
« situation à signaler ») and, for some, asks its coordinator for help. What it did is
kept in :attr:`followed` for the demo's and the tests' checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from dialer.core.questionnaire import Questionnaire
from dialer.core.windows import PARIS
from dialer.rig.robot_agents import HandledCall, RobotAgent
from dialer.rig.robot_personas import Ending, Health, JsonAnswer, Persona, plan_answers
from dialer.rig.robot_screen import RobotAgentError

log = logging.getLogger(__name__)

#: when a follow-up call is booked, by default: two days after the call
FOLLOW_UP_AFTER = timedelta(days=2)
#: the needs a household may name (the questionnaire's « besoins » = the directory's words)
NEEDS = ("alimentation", "argent_droits", "sante", "logement", "solitude", "numerique")
#: fine households say « rien de particulier »; households « at risk » name needs
VOLUNTEER_HEALTH = {Health.FINE: 0.55, Health.AT_RISK: 0.45}
VOLUNTEER_ENDINGS = {Ending.COMPLETE: 0.92, Ending.REFUSED: 0.08}
MODES = ("information", "mise_en_relation", "rendez_vous")


@dataclass
class Followed:
    """What a volunteer did after one call, beyond the sheet."""

    attempt_id: str
    needs: tuple[str, ...]
    oriented_to: str = ""
    mode: str = ""
    follow_up: bool = False
    #: this call was a follow-up call (the household's earlier debrief on the screen)
    follow_up_call: bool = False
    flagged: bool = False
    helped: bool = False


class VolunteerRobot(RobotAgent):
    """One simulated volunteer (see the module docstring)."""

    HOME = "/benevole"

    def __init__(
        self, *args: Any, follow_up_after: timedelta = FOLLOW_UP_AFTER, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.follow_up_after = follow_up_after
        self.followed: list[Followed] = []
        self._oriented = 0
        self._follow_up_calls: set[str] = set()

    async def open_desk(self) -> dict[str, Any]:
        """« Prendre des appels »: the desk, or :class:`RobotAgentError` (403) with the
        French refusal for an untrained volunteer."""
        return await self._screen.post("/api/v1/volunteer/desk")

    async def try_desk(self) -> str:
        """Log in and try to open the desk: the refusal's message, or ``""`` if opened."""
        async with self._screen.open():
            try:
                await self.open_desk()
            except RobotAgentError as exc:
                if exc.status != 403:
                    raise
                return str(exc).split(" 403 ", 1)[-1]
        return ""

    # ---- the hooks of RobotAgent --------------------------------------------------------
    async def _logged_in(self) -> None:
        await self.open_desk()

    async def _handle(self, message: dict[str, Any], at_ms: float) -> None:
        """A call popped: with the household's earlier debriefs on the screen, it is a
        follow-up call (the household was reached before in this campaign)."""
        if message.get("view", {}).get("debriefs"):
            self._follow_up_calls.add(str(message["attempt_id"]))
        await super()._handle(message, at_ms)

    def _plan(self, questionnaire: Questionnaire, persona: Persona) -> dict[str, JsonAnswer]:
        """A friendly first level (no danger), then « besoins »: nothing, or one or two
        needs whose second-level questions get the person's answers."""
        plan = plan_answers(questionnaire, Health.FINE, self.rng)
        plan["danger_immediat"] = False
        if persona.health is Health.FINE:
            plan["besoins"] = ["aucun"]
        else:
            plan["besoins"] = sorted(self.rng.sample(NEEDS, self.rng.randint(1, 2)))
            plan["nouvelles"] = self.rng.choice(["moyen", "pas_bien"])
        return plan

    async def _before_sheet(self, call: HandledCall) -> None:
        needs = call.answers.get("besoins")
        named = tuple(n for n in needs if n in NEEDS) if isinstance(needs, list) else ()
        followed = Followed(
            call.attempt_id, named, follow_up_call=call.attempt_id in self._follow_up_calls
        )
        self.followed.append(followed)
        if not named or call.hung_up_early or followed.follow_up_call:
            return
        try:
            await self._orient(call.attempt_id, followed)
        except RobotAgentError as exc:
            self.errors.append(str(exc))
            log.warning("%s", exc)

    async def _orient(self, attempt_id: str, followed: Followed) -> None:
        panel = await self._screen.get(f"/api/v1/agent/calls/{attempt_id}/orientation")
        resources = panel.get("resources") or []
        if not resources:
            return
        chosen = resources[0]
        mode = self.rng.choice(MODES)
        body: dict[str, Any] = {
            "resource_id": chosen["id"],
            "mode": mode,
            "note": "Coordonnées données au ménage.",
        }
        if mode == "rendez_vous":
            body["appointment_at"] = _paris_day(3, 10)
        await self._screen.post(f"/api/v1/agent/calls/{attempt_id}/orientations", body)
        followed.oriented_to, followed.mode = str(chosen["name"]), mode
        self._oriented += 1
        if self._oriented % 2 == 1:  # every other household oriented: a follow-up call
            at = (datetime.now(UTC) + self.follow_up_after).astimezone(PARIS)
            try:
                await self._screen.post(
                    f"/api/v1/agent/calls/{attempt_id}/follow-up",
                    {
                        "at": at.isoformat(timespec="seconds"),
                        "note": "Savoir si la démarche a abouti.",
                    },
                )
            except RobotAgentError as exc:  # the household's last call of the cycle: refused
                if exc.status != HTTPStatus.UNPROCESSABLE_ENTITY:
                    raise
            else:
                followed.follow_up = True

    async def _after_sheet(self, call: HandledCall) -> None:
        if not self.followed or self.followed[-1].attempt_id != call.attempt_id:
            return
        followed = self.followed[-1]
        followed.flagged = bool(followed.needs) and self.rng.random() < 0.4
        text = (
            ("Appel de suivi : la démarche a abouti. " if followed.follow_up_call else "")
            + (f"Besoins : {', '.join(followed.needs)}" if followed.needs else "Va bien, contente")
            + (f" ; orientée vers {followed.oriented_to}." if followed.oriented_to else ".")
        )
        base = f"/api/v1/volunteer/calls/{call.attempt_id}"
        try:
            await self._screen.post(base + "/debrief", {"text": text, "flagged": followed.flagged})
            if followed.flagged or (followed.needs and self.rng.random() < 0.3):
                await self._screen.post(base + "/help")
                followed.helped = True
        except RobotAgentError as exc:
            self.errors.append(str(exc))
            log.warning("%s", exc)


def _paris_day(days: int, hour: int) -> str:
    """``days`` from today at ``hour`` o'clock in Paris, as the panel sends it."""
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(PARIS)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()
