"""Transfers found by a restarted controller (they lived in the old one's memory): the
legs in ``[dialer-transfer]``'s conferences, each with its transfer's id
(``DIALER_TRANSFER``), read against the transfer's ledger (the audit log). A person in the
conference is followed again, as a conference when the agent's leg is there with them, else
as handed over (:func:`dialer.core.transfers.found_after_restart`): the watch then ends it
as any transfer (ledger closed when the legs end, nobody left alone). A conference with no
person in it is ended at once: the third party hung up, the agent's leg sent back. People
on hold (or on their way back) are the engine's reconciliation's (``_take_off_hold``)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from dialer.core.transfers import (
    TransferKind,
    TransferOutcome,
    TransferState,
    found_after_restart,
)
from dialer.desk.transfer_ledger import Transfer, opened
from dialer.errors import TelephonyError
from dialer.storage.audit import AuditLog
from dialer.telephony.port import AGENT_LEG_PREFIX, TRANSFER_PREFIX, TransferPort
from dialer.telephony.translate import agent_of_leg

log = logging.getLogger(__name__)

#: where a person is taken back to the agent by the engine's reconciliation
_ENGINES = ("hold", "rejoin")


@dataclass(frozen=True)
class Found:
    """A transfer found after a restart: followed again, or ended (``outcome``) at once."""

    transfer: Transfer
    outcome: TransferOutcome | None = None


async def found_transfers(
    port: TransferPort, audit: AuditLog, followed: set[str], now: datetime
) -> list[Found]:
    """The transfers in Asterisk that nobody follows (``followed``: those known), as they
    are to be followed or were ended (their third party hung up, the agent's leg back)."""
    by_transfer: dict[str, dict[str, str]] = {}
    for channel, (exten, transfer_id) in (await port.transfer_legs()).items():
        if transfer_id:
            by_transfer.setdefault(transfer_id, {})[channel] = exten
    found: list[Found] = []
    for transfer_id, channels in by_transfer.items():
        if transfer_id in followed or any(e in _ENGINES for e in channels.values()):
            continue
        ledger = await opened(audit, transfer_id, now)
        third = f"{TRANSFER_PREFIX}{transfer_id}"
        if ledger is not None:  # the ledger names the person's call: the other is the agent's
            person = ledger[0].attempt_id if ledger[0].attempt_id in channels else None
            leg = next((c for c in channels if c not in (ledger[0].attempt_id, third)), None)
        else:
            leg = next((c for c in channels if c.startswith(AGENT_LEG_PREFIX)), None)
            person = next((c for c in channels if c not in (leg, third)), None)
        transfer, steps = ledger or (
            Transfer(
                transfer_id,
                agent_of_leg(leg) if leg else "",
                person or "",
                "",
                TransferKind.CONFERENCE,
                "",
                TransferState.CALLING,
                now,
            ),
            (),
        )
        transfer = replace(transfer, leg_id=leg or "", attempt_id=person or transfer.attempt_id)
        if person is None:
            found.append(Found(transfer, await _end_empty(port, transfer, leg, steps)))
            continue
        state, lost = found_after_restart(agent_in_room=leg is not None, steps=steps)
        log.warning("transfer %s found after a restart: followed as %s", transfer_id, state)
        found.append(Found(replace(transfer, state=state, agent_lost=lost)))
    return found


async def _end_empty(
    port: TransferPort, transfer: Transfer, leg: str | None, steps: tuple[str, ...]
) -> TransferOutcome:
    """No person in the conference: the third party hung up, the agent's leg back to
    ``[dialer-agent]``; the outcome by the ledger's steps."""
    with contextlib.suppress(TelephonyError):
        await port.hang_up(transfer.third_party)
    if leg is not None:
        with contextlib.suppress(TelephonyError):
            await port.agent_leaves(leg)
    if "agent_lost" in steps:
        return TransferOutcome.AGENT_LOST_HANDED_OVER
    if "left" in steps:
        return TransferOutcome.HANDED_OVER
    return TransferOutcome.PERSON_HUNG_UP
