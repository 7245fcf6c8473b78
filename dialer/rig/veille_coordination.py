"""The coordinator of the veille-sociale demo, through the versioned API with an API token
(``Authorization: Bearer``), as a coordinator's own tools would: records the volunteers'
training and becomes their coordinator, records a household's withdrawal, and answers the
flagged debriefs and the help requests of the activity feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from dialer.errors import DialerError
from dialer.rig.demo_accounts import SUPERVISOR

API = "/api/v1"


class CoordinationError(DialerError):
    """The service refused a coordinator's request."""


class Coordination:
    """A coordinator's API session (an ``async with`` block)."""

    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + API,
            headers={"Authorization": f"Bearer {token}"},
            timeout=15.0,
            trust_env=False,
        )
        #: what the coordinator answered: debriefs and help requests
        self.answered = {"debrief": 0, "help": 0}

    async def __aenter__(self) -> Coordination:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self._http.request(method, path, json=body)
        if response.status_code >= 400:
            raise CoordinationError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def train(self, username: str) -> None:
        """Training recorded a week ago by the coordinator, who coordinates them."""
        trained_on = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
        await self._call(
            "POST",
            f"/volunteers/{username}/training",
            {"trained_by": SUPERVISOR, "trained_on": trained_on},
        )
        await self._call("PUT", f"/volunteers/{username}/coordinator", {"coordinator": SUPERVISOR})

    async def withdraw(self, external_id: str) -> None:
        """The household's withdrawal, asked for by the person on the phone."""
        await self._call(
            "POST",
            f"/people/{external_id}/consent/withdraw",
            {"on_behalf_of": "person", "channel": "phone"},
        )

    async def answer_all(self, say: Callable[[str], None]) -> None:
        """Answer every help request without an answer and every flagged debrief."""
        activity = await self._call("GET", "/volunteers/activity")
        for call in activity["open_help"]:
            for help_request in call["help_requests"]:
                if help_request["answer"] is None:
                    await self._answer("help", help_request["id"], "Je vous rappelle, on en parle.")
                    say(f"  {SUPERVISOR} répond à la demande d'aide de {call['volunteer']}.")
        for call in activity["flagged"]:
            debrief = call["debrief"]
            if debrief is not None and debrief["answer"] is None:
                await self._answer("debrief", debrief["id"], "Bien noté, je préviens le CCAS.")
                say(f"  {SUPERVISOR} répond à la situation signalée par {call['volunteer']}.")

    async def _answer(self, subject: str, row_id: int, text: str) -> None:
        path = f"/volunteers/{'help' if subject == 'help' else 'debriefs'}/{row_id}/answer"
        await self._call("POST", path, {"answer": text})
        self.answered[subject] += 1
