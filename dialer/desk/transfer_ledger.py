"""A transfer under way, and its ledger: the audit log (no table of its own).
``call.transfer_start`` (agent, call, number, kind), ``call.transfer_step`` (joined, left,
agent_lost) and ``call.transfer_end`` (number, kind, outcome, seconds), each with the
call's person so the journal finds a person's transfers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.core.transfers import TransferKind, TransferOutcome, TransferState
from dialer.storage.audit import AuditFilter, AuditLog
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


#: how far back a restarted controller looks for the start of a transfer it finds
LEDGER_LOOK_BACK = timedelta(hours=12)


async def opened(
    audit: AuditLog, transfer_id: str, now: datetime
) -> tuple[Transfer, tuple[str, ...]] | None:
    """A transfer as its ledger knows it (started, not ended), with its steps in order;
    ``None`` when the ledger has no start for it or records its end already."""
    starts = await audit.search(
        AuditFilter(action="call.transfer_start", since=now - LEDGER_LOOK_BACK, limit=1000)
    )
    start = next((e for e in starts if e.details.get("transfer") == transfer_id), None)
    if start is None:
        return None
    entries = await audit.search(AuditFilter(action="call.", target=start.target, limit=1000))
    mine = [e for e in reversed(entries) if e.details.get("transfer") == transfer_id]
    if any(e.action == "call.transfer_end" for e in mine):
        return None
    transfer = Transfer(
        transfer_id,
        start.actor,
        start.target.removeprefix("attempt:"),
        "",
        TransferKind(start.details.get("kind", TransferKind.WARM.value)),
        str(start.details.get("number", "")),
        TransferState.CALLING,
        start.at,
        person_id=start.person_id,
    )
    steps = tuple(str(e.details.get("step")) for e in mine if e.action == "call.transfer_step")
    return transfer, steps


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
