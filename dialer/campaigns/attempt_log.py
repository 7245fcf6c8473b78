"""The engine's attempt log (:class:`dialer.engine.ports.AttemptLog`) over the stored attempt
ledger (:class:`dialer.storage.ledger.AttemptLedger`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from dialer.core.attempts import (
    AttemptKind,
    AttemptState,
    CycleResult,
    Disposition,
    person_result,
)
from dialer.core.outcomes import CallOutcome
from dialer.engine.ports import InFlightAttempt
from dialer.storage.answers import CallSheetRepository
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger, LedgerAdvance, LedgerClose, LedgerWrapUp
from dialer.storage.ledger_writer import LedgerWriter
from dialer.storage.models import Attempt


def _result_of(disposition: Disposition | None) -> CycleResult | None:
    return person_result(disposition) if disposition is not None else None


def _in_flight_attempt(a: Attempt) -> InFlightAttempt:
    """The engine's view of a stored attempt."""
    return InFlightAttempt(
        a.id,
        a.person_id,
        a.cycle_id,
        a.number,
        a.node,
        a.agent,
        state=a.state,
        placed_at=a.placed_at,
        answered_at=a.answered_at,
        bridged_at=a.bridged_at,
        ended_at=a.ended_at,
        inbound=a.kind is AttemptKind.INBOUND,
    )


class StoredAttemptLog:
    """Implements :class:`dialer.engine.ports.AttemptLog`. A dial is written in its own
    transaction (its answer decides whether to place the call); the calls' progress goes
    through the :class:`LedgerWriter`, batched and retried until it lands."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.attempts = AttemptLedger(sessions)
        self.writer = LedgerWriter(self.attempts)
        self.sheets = CallSheetRepository(sessions)

    async def mark_dialing(self, attempt_id: str, *, at: datetime, node: str | None) -> bool:
        return await self.attempts.mark_dialing(attempt_id, at=at, node=node)

    async def mark_ringing(self, attempt_id: str, *, at: datetime) -> None:
        await self.writer.write(LedgerAdvance(attempt_id, AttemptState.RINGING, at))

    async def mark_answered(self, attempt_id: str, *, at: datetime) -> None:
        await self.writer.write(LedgerAdvance(attempt_id, AttemptState.ANSWERED, at))

    async def mark_bridged(
        self, attempt_id: str, *, at: datetime, agent: str, answered_at: datetime
    ) -> None:
        await self.writer.write(
            LedgerAdvance(attempt_id, AttemptState.BRIDGED, at, agent, answered_at)
        )

    async def close(
        self,
        attempt_id: str,
        outcome: CallOutcome,
        *,
        at: datetime,
        cause: int | None,
        sip_status: int | None,
        failed: bool,
        unplaced: bool = False,
    ) -> None:
        await self.writer.write(
            LedgerClose(attempt_id, outcome, at, cause, sip_status, failed, unplaced)
        )

    async def wrap_up_done(
        self, attempt_id: str, *, at: datetime, result: CycleResult | None
    ) -> None:
        await self.writer.write(LedgerWrapUp(attempt_id, at, result))

    def writable(self) -> bool:
        return self.writer.writable()

    def write_statistics(self) -> dict[str, float | int | bool]:
        return self.writer.statistics()

    async def awaiting_wrap_up(self) -> list[InFlightAttempt]:
        waiting = [_in_flight_attempt(a) for a in await self.attempts.awaiting_wrap_up()]
        submitted = await self.sheets.submitted_dispositions([a.attempt_id for a in waiting])
        return [
            replace(a, sheet_submitted=True, result=_result_of(submitted[a.attempt_id]))
            if a.attempt_id in submitted
            else a
            for a in waiting
        ]

    async def in_flight(self, node: str) -> list[InFlightAttempt]:
        return [
            _in_flight_attempt(a) for a in await self.attempts.in_flight() if a.node in (node, None)
        ]
