"""A transfer under way, and its ledger: the audit log (no table of its own).
``call.transfer_start`` (agent, call, number, kind), ``call.transfer_step`` (joined, left,
agent_lost) and ``call.transfer_end`` (number, kind, outcome, seconds), each with the
call's person so the journal finds a person's transfers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dialer.core.transfers import TransferKind, TransferOutcome, TransferState
from dialer.storage.audit import AuditLog
from dialer.telephony.port import TRANSFER_PREFIX


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    agent: str
    attempt_id: str
    leg_id: str
    kind: TransferKind
    number: str
    state: TransferState
    started_at: datetime
    #: the agent's leg ended during the transfer (the outcome says so)
    agent_lost: bool = False
    #: the call's person (the journal finds a person's transfers)
    person_id: int | None = None

    @property
    def third_party(self) -> str:
        return f"{TRANSFER_PREFIX}{self.transfer_id}"


async def record_start(audit: AuditLog, transfer: Transfer, route: str) -> None:
    details = {"number": transfer.number, "kind": transfer.kind.value}
    await _record(
        audit, transfer, "call.transfer_start", transfer.started_at, route, details=details
    )


async def record_step(
    audit: AuditLog, transfer: Transfer, step: str, at: datetime, route: str
) -> None:
    await _record(audit, transfer, "call.transfer_step", at, route, details={"step": step})


async def record_end(
    audit: AuditLog, transfer: Transfer, outcome: TransferOutcome, now: datetime
) -> None:
    details = {
        "number": transfer.number,
        "kind": transfer.kind.value,
        "outcome": outcome.value,
        "seconds": max(0, round((now - transfer.started_at).total_seconds())),
    }
    await _record(audit, transfer, "call.transfer_end", now, "", details=details)


async def _record(
    audit: AuditLog,
    transfer: Transfer,
    action: str,
    at: datetime,
    route: str,
    *,
    details: Mapping[str, object],
) -> None:
    await audit.record(
        actor=transfer.agent,
        action=action,
        target=f"attempt:{transfer.attempt_id}",
        person_id=transfer.person_id,
        at=at,
        route=route,
        details={"transfer": transfer.transfer_id, **details},
    )
