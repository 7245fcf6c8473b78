"""Transfers during a call, the service: the agent hands the person to a third party, warm
or as a three-way conference (rules in :mod:`dialer.core.transfers`, Asterisk's steps in
``[dialer-transfer]`` through :class:`~dialer.telephony.port.TransferPort`).

The person is never left alone: on hold (warm) or with the agent until the third party
answers; if they do not, or hang up while the agent is still there, the agent's leg leaves
the conference and the person is bridged with it again. When the agent leaves the person
with the third party, the agent's part of the call ends (the engine is told the call ended,
so the wrap-up starts and the leg, back in ``[dialer-agent]``, takes the next call); the
service then hangs up whichever of the two stays alone. A watch every ``watch_s`` follows
the channels (the third party's Uniqueid is ``xfer-<id>``).

Every transfer is audited: ``call.transfer_start`` (agent, call, number, kind) and
``call.transfer_end`` (outcome, seconds); ``call.transfer_step`` records the agent's joins
and departures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from dialer.core.agent_states import AgentState
from dialer.core.transfers import (
    STEP_BUSY,
    Refusal,
    TransferEvent,
    TransferKind,
    TransferOutcome,
    TransferState,
    TransferTarget,
    decide,
    dialable,
    target_refusal,
    transfer_refusal,
)
from dialer.desk.port import AgentDesk, seat_of
from dialer.desk.transfer_ledger import Transfer, record_end, record_start, record_step
from dialer.desk.transfer_recovery import found_transfers
from dialer.desk.transfer_targets import call_targets, person_of_call
from dialer.errors import ConflictError, DialerError, TelephonyError
from dialer.settings import TransferSettings
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.telephony.port import CallEnded, TelephonyPort, TransferPort

log = logging.getLogger(__name__)

#: Asterisk's cause for a normal clearing, given to the engine when the agent hands over
NORMAL_CLEARING = 16


class CallCloser(Protocol):
    """The engine's door for a call's end (``DialingEngine.handle``)."""

    async def handle(self, event: CallEnded, node: TelephonyPort) -> None: ...


class Transfers:
    """One per service; :meth:`start` follows the transfers' channels."""

    def __init__(
        self,
        sessions: SessionFactory,
        settings: TransferSettings,
        *,
        desk: AgentDesk | None,
        port: TransferPort | None,
        closer: tuple[CallCloser, TelephonyPort] | None,
        caller_id: str,
        clock: Callable[[], datetime],
        watch_s: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._audit = AuditLog(sessions)
        self._desk = desk
        self._port = port
        self._closer = closer
        self._caller_id = caller_id
        self._clock = clock
        self._watch_s = watch_s
        self._by_agent: dict[str, Transfer] = {}
        #: the transfers the agent left: followed until the person or the third party hangs up
        self._handed_over: dict[str, Transfer] = {}
        #: the transfers whose third party's phone rings (their Originate is waited for)
        self._ringing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._watch: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        #: one lock per transfer: its steps (the agent's, the watch's) one at a time
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        if self._port is not None and self._watch is None:
            self._watch = asyncio.create_task(self._follow(self._port), name="transfers")

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._watch] if self._watch else [])]
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watch = None
        self._tasks.clear()

    # ---- what the agent's screen shows --------------------------------------------------
    async def offered(self, agent: str) -> list[TransferTarget]:
        """The numbers offered for the agent's current call (settings, then the record's
        relative and the duty phone of the team covering the person's district)."""
        seat = seat_of(self._desk, agent)
        attempt_id = seat.attempt_id if seat is not None else None
        return await call_targets(self._sessions, self._settings.numbers, attempt_id)

    def current(self, agent: str) -> Transfer | None:
        return self._by_agent.get(agent)

    @property
    def free_numbers(self) -> bool:
        return self._settings.free_numbers

    # ---- the agent's steps ----------------------------------------------------------------
    async def begin(self, agent: str, number: str, kind: TransferKind, *, route: str) -> Transfer:
        """Start a transfer of the agent's current call to ``number``. :class:`ConflictError`
        (in French) when it may not; the third party is called in the background. The
        start is audited before the person is put on hold: an audit log that refuses leaves
        the call as it was, never the person alone on hold."""
        port = self._port
        if port is None or self._desk is None:
            raise ConflictError("la téléphonie n'est pas active : lancez « dialer serve »")
        async with self._lock:
            seat = seat_of(self._desk, agent)
            state = seat.state if seat is not None else AgentState.LOGGED_OUT
            leg_id = seat.leg_id if seat is not None else None
            refusal = transfer_refusal(state, leg_id, agent in self._by_agent)
            if refusal is not None or seat is None or seat.attempt_id is None or leg_id is None:
                raise ConflictError(refusal or "vous n'êtes pas en communication")
            offered = await self.offered(agent)
            number = dialable(number) or number.strip()
            refused = target_refusal(number, offered, free_numbers=self._settings.free_numbers)
            if refused is not None:
                raise ConflictError(refused)
            transfer = Transfer(
                uuid.uuid4().hex[:16],
                agent,
                seat.attempt_id,
                leg_id,
                kind,
                number,
                TransferState.CALLING,
                self._clock(),
                person_id=await person_of_call(self._sessions, seat.attempt_id),
            )
            await record_start(self._audit, transfer, route)
            try:
                await port.hold_for_transfer(
                    transfer.transfer_id,
                    transfer.attempt_id,
                    leg_id,
                    person_in_room=kind is TransferKind.CONFERENCE,
                )
            except TelephonyError as exc:
                with contextlib.suppress(DialerError):
                    await self._ended(transfer, TransferOutcome.FAILED)
                raise ConflictError(f"transfert impossible : {exc}") from exc
            self._by_agent[agent] = transfer
            self._locks[transfer.transfer_id] = asyncio.Lock()
            self._ringing.add(transfer.transfer_id)
        self._spawn(self._ring(port, transfer))
        return transfer

    async def join(self, agent: str, *, route: str) -> Transfer:
        """Warm: the person joins the agent and the third party."""
        async with self._agent_step(agent) as transfer:
            moved = self._advance(transfer, TransferEvent.AGENT_JOINS)
            port = self._require_port()
            try:
                await port.person_into_room(transfer.transfer_id, transfer.attempt_id)
            except TelephonyError as exc:
                raise ConflictError(f"la personne n'a pas pu rejoindre : {exc}") from exc
            self._by_agent[agent] = moved
            await self._step(moved, "joined", route)
            return moved

    async def leave(self, agent: str, *, route: str) -> Transfer:
        """The agent leaves the person with the third party: their part of the call ends
        (the engine is told before the audit is written: a refused audit does not keep the
        agent on a call they left)."""
        async with self._agent_step(agent) as transfer:
            moved = self._advance(transfer, TransferEvent.AGENT_LEAVES)
            port = self._require_port()
            try:
                if transfer.state is TransferState.CONSULTING:  # warm, straight to the third
                    await port.person_into_room(transfer.transfer_id, transfer.attempt_id)
                await port.agent_leaves(transfer.leg_id)
            except TelephonyError as exc:
                raise ConflictError(f"le transfert n'a pas pu se faire : {exc}") from exc
            self._by_agent.pop(agent, None)
            self._handed_over[moved.transfer_id] = moved
            if self._closer is not None:
                closer, node = self._closer
                await closer.handle(
                    CallEnded(transfer.attempt_id, NORMAL_CLEARING, None, self._clock()), node
                )
            await self._step(moved, "left", route)
            return moved

    async def cancel(self, agent: str, *, route: str) -> Transfer:
        """The agent takes the person back; the third party is hung up."""
        async with self._agent_step(agent) as transfer:
            ended = self._advance(transfer, TransferEvent.AGENT_CANCELS)
            await self._back_to_agent(transfer, TransferOutcome.CANCELLED)
            return ended

    # ---- internals -----------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _agent_step(self, agent: str) -> AsyncIterator[Transfer]:
        """The agent's transfer, its steps one at a time: a request arriving while another
        step of the same transfer runs (double click, two tabs) is refused at once."""
        transfer = self._by_agent.get(agent)
        if transfer is None:
            raise ConflictError("aucun transfert en cours")
        lock = self._locks.setdefault(transfer.transfer_id, asyncio.Lock())
        if lock.locked():
            raise ConflictError(STEP_BUSY)
        async with lock:
            current = self._by_agent.get(agent)
            if current is None or current.transfer_id != transfer.transfer_id:
                raise ConflictError("le transfert vient de se terminer")
            yield current

    def _advance(self, transfer: Transfer, event: TransferEvent) -> Transfer:
        decided = decide(transfer.state, event, transfer.kind)
        if isinstance(decided, Refusal):
            raise ConflictError(decided.reason)
        return replace(transfer, state=decided)

    def _require_port(self) -> TransferPort:
        if self._port is None:
            raise ConflictError("la téléphonie n'est pas active : lancez « dialer serve »")
        return self._port

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ring(self, port: TransferPort, transfer: Transfer) -> None:
        try:
            answered = await port.call_third_party(
                transfer.transfer_id,
                transfer.number,
                caller_id=self._caller_id,
                ring_timeout_s=self._settings.ring_timeout_s,
            )
        except TelephonyError as exc:
            log.info("transfer %s: %s", transfer.transfer_id, exc)
            answered = False
        async with self._locks.get(transfer.transfer_id, asyncio.Lock()):
            self._ringing.discard(transfer.transfer_id)
            current = self._by_agent.get(transfer.agent)
            if current is None or current.transfer_id != transfer.transfer_id:
                if answered:  # cancelled or ended while it rang
                    with contextlib.suppress(TelephonyError):
                        await port.hang_up(transfer.third_party)
                return
            if not answered:
                await self._back_to_agent(current, TransferOutcome.NOT_ANSWERED)
                return
            decided = decide(current.state, TransferEvent.THIRD_ANSWERED, current.kind)
            if not isinstance(decided, Refusal):
                self._by_agent[transfer.agent] = replace(current, state=decided)

    async def _back_to_agent(self, transfer: Transfer, outcome: TransferOutcome) -> None:
        """The person back with the agent; the third party hung up if still there."""
        self._by_agent.pop(transfer.agent, None)
        self._locks.pop(transfer.transfer_id, None)
        port = self._require_port()
        with contextlib.suppress(TelephonyError):
            await port.hang_up(transfer.third_party)
        try:
            await port.back_to_agent(transfer.attempt_id, transfer.leg_id)
        except TelephonyError as exc:
            log.warning("transfer %s: person not brought back: %s", transfer.transfer_id, exc)
            outcome = TransferOutcome.FAILED
        await self._ended(transfer, outcome)

    async def _agent_lost(self, port: TransferPort, transfer: Transfer) -> None:
        """The agent's leg ended during the transfer: the person goes to the third party if
        they answered (the transfer followed as handed over), else is taken off hold and
        hears the information message, the lost agent's path (the sheet waits for the
        agent, the call-back rules apply); the third party still ringing is hung up."""
        self._by_agent.pop(transfer.agent, None)
        self._locks.pop(transfer.transfer_id, None)
        decided = decide(transfer.state, TransferEvent.AGENT_GONE, transfer.kind)
        if decided is TransferState.HANDED_OVER:
            try:
                if transfer.state is TransferState.CONSULTING:
                    await port.person_into_room(transfer.transfer_id, transfer.attempt_id)
            except TelephonyError as exc:
                log.warning("transfer %s: person not handed over: %s", transfer.transfer_id, exc)
            else:
                handed = replace(transfer, state=decided, agent_lost=True)
                self._handed_over[transfer.transfer_id] = handed
                await self._step(handed, "agent_lost", "")
                return
        with contextlib.suppress(TelephonyError):
            await port.hang_up(transfer.third_party)
        outcome = TransferOutcome.AGENT_LOST
        try:
            await port.release_person(transfer.attempt_id)
        except TelephonyError as exc:
            log.warning("transfer %s: person not released: %s", transfer.transfer_id, exc)
            outcome = TransferOutcome.FAILED
        await self._ended(transfer, outcome)

    async def _step(self, transfer: Transfer, step: str, route: str) -> None:
        await record_step(self._audit, transfer, step, self._clock(), route)

    async def _ended(self, transfer: Transfer, outcome: TransferOutcome) -> None:
        await record_end(self._audit, transfer, outcome, self._clock())

    async def _recover(self, port: TransferPort) -> bool:
        """Once, when the node first answers: the transfers a previous controller left
        (:mod:`dialer.desk.transfer_recovery`) followed again, or ended. False: to retry."""
        followed = {t.transfer_id for t in (*self._by_agent.values(), *self._handed_over.values())}
        try:
            found = await found_transfers(port, self._audit, followed, self._clock())
        except (TelephonyError, DialerError) as exc:
            log.info("transfers: not recovered yet: %s", exc)
            return False
        for item in found:
            transfer = item.transfer
            if item.outcome is not None:
                with contextlib.suppress(DialerError):
                    await self._ended(transfer, item.outcome)
            elif transfer.state is TransferState.HANDED_OVER:
                self._handed_over[transfer.transfer_id] = transfer
            elif transfer.agent not in self._by_agent:
                self._by_agent[transfer.agent] = transfer
                self._locks[transfer.transfer_id] = asyncio.Lock()
        return True

    async def _follow(self, port: TransferPort) -> None:
        recovered = False
        while True:
            await asyncio.sleep(self._watch_s)
            if not recovered:
                recovered = await self._recover(port)
            if not self._by_agent and not self._handed_over:
                continue
            try:
                alive = await port.live_channels()
            except TelephonyError:
                continue
            try:
                await self._check(port, alive)
            except DialerError as exc:  # the database refused: logged, the watch goes on
                log.warning("transfers: %s", exc)

    async def _check(self, port: TransferPort, alive: set[str]) -> None:
        for transfer in list(self._by_agent.values()):
            async with self._locks.setdefault(transfer.transfer_id, asyncio.Lock()):
                if self._by_agent.get(transfer.agent) is not transfer:
                    continue  # a step moved it meanwhile: seen at the next round
                await self._check_live(port, transfer, alive)
        for transfer in list(self._handed_over.values()):
            person, third = transfer.attempt_id in alive, transfer.third_party in alive
            if person and third:
                continue
            del self._handed_over[transfer.transfer_id]
            with contextlib.suppress(TelephonyError):
                await port.hang_up(transfer.attempt_id if person else transfer.third_party)
            outcome = (
                TransferOutcome.AGENT_LOST_HANDED_OVER
                if transfer.agent_lost
                else TransferOutcome.HANDED_OVER
            )
            await self._ended(transfer, outcome)

    async def _check_live(self, port: TransferPort, transfer: Transfer, alive: set[str]) -> None:
        if transfer.attempt_id not in alive:
            self._by_agent.pop(transfer.agent, None)
            self._locks.pop(transfer.transfer_id, None)
            with contextlib.suppress(TelephonyError):
                await port.hang_up(transfer.third_party)
                if transfer.leg_id in alive:
                    await port.agent_leaves(transfer.leg_id)
            await self._ended(transfer, TransferOutcome.PERSON_HUNG_UP)
        elif transfer.leg_id not in alive:
            await self._agent_lost(port, transfer)
        elif (
            transfer.transfer_id not in self._ringing
            and transfer.state is not TransferState.CALLING
            and transfer.third_party not in alive
        ):
            await self._back_to_agent(transfer, TransferOutcome.THIRD_HUNG_UP)

    def attempts_under_way(self) -> set[str]:
        """The calls whose person is in a transfer this service follows (a reconciliation
        leaves them where they are)."""
        return {t.attempt_id for t in (*self._by_agent.values(), *self._handed_over.values())}

    def statistics(self) -> dict[str, int]:
        return {"transfers": len(self._by_agent), "handed_over": len(self._handed_over)}
