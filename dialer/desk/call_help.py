"""Help during a call, the service: an agent's « besoin d'aide » (stored, shown to the
supervisors until one of them acknowledges it) and a supervisor's listening to an agent's
call (listen, whisper, barge) through their own phone.

Every step is in the audit log: ``call.help_raised`` and ``call.help_acknowledged``;
``call.spy_start`` (who, which agent and call, how) and ``call.spy_end`` (how long), the
end being the supervisor's phone channel hanging up as Asterisk reports it
(:meth:`~dialer.telephony.port.SupervisionPort.next_spy_end`). A listening ends with the
agent's call: the service hangs the supervisor's phone up when the agent is no longer on
that call (checked every ``watch_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dialer.core.agent_states import AgentState
from dialer.core.call_help import SpyMode, help_refusal, spy_refusal
from dialer.desk.port import AgentDesk, seat_of
from dialer.errors import ConflictError, DialerError, NotConnectedError, TelephonyError
from dialer.storage.audit import AuditLog
from dialer.storage.call_help import CallHelpRepository, OpenHelp
from dialer.storage.database import SessionFactory
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.telephony.port import SPY_PREFIX, SpyEnded, SupervisionPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listening:
    spy_id: str
    supervisor: str
    agent: str
    attempt_id: str
    mode: SpyMode
    started_at: datetime
    leg_id: str


class CallHelp:
    """One per service; :meth:`start` follows the listenings' ends."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        desk: AgentDesk | None,
        port: SupervisionPort | None,
        clock: Callable[[], datetime],
        watch_s: float = 1.0,
    ) -> None:
        self._repository = CallHelpRepository(sessions)
        self._calls = VolunteerCalls(sessions)
        self._audit = AuditLog(sessions)
        self._desk = desk
        self._port = port
        self._clock = clock
        self._watch_s = watch_s
        self._listenings: dict[str, Listening] = {}
        #: listenings whose supervisor's phone has not answered yet
        self._calling: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self._port is None or self._tasks:
            return
        self._port.follow_spies(set(await self._repository.open_supervisions()))
        self._tasks = [
            asyncio.create_task(self._follow_ends(self._port), name="listening-ends"),
            asyncio.create_task(self._watch_calls(self._port), name="listening-calls"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    # ---- « besoin d'aide » -----------------------------------------------------------------
    async def raise_help(
        self, agent: str, *, route: str, after_call: str | None = None
    ) -> tuple[OpenHelp, bool]:
        """The agent's request for their current (or just ended) call: (request, new).
        ``after_call``: a volunteer's earlier call of theirs (help is also asked after
        the call, from the volunteer's desk)."""
        if after_call is not None:
            attempt_id = (await self._calls.own_call(after_call, agent)).id
            state = "after_call"
        else:
            attempt_id, state = self._held_call(agent)
        now = self._clock()
        request, made = await self._repository.raise_help(agent, attempt_id, now)
        if made:
            await self._audit.record(
                actor=agent,
                action="call.help_raised",
                target=f"attempt:{request.attempt_id}",
                at=now,
                person_id=request.person_id,
                route=route,
                details={"request": request.id, "state": state},
            )
        return request, made

    def _held_call(self, agent: str) -> tuple[str, str]:
        """The call the agent's seat holds, and the seat's state (:class:`ConflictError`
        when it holds none)."""
        seat = seat_of(self._desk, agent)
        refusal = (
            help_refusal(seat.state, seat.attempt_id)
            if seat is not None
            else help_refusal(AgentState.LOGGED_OUT, None)
        )
        if refusal is not None or seat is None or seat.attempt_id is None:
            raise ConflictError(refusal or "vous n'êtes pas en appel")
        return seat.attempt_id, seat.state.value

    async def open_requests(self) -> list[OpenHelp]:
        return await self._repository.open_requests()

    async def acknowledge(self, request_id: int, *, by: str, route: str) -> OpenHelp:
        now = self._clock()
        request = await self._repository.acknowledge(request_id, by, now)
        await self._audit.record(
            actor=by,
            action="call.help_acknowledged",
            target=f"attempt:{request.attempt_id}",
            at=now,
            person_id=request.person_id,
            route=route,
            details={"request": request.id, "agent": request.agent},
        )
        return request

    # ---- listen, whisper, barge ------------------------------------------------------------
    async def listen(
        self, supervisor: str, endpoint: str | None, agent: str, mode: SpyMode, *, route: str
    ) -> Listening:
        """Call ``supervisor``'s phone into the agent's call. :class:`ConflictError` (in
        French) when the agent is not on a call, the supervisor has no phone, or the phone
        does not answer; :class:`TelephonyError` when Asterisk is out of reach."""
        if self._port is None or self._desk is None:
            raise ConflictError("la téléphonie n'est pas active : lancez « dialer serve »")
        if not endpoint:
            raise ConflictError(
                "aucun compte SIP n'est associé à votre compte : voyez l'administrateur"
            )
        seat = seat_of(self._desk, agent)
        if seat is None:
            raise ConflictError(f"agent {agent!r} : pas connecté au moteur d'appels")
        refusal = spy_refusal(seat.state, seat.leg_id)
        if refusal is not None or seat.leg_id is None or seat.attempt_id is None:
            raise ConflictError(f"agent {agent!r} : {refusal or 'pas en appel'}")
        spy_id = f"{SPY_PREFIX}{uuid.uuid4().hex}"
        now = self._clock()
        listening = Listening(spy_id, supervisor, agent, seat.attempt_id, mode, now, seat.leg_id)
        # stored first: the end may be reported as soon as the phone answers
        await self._repository.start_supervision(
            spy_id, supervisor, agent, seat.attempt_id, mode, now
        )
        self._listenings[spy_id] = listening
        self._calling.add(spy_id)
        try:
            await self._port.spy_on(spy_id, endpoint, seat.leg_id, mode)
        except NotConnectedError:
            await self._failed(listening, "téléphonie injoignable")
            raise
        except TelephonyError as exc:
            await self._failed(listening, "votre téléphone n'a pas répondu")
            raise ConflictError(
                f"votre téléphone ({endpoint}) n'a pas répondu ou l'appel de l'agent est terminé"
            ) from exc
        finally:
            self._calling.discard(spy_id)
        try:
            await self._audit.record(
                actor=supervisor,
                action="call.spy_start",
                target=f"attempt:{seat.attempt_id}",
                at=now,
                route=route,
                details={"agent": agent, "mode": mode.value, "channel": spy_id},
            )
        except DialerError:  # no listening without its audit: the supervisor is hung up
            with contextlib.suppress(DialerError):
                await self._failed(listening, "journal d'audit indisponible")
            with contextlib.suppress(TelephonyError):
                await self._port.hang_up(spy_id)
            raise
        return listening

    async def _failed(self, listening: Listening, why: str) -> None:
        self._listenings.pop(listening.spy_id, None)
        await self._repository.end_supervision(listening.spy_id, self._clock(), failure=why)

    async def _follow_ends(self, port: SupervisionPort) -> None:
        while True:
            ended = await port.next_spy_end()
            try:
                await self._ended(ended)
            except DialerError as exc:  # the database refused: logged, the loop goes on
                log.warning("listening %s: end not recorded: %s", ended.spy_id, exc)

    async def _ended(self, ended: SpyEnded) -> None:
        self._listenings.pop(ended.spy_id, None)
        row = await self._repository.end_supervision(ended.spy_id, ended.at)
        if row is None or row.failure is not None:
            return
        await self._audit.record(
            actor=row.supervisor,
            action="call.spy_end",
            target=f"attempt:{row.attempt_id}",
            at=ended.at,
            details={
                "agent": row.agent,
                "mode": row.mode.value,
                "channel": row.channel_id,
                "seconds": max(0, round((ended.at - row.started_at).total_seconds())),
            },
        )

    async def _watch_calls(self, port: SupervisionPort) -> None:
        """Hang up the listenings whose call is over: the agent is no longer on it, or
        their leg left the call's bridge. The second matters: measured on Asterisk 22.10, a
        person's channel hung up while a supervisor barges stays alive (ChanSpy holds it)
        until the supervisor's channel goes, so the engine never hears the call end."""
        while True:
            await asyncio.sleep(self._watch_s)
            if not self._listenings:
                continue
            try:
                bridged = await port.bridged_channels()
            except TelephonyError:
                bridged = None
            for listening in list(self._listenings.values()):
                if self._call_goes_on(listening, bridged):
                    continue
                self._listenings.pop(listening.spy_id, None)
                with contextlib.suppress(TelephonyError):
                    await port.hang_up(listening.spy_id)

    def _call_goes_on(self, listening: Listening, bridged: set[str] | None) -> bool:
        seat = seat_of(self._desk, listening.agent)
        on_it = (
            seat is not None
            and seat.state is AgentState.ON_CALL
            and seat.attempt_id == listening.attempt_id
        )
        in_bridge = bridged is None or listening.leg_id in bridged
        answered = listening.spy_id not in self._calling
        return on_it and (in_bridge or not answered)

    def statistics(self) -> dict[str, int]:
        return {"listenings": len(self._listenings)}
